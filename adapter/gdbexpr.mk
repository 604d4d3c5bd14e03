# Conditions and logpoint expressions rewritten for GDB (adapter/gdbexpr.c)
# and their unit tests.
GDBEXPR_TEST_SRCS := tests/adapter/test_gdbexpr.c adapter/gdbexpr.c adapter/rvregs.c adapter/buf.c
GDBEXPR_TEST_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
                       -fno-omit-frame-pointer -fsanitize=address,undefined \
                       -fno-sanitize-recover=undefined -Iadapter -Iinclude

$(B)/tests/test_gdbexpr: $(GDBEXPR_TEST_SRCS) $(wildcard adapter/*.h) adapter/gdbexpr.mk
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)gcc $(GDBEXPR_TEST_CFLAGS) $(GDBEXPR_TEST_SRCS) -lcmocka -o $@

ALL_TARGETS += $(B)/tests/test_gdbexpr

TEST_TARGETS += test-adapter-gdbexpr
.PHONY: test-adapter-gdbexpr
test-adapter-gdbexpr: $(B)/tests/test_gdbexpr
	@scripts/run-suite.sh adapter-gdbexpr $(B)/tests/test_gdbexpr
