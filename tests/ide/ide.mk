# The browser IDE end to end: code-server with the osdbg extension, driven
# in headless Chromium (tests/ide/ide.test.mjs).  code-server is installed
# once into build/ide by scripts/ide.sh (about 300 MB, 1-2 minutes).
IDE_STAMP := $(B)/ide/.installed-$(shell sed -n "s/^VERSION=\([0-9.]*\).*/\1/p" scripts/ide.sh)

$(IDE_STAMP):
	@echo "  IDE     $(B)/ide (code-server)"
	$(Q)BUILD=$(B) scripts/ide.sh --install

TEST_TARGETS += test-ide
.PHONY: test-ide
test-ide: $(NODE_STAMP) $(IDE_STAMP) $(VSIX) $(OSDBG) $(KERNEL_ELF)
	@scripts/run-suite.sh ide $$(BUILD=$(B) scripts/ide.sh --node) --test --test-reporter=tap tests/ide/ide.test.mjs

# Time travel in the IDE (issue 20): a recorded run=bughunt session, Step
# Back, a data breakpoint at an address, Reverse Continue.
TEST_TARGETS += test-ide-timetravel
.PHONY: test-ide-timetravel
test-ide-timetravel: $(NODE_STAMP) $(IDE_STAMP) $(VSIX) $(OSDBG) $(KERNEL_ELF)
	@scripts/run-suite.sh ide-timetravel $$(BUILD=$(B) scripts/ide.sh --node) --test --test-reporter=tap tests/ide/timetravel.test.mjs
