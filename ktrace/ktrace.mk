# ktrace, the kernel side of osdbg's tracing (bpf(), kprobes and uprobes,
# the side-stub server, the eBPF helpers and stack walker), as an
# OS-independent library that any RISC-V teaching OS links
# (ktrace/include/ktrace.h: what the OS calls; ktrace_os.h: what it
# provides, its port):
#
#   $(B)/ktrace/rv64-kernel/libktrace.a   the kernel's flags (kernel/kernel.mk
#                                         RV_CFLAGS: -O0 -g by default) and no
#                                         header of kernel/
#
# This fragment is read before kernel.mk (which links the library), so the
# flags are expanded when the recipes run.  Objects are written under a
# temporary name and renamed (suites may run while another make rebuilds).

KTRACE_SRCS     := $(wildcard ktrace/src/*.c ktrace/src/*.S)
KTRACE_LIB      := $(B)/ktrace/rv64-kernel/libktrace.a
KTRACE_LIB_OBJS := $(patsubst ktrace/src/%,$(B)/ktrace/rv64-kernel/%.o,$(KTRACE_SRCS))
# What the library may leave to its OS (any other undefined symbol is the
# kernel leaking into it): the port (kt_os_*), the eBPF runtime, the probe
# engine, the side-stub core, libgcc (__*), and common/ (format.c,
# kstring.c), whose names are read from the kernel's objects of it.
KTRACE_ALLOWED_PREFIXES := kt_os_ ebpf_ rvprobe_ ss_ __
KTRACE_COMMON_OBJS := $(patsubst common/%,$(B)/kernel/common/%.o,$(wildcard common/*.c))

# The files every kprobe hit runs, at -O2 whatever the kernel's OPT (issue
# 21, docs/benchmarks.md "Where a kprobe hit goes"): the engine's glue
# (kprobe.c) and what a program's run sets up and its helpers call
# (bpf_helpers.c).  bpf.c stays at the kernel's -O0 so its system call can
# be debugged (tests/adapter/dap.test.mjs stops in kt_sys_bpf); its run
# path alone is -O2 by attribute (KT_HOT in bpf.c).  A later -O2 overrides
# RV_CFLAGS' -O0.
KTRACE_O2_SRCS  := kprobe.c bpf_helpers.c

# Compiled from the top folder with relative names, as the kernel's own
# objects: their DWARF names the same files (ktrace/src/bpf.c), which the
# debugger's tests set breakpoints in.
$(B)/ktrace/rv64-kernel/%.c.o: ktrace/src/%.c ktrace/ktrace.mk
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RV_CC) $(RV_CFLAGS) $(if $(filter $(notdir $<),$(KTRACE_O2_SRCS)),-O2) -MT $@ -MF $(@:.o=.d) -c $< -o $@.$$$$.tmp && mv -f $@.$$$$.tmp $@

$(B)/ktrace/rv64-kernel/%.S.o: ktrace/src/%.S
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RV_CC) $(RV_CFLAGS) -MT $@ -MF $(@:.o=.d) -c $< -o $@.$$$$.tmp && mv -f $@.$$$$.tmp $@

$(KTRACE_LIB): $(KTRACE_LIB_OBJS) $(KTRACE_COMMON_OBJS) ktrace/ktrace.mk
	@echo "  AR      $@"
	$(Q)tmp=$@.$$$$.tmp; rm -f $$tmp && $(RV_PREFIX)ar rcs $$tmp $(KTRACE_LIB_OBJS) && \
	defined=$$($(RV_PREFIX)nm -g --defined-only $$tmp $(KTRACE_COMMON_OBJS) | \
	    awk 'NF == 3 {print $$3}' | sort -u); \
	undef=$$($(RV_PREFIX)nm -u $$tmp | awk 'NF == 2 {print $$2}' | sort -u | \
	    grep -v -E '^($(subst $(eval) ,|,$(KTRACE_ALLOWED_PREFIXES)))' | \
	    grep -v -x -F "$$defined"); \
	if [ -n "$$undef" ]; then echo "libktrace needs symbols of its OS outside the port:" $$undef; \
	    rm -f $$tmp; exit 1; fi; \
	mv -f $$tmp $@

ALL_TARGETS += $(KTRACE_LIB)

-include $(KTRACE_LIB_OBJS:.o=.d)
