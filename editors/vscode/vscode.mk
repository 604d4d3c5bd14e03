# The VS Code extension (editors/vscode), packaged offline as a .vsix that
# scripts/ide.sh installs into the browser IDE (make ide).
VSIX       := $(B)/vscode/osdbg.vsix
VSIX_FILES := $(addprefix editors/vscode/,package.json extension.js ebpf.js osconsole.js pagetable.js README.md bin/osdbg-dap pack.sh)

ALL_TARGETS += $(VSIX)

$(VSIX): $(VSIX_FILES)
	@mkdir -p $(@D)
	@echo "  VSIX    $@"
	$(Q)editors/vscode/pack.sh $@

# The browser IDE: installs code-server once (build/ide), then serves this
# tree on 127.0.0.1 and prints the URL and password.
.PHONY: ide
ide: deps
	@$(MAKE) --no-print-directory build-all
	@BUILD=$(B) scripts/ide.sh
