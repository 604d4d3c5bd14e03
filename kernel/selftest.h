/* In-kernel self-tests, run at boot when the command line has "ktest". */
#ifndef KERNEL_SELFTEST_H
#define KERNEL_SELFTEST_H

/* Prints one line per check and a closing "ktest: N passed, N failed". */
void kernel_selftest(void);

#include "types.h"
/* kprobe_selftest.c, run by kernel_selftest with its check(). */
void kprobe_selftest(void (*check)(bool ok, const char *what));

#endif
