# The adapter's ELF/DWARF reader (adapter/debuginfo.c) and its unit tests.
# Included by the top-level Makefile (adapter/*.mk), after kernel/kernel.mk
# and user/user.mk, whose outputs the tests read.
ADAPTER_DEBUGINFO_SRCS := adapter/debuginfo.c
ADAPTER_DEBUGINFO_LIBS := -ldw -lelf -liberty

# Host test build: ASan + UBSan, warnings as errors.  The test finds the
# build outputs through OSDBG_BUILD and the sources through OSDBG_TOP (the
# line tables name them by absolute path).
DEBUGINFO_TEST_CC     := gcc
DEBUGINFO_TEST_CFLAGS := -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
                         -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                         -Iadapter -DOSDBG_BUILD='"$(B)"' -DOSDBG_TOP='"$(TOP)"'

$(B)/tests/test_debuginfo: tests/adapter/test_debuginfo.c $(ADAPTER_DEBUGINFO_SRCS) \
		adapter/debuginfo.h adapter/debuginfo.mk
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(DEBUGINFO_TEST_CC) $(DEBUGINFO_TEST_CFLAGS) tests/adapter/test_debuginfo.c \
		$(ADAPTER_DEBUGINFO_SRCS) $(ADAPTER_DEBUGINFO_LIBS) -lcmocka -o $@

ALL_TARGETS += $(B)/tests/test_debuginfo

# The suite reads these ELFs (the ramdisk holds a copy of hello without DWARF).
TEST_DEBUGINFO_INPUTS := $(B)/user/hello $(B)/user/matrix $(B)/user/rustdemo $(KERNEL_ELF) \
                         $(RAMDISK)

TEST_TARGETS += test-adapter-debuginfo
.PHONY: test-adapter-debuginfo
test-adapter-debuginfo: $(B)/tests/test_debuginfo $(TEST_DEBUGINFO_INPUTS)
	@scripts/run-suite.sh adapter-debuginfo $(B)/tests/test_debuginfo
