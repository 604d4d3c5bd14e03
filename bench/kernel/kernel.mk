# Kernel benchmarks.
BENCH_TARGETS += bench-kprobe
.PHONY: bench-kprobe
bench-kprobe: $(KERNEL_ELF) $(RKERNEL_ELF)
	@node bench/kernel/probebench.mjs

BENCH_TARGETS += bench-sidestub
.PHONY: bench-sidestub
bench-sidestub:
	@node bench/kernel/sidestub.bench.mjs
