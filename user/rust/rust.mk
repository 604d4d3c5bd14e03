# Rust user programs, built with Debian's packages only (rustc, rust-src,
# librust-compiler-builtins-dev); docs/rust-user-programs.md explains the flags.
# Included by user/user.mk.  Exports:
#
#   USER_RUST_PROGS   the program ELFs ($(B)/user/rustdemo), for the ramdisk
#   RUST_OPT          rustc opt-level; follows OPT (-O0 -> 0, -O2 -> 2)
#
# Steps: libcore and libcompiler_builtins are compiled once from source into
# $(RUST_LIBDIR); each program user/rust/<prog>.rs becomes a staticlib that
# bundles them, and $(RV_PREFIX)ld links that with user/user.ld.

RV_PREFIX     ?= riscv64-unknown-elf-
# Debian's rustc by full path: the rustup toolchain first on PATH has no
# riscv target library and must not be used.
RUST_RUSTC    := /usr/bin/rustc
RUST_TARGET   := riscv64imac-unknown-none-elf
RUST_CORE_SRC := /usr/lib/rustlib/src/rust/library/core/src/lib.rs
RUST_CB_SRC   := /usr/share/cargo/registry/compiler_builtins-0.1.70/src/lib.rs
RUST_DIR      := $(B)/user/rust
RUST_LIBDIR   := $(RUST_DIR)/lib
RUST_GEN      := $(RUST_DIR)/gen
RUST_OPT      ?= $(or $(patsubst -O%,%,$(filter -O0 -O1 -O2 -O3 -Os,$(OPT))),0)

# Code generation shared by core, compiler_builtins and the programs, so that
# every object agrees on ABI (lp64 soft-float, RVC) and addressing.
RUST_CODEGEN  := --target $(RUST_TARGET) -C panic=abort \
                 -C relocation-model=static -C code-model=medium
# The programs: debug info and frame pointers for the debugger, and warnings
# as errors like the C side's -Werror.
RUST_FLAGS    := --edition 2021 $(RUST_CODEGEN) -C opt-level=$(RUST_OPT) -g \
                 -C force-frame-pointers=yes -D warnings -L $(RUST_LIBDIR)

RUST_PROGS       := rustdemo
RUST_PROG_ELFS   := $(RUST_PROGS:%=$(B)/user/%)
USER_RUST_PROGS  += $(RUST_PROG_ELFS)

# The standard library sources are unstable-feature code: RUSTC_BOOTSTRAP=1
# lets a release compiler build them.  The programs themselves are stable Rust.
$(RUST_LIBDIR)/libcore.rlib: $(RUST_CORE_SRC) $(RUST_RUSTC)
	@mkdir -p $(@D)
	@echo "  RUSTC   core (once, about 20 s)"
	$(Q)RUSTC_BOOTSTRAP=1 $(RUST_RUSTC) --edition 2021 --crate-type lib --crate-name core \
		$(RUST_CODEGEN) -O $(RUST_CORE_SRC) --out-dir $(@D)

# Edition 2015 (no --edition), as its Cargo.toml says; the features are what
# its build.rs would turn on for a -none target ("mem": memcpy and friends).
$(RUST_LIBDIR)/libcompiler_builtins.rlib: $(RUST_CB_SRC) $(RUST_LIBDIR)/libcore.rlib
	@echo "  RUSTC   compiler_builtins"
	$(Q)RUSTC_BOOTSTRAP=1 $(RUST_RUSTC) --crate-type lib --crate-name compiler_builtins \
		$(RUST_CODEGEN) -O --cfg 'feature="compiler-builtins"' \
		--cfg 'feature="unstable"' --cfg 'feature="mem"' \
		-L $(@D) $(RUST_CB_SRC) --out-dir $(@D)

# System call numbers come from the C header, never a copy.
$(RUST_GEN)/syscall_nr.rs: include/osdbg/syscall_nr.h scripts/gen-rust-consts.sh
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)scripts/gen-rust-consts.sh $< usize > $@.tmp && mv $@.tmp $@

# A program and everything it needs in one static archive; rustc's dep-info
# records the modules it read (ulib.rs, the generated constants).
$(RUST_PROGS:%=$(RUST_DIR)/lib%.a): $(RUST_DIR)/lib%.a: user/rust/%.rs \
		$(RUST_GEN)/syscall_nr.rs $(RUST_LIBDIR)/libcompiler_builtins.rlib user/rust/rust.mk
	@echo "  RUSTC   $<"
	$(Q)OSDBG_RUST_GEN=$(RUST_GEN) $(RUST_RUSTC) $(RUST_FLAGS) --crate-type staticlib \
		--crate-name $* --emit link,dep-info --out-dir $(@D) $<

# -u _start pulls the entry out of the archive; --gc-sections drops the parts
# of core the program does not use; --build-id lets a recording check it.
$(RUST_PROG_ELFS): $(B)/user/%: $(RUST_DIR)/lib%.a user/user.ld
	@echo "  LD      $@"
	$(Q)$(RV_PREFIX)ld -T user/user.ld -u _start --gc-sections --build-id=sha1 -o $@ $<

-include $(RUST_PROGS:%=$(RUST_DIR)/%.d)
