# Trap entry while the kernel runs (stvec in the kernel).  Saves a
# KernelTrapFrame (kernel.rs) on the current kernel stack: pc (sepc) and
# x1..x31 in Linux riscv's pt_regs order (the probe engine's struct
# rvprobe_regs, probes/include/rvprobe.h), then sstatus; calls
# trap_from_kernel(&mut frame); restores everything from the frame, so
# that the handler may change pc, any register (sp too: it is loaded last)
# and sstatus, and returns with sret (RISC-V privileged spec 4.1, 3.3.2).
# The kernel never enables interrupts (sstatus.SIE stays 0): only
# exceptions arrive here, and ebreak is the one that returns.
#
# The handler runs on a stack of its own (kernel_trap_stack, one hart):
# a kprobe may sit in the deepest call of a system call, where a process's
# two-page kernel stack has little left, and a hit (ktrace, its port and
# the eBPF program, Rust code at opt-level 0) needs a few KiB.  Only the
# frame goes on the interrupted stack.  A trap while already on the trap
# stack (a fault inside the handler, on its way to a panic) stays on it.
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
    mv s1, sp                   # the frame (s1 is saved in it)
    la t0, kernel_trap_stack_lower_bound
    la t1, kernel_trap_stack_top
    bltu sp, t0, 1f
    bltu sp, t1, 2f             # already on the trap stack
1:  mv sp, t1
2:  call trap_from_kernel
    mv sp, s1
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

    .section .bss.kernel_trap_stack
    .align 4
    .globl kernel_trap_stack_lower_bound
kernel_trap_stack_lower_bound:
    .space 4096 * 4
    .globl kernel_trap_stack_top
kernel_trap_stack_top:
