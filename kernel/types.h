/* Basic types for the freestanding kernel. */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NOINLINE __attribute__((noinline))
#define NORETURN __attribute__((noreturn))

#endif
