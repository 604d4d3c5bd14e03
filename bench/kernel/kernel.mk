# Kernel benchmarks.
BENCH_TARGETS += bench-kprobe
# KPROBE_BASE: a commit whose C kernel's per-hit counts are measured in the
# same run (built from its sources in a temporary folder); the commit
# before issue 21's probe-cost work by default; empty: no comparison.
KPROBE_BASE ?= 0142d93
.PHONY: bench-kprobe
bench-kprobe: $(KERNEL_ELF) $(RKERNEL_ELF)
	@KPROBE_BASE=$(KPROBE_BASE) node bench/kernel/probebench.mjs

BENCH_TARGETS += bench-sidestub
.PHONY: bench-sidestub
bench-sidestub:
	@node bench/kernel/sidestub.bench.mjs
