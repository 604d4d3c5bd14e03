// The trampoline: the only code that runs while switching between a user
// page table and the kernel page table.  It is linked into its own page
// (kernel.ld, section trampsec) and that page is mapped at TRAMPOLINE in the
// kernel's table and in every process's table, so the instruction after the
// satp write is still mapped (RISC-V privileged spec 4.1.11: changing satp
// does not flush the TLB by itself; hence the sfence.vma pairs).
//
// uservec:  stvec while in user mode.  Saves the user registers into the
//           process's trap frame (at TRAPFRAME, layout in
//           include/osdbg/trapframe.h), switches to the kernel stack and page
//           table, and jumps to usertrap() (trap.c).
// userret:  called by usertrapret() with a0 = the user satp.  Switches to the
//           user page table, restores the registers, and srets to user mode.
#include <osdbg/memlayout.h>
#include <osdbg/trapframe.h>

        .section trampsec
        .globl trampoline
trampoline:
        .align 4
        .globl uservec
uservec:
        // sscratch keeps the user's a0 while a0 addresses the trap frame.
        csrw sscratch, a0
        li a0, TRAPFRAME
        sd x1,  TF_REG(1)(a0)
        sd x2,  TF_REG(2)(a0)
        sd x3,  TF_REG(3)(a0)
        sd x4,  TF_REG(4)(a0)
        sd x5,  TF_REG(5)(a0)
        sd x6,  TF_REG(6)(a0)
        sd x7,  TF_REG(7)(a0)
        sd x8,  TF_REG(8)(a0)
        sd x9,  TF_REG(9)(a0)
        sd x11, TF_REG(11)(a0)
        sd x12, TF_REG(12)(a0)
        sd x13, TF_REG(13)(a0)
        sd x14, TF_REG(14)(a0)
        sd x15, TF_REG(15)(a0)
        sd x16, TF_REG(16)(a0)
        sd x17, TF_REG(17)(a0)
        sd x18, TF_REG(18)(a0)
        sd x19, TF_REG(19)(a0)
        sd x20, TF_REG(20)(a0)
        sd x21, TF_REG(21)(a0)
        sd x22, TF_REG(22)(a0)
        sd x23, TF_REG(23)(a0)
        sd x24, TF_REG(24)(a0)
        sd x25, TF_REG(25)(a0)
        sd x26, TF_REG(26)(a0)
        sd x27, TF_REG(27)(a0)
        sd x28, TF_REG(28)(a0)
        sd x29, TF_REG(29)(a0)
        sd x30, TF_REG(30)(a0)
        sd x31, TF_REG(31)(a0)
        csrr t0, sscratch
        sd t0, TF_REG(10)(a0)
        // The trapped pc is saved by usertrap(), as xv6 does: a debugger
        // stopped at the trap entry finds it in sepc, not yet in the frame
        // (docs/profiles.md, trap.entry).

        ld sp, TF_KERNEL_SP(a0)
        ld tp, TF_KERNEL_HARTID(a0)
        ld t0, TF_KERNEL_TRAP(a0)
        ld t1, TF_KERNEL_SATP(a0)
        sfence.vma zero, zero
        csrw satp, t1
        sfence.vma zero, zero
        jr t0

        .globl userret
userret:
        sfence.vma zero, zero
        csrw satp, a0
        sfence.vma zero, zero
        li a0, TRAPFRAME
        ld x1,  TF_REG(1)(a0)
        ld x2,  TF_REG(2)(a0)
        ld x3,  TF_REG(3)(a0)
        ld x4,  TF_REG(4)(a0)
        ld x5,  TF_REG(5)(a0)
        ld x6,  TF_REG(6)(a0)
        ld x7,  TF_REG(7)(a0)
        ld x8,  TF_REG(8)(a0)
        ld x9,  TF_REG(9)(a0)
        ld x11, TF_REG(11)(a0)
        ld x12, TF_REG(12)(a0)
        ld x13, TF_REG(13)(a0)
        ld x14, TF_REG(14)(a0)
        ld x15, TF_REG(15)(a0)
        ld x16, TF_REG(16)(a0)
        ld x17, TF_REG(17)(a0)
        ld x18, TF_REG(18)(a0)
        ld x19, TF_REG(19)(a0)
        ld x20, TF_REG(20)(a0)
        ld x21, TF_REG(21)(a0)
        ld x22, TF_REG(22)(a0)
        ld x23, TF_REG(23)(a0)
        ld x24, TF_REG(24)(a0)
        ld x25, TF_REG(25)(a0)
        ld x26, TF_REG(26)(a0)
        ld x27, TF_REG(27)(a0)
        ld x28, TF_REG(28)(a0)
        ld x29, TF_REG(29)(a0)
        ld x30, TF_REG(30)(a0)
        ld x31, TF_REG(31)(a0)
        ld a0,  TF_REG(10)(a0)
        sret
