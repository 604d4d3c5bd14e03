# The reference kernel: build/kernel/kernel.elf (pinned path, with DWARF).
#
# OPT selects the flavour: the default keeps every variable visible in a
# debugger (-O0); `make OPT=-O2` gives a release build.
RV_PREFIX   := riscv64-unknown-elf-
RV_CC       := $(RV_PREFIX)gcc
RV_OBJCOPY  := $(RV_PREFIX)objcopy
RV_STRIP    := $(RV_PREFIX)strip
# rv64imac (compressed instructions on).  -misa-spec=2.2 makes GCC 12 pick
# the lp64 libgcc; zicsr/zifencei are part of "i" in that spec version.
RV_ARCH     := -misa-spec=2.2 -march=rv64imac -mabi=lp64 -mcmodel=medany
OPT         ?= -O0
RV_CFLAGS   := $(RV_ARCH) -ffreestanding -fno-builtin -nostdlib -fno-common \
               -fno-omit-frame-pointer -fno-stack-protector -fno-pie -g $(OPT) \
               -Wall -Wextra -Werror -MMD -MP -I$(TOP)/include -I$(TOP)/common -I$(TOP)/ebpf/include -I$(TOP)/probes/include -I$(TOP)/sidestub/include -I$(TOP)/ktrace/include -I$(TOP)/ktrace/src
RV_LIBGCC    = $(shell $(RV_CC) $(RV_ARCH) -print-libgcc-file-name)

