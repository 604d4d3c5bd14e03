# The Rust reference kernel (docs/rust-kernel.md): build/rkernel/rkernel.elf,
# in the mould of rCore-Tutorial-v3 chapter 5, built with Debian's packages
# only, like the Rust user programs (user/rust/rust.mk, whose core and
# compiler_builtins it shares):
#   - alloc from rust-src, and the crates Debian ships (librust-spin-dev,
#     librust-lazy-static-dev, librust-bitflags-dev) compiled with rustc;
#   - its user programs (rkernel/user: the user_lib crate and one crate per
#     program, linked at 0x10000 with user/user.ld) embedded in the kernel
#     image by an assembly include (link_app.S), as rCore does;
#   - the kernel crate `os` as a static library, linked at 0x80200000.
# Included by the top-level Makefile after user/user.mk.

RK_DIR      := $(B)/rkernel
RK_LIBDIR   := $(RK_DIR)/lib
RK_GEN      := $(RK_DIR)/gen
RKERNEL_ELF := $(RK_DIR)/rkernel.elf
RK_REG      := /usr/share/cargo/registry
RK_SPIN_SRC := $(RK_REG)/spin-0.9.5/src/lib.rs
RK_LAZY_SRC := $(RK_REG)/lazy_static-1.4.0/src/lib.rs
RK_BITS_SRC := $(RK_REG)/bitflags-1.3.2/src/lib.rs
RK_ALLOC_SRC := /usr/lib/rustlib/src/rust/library/alloc/src/lib.rs

ALL_TARGETS += $(RKERNEL_ELF)

# The libraries: optimised, like core (RUST_CODEGEN: the ABI every object
# agrees on).  Their features are what the kernel's Cargo.toml would ask for.
RK_LIBFLAGS := $(RUST_CODEGEN) -O -L $(RUST_LIBDIR) -L $(RK_LIBDIR)

$(RK_LIBDIR)/liballoc.rlib: $(RK_ALLOC_SRC) $(RUST_LIBDIR)/libcompiler_builtins.rlib
	@mkdir -p $(@D)
	@echo "  RUSTC   alloc"
	$(Q)RUSTC_BOOTSTRAP=1 $(RUST_RUSTC) --edition 2021 --crate-type lib --crate-name alloc \
		$(RK_LIBFLAGS) $< --out-dir $(@D)

$(RK_LIBDIR)/libspin.rlib: $(RK_SPIN_SRC) $(RUST_LIBDIR)/libcompiler_builtins.rlib
	@mkdir -p $(@D)
	@echo "  RUSTC   spin"
	$(Q)$(RUST_RUSTC) --crate-type lib --crate-name spin $(RK_LIBFLAGS) \
		--cfg 'feature="once"' --cfg 'feature="mutex"' --cfg 'feature="spin_mutex"' \
		$< --out-dir $(@D)

$(RK_LIBDIR)/liblazy_static.rlib: $(RK_LAZY_SRC) $(RK_LIBDIR)/libspin.rlib
	@echo "  RUSTC   lazy_static"
	$(Q)$(RUST_RUSTC) --crate-type lib --crate-name lazy_static $(RK_LIBFLAGS) \
		--cfg 'feature="spin_no_std"' --extern spin=$(RK_LIBDIR)/libspin.rlib \
		$< --out-dir $(@D)

$(RK_LIBDIR)/libbitflags.rlib: $(RK_BITS_SRC) $(RUST_LIBDIR)/libcompiler_builtins.rlib
	@mkdir -p $(@D)
	@echo "  RUSTC   bitflags"
	$(Q)$(RUST_RUSTC) --edition 2018 --crate-type lib --crate-name bitflags $(RK_LIBFLAGS) \
		$< --out-dir $(@D)

RK_LIBS := $(RK_LIBDIR)/liballoc.rlib $(RK_LIBDIR)/liblazy_static.rlib \
           $(RK_LIBDIR)/libbitflags.rlib

