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

/* acquire, unless another hart holds lk: then false at once (interrupts as
 * they were).  For work that whoever holds the lock will do anyway. */
bool try_acquire(struct spinlock *lk)
{
    push_off();
    if (holding(lk) || __atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0) {
        pop_off();
        return false;
    }
    lk->owner = mycpu();
    return true;
}
