/* Per-hart state and the current process: used inside the trap and probe
 * paths, so kept apart from proc.c and out of reach of probes (kernel.ld). */
#include "cpu.h"
#include "proc.h"
#include "riscv.h"
#include "spinlock.h"

struct cpu cpus[NCPU];

/* With interrupts off, so that a tick cannot move this thread to another
 * hart between reading tp and reading that hart's proc.  intr_save() rather
 * than push_off(): nothing nests inside, and this runs several times on
 * every trap. */
struct proc *myproc(void)
{
    int on = intr_save();
    struct proc *p = mycpu()->proc;
    intr_restore(on);
    return p;
}
