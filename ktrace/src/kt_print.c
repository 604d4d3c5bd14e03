/* ktrace's printf: formatted by common/format.c, written by the OS. */
#include "kt_print.h"
#include "ktrace_os.h"
#include "format.h"
#include <stdarg.h>

/* Formats into line (KT_PRINT_MAX bytes) and returns the length kept. */
static size_t kt_format(char *line, const char *prefix, const char *fmt, va_list ap)
{
    int n = snprintf(line, KT_PRINT_MAX, "%s", prefix);
    int body = vsnprintf(line + n, KT_PRINT_MAX - (size_t)n, fmt, ap);
    size_t len = (size_t)n + (size_t)(body < 0 ? 0 : body);
    if (len > KT_PRINT_MAX - 1)
        len = KT_PRINT_MAX - 1;
    return len;
}

void kt_printf(const char *fmt, ...)
{
    char line[KT_PRINT_MAX];
    va_list ap;
    va_start(ap, fmt);
    size_t len = kt_format(line, "", fmt, ap);
    va_end(ap);
    kt_os_print(line, len);
}

void kt_panic(const char *fmt, ...)
{
    char line[KT_PRINT_MAX];
    va_list ap;
    va_start(ap, fmt);
    kt_format(line, "ktrace: ", fmt, ap);
    va_end(ap);
    kt_os_panic(line);
}