KERNEL_SRCS := $(wildcard kernel/*.c) $(wildcard kernel/*.S)
COMMON_SRCS := $(wildcard common/*.c)
KERNEL_OBJS := $(patsubst kernel/%,$(B)/kernel/%.o,$(KERNEL_SRCS)) \
               $(patsubst common/%,$(B)/kernel/common/%.o,$(COMMON_SRCS))
KERNEL_ELF  := $(B)/kernel/kernel.elf
RAMDISK     := $(B)/user/fs.cpio

ALL_TARGETS += $(KERNEL_ELF)

$(B)/kernel/%.c.o: kernel/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RV_CC) $(RV_CFLAGS) -Ikernel -c $< -o $@

# The port's functions every kprobe hit calls (kt_os_hart, interrupts
# off and on, the current task) at -O2 whatever OPT (issue 21,
# docs/benchmarks.md): a later -O2 overrides RV_CFLAGS' -O0.
$(B)/kernel/ktrace_os%.o: RV_CFLAGS += -O2

$(B)/kernel/common/%.c.o: common/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RV_CC) $(RV_CFLAGS) -c $< -o $@

$(B)/kernel/%.S.o: kernel/%.S
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(RV_CC) $(RV_CFLAGS) -Ikernel -DRAMDISK_PATH='"$(RAMDISK)"' -c $< -o $@

# The ramdisk is assembled into the kernel image.
$(B)/kernel/ramdisk.S.o: $(RAMDISK)

# The eBPF runtime, built freestanding with the kernel's flags (ebpf/ebpf.mk).
KERNEL_EBPF := $(B)/ebpf/rv64-kernel/libebpf.a
# The probe engine, likewise (probes/probes.mk).
KERNEL_RVPROBE := $(B)/probes/rv64-kernel/librvprobe.a
# The side-stub protocol core, likewise (sidestub/sidestub.mk).
KERNEL_SIDESTUB := $(B)/sidestub/rv64-kernel/libsidestub.a
# The tracing layer (bpf(), probes, side-stub server), OS-independent, with
# the kernel's port kernel/ktrace_os*.c (ktrace/ktrace.mk); first: it calls
# into the three others.
KERNEL_LIBS := $(KTRACE_LIB) $(KERNEL_EBPF) $(KERNEL_RVPROBE) $(KERNEL_SIDESTUB)

# --build-id: recordings check the kernel they replay by it (adapter/machine/recording.h).
KERNEL_LINK = $(RV_CC) $(RV_ARCH) -nostdlib -T kernel/kernel.ld -Wl,--no-warn-rwx-segments -Wl,--build-id=sha1

# Two links: the first gives the function addresses, the second adds their
# table (kernel/ksyms.c) in .rodata, after the code, so no code moves.
$(KERNEL_ELF): $(KERNEL_OBJS) $(KERNEL_LIBS) kernel/kernel.ld scripts/gen-ksyms.sh
	@echo "  LD      $@"
	$(Q)scripts/gen-ksyms.sh /dev/null true >$(B)/kernel/ksyms_empty.S
	$(Q)$(RV_CC) $(RV_ARCH) -c $(B)/kernel/ksyms_empty.S -o $(B)/kernel/ksyms_empty.o
	$(Q)$(KERNEL_LINK) -o $@.pass1 $(KERNEL_OBJS) $(B)/kernel/ksyms_empty.o $(KERNEL_LIBS) $(RV_LIBGCC)
	$(Q)scripts/gen-ksyms.sh $@.pass1 $(RV_PREFIX)nm >$(B)/kernel/ksyms_data.S
	$(Q)$(RV_CC) $(RV_ARCH) -c $(B)/kernel/ksyms_data.S -o $(B)/kernel/ksyms_data.o
	$(Q)$(KERNEL_LINK) -o $@ $(KERNEL_OBJS) $(B)/kernel/ksyms_data.o $(KERNEL_LIBS) $(RV_LIBGCC)
	$(Q)$(RV_PREFIX)nm -n $@.pass1 | grep -i ' t ' >$@.text1
	$(Q)$(RV_PREFIX)nm -n $@ | grep -i ' t ' >$@.text2
	$(Q)cmp -s $@.text1 $@.text2 || { echo "kernel.mk: the symbol table moved code"; rm -f $@; exit 1; }
	@rm -f $@.pass1 $@.text1 $@.text2

-include $(KERNEL_OBJS:.o=.d)

# Running a reference OS.  QEMU_ARGS and BOOTARGS may be overridden:
#   make run BOOTARGS="run=hello,matrix"
#   make run KERNEL=rust                 the Rust kernel (rkernel/)
#   make run SMP=1                       harts (QEMU -smp); 2 by default
KERNEL      ?= c
SMP         ?= 2
RUN_ELF      = $(if $(filter rust,$(KERNEL)),$(RKERNEL_ELF),$(KERNEL_ELF))
QEMU        := qemu-system-riscv64
QEMU_MACHINE = -machine virt -bios default -m 128M -smp $(SMP) -nographic \
                -kernel $(RUN_ELF)
BOOTARGS    ?=
QEMU_APPEND  = $(if $(BOOTARGS),-append "$(BOOTARGS)")
GDB_SOCK    ?= $(B)/qemu-gdb.sock
DBG_SOCK    ?= $(B)/dbgchan.sock
QEMU_DBGCHAN = -device virtio-serial-device \
               -chardev socket,id=dbg,path=$(DBG_SOCK),server=on,wait=off \
               -device virtserialport,chardev=dbg,nr=1,name=org.osdbg.side

.PHONY: run qemu-gdb
run: all
	@echo "*** osdbg reference OS ($(KERNEL) kernel): the terminal is its console; Ctrl-A X quits QEMU."
	@echo "*** debug channel socket: $(DBG_SOCK)"
	@rm -f $(DBG_SOCK)
	$(QEMU) $(QEMU_MACHINE) $(QEMU_DBGCHAN) $(QEMU_APPEND)

qemu-gdb: all
	@rm -f $(GDB_SOCK) $(DBG_SOCK)
	@echo "*** QEMU waits for GDB on the Unix socket $(GDB_SOCK):"
	@echo "***   gdb-multiarch $(RUN_ELF) -ex 'target remote $(GDB_SOCK)'"
	$(QEMU) $(QEMU_MACHINE) $(QEMU_DBGCHAN) $(QEMU_APPEND) \
		-gdb unix:$(GDB_SOCK),server=on,wait=off -S
