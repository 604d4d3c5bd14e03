/* The build's outputs and the independent tools' output, for the DWARF
 * readers' unit tests (independent_tools.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "independent_tools.h"

#ifndef OSDBG_BUILD
#define OSDBG_BUILD "build"
#endif

const char *build_path(const char *rel)
{
    static char buf[4][4096];
    static int next;
    const char *b = getenv("OSDBG_BUILD");
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", b && *b ? b : OSDBG_BUILD, rel);
    return p;
}

char *run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = 0, cap = 1 << 16;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[len] = 0;
    pclose(p);
    return out;
}
