# Node test clients' npm packages (tests/package.json, locked by
# tests/package-lock.json), installed once into tests/node_modules.
NODE_STAMP := tests/node_modules/.osdbg-installed

$(NODE_STAMP): tests/package.json tests/package-lock.json
	@echo "  NPM     tests/"
	$(Q)cd tests && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

ALL_TARGETS += $(NODE_STAMP)

# $(call node_suite,NAME,FILE): the node:test suite NAME (make target
# test-NAME, counted by run-suite.sh under NAME) that runs FILE, once the npm
# packages and osdbg are there.
define node_suite
TEST_TARGETS += test-$(1)
.PHONY: test-$(1)
test-$(1): $$(NODE_STAMP) $$(OSDBG)
	@scripts/run-suite.sh $(1) node --test --test-reporter=tap $(2)
endef
