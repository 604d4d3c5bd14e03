# Host-driven tests of the reference kernel (node:test, real QEMU).
TEST_TARGETS += test-kernel-boot test-kernel-elf
.PHONY: test-kernel-boot test-kernel-elf
test-kernel-boot:
	@scripts/run-suite.sh kernel-boot node --test --test-reporter=tap tests/kernel/boot.test.mjs
test-kernel-elf:
	@scripts/run-suite.sh kernel-elf node --test --test-reporter=tap tests/kernel/elf.test.mjs

TEST_TARGETS += test-kernel-sidestub
.PHONY: test-kernel-sidestub
test-kernel-sidestub:
	@scripts/run-suite.sh kernel-sidestub node --test --test-reporter=tap tests/kernel/sidestub.test.mjs

# Several harts (issue 17): a kprobe program and the side-stub's events with
# processes hitting one probe from every hart at once (1, 2 and 4 harts), and
# ktest, selftest, forktest and twins on 1 and on 4 harts.
TEST_TARGETS += test-kernel-smp
.PHONY: test-kernel-smp
test-kernel-smp:
	@scripts/run-suite.sh kernel-smp node --test --test-reporter=tap tests/kernel/smp.test.mjs

# The eBPF compatibility suite through bpf() (issue 18): user/bpfcompat with
# the libbpf-style objects of user/bpf/compat/, on 1 and 4 harts.
TEST_TARGETS += test-kernel-compat
.PHONY: test-kernel-compat
test-kernel-compat:
	@scripts/run-suite.sh kernel-compat node --test --test-reporter=tap tests/kernel/compat.test.mjs

# A bounded user-space bpf() fuzzer (OSDBG_BPF_FUZZ_SECS, default 30).
TEST_TARGETS += test-kernel-bpffuzz
.PHONY: test-kernel-bpffuzz
test-kernel-bpffuzz:
	@scripts/run-suite.sh kernel-bpffuzz node --test --test-reporter=tap tests/kernel/bpffuzz.test.mjs

# The Rust reference kernel (rkernel/rkernel.mk).
TEST_TARGETS += test-rkernel
.PHONY: test-rkernel
test-rkernel: $(RKERNEL_ELF)
	@scripts/run-suite.sh rkernel node --test --test-reporter=tap tests/kernel/rkernel.test.mjs
