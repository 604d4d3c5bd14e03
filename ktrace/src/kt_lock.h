/*
 * ktrace's own spinlock: an atomic flag, taken with interrupts off on this
 * hart (kt_os_irq_save) so that a probe hit on the same hart cannot spin on
 * a lock its interrupted code holds.  Locks nest: each keeps what its
 * kt_os_irq_save returned and gives it back when released, innermost first.
 */
#ifndef KTRACE_KT_LOCK_H
#define KTRACE_KT_LOCK_H

#include <stdbool.h>
#include <stdint.h>

struct kt_lock {
    uint32_t locked;
    int owner;          /* hart that holds it, -1 if none */
    uint64_t irq_saved; /* the holder's kt_os_irq_save() */
    const char *name;   /* for the messages of a broken invariant */
};

#define KT_LOCK_INIT(lock_name) {0, -1, 0, lock_name}

void kt_lock_init(struct kt_lock *lk, const char *name);
/* Spins until it holds lk.  Taking a lock this hart already holds is a
 * bug: said on the console, and the hart stops (it would deadlock). */
void kt_lock_acquire(struct kt_lock *lk);
void kt_lock_release(struct kt_lock *lk);
/* kt_lock_acquire, unless someone holds lk: then false at once. */
bool kt_lock_try_acquire(struct kt_lock *lk);
/* Does this hart hold lk?  (Meaningful with interrupts off.) */
bool kt_lock_held(const struct kt_lock *lk);

#endif
