# The bug hunt's program (user/bughunt.c, docs/bug-hunt.md): its markers,
# layout, and the symptom it prints, on 1 and 2 harts.
TEST_TARGETS += test-bughunt
.PHONY: test-bughunt
test-bughunt:
	@scripts/run-suite.sh bughunt node --test --test-reporter=tap tests/kernel/bughunt.test.mjs
