/* Mutual exclusion between harts and against interrupt handlers on the same
 * hart: acquiring a spinlock turns interrupts off on this hart until the last
 * lock it holds is released (push_off/pop_off nest, as in xv6). */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include "types.h"

struct spinlock {
    uint32_t locked;
    const char *name;
    struct cpu *owner;
};

void spin_init(struct spinlock *lk, const char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
bool holding(struct spinlock *lk);
void push_off(void);
void pop_off(void);

#endif
