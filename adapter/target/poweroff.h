/*
 * The end of a recorded run (issue 20, docs/time-travel.md "The end of the
 * run").  QEMU's virt machine ends the moment the OS powers off (its test
 * device exits QEMU, -no-shutdown or not), so a recorded or replayed run
 * would end without a last stop: a kernel panic that powers off could not
 * be gone back from.  In those sessions the adapter breaks on the
 * profile's "powerOff" functions and shows the stop; continuing from it
 * lets the OS power off.
 */
#ifndef ADAPTER_TARGET_POWEROFF_H
#define ADAPTER_TARGET_POWEROFF_H

#include <stdbool.h>

/* In a recorded or replayed session, once the OS's symbols are known: a
 * breakpoint on each power-off function (not tried again if one fails). */
void poweroff_arm(void);
/* If GDB breakpoint bkptno is one of them, its function's name; else 0. */
const char *poweroff_hit(int bkptno);
/* A new GDB (restart, or a live recording moved to its replay). */
void poweroff_reset(void);

#endif
