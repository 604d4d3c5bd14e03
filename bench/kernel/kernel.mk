# Kernel benchmarks.
BENCH_TARGETS += bench-kprobe
.PHONY: bench-kprobe
bench-kprobe:
	@node bench/kernel/probebench.mjs
