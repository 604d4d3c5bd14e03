/* System call dispatch (numbers in include/osdbg/syscall_nr.h). */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include "types.h"

void syscall(void);
/* The n-th argument register (a0..a5) of the current system call. */
uint64_t argraw(int n);
/* Copy a path argument into buf (MAXPATH bytes).  0 or -errno. */
long argpath(int n, char *buf);

#endif
