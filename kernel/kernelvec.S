// Trap entry while in S-mode (stvec in the kernel).  Saves every register in
// a struct kregs on the current kernel stack (kregs.h), calls
// kt_kprobe_on_break for a breakpoint, kerneltrap(regs) for anything else
// (or a breakpoint that is no probe's), then restores them, taking sepc from regs->pc so that a
// handler may redirect execution (and sp from regs->sp, loaded last), and returns with sret.
//
// The break that ends a kprobe's slot (a stepped probe's second trap) is
// handled before the frame is saved, by ktrace's KT_KPROBE_SLOT_RETURN
// (kprobe.h): a few loads and stores instead of 32 registers, the engine's
// lookup and kt_kprobe_on_break (issue 21, ~240 guest instructions a hit).
#include "kregs.h"
#include "kprobe.h"

        .section .text
        .globl kernelvec
        .align 4
kernelvec:
        addi sp, sp, -KREGS_FRAME
        sd x5,  KREGS_X(5)(sp)
        sd x6,  KREGS_X(6)(sp)
        sd x7,  KREGS_X(7)(sp)
        // t2 = scause - 3, zero for a breakpoint (EXC_BREAKPOINT, riscv.h;
        // privileged spec table 4.2), kept to the dispatch below: the slot
        // check falls through with t2 untouched, and the frame's stores
        // leave it alone.
        csrr t2, scause
        addi t2, t2, -3
        bnez t2, 1f
        KT_KPROBE_SLOT_RETURN tp, slot_returned  // tp: this hart's index (cpuid)
1:
        sd x1,  KREGS_X(1)(sp)
        sd x3,  KREGS_X(3)(sp)
        sd x4,  KREGS_X(4)(sp)
        sd x8,  KREGS_X(8)(sp)
        sd x9,  KREGS_X(9)(sp)
        sd x10, KREGS_X(10)(sp)
        sd x11, KREGS_X(11)(sp)
        sd x12, KREGS_X(12)(sp)
        sd x13, KREGS_X(13)(sp)
        sd x14, KREGS_X(14)(sp)
        sd x15, KREGS_X(15)(sp)
        sd x16, KREGS_X(16)(sp)
        sd x17, KREGS_X(17)(sp)
        sd x18, KREGS_X(18)(sp)
        sd x19, KREGS_X(19)(sp)
        sd x20, KREGS_X(20)(sp)
        sd x21, KREGS_X(21)(sp)
        sd x22, KREGS_X(22)(sp)
        sd x23, KREGS_X(23)(sp)
        sd x24, KREGS_X(24)(sp)
        sd x25, KREGS_X(25)(sp)
        sd x26, KREGS_X(26)(sp)
        sd x27, KREGS_X(27)(sp)
        sd x28, KREGS_X(28)(sp)
        sd x29, KREGS_X(29)(sp)
        sd x30, KREGS_X(30)(sp)
        sd x31, KREGS_X(31)(sp)
        addi t0, sp, KREGS_FRAME
        sd t0, KREGS_X(2)(sp)  // the interrupted sp
        csrr t0, sepc
        sd t0, KREGS_PC(sp)

        // A breakpoint goes straight to ktrace's kprobe handler (issue 21:
        // kerneltrap's checks and dispatch at -O0 cost ~35 instructions a
        // probe hit).  kt_kprobe_on_break(regs, &sstatus) may change the
        // saved status (a kernel slot runs with interrupts off, see
        // ktrace/src/kprobe.c); it is written back before sret.  A break
        // that is not a probe's (0) goes the usual way, to kerneltrap.
        bnez t2, 2f             // not a breakpoint (t2 from the entry)
        csrr t0, sstatus
        sd t0, KREGS_SIZE(sp)   // the frame's sstatus slot, after struct kregs (kregs.h)
        mv a0, sp
        addi a1, sp, KREGS_SIZE
        call kt_kprobe_on_break
        ld t0, KREGS_SIZE(sp)
        beqz a0, 2f
        csrw sstatus, t0
        j 3f
2:
        mv a0, sp
        call kerneltrap
3:
        ld t0, KREGS_PC(sp)
        csrw sepc, t0
        ld x1,  KREGS_X(1)(sp)
        ld x3,  KREGS_X(3)(sp)
        // not tp (x4): we may have moved to another hart in the handler
        ld x5,  KREGS_X(5)(sp)
        ld x6,  KREGS_X(6)(sp)
        ld x7,  KREGS_X(7)(sp)
        ld x8,  KREGS_X(8)(sp)
        ld x9,  KREGS_X(9)(sp)
        ld x10, KREGS_X(10)(sp)
        ld x11, KREGS_X(11)(sp)
        ld x12, KREGS_X(12)(sp)
        ld x13, KREGS_X(13)(sp)
        ld x14, KREGS_X(14)(sp)
        ld x15, KREGS_X(15)(sp)
        ld x16, KREGS_X(16)(sp)
        ld x17, KREGS_X(17)(sp)
        ld x18, KREGS_X(18)(sp)
        ld x19, KREGS_X(19)(sp)
        ld x20, KREGS_X(20)(sp)
        ld x21, KREGS_X(21)(sp)
        ld x22, KREGS_X(22)(sp)
        ld x23, KREGS_X(23)(sp)
        ld x24, KREGS_X(24)(sp)
        ld x25, KREGS_X(25)(sp)
        ld x26, KREGS_X(26)(sp)
        ld x27, KREGS_X(27)(sp)
        ld x28, KREGS_X(28)(sp)
        ld x29, KREGS_X(29)(sp)
        ld x30, KREGS_X(30)(sp)
        ld x31, KREGS_X(31)(sp)
        // sp last, from the frame: a simulated probed instruction may have
        // changed it (addi sp, sp, -N at a function's entry, issue 21)
        ld x2,  KREGS_X(2)(sp)
        sret

        // A slot's break, done by KT_KPROBE_SLOT_RETURN: only t0-t2 changed.
slot_returned:
        ld x5,  KREGS_X(5)(sp)
        ld x6,  KREGS_X(6)(sp)
        ld x7,  KREGS_X(7)(sp)
        addi sp, sp, KREGS_FRAME
        sret
