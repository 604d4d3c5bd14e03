# Trap entry and return, on the trampoline page: mapped at the same address
# (TRAMPOLINE) in the kernel's and in every process's address space, so the
# code goes on running while satp changes under it.
.altmacro
.macro SAVE_GP n
    sd x\n, \n*8(sp)
.endm
.macro LOAD_GP n
    ld x\n, \n*8(sp)
.endm
    .section .text.trampoline
    .globl __alltraps
    .globl __restore
    .align 2
__alltraps:
    # sscratch holds TRAP_CONTEXT (the process's trap context, a user VA)
    csrrw sp, sscratch, sp
    sd x1, 1*8(sp)
    sd x3, 3*8(sp)
    .set n, 5
    .rept 27
        SAVE_GP %n
        .set n, n+1
    .endr
    csrr t0, sstatus
    csrr t1, sepc
    sd t0, 32*8(sp)
    sd t1, 33*8(sp)
    csrr t2, sscratch       # the user sp
    sd t2, 2*8(sp)
    sd x4, 4*8(sp)
    ld t0, 34*8(sp)         # kernel_satp
    ld t1, 36*8(sp)         # trap_handler
    ld sp, 35*8(sp)         # kernel_sp
    csrw satp, t0
    sfence.vma
    jr t1

__restore:
    # a0: TRAP_CONTEXT, a1: the process's satp
    csrw satp, a1
    sfence.vma
    csrw sscratch, a0
    mv sp, a0
    ld t0, 32*8(sp)
    ld t1, 33*8(sp)
    csrw sstatus, t0
    csrw sepc, t1
    ld x1, 1*8(sp)
    ld x3, 3*8(sp)
    ld x4, 4*8(sp)
    .set n, 5
    .rept 27
        LOAD_GP %n
        .set n, n+1
    .endr
    ld sp, 2*8(sp)
    sret

# A trap while the kernel runs: kernel_vec.S.
