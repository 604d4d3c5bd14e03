/* Mutual exclusion between harts and against interrupt handlers on the same
 * hart: acquiring a spinlock turns interrupts off on this hart until the last
 * lock it holds is released (push_off/pop_off nest, as in xv6). */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include "types.h"
#include "cpu.h"
#include "printf.h"

struct spinlock {
    uint32_t locked;
    const char *name;
    struct cpu *owner;
};

void spin_init(struct spinlock *lk, const char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
bool try_acquire(struct spinlock *lk);

/* holding, push_off and pop_off are inlined even in the -O0 build: a probe
 * hit takes the probe table's lock and the eBPF runtime's, four pairs of
 * calls of ~40 instructions each, mostly call frames and spills. */

/* Does this hart hold lk?  (Interrupts off, or the answer may be stale.) */
RISCV_INLINE bool holding(struct spinlock *lk)
{
    return lk->locked && lk->owner == mycpu();
}

/* Interrupts off on this hart until the matching pop_off(); they nest, and
 * the outermost pop_off() restores what the first push_off() found. */
RISCV_INLINE void push_off(void)
{
    int old = intr_save(); /* read and clear SIE in one csrrc */
    struct cpu *c = mycpu();
    if (c->noff == 0)
        c->intena = old;
    c->noff++;
}

RISCV_INLINE void pop_off(void)
{
    struct cpu *c = mycpu();
    if (intr_get())
        panic("pop_off: interrupts on");
    if (c->noff < 1)
        panic("pop_off: not pushed");
    c->noff--;
    if (c->noff == 0 && c->intena)
        intr_on();
}

#endif
