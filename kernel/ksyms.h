/*
 * Kernel function starts, for probes: an address the host asks to probe
 * must be decoded from the start of its function to be known as an
 * instruction boundary.  The table is generated from the linked kernel
 * (kernel.mk links twice: the second link adds the table, which lives in
 * .rodata and so moves no code).
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include "types.h"

/* Start of the kernel function containing addr, or 0 if addr is not in a
 * known function. */
uint64_t ksym_func_start(uint64_t addr);
/* Address of the kernel function called name, or 0. */
uint64_t ksym_lookup(const char *name);

#endif
