/*
 * The reference kernel's virtual memory layout, shared by the kernel, the
 * user linker script's users and the debugger (profiles/osdbg-kernel.json
 * repeats these numbers for GDB; keep them in step).
 *
 * Sv39 (RISC-V privileged spec, "Sv39: Page-Based 39-bit Virtual-Memory
 * System"): virtual addresses must be sign-extended from bit 38.  Like xv6 we
 * use only the lower half, so MAXVA is 2^38 and no address needs the
 * sign-extension.
 *
 * Kernel page table (one, shared by every kernel thread):
 *   0x00100000  QEMU's test finisher (panic exits QEMU with a failure status)
 *   0x0c000000  PLIC
 *   0x10000000  UART (ns16550a)
 *   0x10001000  8 virtio-mmio slots, one page each
 *   0x80200000  kernel text, data, then free RAM up to the end of memory
 *               (identity mapped: VA == PA)
 *   KSTACK(i)   kernel stack of process slot i, below the trampoline, each
 *               with an unmapped guard page under it
 *   TRAMPOLINE  the trap entry/exit code page (also in every user table)
 *
 * User page table (one per process):
 *   0x10000     program image: _start is exactly here (USER_BASE)
 *   ...         heap (sbrk) after the image
 *   UPROBE_SLOTS  uprobe slot page (only in traced processes), guard pages around
 *   USTACK_TOP  user stack, USTACK_PAGES pages, guard page below
 *   TRAPFRAME   this process's trap frame (struct trapframe)
 *   TRAMPOLINE  the same trampoline page as in the kernel table
 */
#ifndef OSDBG_MEMLAYOUT_H
#define OSDBG_MEMLAYOUT_H

#define PGSIZE  4096
#define PGSHIFT 12

#define MAXVA      (1UL << 38)
#define TRAMPOLINE (MAXVA - PGSIZE)
#define TRAPFRAME  (TRAMPOLINE - PGSIZE)

/* Every user program is linked here, entry point first (rCore-Tutorial-v3). */
#define USER_BASE 0x10000UL

/* User stack: below the trap frame, with one unmapped guard page between. */
#define USTACK_PAGES  8
#define USTACK_TOP    (TRAPFRAME - PGSIZE)
#define USTACK_BOTTOM (USTACK_TOP - USTACK_PAGES * PGSIZE)

/* The uprobe slot page (ktrace/src/uprobe.c): user R-X, below the stack's guard
 * page with a guard page of its own; mapped only in traced processes. */
#define UPROBE_SLOTS (USTACK_BOTTOM - 2 * PGSIZE)

/* Kernel stacks: two pages each, one guard page below each. */
#define KSTACK_PAGES 2
#define KSTACK(slot) (TRAMPOLINE - ((slot) + 1) * (KSTACK_PAGES + 1) * PGSIZE)

/* QEMU virt machine devices (hw/riscv/virt.c). */
#define UART0                 0x10000000UL
#define UART0_IRQ             10
#define VIRTIO_MMIO_BASE      0x10001000UL
#define VIRTIO_MMIO_SLOTS     8
#define VIRTIO_MMIO_STRIDE    0x1000UL
#define VIRTIO_MMIO_IRQ(slot) (1 + (slot))
/* sifive_test "finisher": writing 0x3333 | code << 16 makes QEMU exit(code). */
#define VIRT_TEST 0x100000UL
#define PLIC      0x0c000000UL
#define PLIC_SIZE 0x400000UL

/* Where OpenSBI enters the kernel, and the RAM the kernel assumes when the
 * device tree does not say (QEMU virt default: 128 MiB from 0x80000000). */
#define KERNBASE         0x80200000UL
#define RAMBASE          0x80000000UL
#define RAM_DEFAULT_SIZE (128UL * 1024 * 1024)

#endif
