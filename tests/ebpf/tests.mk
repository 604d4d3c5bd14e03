# eBPF runtime test suites (issue 4).  Test binaries use the ASan/UBSan build
# of the library; the JIT suite runs an rv64 build under qemu-riscv64.
# Included by ebpf/ebpf.mk and possibly by the top-level Makefile: only once.
ifndef EBPF_TESTS_MK
EBPF_TESTS_MK := 1
EBPF_TDIR := $(TOP)/tests/ebpf
EBPF_TBIN := $(B)/ebpf/tests
EBPF_TEST_CFLAGS := $(EBPF_ASAN_CFLAGS) -I$(EBPF_TDIR)

$(EBPF_TBIN)/%: $(EBPF_TDIR)/%.c $(B)/ebpf/asan/libebpf.a $(wildcard $(EBPF_TDIR)/*.h)
	@mkdir -p $(@D)
	$(EBPF_HOST_CC) $(EBPF_TEST_CFLAGS) $< $(B)/ebpf/asan/libebpf.a -lcmocka -o $@.tmp && mv -f $@.tmp $@

.PHONY: test-ebpf-interp
test-ebpf-interp: $(EBPF_TBIN)/test_interp
	@scripts/run-suite.sh ebpf-interp $(EBPF_TBIN)/test_interp

TEST_TARGETS += test-ebpf-interp

.PHONY: test-ebpf-verifier
test-ebpf-verifier: $(EBPF_TBIN)/test_verifier
	@scripts/run-suite.sh ebpf-verifier $(EBPF_TBIN)/test_verifier

TEST_TARGETS += test-ebpf-verifier

# JIT: the runner is a static rv64 Linux program run under qemu-riscv64.
$(EBPF_TBIN)/jit_runner-rv64: $(EBPF_TDIR)/jit_runner.c $(B)/ebpf/rv64-linux/libebpf.a $(wildcard $(EBPF_TDIR)/*.h)
	@mkdir -p $(@D)
	$(EBPF_RV_CC) $(EBPF_RV_CFLAGS) -I$(EBPF_TDIR) -static $< $(B)/ebpf/rv64-linux/libebpf.a -o $@.tmp && mv -f $@.tmp $@

.PHONY: test-ebpf-jit
test-ebpf-jit: $(EBPF_TBIN)/jit_runner-rv64
	@scripts/run-suite.sh ebpf-jit qemu-riscv64 $(EBPF_TBIN)/jit_runner-rv64

TEST_TARGETS += test-ebpf-jit

# BPF objects compiled from C at test time (libbpf headers, riscv probes).
EBPF_PROGS_DIR := $(B)/ebpf/progs
EBPF_BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_riscv -I/usr/include/x86_64-linux-gnu \
                   -I$(EBPF_TDIR)/progs -Wall -Werror
$(EBPF_PROGS_DIR)/%.o: $(EBPF_TDIR)/progs/%.c $(wildcard $(EBPF_TDIR)/progs/*.h)
	@mkdir -p $(@D)
	clang $(EBPF_BPF_CFLAGS) -c $< -o $@.tmp && mv -f $@.tmp $@

# Objects built against osdbg's own include/bpf (programs named osdbg_*.c).
$(EBPF_PROGS_DIR)/osdbg_%.o: $(EBPF_TDIR)/progs/osdbg_%.c $(wildcard $(TOP)/include/bpf/*.h)
	@mkdir -p $(@D)
	clang -O2 -g -target bpf -I$(TOP)/include -I/usr/include/$(shell gcc -print-multiarch) \
	    -Wall -Werror -Werror=int-conversion -c $< -o $@.tmp && mv -f $@.tmp $@

$(EBPF_TBIN)/test_elf: $(EBPF_TDIR)/test_elf.c $(B)/ebpf/asan/libebpf.a
	@mkdir -p $(@D)
	$(EBPF_HOST_CC) $(EBPF_TEST_CFLAGS) -DPROG_DIR='"$(EBPF_PROGS_DIR)"' $< $(B)/ebpf/asan/libebpf.a -lcmocka -o $@.tmp && mv -f $@.tmp $@

.PHONY: test-ebpf-elf
EBPF_ELF_PROGS := calls probe multi kconfig kconfig_strong ksym core osdbg_task loop_u32
test-ebpf-elf: $(EBPF_TBIN)/test_elf $(patsubst %,$(EBPF_PROGS_DIR)/%.o,$(EBPF_ELF_PROGS))
	@scripts/run-suite.sh ebpf-elf $(EBPF_TBIN)/test_elf

TEST_TARGETS += test-ebpf-elf

# One program on several threads at once, each on its own replica (ktrace/src/bpf.c's harts).
$(EBPF_TBIN)/test_smp: $(EBPF_TDIR)/test_smp.c $(B)/ebpf/asan/libebpf.a
	@mkdir -p $(@D)
	$(EBPF_HOST_CC) $(EBPF_TEST_CFLAGS) -DPROG_DIR='"$(EBPF_PROGS_DIR)"' $< $(B)/ebpf/asan/libebpf.a -lcmocka -lpthread -o $@.tmp && mv -f $@.tmp $@

.PHONY: test-ebpf-smp
test-ebpf-smp: $(EBPF_TBIN)/test_smp $(EBPF_PROGS_DIR)/smp.o
	@scripts/run-suite.sh ebpf-smp $(EBPF_TBIN)/test_smp

TEST_TARGETS += test-ebpf-smp

.PHONY: test-ebpf-cli
test-ebpf-cli: $(B)/bin/ebpf-run $(B)/bin/ebpf-run-rv64 $(EBPF_PROGS_DIR)/calls.o $(EBPF_PROGS_DIR)/probe.o \
               $(EBPF_PROGS_DIR)/xdp_main.o $(EBPF_PROGS_DIR)/multi.o $(EBPF_PROGS_DIR)/osdbg_probe.o \
               $(EBPF_PROGS_DIR)/osdbg_task.o
	@scripts/run-suite.sh ebpf-cli $(EBPF_TDIR)/test_cli.sh $(B)/bin/ebpf-run $(EBPF_PROGS_DIR)

TEST_TARGETS += test-ebpf-cli

# include/bpf/ (issue 18): every macro under -Werror=int-conversion, with
# <linux/bpf.h> in either order, and osdbg.h's layouts against the kernel's DWARF.
.PHONY: test-ebpf-headers
test-ebpf-headers: $(B)/kernel/kernel.elf
	@scripts/run-suite.sh ebpf-headers $(EBPF_TDIR)/test_headers.sh $(B)/kernel/kernel.elf

TEST_TARGETS += test-ebpf-headers

.PHONY: test-ebpf-maps
$(EBPF_TBIN)/test_maps: $(EBPF_TDIR)/test_maps.c $(B)/ebpf/asan/libebpf.a
	@mkdir -p $(@D)
	$(EBPF_HOST_CC) $(EBPF_TEST_CFLAGS) -DPROG_DIR='"$(EBPF_PROGS_DIR)"' $< $(B)/ebpf/asan/libebpf.a -lcmocka -o $@.tmp && mv -f $@.tmp $@

test-ebpf-maps: $(EBPF_TBIN)/test_maps $(EBPF_PROGS_DIR)/maptypes.o
	@scripts/run-suite.sh ebpf-maps $(EBPF_TBIN)/test_maps

TEST_TARGETS += test-ebpf-maps

# libFuzzer target: clang builds the library sources together with the target.
EBPF_FUZZ_SECS ?= 25
$(EBPF_TBIN)/fuzz_ebpf: $(EBPF_TDIR)/fuzz_ebpf.c $(EBPF_LIB_SRCS) $(EBPF_LIB_HDRS)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(EBPF_INCLUDES) -Wall -Wextra -Werror -Wno-initializer-overrides \
	    $(EBPF_TDIR)/fuzz_ebpf.c $(EBPF_LIB_SRCS) -o $@.tmp && mv -f $@.tmp $@

$(EBPF_TBIN)/fuzz_seeds: $(EBPF_TDIR)/fuzz_seeds.c $(wildcard $(EBPF_TDIR)/*.h)
	@mkdir -p $(@D)
	$(EBPF_HOST_CC) $(EBPF_HOST_CFLAGS) -I$(EBPF_TDIR) $< -o $@.tmp && mv -f $@.tmp $@

.PHONY: test-ebpf-fuzz
EBPF_FUZZ_OBJS := $(patsubst %,$(EBPF_PROGS_DIR)/%.o,calls probe multi kconfig core maptypes)
test-ebpf-fuzz: $(EBPF_TBIN)/fuzz_ebpf $(EBPF_TBIN)/fuzz_seeds $(EBPF_FUZZ_OBJS)
	@rm -rf $(B)/ebpf/fuzz-seeds && mkdir -p $(B)/ebpf/fuzz-seeds
	@$(EBPF_TBIN)/fuzz_seeds $(B)/ebpf/fuzz-seeds
	@cp $(EBPF_FUZZ_OBJS) $(B)/ebpf/fuzz-seeds/
	@cd $(EBPF_TBIN) && $(TOP)/scripts/run-suite.sh ebpf-fuzz $(EBPF_TDIR)/run_fuzz.sh \
	    $(EBPF_TBIN)/fuzz_ebpf $(EBPF_FUZZ_SECS) $(B)/ebpf/fuzz-corpus $(B)/ebpf/fuzz-seeds

TEST_TARGETS += test-ebpf-fuzz

# The kernel-flavoured library (no libc at all) running under qemu-riscv64.
$(EBPF_TBIN)/freestanding-rv64: $(EBPF_TDIR)/freestanding.c $(B)/ebpf/rv64-kernel/libebpf.a $(wildcard $(EBPF_TDIR)/*.h)
	@mkdir -p $(@D)
	$(EBPF_KCC) $(EBPF_KCFLAGS) -I$(EBPF_TDIR) -static -Wl,-e,_start -Wl,--no-relax -Wl,--no-warn-rwx-segments \
	    $< $(B)/ebpf/rv64-kernel/libebpf.a -o $@.tmp && mv -f $@.tmp $@

.PHONY: test-ebpf-freestanding
test-ebpf-freestanding: $(EBPF_TBIN)/freestanding-rv64
	@scripts/run-suite.sh ebpf-freestanding qemu-riscv64 $(EBPF_TBIN)/freestanding-rv64

TEST_TARGETS += test-ebpf-freestanding

endif
