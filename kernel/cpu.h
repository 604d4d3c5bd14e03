/* Per-hart state.  tp holds the hart id in the kernel (entry.S sets it at
 * boot, the trampoline restores it from the trap frame on every trap). */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include "types.h"
#include "param.h"
#include "riscv.h"

/* Callee-saved registers for kernel context switches (swtch.S). */
struct context {
    uint64_t ra, sp;
    uint64_t s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
};

struct cpu {
    int hartid;
    struct proc *proc;      /* process running on this hart, or 0 */
    struct context context; /* the scheduler loop's registers */
    int noff;               /* depth of push_off() nesting */
    int intena;             /* were interrupts on before the first push_off? */
    uint64_t ticks;         /* timer interrupts taken on this hart */
};

extern struct cpu cpus[NCPU];
/* The hart OpenSBI started the kernel on (main.c); it keeps the clock. */
extern int boot_hartid;

/* This hart's id and state.  Inlined even in the -O0 build: every lock,
 * push_off() and myproc() asks, dozens of times per trap. */
RISCV_INLINE int cpuid(void)
{
    return (int)r_tp();
}

RISCV_INLINE struct cpu *mycpu(void)
{
    return &cpus[r_tp()];
}

#endif
