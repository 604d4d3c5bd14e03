# User programs: build/user/<prog> (pinned: ELF with DWARF, _start at
# exactly 0x10000) and the ramdisk build/user/fs.cpio that the kernel embeds.
# Uses RV_CC/RV_CFLAGS/RV_ARCH from kernel/kernel.mk.

USER_LIB_SRCS := $(wildcard user/lib/*.c) user/lib/crt0.S user/lib/usys_asm.S
USER_LIB_OBJS := $(patsubst user/lib/%,$(B)/user/lib/%.o,$(USER_LIB_SRCS)) \
                 $(patsubst common/%,$(B)/user/lib/common/%.o,$(wildcard common/*.c))
USER_C_PROGS  := init sh hello matrix forktest selftest fault cat ls sysbench twins bpftest probebench orphan bughunt \
                 bpfload bpffuzz stubs tick tock bpfcompat
USER_PROGS    := $(addprefix $(B)/user/,$(USER_C_PROGS))
USER_CFLAGS    = $(RV_CFLAGS) -Iuser/lib
USER_DATA     := $(wildcard user/files/*)
# eBPF objects for bpfload, compiled as libbpf users do (clang -target bpf).
USER_BPF_OBJS := $(patsubst user/bpf/%.bpf.c,$(B)/user/bpf/%.bpf.o,$(wildcard user/bpf/*.bpf.c))

$(B)/user/bpf/%.bpf.o: user/bpf/%.bpf.c
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	$(Q)clang -O2 -g -target bpf -I/usr/include/$(shell gcc -print-multiarch) -c $< -o $@

# The compatibility suite's objects (user/bpf/compat/NAME.bpf.c ->
# compat_NAME.bpf.o), written the libbpf way against include/bpf/; bpfcompat
# loads them through bpf().
USER_COMPAT_OBJS := $(patsubst user/bpf/compat/%.bpf.c,$(B)/user/bpf/compat_%.bpf.o,$(wildcard user/bpf/compat/*.bpf.c))
USER_BPF_OBJS += $(USER_COMPAT_OBJS)

$(B)/user/bpf/compat_%.bpf.o: user/bpf/compat/%.bpf.c $(wildcard include/bpf/*.h)
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	$(Q)clang -O2 -g -target bpf -Wall -Werror -Iinclude -I/usr/include/$(shell gcc -print-multiarch) -c $< -o $@

# The Rust program(s) add themselves to USER_RUST_PROGS.
USER_RUST_PROGS :=
-include user/rust/rust.mk
USER_ALL_PROGS = $(USER_PROGS) $(USER_RUST_PROGS)

ALL_TARGETS += $(USER_PROGS) $(RAMDISK)

$(B)/user/lib/%.c.o: user/lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RV_CC) $(USER_CFLAGS) -c $< -o $@

$(B)/user/lib/%.S.o: user/lib/%.S
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RV_CC) $(USER_CFLAGS) -c $< -o $@

$(B)/user/lib/common/%.c.o: common/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RV_CC) $(USER_CFLAGS) -c $< -o $@

$(B)/user/%.o: user/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RV_CC) $(USER_CFLAGS) -c $< -o $@

# --build-id: recordings check the programs they replay by it
# (adapter/machine/recording.h).  crt0 first on the command line is not required: user.ld places .text.entry
# (only crt0 has it) at 0x10000.
$(B)/user/%: $(B)/user/%.o $(USER_LIB_OBJS) user/user.ld
	@echo "  LD      $@"
	$(Q)$(RV_CC) $(RV_ARCH) -nostdlib -T user/user.ld -Wl,--no-warn-rwx-segments -Wl,--build-id=sha1 \
		-o $@ $< $(USER_LIB_OBJS) $(RV_LIBGCC)

# bpfcompat parses eBPF objects with the eBPF library (freestanding, the
# kernel's build of it), as libbpf does for a Linux loader.
$(B)/user/bpfcompat: $(B)/user/bpfcompat.o $(USER_LIB_OBJS) $(KERNEL_EBPF) user/user.ld
	@echo "  LD      $@"
	$(Q)$(RV_CC) $(RV_ARCH) -nostdlib -T user/user.ld -Wl,--no-warn-rwx-segments -Wl,--build-id=sha1 \
		-o $@ $< $(USER_LIB_OBJS) $(KERNEL_EBPF) $(RV_LIBGCC)

# Keep the objects (make would delete them as intermediates).
.SECONDARY: $(USER_PROGS:=.o)

-include $(USER_LIB_OBJS:.o=.d) $(USER_PROGS:=.d)

# The ramdisk: programs without their debug sections (the debugger reads the
# full ELFs in build/user/), the data files, and two deliberately broken
# executables for the exec tests: a text file and a truncated ELF.
$(RAMDISK): $(USER_ALL_PROGS) $(USER_DATA) $(USER_BPF_OBJS) user/user.mk
	@rm -rf $(B)/user/root && mkdir -p $(B)/user/root
	@for p in $(USER_ALL_PROGS); do $(RV_STRIP) -g -o $(B)/user/root/$$(basename $$p) $$p; done
	@cp $(USER_DATA) $(USER_BPF_OBJS) $(B)/user/root/
	@head -c 200 $(B)/user/hello >$(B)/user/root/truncated
	@echo "  CPIO    $@"
	$(Q)cd $(B)/user/root && ls -1 | LC_ALL=C sort | cpio -o -H newc --quiet >$@.tmp && mv $@.tmp $@
