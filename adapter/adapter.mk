# osdbg, the host program (build/bin/osdbg), and the adapter's unit tests.
# One fragment for the whole of adapter/; its layers are the folders listed
# in adapter/LAYERS, lowest first (docs/adapter.md), and
# scripts/check-layers.sh keeps calls going down (test-adapter-layers).
ADAPTER_CC      := gcc
ADAPTER_JANSSON := $(shell pkg-config --cflags jansson 2>/dev/null)
ADAPTER_CFLAGS  := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O2 -MMD -MP -I$(TOP)/adapter \
                   -I$(TOP)/include -I$(TOP)/sidestub/include -I$(TOP)/ebpf/include -I$(TOP)/probes/include \
                   $(ADAPTER_JANSSON)
ADAPTER_LIBS    := $(shell pkg-config --libs jansson 2>/dev/null) -ldw -lelf -liberty
ADAPTER_SRCS    := $(wildcard adapter/*/*.c adapter/*/*/*.c)
ADAPTER_OBJS    := $(patsubst adapter/%.c,$(B)/adapter/%.o,$(ADAPTER_SRCS))
OSDBG           := $(B)/bin/osdbg

ALL_TARGETS += $(OSDBG)

$(B)/adapter/%.o: adapter/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(ADAPTER_CC) $(ADAPTER_CFLAGS) -c $< -o $@

# The side-stub protocol core, host build (sidestub/sidestub.mk), and the
# eBPF runtime's host build: osdbg verifies programs before uploading them.
ADAPTER_SIDESTUB := $(B)/sidestub/host/libsidestub.a $(B)/ebpf/host/libebpf.a

$(OSDBG): $(ADAPTER_OBJS) $(ADAPTER_SIDESTUB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(ADAPTER_CC) -o $@ $(ADAPTER_OBJS) $(ADAPTER_SIDESTUB) $(ADAPTER_LIBS)

-include $(ADAPTER_OBJS:.o=.d)

# ---- unit tests (cmocka, ASan + UBSan) ---------------------------------------
# Each links the sources it tests with its test file; the tests find the
# build outputs through OSDBG_BUILD and the sources through OSDBG_TOP (the
# line tables name them by absolute path).
ADAPTER_TEST_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
                       -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                       -Iadapter -Iinclude -Isidestub/include -Iebpf/include $(ADAPTER_JANSSON) \
                       -DOSDBG_BUILD='"$(B)"' -DOSDBG_TOP='"$(TOP)"'
ADAPTER_HDRS := $(wildcard adapter/*/*.h adapter/*/*/*.h)

# adapter_unit_test(name, sources, libraries, inputs the run reads)
#   builds $(B)/tests/test_<name> from tests/adapter/test_<name>.c and the
#   sources, and adds the suite test-adapter-<name>.
define adapter_unit_test
$(B)/tests/test_$(1): tests/adapter/test_$(1).c $(2) $(ADAPTER_HDRS) adapter/adapter.mk
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	$$(Q)gcc $$(ADAPTER_TEST_CFLAGS) tests/adapter/test_$(1).c $(2) $(3) -lcmocka -o $$@
ALL_TARGETS += $(B)/tests/test_$(1)
TEST_TARGETS += test-adapter-$(1)
.PHONY: test-adapter-$(1)
test-adapter-$(1): $(B)/tests/test_$(1) $(4)
	@scripts/run-suite.sh adapter-$(1) $(B)/tests/test_$(1)
endef

ADAPTER_DWARF_LIBS := -ldw -lelf -liberty
ADAPTER_JSON_LIBS  := $(shell pkg-config --libs jansson 2>/dev/null)

# The ELF/DWARF reader, on the real build outputs (the ramdisk holds a copy
# of hello without DWARF).
$(eval $(call adapter_unit_test,debuginfo,adapter/dwarf/debuginfo.c tests/adapter/independent_tools.c,$(ADAPTER_DWARF_LIBS),\
  $(B)/user/hello $(B)/user/matrix $(B)/user/rustdemo $(KERNEL_ELF) $(RAMDISK)))