# ---- user programs ------------------------------------------------------
# Each program is a crate of its own using the user_lib crate; every one is
# linked at 0x10000 (user/user.ld), so their addresses collide as in rCore.
RK_USER_PROGS := initproc user_shell hello forktest rfib badcalls forkbomb bpfdemo probebench
RK_USER_DIR   := $(RK_DIR)/user
RK_USER_ELFS  := $(RK_USER_PROGS:%=$(RK_USER_DIR)/%)
RK_USER_FLAGS := --edition 2021 $(RUST_CODEGEN) -C opt-level=0 -g -C force-frame-pointers=yes \
                 -D warnings -L $(RUST_LIBDIR) -L $(RK_USER_DIR)

# user_lib's bpf module reads the eBPF numbers and errnos from the C headers.
RK_USER_CONSTS := $(RUST_GEN)/bpf_ids.rs $(RUST_GEN)/bpf_attr.rs $(RUST_GEN)/errno.rs
$(RUST_GEN)/errno.rs: RK_CONST_TYPE := isize
$(RK_USER_CONSTS): $(RUST_GEN)/%.rs: include/osdbg/%.h scripts/gen-rust-consts.sh
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)scripts/gen-rust-consts.sh $< $(or $(RK_CONST_TYPE),u32) > $@.tmp && mv $@.tmp $@

$(RK_USER_DIR)/libuser_lib.rlib: rkernel/user/src/lib.rs $(RUST_GEN)/syscall_nr.rs $(RK_USER_CONSTS) \
		$(RUST_LIBDIR)/libcompiler_builtins.rlib rkernel/rkernel.mk
	@mkdir -p $(@D)
	@echo "  RUSTC   $<"
	$(Q)OSDBG_RUST_GEN=$(RUST_GEN) $(RUST_RUSTC) $(RK_USER_FLAGS) --crate-type lib \
		--crate-name user_lib --emit link,dep-info --out-dir $(@D) $<

$(RK_USER_PROGS:%=$(RK_USER_DIR)/lib%.a): $(RK_USER_DIR)/lib%.a: rkernel/user/src/bin/%.rs \
		$(RK_USER_DIR)/libuser_lib.rlib
	@echo "  RUSTC   $<"
	$(Q)$(RUST_RUSTC) $(RK_USER_FLAGS) --crate-type staticlib --crate-name $* \
		--extern user_lib=$(RK_USER_DIR)/libuser_lib.rlib --emit link,dep-info \
		--out-dir $(@D) $<

$(RK_USER_ELFS): $(RK_USER_DIR)/%: $(RK_USER_DIR)/lib%.a user/user.ld
	@echo "  LD      $@"
	$(Q)$(RV_PREFIX)ld -T user/user.ld -u _start --gc-sections --build-id=sha1 -o $@ $<

# The programs in the kernel image, by name (rCore's link_app.S).
$(RK_GEN)/link_app.S: $(RK_USER_ELFS) scripts/gen-link-app.sh
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)scripts/gen-link-app.sh $(RK_USER_ELFS) > $@.tmp && mv $@.tmp $@

# ---- the kernel -----------------------------------------------------------
# opt-level 0: every variable visible in a debugger, as the C kernel's -O0.
RK_FLAGS := --edition 2021 $(RUST_CODEGEN) -C opt-level=0 -g -C force-frame-pointers=yes \
            -D warnings -L $(RUST_LIBDIR) -L $(RK_LIBDIR) \
            --extern alloc=$(RK_LIBDIR)/liballoc.rlib \
            --extern lazy_static=$(RK_LIBDIR)/liblazy_static.rlib \
            --extern bitflags=$(RK_LIBDIR)/libbitflags.rlib \
            --extern spin=$(RK_LIBDIR)/libspin.rlib

# The kernel uses two unstable features (alloc_error_handler, and
# global_asm's include of generated files), hence RUSTC_BOOTSTRAP.
$(RK_DIR)/libos.a: rkernel/src/main.rs $(RK_LIBS) $(RK_GEN)/link_app.S $(RUST_GEN)/syscall_nr.rs \
		rkernel/rkernel.mk
	@echo "  RUSTC   $<"
	$(Q)RUSTC_BOOTSTRAP=1 OSDBG_RUST_GEN=$(RUST_GEN) OSDBG_RKERNEL_GEN=$(RK_GEN) \
		$(RUST_RUSTC) $(RK_FLAGS) --crate-type staticlib --crate-name os \
		--emit link,dep-info --out-dir $(@D) $<

