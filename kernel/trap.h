/* Traps: system calls, exceptions and interrupts from user and kernel mode. */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H

#include "types.h"
#include "kregs.h"

void trap_init_hart(void);
void usertrap(void);
NORETURN void usertrapret(void);
void kerneltrap(struct kregs *regs);
const char *trap_cause_name(uint64_t scause);

#endif
