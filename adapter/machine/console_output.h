/*
 * The OS console's bytes as DAP output events (console_output.c), a line
 * at a time, so that a logpoint's line never lands inside one of the OS's.
 */
#ifndef ADAPTER_MACHINE_CONSOLE_OUTPUT_H
#define ADAPTER_MACHINE_CONSOLE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes the OS wrote: to the terminal if one is attached (or on its way),
 * else to the Debug Console (QEMU's console handler). */
void console_from_os(const char *text, size_t len);
/* Bytes for the Debug Console. */
void console_to_output(const char *text, size_t len);
/* The machine is gone: its last, unfinished line now. */
void console_line_end(void);
/* Time travel: the OS's output from now on is a replay from the start of
 * a recording: kept (keep) to become the console's content at
 * console_rewind_end(), or dropped. */
void console_rewind_begin(bool keep);
void console_rewind_end(void);

#endif
