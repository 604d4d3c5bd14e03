/* Kernel console output.  Formats: %d %i %u %x %p %s %c %%, with l/ll/z size
 * modifiers and an optional 0-padded width (%08lx). */
#ifndef KERNEL_PRINTF_H
#define KERNEL_PRINTF_H

#include <stdarg.h>
#include "types.h"
#include "format.h"

void printf_init(void);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

extern volatile int panicked;

#endif
