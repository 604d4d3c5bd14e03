/*
 * Run control: resuming the OS, stopping it for a moment to talk to GDB
 * (with_target_stopped), and the observers of a resume.  Which stops the
 * user sees is decided above, by the stop policy (stop.c), which registers
 * itself here: run control never names it.
 */
#ifndef ADAPTER_TARGET_RUNCTL_H
#define ADAPTER_TARGET_RUNCTL_H

#include "gdb/mi_parse.h"
#include <stdbool.h>
#include <stddef.h>

/* Resume the target with -exec-continue (or a step command). */
int target_resume(const char *mi_command, char *err, size_t errlen);
/* Whether a continue from a breakpoint steps over it with interrupts
 * masked (on, the default; off while recording or replaying). */
void target_set_masked_steps(bool on);
/* Call fn each time the OS runs again after a stop: the modules above run
 * control (eBPF logpoints set while it was stopped) register here, so that
 * run control never names them.  At most 8 observers. */
void target_on_resume(void (*fn)(void));
/* Run fn while the target is stopped (interrupting and resuming if it
 * runs).  Returns fn's result, or -1 if the OS could not be stopped
 * (target_stop_error says why).  fn may be 0. */
int with_target_stopped(int (*fn)(void *), void *arg);
const char *target_stop_error(void);

/* The stop handler (the stop policy): called with every stop run control
 * meets itself: a stop while stepping over a breakpoint, and the stop of
 * its own interrupt (ours: true; nobody asked for it unless it is a real
 * stop that raced with the interrupt). */
void target_set_stop_handler(void (*fn)(struct mi_record *rec, bool ours));
/* What the stop policy learnt at a stop: the OS is on an armed
 * breakpoint's instruction (a resume must step over it first), in
 * privilege priv. */
void target_stopped_at(bool on_breakpoint, int priv);
/* GDB says the target runs (*running): true if nobody here resumed it
 * (a "continue" typed in GDB's console), so the client must be told. */
bool target_running_unexpectedly(void);

/* A GDB breakpoint the adapter deleted: a hit of it still on its way is
 * resumed silently, never shown. */
void target_note_deleted_breakpoint(int number);
bool target_breakpoint_was_deleted(int number);

#endif
