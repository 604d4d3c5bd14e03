# The adapter's architecture: its folders are layers (adapter/LAYERS, lowest
# first); no source includes a higher layer's header, no object uses a higher
# layer's function or variable, no files or folders depend on each other in a
# cycle (scripts/check-layers.sh, which reads the built objects with nm).
TEST_TARGETS += test-adapter-layers
.PHONY: test-adapter-layers
test-adapter-layers: $(OSDBG)
	@scripts/run-suite.sh adapter-layers scripts/check-layers.sh $(B)

# The checker itself, on small synthetic adapters it builds in a temporary folder.
TEST_TARGETS += test-check-layers
.PHONY: test-check-layers
test-check-layers:
	@scripts/run-suite.sh check-layers tests/adapter/check-layers.test.sh
