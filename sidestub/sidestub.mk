# Side-stub protocol core (issue 5): one freestanding C library used by the
# kernel's side-stub server and by the host client, built three ways.
#
#   $(B)/sidestub/host/libsidestub.a        x86-64 host, -O2 (osdbg)
#   $(B)/sidestub/asan/libsidestub.a        x86-64 host with ASan/UBSan (tests)
#   $(B)/sidestub/rv64-kernel/libsidestub.a the kernel's flags: proves it is freestanding
#
# The kernel compiles $(SIDESTUB_LIB_SRCS) itself with $(SIDESTUB_INCLUDES).
# Outputs are written to a temporary name and renamed (suites may run while
# another make rebuilds them).

SIDESTUB_DIR      := $(TOP)/sidestub
SIDESTUB_LIB_SRCS := $(addprefix $(SIDESTUB_DIR)/src/,util.c frame.c link.c request.c listing.c \
                       event.c)
SIDESTUB_INCLUDES := -I$(SIDESTUB_DIR)/include -I$(TOP)/include
SIDESTUB_LIB_HDRS := $(wildcard $(SIDESTUB_DIR)/src/*.h) $(SIDESTUB_DIR)/include/sidestub.h \
                     $(TOP)/include/osdbg/sidestub_proto.h

SIDESTUB_WARN      := -Wall -Wextra -Werror
# No libc even on the host; keep gcc from turning byte loops into memset/memcpy calls.
SIDESTUB_LIB_FLAGS := -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns
SIDESTUB_SAN       := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                      -fno-omit-frame-pointer
SIDESTUB_HOST_CFLAGS := $(SIDESTUB_WARN) -g -O2 $(SIDESTUB_INCLUDES)
SIDESTUB_ASAN_CFLAGS := $(SIDESTUB_WARN) -g -O1 $(SIDESTUB_SAN) $(SIDESTUB_INCLUDES)
SIDESTUB_KCFLAGS     := -misa-spec=2.2 -march=rv64imac -mabi=lp64 -mcmodel=medany -ffreestanding \
                        -nostdlib -fno-builtin -Wall -Wextra -Werror -O2 -g $(SIDESTUB_INCLUDES)

SIDESTUB_OBJS = $(patsubst $(SIDESTUB_DIR)/src/%.c,$(B)/sidestub/$(1)/%.o,$(SIDESTUB_LIB_SRCS))

$(B)/sidestub/host/%.o: $(SIDESTUB_DIR)/src/%.c $(SIDESTUB_LIB_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)gcc $(SIDESTUB_HOST_CFLAGS) $(SIDESTUB_LIB_FLAGS) -c $< -o $@
$(B)/sidestub/asan/%.o: $(SIDESTUB_DIR)/src/%.c $(SIDESTUB_LIB_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)gcc $(SIDESTUB_ASAN_CFLAGS) $(SIDESTUB_LIB_FLAGS) -c $< -o $@
$(B)/sidestub/rv64-kernel/%.o: $(SIDESTUB_DIR)/src/%.c $(SIDESTUB_LIB_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)riscv64-unknown-elf-gcc $(SIDESTUB_KCFLAGS) $(SIDESTUB_LIB_FLAGS) -c $< -o $@

$(B)/sidestub/host/libsidestub.a: $(call SIDESTUB_OBJS,host)
	$(Q)rm -f $@.$$$$.tmp && ar rcs $@.$$$$.tmp $^ && mv -f $@.$$$$.tmp $@
$(B)/sidestub/asan/libsidestub.a: $(call SIDESTUB_OBJS,asan)
	$(Q)rm -f $@.$$$$.tmp && ar rcs $@.$$$$.tmp $^ && mv -f $@.$$$$.tmp $@
# The kernel flavour must need nothing from outside the library (no memcpy, no libgcc).
$(B)/sidestub/rv64-kernel/libsidestub.a: $(call SIDESTUB_OBJS,rv64-kernel)
	$(Q)tmp=$@.$$$$.tmp; rm -f $$tmp && riscv64-unknown-elf-ar rcs $$tmp $^ && \
	undef=$$(riscv64-unknown-elf-nm -u $$tmp | awk 'NF == 2 && $$2 !~ /^ss_/ {print $$2}'); \
	if [ -n "$$undef" ]; then echo "libsidestub (kernel) needs outside symbols: $$undef"; \
	    rm -f $$tmp; exit 1; fi; \
	mv -f $$tmp $@

ALL_TARGETS += $(B)/sidestub/host/libsidestub.a $(B)/sidestub/rv64-kernel/libsidestub.a

# ---- tests ---------------------------------------------------------------------------
SIDESTUB_TDIR := $(TOP)/tests/sidestub
SIDESTUB_TBIN := $(B)/sidestub/tests

# The unit tests also check every framed example in the protocol document.
SIDESTUB_DOC := $(TOP)/docs/side-stub-protocol.md
$(SIDESTUB_TBIN)/test_sidestub: $(SIDESTUB_TDIR)/test_sidestub.c $(B)/sidestub/asan/libsidestub.a
	@mkdir -p $(@D)
	$(Q)gcc $(SIDESTUB_ASAN_CFLAGS) -DPROTOCOL_DOC='"$(SIDESTUB_DOC)"' $< \
	    $(B)/sidestub/asan/libsidestub.a -lcmocka -o $@.$$$$.tmp && mv -f $@.$$$$.tmp $@

.PHONY: test-sidestub-unit
test-sidestub-unit: $(SIDESTUB_TBIN)/test_sidestub
	@scripts/run-suite.sh sidestub-unit $(SIDESTUB_TBIN)/test_sidestub

# libFuzzer on the receive path, bounded for `make test`.
SIDESTUB_FUZZ_SECS ?= 10
$(SIDESTUB_TBIN)/fuzz_rx: $(SIDESTUB_TDIR)/fuzz_rx.c $(SIDESTUB_LIB_SRCS) $(SIDESTUB_LIB_HDRS)
	@mkdir -p $(@D)
	$(Q)clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(SIDESTUB_WARN) $(SIDESTUB_INCLUDES) $< $(SIDESTUB_LIB_SRCS) -o $@.$$$$.tmp && mv -f $@.$$$$.tmp $@

.PHONY: test-sidestub-fuzz
test-sidestub-fuzz: $(SIDESTUB_TBIN)/fuzz_rx
	@cd $(SIDESTUB_TBIN) && $(TOP)/scripts/run-suite.sh sidestub-fuzz $(SIDESTUB_TDIR)/run_fuzz.sh \
	    $(SIDESTUB_TBIN)/fuzz_rx $(SIDESTUB_FUZZ_SECS) $(B)/sidestub/fuzz-corpus \
	    $(SIDESTUB_TDIR)/fuzz_rx.dict

TEST_TARGETS += test-sidestub-unit test-sidestub-fuzz

# The kernel-flavoured library (no libc at all) running under qemu-riscv64.
$(SIDESTUB_TBIN)/freestanding-rv64: $(SIDESTUB_TDIR)/freestanding.c $(B)/sidestub/rv64-kernel/libsidestub.a
	@mkdir -p $(@D)
	$(Q)riscv64-unknown-elf-gcc $(SIDESTUB_KCFLAGS) -static -Wl,-e,_start -Wl,--no-relax \
	    -Wl,--no-warn-rwx-segments $< $(B)/sidestub/rv64-kernel/libsidestub.a \
	    -o $@.$$$$.tmp && mv -f $@.$$$$.tmp $@

.PHONY: test-sidestub-freestanding
test-sidestub-freestanding: $(SIDESTUB_TBIN)/freestanding-rv64
	@scripts/run-suite.sh sidestub-freestanding qemu-riscv64 $(SIDESTUB_TBIN)/freestanding-rv64

TEST_TARGETS += test-sidestub-freestanding
