# Going backwards (issue 20): stepBack and reverseContinue in a replay,
# their latency over about a million instructions, beside going forwards
# over the same stretch.
BENCH_TARGETS += bench-timetravel
.PHONY: bench-timetravel
bench-timetravel: $(KERNEL_ELF) $(OSDBG) $(NODE_STAMP)
	@node bench/timetravel/timetravel.bench.mjs
