# RISC-V probe engine (issue 5): OS-independent kprobe/kretprobe/uprobe core,
# freestanding C built three ways.
#
#   $(B)/probes/asan/librvprobe.a        x86-64 host with ASan/UBSan (unit tests)
#   $(B)/probes/rv64-linux/librvprobe.a  static rv64 Linux (cross-check under qemu-riscv64)
#   $(B)/probes/rv64-kernel/librvprobe.a the kernel's flags: proves it is freestanding
#
# The kernel (or any embedder) compiles $(RVPROBE_LIB_SRCS) itself with
# $(RVPROBE_INCLUDES).  Binaries are linked to a temporary name and renamed.

RVPROBE_DIR      := $(TOP)/probes
RVPROBE_LIB_SRCS := $(addprefix $(RVPROBE_DIR)/src/,length.c decode.c execute.c table.c)
RVPROBE_INCLUDES := -I$(RVPROBE_DIR)/include -I$(TOP)/include
RVPROBE_HDRS     := $(wildcard $(RVPROBE_DIR)/src/*.h) $(RVPROBE_DIR)/include/rvprobe.h

RVPROBE_WARN     := -Wall -Wextra -Werror
# No libc even on the host; keep GCC from turning byte loops into memset calls.
RVPROBE_LIB_FLAGS := -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns
RVPROBE_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
RVPROBE_ASAN_CFLAGS := $(RVPROBE_WARN) -g -O1 $(RVPROBE_SAN) $(RVPROBE_INCLUDES)
RVPROBE_RV_CC    := riscv64-linux-gnu-gcc
RVPROBE_RV_CFLAGS := $(RVPROBE_WARN) -g -O2 $(RVPROBE_INCLUDES)
RVPROBE_KCC      := riscv64-unknown-elf-gcc
RVPROBE_KCFLAGS  := -misa-spec=2.2 -march=rv64imac -mabi=lp64 -mcmodel=medany -ffreestanding \
                    -nostdlib -fno-builtin -Wall -Wextra -Werror -O2 -g $(RVPROBE_INCLUDES)

RVPROBE_OBJS = $(patsubst $(RVPROBE_DIR)/src/%.c,$(B)/probes/$(1)/%.o,$(RVPROBE_LIB_SRCS))

$(B)/probes/asan/%.o: $(RVPROBE_DIR)/src/%.c $(RVPROBE_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@gcc $(RVPROBE_ASAN_CFLAGS) $(RVPROBE_LIB_FLAGS) -c $< -o $@
$(B)/probes/rv64-linux/%.o: $(RVPROBE_DIR)/src/%.c $(RVPROBE_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(RVPROBE_RV_CC) $(RVPROBE_RV_CFLAGS) $(RVPROBE_LIB_FLAGS) -c $< -o $@
$(B)/probes/rv64-kernel/%.o: $(RVPROBE_DIR)/src/%.c $(RVPROBE_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(RVPROBE_KCC) $(RVPROBE_KCFLAGS) $(RVPROBE_LIB_FLAGS) -c $< -o $@

$(B)/probes/asan/librvprobe.a: $(call RVPROBE_OBJS,asan)
	@rm -f $@.tmp && ar rcs $@.tmp $^ && mv -f $@.tmp $@
$(B)/probes/rv64-linux/librvprobe.a: $(call RVPROBE_OBJS,rv64-linux)
	@rm -f $@.tmp && riscv64-linux-gnu-ar rcs $@.tmp $^ && mv -f $@.tmp $@
$(B)/probes/rv64-kernel/librvprobe.a: $(call RVPROBE_OBJS,rv64-kernel)
	@rm -f $@.tmp && riscv64-unknown-elf-ar rcs $@.tmp $^ && mv -f $@.tmp $@

ALL_TARGETS += $(B)/probes/rv64-kernel/librvprobe.a

# ---- tests --------------------------------------------------------------
RVPROBE_TDIR := $(TOP)/tests/probes
RVPROBE_TBIN := $(B)/probes/tests

# Unit tests: cmocka, ASan/UBSan; encodings assembled by riscv64-unknown-elf-as
# at test time in $(RVPROBE_TBIN)/work.
$(RVPROBE_TBIN)/test_rvprobe: $(RVPROBE_TDIR)/test_rvprobe.c $(wildcard $(RVPROBE_TDIR)/*.h) \
                              $(B)/probes/asan/librvprobe.a $(TOP)/kernel/kregs.h
	@mkdir -p $(@D)
	gcc $(RVPROBE_ASAN_CFLAGS) -Wno-missing-field-initializers -I$(RVPROBE_TDIR) -I$(TOP)/kernel \
	    -DRVP_WORKDIR='"$(RVPROBE_TBIN)/work"' $< $(B)/probes/asan/librvprobe.a -lcmocka -o $@.tmp \
	    && mv -f $@.tmp $@

.PHONY: test-probes-unit
test-probes-unit: $(RVPROBE_TBIN)/test_rvprobe
	@mkdir -p $(RVPROBE_TBIN)/work
	@scripts/run-suite.sh probes-unit $(RVPROBE_TBIN)/test_rvprobe

# The simulator against the emulated hart: static rv64 Linux under qemu-riscv64.
# --no-relax: the harness loads arbitrary values into every register but gp/tp.
$(RVPROBE_TBIN)/xcheck-rv64: $(RVPROBE_TDIR)/xcheck.c $(B)/probes/rv64-linux/librvprobe.a
	@mkdir -p $(@D)
	$(RVPROBE_RV_CC) $(RVPROBE_RV_CFLAGS) -static -Wl,--no-relax $< \
	    $(B)/probes/rv64-linux/librvprobe.a -o $@.tmp && mv -f $@.tmp $@

.PHONY: test-probes-xcheck
test-probes-xcheck: $(RVPROBE_TBIN)/xcheck-rv64
	@scripts/run-suite.sh probes-xcheck qemu-riscv64 $(RVPROBE_TBIN)/xcheck-rv64

# End to end on the emulated hart: real text patched, slots executed, kretprobe
# returns through the trampoline; SIGTRAP's frame is the trap frame.
$(RVPROBE_TBIN)/e2e-rv64: $(RVPROBE_TDIR)/e2e.c $(RVPROBE_TDIR)/e2e_funcs.S \
                          $(B)/probes/rv64-linux/librvprobe.a
	@mkdir -p $(@D)
	$(RVPROBE_RV_CC) $(RVPROBE_RV_CFLAGS) -static -Wl,--no-relax -Wl,--no-warn-rwx-segments \
	    $(RVPROBE_TDIR)/e2e.c $(RVPROBE_TDIR)/e2e_funcs.S $(B)/probes/rv64-linux/librvprobe.a \
	    -o $@.tmp && mv -f $@.tmp $@

.PHONY: test-probes-e2e
test-probes-e2e: $(RVPROBE_TBIN)/e2e-rv64
	@scripts/run-suite.sh probes-e2e qemu-riscv64 $(RVPROBE_TBIN)/e2e-rv64

# The kernel-flag library references nothing outside itself.
.PHONY: test-probes-freestanding
test-probes-freestanding: $(B)/probes/rv64-kernel/librvprobe.a
	@scripts/run-suite.sh probes-freestanding $(RVPROBE_TDIR)/check_freestanding.sh $<

TEST_TARGETS += test-probes-unit test-probes-xcheck test-probes-e2e test-probes-freestanding
