# Debug adapter benchmarks (issue 3): `make bench` runs bench-adapter, which
# drives build/bin/osdbg through a real DAP client against QEMU and GDB and
# writes the figures to build/bench/adapter.json (docs/benchmarks.md).
BENCH_TARGETS += bench-adapter
.PHONY: bench-adapter
bench-adapter: $(NODE_STAMP) $(OSDBG) $(KERNEL_ELF)
	@node bench/adapter/adapter.bench.mjs
