/*
 * The stop policy (stop.c): every stop GDB reports comes here, and only
 * the stops the user asked for reach the client (a `stopped` event, after
 * an osdbg/addressSpace event with the stop's address space as fields).
 * Steps live here too, since only the stop policy knows when one ends.
 */
#ifndef ADAPTER_TARGET_STOP_H
#define ADAPTER_TARGET_STOP_H

#include "gdb/mi_parse.h"
#include <stdbool.h>
#include <stddef.h>

/* Counters reported by the osdbg/stats request. */
struct stop_counts {
    long filtered_hits; /* breakpoint hits in the wrong address space, resumed */
    long user_stops;    /* stops reported to the client */
};
const struct stop_counts *stop_counts(void);

/* Once at start: handle the stops run control meets (runctl.h). */
void stop_init(void);
/* Handle a *stopped record from GDB. */
void stop_handle(struct mi_record *rec);
/* Step with a GDB command (-exec-next, -exec-step-instruction...): it ends
 * in the process that is current now. */
int step_resume(const char *mi_command, char *err, size_t errlen);
/* Run until location (a GDB location) is reached by the process that is
 * current now, in privilege priv (-1: any); with needs_ecall, only when
 * that stop is a system call trap (scause 8); with then_user, go on from
 * there to the user pc the trap frame holds (stepOut of a system call).
 * Reported as a step. */
int step_until(const char *location, int priv, bool needs_ecall, bool then_user, char *err,
               size_t errlen);
/* A new machine (restart): no step in progress. */
void stop_reset(void);
/* Report a stop the adapter brought about itself (time travel: a goto's
 * arrival): the address space is identified and the stopped event sent,
 * with hit_id (0 none) as its hitBreakpointIds. */
void stop_report(const char *reason, const char *text, int hit_id);
/* The same without the event: the adapter goes on from this stop itself. */
void stop_settle(void);

#endif
