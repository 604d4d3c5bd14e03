# Trap entry while the kernel runs (stvec in the kernel).  Saves a
# KernelTrapFrame (kernel.rs) on the current kernel stack: pc (sepc) and
# x1..x31 in Linux riscv's pt_regs order (the probe engine's struct
# rvprobe_regs, probes/include/rvprobe.h), then sstatus; calls
# trap_from_kernel(&mut frame); restores everything from the frame, so
# that the handler may change pc, any register (sp too: it is loaded last)
# and sstatus, and returns with sret (RISC-V privileged spec 4.1, 3.3.2).
# The kernel never enables interrupts (sstatus.SIE stays 0): only
# exceptions arrive here, and ebreak is the one that returns.
.altmacro
.macro KSAVE n
    sd x\n, \n*8(sp)
.endm
.macro KLOAD n
    ld x\n, \n*8(sp)
.endm
    .equ KFRAME_SIZE, 34*8      # pc, x1..x31, sstatus, and 16-byte alignment
    .equ KFRAME_SSTATUS, 32*8
    .section .text.noprobe.kernel_vec, "ax"
    .globl __trap_from_kernel
    .align 2
__trap_from_kernel:
    addi sp, sp, -KFRAME_SIZE
    sd x1, 1*8(sp)
    .set n, 3
    .rept 29
        KSAVE %n
        .set n, n+1
    .endr
    addi t0, sp, KFRAME_SIZE
    sd t0, 2*8(sp)              # the interrupted sp
    csrr t0, sepc
    sd t0, 0(sp)                # pc
    csrr t0, sstatus
    sd t0, KFRAME_SSTATUS(sp)
    mv a0, sp
    call trap_from_kernel
    ld t0, 0(sp)
    csrw sepc, t0
    ld t0, KFRAME_SSTATUS(sp)
    csrw sstatus, t0
    ld x1, 1*8(sp)
    .set n, 3
    .rept 29
        KLOAD %n
        .set n, n+1
    .endr
    ld sp, 2*8(sp)
    sret
