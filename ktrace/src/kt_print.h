/* ktrace's console output: printf-style formatting (common/format.c) into a
 * line buffer, written with the OS's kt_os_print. */
#ifndef KTRACE_KT_PRINT_H
#define KTRACE_KT_PRINT_H

/* Formats into a buffer of KT_PRINT_MAX bytes (longer output is cut) and
 * writes it in one kt_os_print, so lines of different harts do not mix. */
#define KT_PRINT_MAX 256

void kt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A broken invariant inside ktrace: formatted, then kt_os_panic. */
void kt_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
