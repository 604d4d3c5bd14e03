/* Per-hart state and the current process: used inside the trap and probe
 * paths, so kept apart from proc.c and out of reach of probes (kernel.ld). */
#include "cpu.h"
#include "proc.h"
#include "riscv.h"
#include "spinlock.h"

struct cpu cpus[NCPU];

int cpuid(void)
{
    return (int)r_tp();
}

struct cpu *mycpu(void)
{
    return &cpus[cpuid()];
}

struct proc *myproc(void)
{
    push_off();
    struct proc *p = mycpu()->proc;
    pop_off();
    return p;
}
