/*
 * Register names as users type them: pc, then x1..x31 by ABI name (the
 * order of struct pt_regs, include/osdbg/gpr.h), also fp and x1..x31.
 */
#ifndef ADAPTER_RVREGS_H
#define ADAPTER_RVREGS_H

#include <stddef.h>

/* "pc", "ra", ... "t6": slot N of a pt_regs frame; slot N >= 1 is xN. */
extern const char *const rv_reg_names[32];
/* The pt_regs slot of the name in name[0..n) (pc 0, ra 1, fp 8, x5 5...),
 * or -1 (x0/zero is no slot: it reads 0). */
int rv_reg_index(const char *name, size_t n);

#endif
