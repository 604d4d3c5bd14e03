/*
 * Does the profile fit the kernel it names (profile_kernel.c)?
 */
#ifndef ADAPTER_TARGET_PROFILE_KERNEL_H
#define ADAPTER_TARGET_PROFILE_KERNEL_H

/* The session's profile against its kernel (hook symbols, expressions):
 * problems, and the load's warnings, go to the Debug Console.  Call once
 * GDB has the kernel's symbols. */
void profile_check_kernel(void);

#endif
