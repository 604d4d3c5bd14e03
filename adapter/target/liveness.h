/*
 * Which programs have a process (liveness.c), from the profile's exec,
 * exit and fork hooks, and the arming of user breakpoints that follows.
 */
#ifndef ADAPTER_TARGET_LIVENESS_H
#define ADAPTER_TARGET_LIVENESS_H

#include <stdbool.h>

/* Insert the hooks once there are user breakpoints, and arm in GDB the
 * user breakpoints whose program may run (a breakpoints_on_change
 * observer; also after configurationDone). */
void hooks_update(void);
/* A stop at GDB breakpoint bkptno: true if it was a hook's (handled; the
 * caller resumes the OS). */
bool hooks_handle_stop(int bkptno);
/* Internal stops so far (osdbg/stats). */
long hooks_stop_count(void);
/* A new machine (restart): no hooks, nothing live. */
void hooks_reset(void);

bool program_live(const char *program);
void live_set(int pid, const char *program);
void live_clear(void);

#endif
