# The adapter's eBPF code generators (logpoints, built-in programs, their
# ELF objects) and their unit tests: the generated objects are loaded,
# verified and run by the project's runtime (ebpf/, host ASan build).
LOGPROG_TEST_SRCS := tests/adapter/test_logprog.c adapter/logprog.c adapter/rvregs.c adapter/bpfgen.c \
                     adapter/builtins.c adapter/bpfobj.c adapter/paths.c adapter/varloc.c \
                     adapter/debuginfo.c
LOGPROG_TEST_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
                       -fno-omit-frame-pointer -fsanitize=address,undefined \
                       -fno-sanitize-recover=undefined -Iadapter -Iinclude -Isidestub/include \
                       -Iebpf/include -DOSDBG_BUILD='"$(B)"' -DOSDBG_TOP='"$(TOP)"'

$(B)/tests/test_logprog: $(LOGPROG_TEST_SRCS) $(wildcard adapter/*.h) adapter/logprog.mk \
		$(B)/ebpf/asan/libebpf.a
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)gcc $(LOGPROG_TEST_CFLAGS) $(LOGPROG_TEST_SRCS) $(B)/ebpf/asan/libebpf.a \
		-ldw -lelf -liberty -lcmocka -o $@

ALL_TARGETS += $(B)/tests/test_logprog

TEST_TARGETS += test-adapter-logprog
.PHONY: test-adapter-logprog
test-adapter-logprog: $(B)/tests/test_logprog $(B)/user/matrix $(KERNEL_ELF)
	@scripts/run-suite.sh adapter-logprog $(B)/tests/test_logprog
