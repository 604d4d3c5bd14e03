/* cli.c - the command-line conventions of cli.h. */
#include "cmd/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

int cli_help(const char *usage)
{
    fputs(usage, stdout);
    return 0;
}

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "osdbg%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fputs(usage, stderr);
    return CLI_EXIT_USAGE;
}
