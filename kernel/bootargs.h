/* The boot command line (QEMU -append, from /chosen/bootargs). */
#ifndef KERNEL_BOOTARGS_H
#define KERNEL_BOOTARGS_H

#include "types.h"

/* Is the word "key" or "key=..." on the command line?  If value is not 0,
 * the text after '=' (up to the next space) is copied there. */
bool bootarg_get(const char *cmdline, const char *key, char *value, size_t size);

/* The words of the command line whose key is not in known (a 0-ended
 * list), each printed with what is known: a typo (ran=hello) must not boot
 * silently into something else.  Returns how many there were. */
int bootargs_report_unknown(const char *cmdline, const char *const *known);

#endif
