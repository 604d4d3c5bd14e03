# Test orchestration.  Each part adds phony targets named test-<suite> to
# TEST_TARGETS; each runs its suite through scripts/run-suite.sh, which records
# the counts.  `make test` runs them all (make -k: a failing suite does not
# hide the others), then prints one closing "N passed, N failed" line.
RESULTS := $(B)/test-results
export RESULTS

.PHONY: test-clean-results test-summary
test-clean-results:
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)

# The summary knows how many suites there are: one whose build failed (make -k
# goes on without running it) records nothing and counts as a failure.
run-tests: test-clean-results
	@$(MAKE) --no-print-directory -k $(TEST_TARGETS); \
	scripts/test-summary.sh $(patsubst test-%,%,$(TEST_TARGETS))

# The summary itself (a suite whose build failed must not vanish from it).
TEST_TARGETS += test-scripts-summary
.PHONY: test-scripts-summary
test-scripts-summary:
	@scripts/run-suite.sh scripts-summary tests/scripts/test_summary.sh
