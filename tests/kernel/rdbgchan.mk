# The Rust kernel's debug channel (rkernel/src/drivers/, docs/dbgchan.md).
TEST_TARGETS += test-rdbgchan
.PHONY: test-rdbgchan
test-rdbgchan: $(RKERNEL_ELF)
	@scripts/run-suite.sh rdbgchan node --test --test-reporter=tap tests/kernel/rdbgchan.test.mjs
