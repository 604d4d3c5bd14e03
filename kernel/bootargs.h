/* The boot command line (QEMU -append, from /chosen/bootargs). */
#ifndef KERNEL_BOOTARGS_H
#define KERNEL_BOOTARGS_H

#include "types.h"

/* Is the word "key" or "key=..." on the command line?  If value is not 0,
 * the text after '=' (up to the next space) is copied there. */
bool bootarg_get(const char *cmdline, const char *key, char *value, size_t size);

#endif
