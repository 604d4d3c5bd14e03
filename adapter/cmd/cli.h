/*
 * cli.h - the command-line conventions every osdbg subcommand keeps (and
 * ebpf-run, which has its own copy being a separate tool):
 *   --help or -h   the usage on stdout, exit status 0;
 *   a usage error  what is wrong and the usage on stderr, exit status 2;
 *   other failures a message on stderr, exit status 1.
 */
#ifndef OSDBG_CLI_H
#define OSDBG_CLI_H

#include <stdbool.h>

#define CLI_EXIT_USAGE 2

/* True if any of argv[0..argc) asks for help. */
bool cli_wants_help(int argc, char **argv);
/* Prints usage on stdout; returns 0 (the exit status). */
int cli_help(const char *usage);
/* Prints "osdbg <cmd>: <message>" and usage on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
