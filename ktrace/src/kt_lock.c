/* ktrace's spinlock (kt_lock.h). */
#include "kt_lock.h"
#include "kt_print.h"
#include "ktrace_os.h"

void kt_lock_init(struct kt_lock *lk, const char *name)
{
    lk->locked = 0;
    lk->owner = -1;
    lk->irq_saved = 0;
    lk->name = name;
}

bool kt_lock_held(const struct kt_lock *lk)
{
    return __atomic_load_n(&lk->locked, __ATOMIC_RELAXED) &&
           __atomic_load_n(&lk->owner, __ATOMIC_RELAXED) == (int)kt_os_hart();
}

void kt_lock_acquire(struct kt_lock *lk)
{
    uint64_t saved = kt_os_irq_save();
    if (kt_lock_held(lk))
        kt_panic("kt_lock_acquire: %s already held", lk->name);
    while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
        ;
    __atomic_store_n(&lk->owner, (int)kt_os_hart(), __ATOMIC_RELAXED);
    lk->irq_saved = saved;
}

void kt_lock_release(struct kt_lock *lk)
{
    if (!kt_lock_held(lk))
        kt_panic("kt_lock_release: %s not held", lk->name);
    uint64_t saved = lk->irq_saved;
    __atomic_store_n(&lk->owner, -1, __ATOMIC_RELAXED);
    __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
    kt_os_irq_restore(saved);
}

bool kt_lock_try_acquire(struct kt_lock *lk)
{
    uint64_t saved = kt_os_irq_save();
    if (kt_lock_held(lk) || __atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0) {
        kt_os_irq_restore(saved);
        return false;
    }
    __atomic_store_n(&lk->owner, (int)kt_os_hart(), __ATOMIC_RELAXED);
    lk->irq_saved = saved;
    return true;
}
