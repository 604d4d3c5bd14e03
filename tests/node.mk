# Node test clients' npm packages (tests/package.json, locked by
# tests/package-lock.json), installed once into tests/node_modules.
NODE_STAMP := tests/node_modules/.osdbg-installed

$(NODE_STAMP): tests/package.json tests/package-lock.json
	@echo "  NPM     tests/"
	$(Q)cd tests && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

ALL_TARGETS += $(NODE_STAMP)
