# Tracing on the Rust kernel (rkernel/src/ktrace/: libktrace and its port in
# Rust, issue 19): bpf() from a Rust program, and the side-stub on the
# debug channel (kprobes on Rust kernel functions, uprobes in Rust programs).
TEST_TARGETS += test-rbpf test-rsidestub
.PHONY: test-rbpf test-rsidestub
test-rbpf: $(RKERNEL_ELF)
	@scripts/run-suite.sh rbpf node --test --test-reporter=tap tests/kernel/rbpf.test.mjs
test-rsidestub: $(RKERNEL_ELF)
	@scripts/run-suite.sh rsidestub node --test --test-reporter=tap tests/kernel/rsidestub.test.mjs
