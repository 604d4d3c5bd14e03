# Tracing on the Rust kernel (rkernel/src/ktrace/: libktrace and its port in
# Rust, issue 19): bpf() from a Rust program, and the side-stub on the
# debug channel (kprobes on Rust kernel functions, uprobes in Rust programs).
TEST_TARGETS += test-rbpf test-rsidestub test-rprobeall
.PHONY: test-rbpf test-rsidestub test-rprobeall
test-rbpf: $(RKERNEL_ELF)
	@scripts/run-suite.sh rbpf node --test --test-reporter=tap tests/kernel/rbpf.test.mjs
test-rsidestub: $(RKERNEL_ELF)
	@scripts/run-suite.sh rsidestub node --test --test-reporter=tap tests/kernel/rsidestub.test.mjs
# Every function of the kernel's ELF under a kprobe and a kretprobe (or
# refused for a listed reason), every function of a Rust program under a
# uprobe and a uretprobe, and bad host requests: the kernel keeps running.
test-rprobeall: $(RKERNEL_ELF)
	@scripts/run-suite.sh rprobeall node --test --test-reporter=tap tests/kernel/rprobeall.test.mjs
