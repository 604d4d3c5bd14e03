# eBPF runtime (issue 4): one freestanding C library built three ways.
#
#   $(B)/ebpf/host/libebpf.a        x86-64 host, -O2 (tools, benchmarks)
#   $(B)/ebpf/asan/libebpf.a        x86-64 host with ASan/UBSan (tests)
#   $(B)/ebpf/rv64-linux/libebpf.a  static rv64 Linux (JIT tests under qemu-riscv64)
#   $(B)/ebpf/rv64-kernel/libebpf.a the kernel's flags: proves it is freestanding
#
# The kernel compiles $(EBPF_LIB_SRCS) itself with $(EBPF_INCLUDES).
# Binaries are linked to a temporary name and renamed, so a suite running
# while another make rebuilds them never sees half a file.

EBPF_DIR      := $(TOP)/ebpf
EBPF_LIB_SRCS := $(addprefix $(EBPF_DIR)/src/,util.c load.c interp.c maps.c maps_special.c ringbuf.c helpers.c disasm.c \
                   verifier.c vcfg.c vbounds.c vmem.c jit_rv64.c jit_rv64_alu.c rv64_rvc.c elf.c btf.c)
EBPF_INCLUDES := -I$(EBPF_DIR)/include -I$(TOP)/include
EBPF_LIB_HDRS := $(wildcard $(EBPF_DIR)/src/*.h) $(EBPF_DIR)/include/ebpf.h $(TOP)/include/osdbg/bpf_ids.h

EBPF_WARN      := -Wall -Wextra -Werror
# Library code may not lean on libc even on the host; the loop-pattern pass
# would turn our own memcpy loops into memcpy calls.
EBPF_LIB_FLAGS := -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns
EBPF_HOST_CC   := gcc
EBPF_HOST_CFLAGS := $(EBPF_WARN) -g -O2 $(EBPF_INCLUDES)
EBPF_SAN       := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
EBPF_ASAN_CFLAGS := $(EBPF_WARN) -g -O1 $(EBPF_SAN) $(EBPF_INCLUDES)
EBPF_RV_CC     := riscv64-linux-gnu-gcc
EBPF_RV_CFLAGS := $(EBPF_WARN) -g -O2 $(EBPF_INCLUDES)
EBPF_KCC       := riscv64-unknown-elf-gcc
EBPF_KCFLAGS   := -misa-spec=2.2 -march=rv64imac -mabi=lp64 -mcmodel=medany -ffreestanding \
                  -nostdlib -fno-builtin -Wall -Wextra -Werror -O2 -g $(EBPF_INCLUDES)

EBPF_OBJS = $(patsubst $(EBPF_DIR)/src/%.c,$(B)/ebpf/$(1)/%.o,$(EBPF_LIB_SRCS))

$(B)/ebpf/host/%.o: $(EBPF_DIR)/src/%.c $(EBPF_LIB_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(EBPF_HOST_CC) $(EBPF_HOST_CFLAGS) $(EBPF_LIB_FLAGS) -c $< -o $@
$(B)/ebpf/asan/%.o: $(EBPF_DIR)/src/%.c $(EBPF_LIB_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(EBPF_HOST_CC) $(EBPF_ASAN_CFLAGS) $(EBPF_LIB_FLAGS) -c $< -o $@
$(B)/ebpf/rv64-linux/%.o: $(EBPF_DIR)/src/%.c $(EBPF_LIB_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(EBPF_RV_CC) $(EBPF_RV_CFLAGS) $(EBPF_LIB_FLAGS) -c $< -o $@
$(B)/ebpf/rv64-kernel/%.o: $(EBPF_DIR)/src/%.c $(EBPF_LIB_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(EBPF_KCC) $(EBPF_KCFLAGS) $(EBPF_LIB_FLAGS) -c $< -o $@

$(B)/ebpf/host/libebpf.a: $(call EBPF_OBJS,host)
	@rm -f $@.tmp && ar rcs $@.tmp $^ && mv -f $@.tmp $@
$(B)/ebpf/asan/libebpf.a: $(call EBPF_OBJS,asan)
	@rm -f $@.tmp && ar rcs $@.tmp $^ && mv -f $@.tmp $@
$(B)/ebpf/rv64-linux/libebpf.a: $(call EBPF_OBJS,rv64-linux)
	@rm -f $@.tmp && riscv64-linux-gnu-ar rcs $@.tmp $^ && mv -f $@.tmp $@
$(B)/ebpf/rv64-kernel/libebpf.a: $(call EBPF_OBJS,rv64-kernel)
	@rm -f $@.tmp && riscv64-unknown-elf-ar rcs $@.tmp $^ && mv -f $@.tmp $@

$(B)/bin/ebpf-run: $(EBPF_DIR)/tools/ebpf_run.c $(B)/ebpf/host/libebpf.a
	@mkdir -p $(@D)
	$(EBPF_HOST_CC) $(EBPF_HOST_CFLAGS) $< $(B)/ebpf/host/libebpf.a -o $@.tmp && mv -f $@.tmp $@
$(B)/bin/ebpf-run-rv64: $(EBPF_DIR)/tools/ebpf_run.c $(B)/ebpf/rv64-linux/libebpf.a
	@mkdir -p $(@D)
	$(EBPF_RV_CC) $(EBPF_RV_CFLAGS) -static $< $(B)/ebpf/rv64-linux/libebpf.a -o $@.tmp && mv -f $@.tmp $@

.PHONY: ebpf ebpf-kernel-check
ebpf: $(B)/bin/ebpf-run $(B)/bin/ebpf-run-rv64 $(B)/ebpf/rv64-kernel/libebpf.a
ebpf-kernel-check: $(B)/ebpf/rv64-kernel/libebpf.a

ALL_TARGETS += $(B)/bin/ebpf-run $(B)/bin/ebpf-run-rv64 $(B)/ebpf/rv64-kernel/libebpf.a

-include $(TOP)/tests/ebpf/tests.mk
-include $(TOP)/bench/ebpf/bench.mk
