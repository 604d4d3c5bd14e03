TEST_TARGETS += test-dbgchan
.PHONY: test-dbgchan
test-dbgchan:
	@scripts/run-suite.sh dbgchan node --test --test-reporter=tap tests/kernel/dbgchan.test.mjs
