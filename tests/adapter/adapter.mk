# The debug adapter's suites.  The node:test ones drive the real adapter
# against the real QEMU and GDB (a real DAP client, or raw DAP bytes).
$(eval $(call node_suite,adapter-dap,tests/adapter/dap.test.mjs))
$(eval $(call node_suite,adapter-run,tests/adapter/run.test.mjs))
# Time travel (issue 20): record, replay, go backwards (docs/time-travel.md).
$(eval $(call node_suite,adapter-timetravel,tests/adapter/timetravel.test.mjs))
test-adapter-timetravel: $(RKERNEL_ELF)
$(eval $(call node_suite,adapter-trace,tests/adapter/trace.test.mjs))
# The eBPF compatibility suite's objects (user/bpf/compat/) through osdbg trace.
$(eval $(call node_suite,adapter-trace-compat,tests/adapter/trace_compat.test.mjs))
# osdbg trace on the Rust kernel (issue 19): kprobes on Rust kernel functions,
# uprobes in Rust programs, the compat objects that apply.
$(eval $(call node_suite,adapter-rtrace,tests/adapter/rtrace.test.mjs))
test-adapter-rtrace: $(RKERNEL_ELF)
# Logpoints in a debug session on the Rust kernel: eBPF, and GDB's fallback.
$(eval $(call node_suite,adapter-rdap,tests/adapter/rdap.test.mjs))
test-adapter-rdap: $(RKERNEL_ELF)

# Command-line conventions of every osdbg subcommand (--help, usage errors, --version).
TEST_TARGETS += test-adapter-cli
.PHONY: test-adapter-cli
test-adapter-cli: $(OSDBG)
	@scripts/run-suite.sh adapter-cli tests/adapter/test_cli.sh $(OSDBG)

# DAP framing under bad input, and a bounded framing fuzzer (no QEMU).
$(eval $(call node_suite,adapter-framing,tests/adapter/framing.test.mjs))
# The session's socket folder is removed on every ending; stale ones are swept.
$(eval $(call node_suite,adapter-sockdir,tests/adapter/sockdir.test.mjs))
# Every request is answered exactly once after each kind of fault; writes
# never block; bounded requests; GDB logpoints print once per hit.
$(eval $(call node_suite,adapter-faults,tests/adapter/faults.test.mjs))
# The host's side-stub link: a reply owed to a connection that gave up
# never answers a later request (a fake side-stub, no QEMU).
$(eval $(call node_suite,adapter-sidelink,tests/adapter/sidelink.test.mjs))
# The trace relay: ownership of probes and objects; a flooding terminal.
$(eval $(call node_suite,adapter-relay,tests/adapter/relay.test.mjs))
# Profiles that do not fit their kernel are reported; hook stops stay internal.
$(eval $(call node_suite,adapter-profile,tests/adapter/profile.test.mjs))
# The same scenarios on the C kernel and on the Rust kernel (rkernel/).
$(eval $(call node_suite,adapter-kernels,tests/adapter/kernels.test.mjs))
test-adapter-kernels: $(KERNEL_ELF) $(RKERNEL_ELF)
# The reference kernel with the traits of xv6-riscv that broke osdbg (issue 16).
$(eval $(call node_suite,adapter-xv6traits,tests/adapter/xv6traits.test.mjs))
# Several harts: threads, stops, stacks, registers and steps per hart (issue 17).
$(eval $(call node_suite,adapter-harts,tests/adapter/harts.test.mjs))
test-adapter-harts: $(KERNEL_ELF)
# eBPF logpoint lines faster than an editor shows them come in batches, said
# once, none dropped (issue 21).
$(eval $(call node_suite,adapter-logbatch,tests/adapter/logbatch.test.mjs))
test-adapter-logbatch: $(KERNEL_ELF)
# osdbg record (issue 20): a run recorded with its console on stdout, and
# replayed by QEMU alone to the same output; SIGTERM ends it properly.
$(eval $(call node_suite,adapter-record,tests/adapter/record.test.mjs))
test-adapter-record: $(KERNEL_ELF)
