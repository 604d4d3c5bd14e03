#include "spinlock.h"
#include "cpu.h"
#include "printf.h"
#include "riscv.h"

void spin_init(struct spinlock *lk, const char *name)
{
    lk->locked = 0;
    lk->name = name;
    lk->owner = 0;
}

void acquire(struct spinlock *lk)
{
    push_off();
    if (holding(lk))
        panic("acquire: %s already held", lk->name);
    while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
        ;
    lk->owner = mycpu();
}

void release(struct spinlock *lk)
{
    if (!holding(lk))
        panic("release: %s not held", lk->name);
    lk->owner = 0;
    __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
    pop_off();
}

bool holding(struct spinlock *lk)
{
    return lk->locked && lk->owner == mycpu();
}

void push_off(void)
{
    int old = intr_save(); /* read and clear SIE in one csrrc */
    struct cpu *c = mycpu();
    if (c->noff == 0)
        c->intena = old;
    c->noff++;
}

void pop_off(void)
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
