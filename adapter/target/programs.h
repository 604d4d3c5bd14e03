/*
 * The user programs of the OS: found in the profile's user directory, their
 * debug information (opened once, cached), which of them have been seen
 * running, and which one's symbols GDB has loaded.
 */
#ifndef ADAPTER_TARGET_PROGRAMS_H
#define ADAPTER_TARGET_PROGRAMS_H

#include "dwarf/debuginfo.h"
#include <stdbool.h>

/* Debug info of a user program (cached), or 0. */
struct debuginfo *user_debuginfo(const char *program);
/* Every user program the profile knows (names), count returned. */
int user_programs(const char ***names);
bool program_seen(const char *program);
/* Remember that program runs (and tell the client of the new module).
 * True the first time: the caller lets the breakpoints of that program
 * become verified (breakpoints_on_program_seen). */
bool mark_program_seen(const char *program);
/* Load the symbols of the program running now (user stop), drop others. */
void aspace_sync_symbols(void);
/* A new machine (restart): nothing seen, no symbols loaded. */
void programs_reset(void);

#endif