# Variable locations for logpoints (varloc.c reads DWARF through debuginfo.c).
$(eval $(call adapter_unit_test,varloc,adapter/dwarf/varloc.c adapter/dwarf/debuginfo.c tests/adapter/independent_tools.c,$(ADAPTER_DWARF_LIBS),\
  $(B)/user/matrix $(B)/user/rustdemo $(KERNEL_ELF)))
# Conditions and logpoint expressions rewritten for GDB.
$(eval $(call adapter_unit_test,gdbexpr,adapter/gdb/gdbexpr.c adapter/dwarf/rvregs.c adapter/core/buf.c,,))
# The GDB/MI output parser, against the manual's grammar and recorded output.
$(eval $(call adapter_unit_test,mi_parse,adapter/gdb/mi_parse.c,$(ADAPTER_JSON_LIBS),\
  $(wildcard tests/adapter/mi_samples/*.mi)))
# The eBPF code generators (logpoints, built-in programs, their ELF objects):
# the generated objects are loaded, verified and run by the project's runtime
# (ebpf/, host ASan build).
ADAPTER_LOGPROG_SRCS := adapter/bpf/logprog.c adapter/bpf/bpfgen.c adapter/bpf/builtins.c \
                        adapter/bpf/bpfobj.c adapter/core/paths.c adapter/dwarf/rvregs.c \
                        adapter/dwarf/varloc.c adapter/dwarf/debuginfo.c
$(eval $(call adapter_unit_test,logprog,$(ADAPTER_LOGPROG_SRCS) $(B)/ebpf/asan/libebpf.a,$(ADAPTER_DWARF_LIBS),\
  $(B)/user/matrix $(KERNEL_ELF)))
# Logpoints in the Rust kernel and its Rust programs, compiled at real lines,
# verified, and run on the registers and memory GDB read at the same stop of
# the real kernel in QEMU.
$(eval $(call adapter_unit_test,rustlog,$(ADAPTER_LOGPROG_SRCS) $(B)/ebpf/asan/libebpf.a,\
  $(ADAPTER_DWARF_LIBS),$(RKERNEL_ELF) $(RK_USER_ELFS) tests/adapter/rustlog_gdb.py))
# The rules that decide whether a user sees a stop (target/: stop policy,
# arming, liveness, logpoint attach and fallback) against a scripted GDB
# (tests/adapter/scripted_gdb.c: the MI transport of gdb.c; the commands on
# top of it, gdb/eval.c, are the real ones), with the real profile and the
# build's DWARF.
ADAPTER_TARGET_SRCS := tests/adapter/scripted_gdb.c adapter/target/state.c adapter/target/programs.c \
                       adapter/target/runctl.c adapter/target/breakpoints.c adapter/target/liveness.c \
                       adapter/target/gdblog.c adapter/target/stop.c adapter/target/harts.c adapter/gdb/eval.c \
                       adapter/target/timetravel.c adapter/target/poweroff.c adapter/gdb/mi_parse.c \
                       adapter/gdb/gdbexpr.c adapter/dwarf/debuginfo.c adapter/dwarf/rvregs.c \
                       adapter/profile/profile.c adapter/profile/profile_check.c adapter/core/loop.c \
                       adapter/core/buf.c
$(eval $(call adapter_unit_test,target,$(ADAPTER_TARGET_SRCS),$(ADAPTER_DWARF_LIBS) $(ADAPTER_JSON_LIBS),\
  $(B)/user/hello $(B)/user/matrix $(KERNEL_ELF) profiles/osdbg-kernel.json))
# Recording folders (issue 20): recording.json, the build id check, every
# refusal of recording_open, in a temporary copy of the reference profile.
ADAPTER_RECORDING_SRCS := adapter/machine/recording.c adapter/machine/buildid.c adapter/core/paths.c \
                          adapter/profile/profile.c adapter/profile/profile_check.c
$(eval $(call adapter_unit_test,recording,$(ADAPTER_RECORDING_SRCS),-lelf $(ADAPTER_JSON_LIBS),\
  $(B)/user/hello $(B)/user/matrix $(KERNEL_ELF) profiles/osdbg-kernel.json))
