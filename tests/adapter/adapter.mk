# The debug adapter against the real QEMU and GDB (node:test + a real DAP client).
TEST_TARGETS += test-adapter-dap
.PHONY: test-adapter-dap
test-adapter-dap: $(NODE_STAMP)
	@scripts/run-suite.sh adapter-dap node --test --test-reporter=tap tests/adapter/dap.test.mjs

TEST_TARGETS += test-adapter-run
.PHONY: test-adapter-run
test-adapter-run:
	@scripts/run-suite.sh adapter-run node --test --test-reporter=tap tests/adapter/run.test.mjs

TEST_TARGETS += test-adapter-trace
.PHONY: test-adapter-trace
test-adapter-trace:
	@scripts/run-suite.sh adapter-trace node --test --test-reporter=tap tests/adapter/trace.test.mjs

# Command-line conventions of every osdbg subcommand (--help, usage errors, --version).
TEST_TARGETS += test-adapter-cli
.PHONY: test-adapter-cli
test-adapter-cli: $(OSDBG)
	@scripts/run-suite.sh adapter-cli tests/adapter/test_cli.sh $(OSDBG)

# DAP framing under bad input, and a bounded framing fuzzer (no QEMU).
TEST_TARGETS += test-adapter-framing
.PHONY: test-adapter-framing
test-adapter-framing: $(NODE_STAMP) $(OSDBG)
	@scripts/run-suite.sh adapter-framing node --test --test-reporter=tap tests/adapter/framing.test.mjs

# The session's socket folder is removed on every ending; stale ones are swept.
TEST_TARGETS += test-adapter-sockdir
.PHONY: test-adapter-sockdir
test-adapter-sockdir: $(NODE_STAMP) $(OSDBG)
	@scripts/run-suite.sh adapter-sockdir node --test --test-reporter=tap tests/adapter/sockdir.test.mjs

# Every request is answered exactly once after each kind of fault.
TEST_TARGETS += test-adapter-faults
.PHONY: test-adapter-faults
test-adapter-faults: $(NODE_STAMP) $(OSDBG)
	@scripts/run-suite.sh adapter-faults node --test --test-reporter=tap tests/adapter/faults.test.mjs

# The trace relay: ownership of probes and objects; a flooding terminal.
TEST_TARGETS += test-adapter-relay
.PHONY: test-adapter-relay
test-adapter-relay: $(NODE_STAMP) $(OSDBG)
	@scripts/run-suite.sh adapter-relay node --test --test-reporter=tap tests/adapter/relay.test.mjs

# Profiles that do not fit their kernel are reported; hook stops stay internal.
TEST_TARGETS += test-adapter-profile
.PHONY: test-adapter-profile
test-adapter-profile: $(NODE_STAMP) $(OSDBG)
	@scripts/run-suite.sh adapter-profile node --test --test-reporter=tap tests/adapter/profile.test.mjs
