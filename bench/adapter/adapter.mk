# Debug adapter benchmarks (issue 3): `make bench` runs bench-adapter, which
# drives build/bin/osdbg through a real DAP client against QEMU and GDB and
# writes the figures to build/bench/adapter.json (docs/benchmarks.md).
# Launch and step are measured on both reference kernels, the C kernel and
# the Rust kernel (RKERNEL_ELF, rkernel/rkernel.mk), alternately.
#
# ADAPTER_BASE: a commit whose osdbg is built into a temporary folder and
# measured in the same run, alternating with the current one (launch -> first
# stop, step latency, peak RSS; a table of current/base ratios).  The default
# is the commit before the adapter's refactoring series (issue 14); empty
# (`make bench-adapter ADAPTER_BASE=`) measures the current adapter alone.
ADAPTER_BASE ?= 9ef5015
BENCH_TARGETS += bench-adapter
.PHONY: bench-adapter
bench-adapter: $(NODE_STAMP) $(OSDBG) $(KERNEL_ELF) $(RKERNEL_ELF)
	@BENCH_ADAPTER_BASE='$(ADAPTER_BASE)' node bench/adapter/adapter.bench.mjs
