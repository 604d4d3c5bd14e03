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

# The host's side of the event path at full speed (issue 21): a fake
# side-stub for `osdbg trace` and a QEMU stand-in that multiplies a
# logpoint's hits for `osdbg dap` (hostpath.bench.mjs), both on the
# side-stub library's own encoding.
HOSTPATH_CFLAGS := -Wall -Wextra -Werror -Wno-format-truncation -O2 -g $(SIDESTUB_INCLUDES)
$(B)/bench/fakestub $(B)/bench/sideproxy: $(B)/bench/%: $(TOP)/bench/adapter/%.c $(B)/sidestub/host/libsidestub.a
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)gcc $(HOSTPATH_CFLAGS) $< $(B)/sidestub/host/libsidestub.a -o $@
BENCH_TARGETS += bench-hostpath
.PHONY: bench-hostpath
bench-hostpath: $(NODE_STAMP) $(OSDBG) $(KERNEL_ELF) $(B)/bench/fakestub $(B)/bench/sideproxy
	@node bench/adapter/hostpath.bench.mjs
# Figure 5 of bench-adapter alone: the eBPF / GDB logpoint ratios side by
# side, produced/delivered/lost, the sustained lossless rate (issue 21).
.PHONY: bench-logpoints
bench-logpoints: $(NODE_STAMP) $(OSDBG) $(KERNEL_ELF)
	@BENCH_ADAPTER_ONLY=logpoints node bench/adapter/adapter.bench.mjs
