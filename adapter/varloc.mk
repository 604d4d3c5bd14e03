# Variable locations for logpoints (adapter/varloc.c) and their unit tests.
# Built like the debuginfo tests (adapter/debuginfo.mk: same compiler and
# flags, same ELF inputs); varloc.c reads its DWARF through debuginfo.c.
VARLOC_TEST_SRCS := adapter/varloc.c adapter/debuginfo.c

$(B)/tests/test_varloc: tests/adapter/test_varloc.c $(VARLOC_TEST_SRCS) adapter/varloc.h \
		adapter/debuginfo.h adapter/varloc.mk
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(DEBUGINFO_TEST_CC) $(DEBUGINFO_TEST_CFLAGS) tests/adapter/test_varloc.c \
		$(VARLOC_TEST_SRCS) $(ADAPTER_DEBUGINFO_LIBS) -lcmocka -o $@

ALL_TARGETS += $(B)/tests/test_varloc

TEST_TARGETS += test-adapter-varloc
.PHONY: test-adapter-varloc
test-adapter-varloc: $(B)/tests/test_varloc $(B)/user/matrix $(B)/user/rustdemo $(KERNEL_ELF)
	@scripts/run-suite.sh adapter-varloc $(B)/tests/test_varloc
