/* printf-style formatting through a per-character callback (format.c). */
#ifndef COMMON_FORMAT_H
#define COMMON_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

int vformat(void (*put)(void *arg, char c), void *arg, const char *fmt, va_list ap);
/* Format into buf (always NUL-terminated when size > 0); returns the length
 * the whole output would have. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
