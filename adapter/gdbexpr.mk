# Conditions and logpoint expressions rewritten for GDB (adapter/gdbexpr.c)
# and their unit tests.  logprog.c brings the register names (and its own
# dependencies).
GDBEXPR_TEST_SRCS := tests/adapter/test_gdbexpr.c adapter/gdbexpr.c adapter/buf.c \
                     adapter/logprog.c adapter/bpfgen.c adapter/builtins.c adapter/bpfobj.c \
                     adapter/paths.c adapter/varloc.c adapter/debuginfo.c

GDBEXPR_TEST_CFLAGS = $(LOGPROG_TEST_CFLAGS)

$(B)/tests/test_gdbexpr: $(GDBEXPR_TEST_SRCS) $(wildcard adapter/*.h) adapter/gdbexpr.mk \
		$(B)/ebpf/asan/libebpf.a
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)gcc $(GDBEXPR_TEST_CFLAGS) $(GDBEXPR_TEST_SRCS) $(B)/ebpf/asan/libebpf.a \
		-ldw -lelf -liberty -lcmocka -o $@

ALL_TARGETS += $(B)/tests/test_gdbexpr

TEST_TARGETS += test-adapter-gdbexpr
.PHONY: test-adapter-gdbexpr
test-adapter-gdbexpr: $(B)/tests/test_gdbexpr
	@scripts/run-suite.sh adapter-gdbexpr $(B)/tests/test_gdbexpr
