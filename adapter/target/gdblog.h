/*
 * GDB logpoints and breakpoint conditions, evaluated by GDB at a stop
 * (gdblog.c).  Names mean what they mean in the eBPF logpoints: {pid},
 * {comm}, {time}, registers; text compares with $_streq.
 */
#ifndef ADAPTER_TARGET_GDBLOG_H
#define ADAPTER_TARGET_GDBLOG_H

#include "target/breakpoints.h"
#include <stdbool.h>

/* Is the breakpoint's condition true here (true if it has none; a
 * condition GDB cannot evaluate stops, with a message)? */
bool gdblog_condition_true(const struct bp *b);
/* Does a hit-condition ("N", ">= N", "% N", "== N", "> N") allow a stop at
 * hit number `hits`? */
bool gdblog_hit_condition_met(const char *cond, int hits);
/* Print the logpoint's message, its values read now, as an output event
 * with its source line. */
void gdblog_print(const struct bp *b);

#endif
