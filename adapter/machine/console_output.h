/*
 * The OS console's bytes as DAP output events (console_output.c), a line
 * at a time, so that a logpoint's line never lands inside one of the OS's.
 */
#ifndef ADAPTER_MACHINE_CONSOLE_OUTPUT_H
#define ADAPTER_MACHINE_CONSOLE_OUTPUT_H

#include <stddef.h>

/* Bytes the OS wrote: to the terminal if one is attached (or on its way),
 * else to the Debug Console (QEMU's console handler). */
void console_from_os(const char *text, size_t len);
/* Bytes for the Debug Console. */
void console_to_output(const char *text, size_t len);
/* The machine is gone: its last, unfinished line now. */
void console_line_end(void);

#endif
