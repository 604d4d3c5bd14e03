# Recording's cost (issue 20): the same workload run plainly, with the
# deterministic clock, recorded by osdbg record, and replayed, side by side.
BENCH_TARGETS += bench-record
.PHONY: bench-record
bench-record: $(KERNEL_ELF) $(OSDBG)
	@node bench/record/record.bench.mjs
