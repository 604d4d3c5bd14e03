// First instructions of the kernel.  OpenSBI jumps here in S-mode with
// a0 = hart id and a1 = physical address of the flattened device tree, on
// one hart only: the one that won OpenSBI's boot lottery, not necessarily
// hart 0.  Give the hart a boot stack, keep its id in tp (cpuid() reads
// it), clear .bss, then enter kmain(hartid, dtb) in main.c.  Paging is
// still off.  The other harts wait in SBI's STOPPED state until kmain
// starts them at _secondary_entry (SBI HSM hart_start).
#include "param.h"

        .section .text.entry
        .globl _entry
_entry:
        li t0, NCPU
        bgeu a0, t0, 3f         // no per-hart state for this hart: park it
        // The first hart here boots.  OpenSBI 1.1 can send another one here
        // too: its hart_start marks the hart START_PENDING before it writes
        // the start address, and a hart whose wfi wakes in between jumps to
        // the address it had at boot (lib/sbi/sbi_hsm.c).  It must not clear
        // .bss again: it goes the other harts' way.
        la t0, boot_claimed
        li t1, 1
        amoswap.w.aq t1, t1, (t0)
        bnez t1, _secondary_entry
        mv tp, a0
        // sp = boot_stack + (hartid + 1) * BOOT_STACK_SIZE
        la sp, boot_stack
        li t0, BOOT_STACK_SIZE
        addi t1, a0, 1
        mul t0, t0, t1
        add sp, sp, t0
        // zero .bss (boot_stack itself is in .bss but not yet in use below sp),
        // 64 bytes a turn: its 6 MB (eBPF arenas) are 3.1 M instructions 8 bytes
        // at a time, 1 M this way
        la t0, bss_start
        la t1, bss_end
1:      bgeu t0, t1, 2f
        sd zero, 0(t0)
        sd zero, 8(t0)
        sd zero, 16(t0)
        sd zero, 24(t0)
        sd zero, 32(t0)
        sd zero, 40(t0)
        sd zero, 48(t0)
        sd zero, 56(t0)
        addi t0, t0, 64
        j 1b
2:      call kmain
3:      wfi
        j 3b

// Another hart, started by kmain through SBI HSM hart_start: a0 = its hart
// id, a1 = the opaque value (unused).  .bss is already cleared and its boot
// stack is its own.
        .globl _secondary_entry
_secondary_entry:
        mv tp, a0
        la sp, boot_stack
        li t0, BOOT_STACK_SIZE
        addi t1, a0, 1
        mul t0, t0, t1
        add sp, sp, t0
        call kmain_secondary
4:      wfi
        j 4b

        .section .data
        .align 2
boot_claimed:
        .word 0

        .section .bss
        .align 12
        .globl boot_stack
boot_stack:
        .space BOOT_STACK_SIZE * NCPU