# ---- the C libraries (issue 19: the Rust kernel's tracing) -----------------
# ktrace (bpf(), probes, the side-stub server), the eBPF runtime, the probe
# engine and the side-stub core, freestanding
# archives built with the C kernel's flags by their own fragments; and
# common/'s snprintf and mem*/str*, compiled here as the libraries are.
# One provider of memcpy & co: compiler_builtins defines memcpy, memmove,
# memset, memcmp and bcmp weak (its mem/mod.rs: linkage = "weak"), so
# kstring.c's strong definitions, linked as an object, replace them for
# Rust and C alike; the link checks that they did.
# libktrace (ktrace/ktrace.mk) first: it calls into the three others; the
# kernel implements its port in Rust (src/ktrace/port*.rs).
RK_CLIBS    := $(KTRACE_LIB) $(KERNEL_EBPF) $(KERNEL_RVPROBE) $(KERNEL_SIDESTUB)
# -O2 as the libraries (a byte loop at -O0 made fork's page copies slow);
# no loop-to-memset rewriting inside memset itself.
RK_CFLAGS   := $(RV_ARCH) -ffreestanding -fno-builtin -nostdlib -fno-common \
               -fno-omit-frame-pointer -fno-stack-protector -fno-pie -g -O2 \
               -fno-tree-loop-distribute-patterns -Wall -Wextra -Werror -MMD -MP \
               -I$(TOP)/include -I$(TOP)/common
RK_COBJS    := $(RK_DIR)/c/format.o $(RK_DIR)/c/kstring.o

$(RK_DIR)/c/%.o: common/%.c
	@mkdir -p $(@D)
	@echo "  CC      $< (rkernel)"
	$(Q)$(RV_CC) $(RK_CFLAGS) -c $< -o $@

# Two links, as the C kernel's (kernel/kernel.mk): the first gives the
# function addresses, the second adds their table (ktrace/ksyms.rs reads
# it) in .rodata, after the code, so no code moves; the build checks that.
# The names are demangled (os::syscall::fs::sys_write), without the hash.
# --build-id: recordings check the kernel they replay by it.
RK_LINK = $(RV_PREFIX)ld -T rkernel/src/linker.ld --gc-sections --build-id=sha1
RK_LINK_IN = $(RK_COBJS) $(RK_DIR)/libos.a $(RK_CLIBS) $(RV_LIBGCC)

$(RKERNEL_ELF): $(RK_DIR)/libos.a $(RK_COBJS) $(RK_CLIBS) rkernel/src/linker.ld scripts/gen-ksyms.sh
	@echo "  LD      $@"
	$(Q)scripts/gen-ksyms.sh /dev/null true >$(RK_DIR)/ksyms_empty.S
	$(Q)$(RV_CC) $(RV_ARCH) -c $(RK_DIR)/ksyms_empty.S -o $(RK_DIR)/ksyms_empty.o
	$(Q)$(RK_LINK) -o $@.pass1 $(RK_DIR)/ksyms_empty.o $(RK_LINK_IN)
	$(Q)scripts/gen-ksyms.sh $@.pass1 $(RV_PREFIX)nm --demangle >$(RK_DIR)/ksyms_data.S
	$(Q)$(RV_CC) $(RV_ARCH) -c $(RK_DIR)/ksyms_data.S -o $(RK_DIR)/ksyms_data.o
	$(Q)$(RK_LINK) -o $@.tmp $(RK_DIR)/ksyms_data.o $(RK_LINK_IN)
	$(Q)$(RV_PREFIX)nm -n $@.pass1 | grep -i ' t ' >$@.text1
	$(Q)$(RV_PREFIX)nm -n $@.tmp | grep -i ' t ' >$@.text2
	$(Q)cmp -s $@.text1 $@.text2 || { echo "rkernel.mk: the symbol table moved code"; exit 1; }
	$(Q)$(RV_PREFIX)nm $@.tmp | grep -q ' T memcpy$$' || { echo "rkernel.mk: memcpy is not kstring.c's"; exit 1; }
	@rm -f $@.pass1 $@.text1 $@.text2
	$(Q)mv -f $@.tmp $@

-include $(RK_DIR)/os.d $(RK_COBJS:.o=.d) $(RK_USER_DIR)/user_lib.d $(RK_USER_PROGS:%=$(RK_USER_DIR)/%.d)
