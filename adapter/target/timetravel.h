/*
 * Time travel (issue 20): a session that records the OS, or replays a
 * recording (machine/recording.h), and moves backwards in it.
 *
 * How backwards works.  QEMU 7.2 has reverse execution of its own (the
 * RSP packets bs and bc, GDB's reverse-stepi and reverse-continue), but
 * on this machine the first forward step or continue after one of them
 * never ends (the VM runs, its instruction count does not move: measured
 * with QEMU 7.2 and gdb-multiarch 13.1, also with fixed -icount shifts).
 * What does work is QEMU's monitor command replay_seek N (load the
 * snapshot before N, stop when the count reaches N) followed by an
 * ordinary continue, and forward execution after it.  So the adapter goes
 * backwards by going forwards:
 *  - to instruction count N: seek N, continue, the stop comes at N (a goto);
 *  - to the last stop before N (reverseContinue, stepBack by line): seek
 *    N with the breakpoints armed and continue through every stop on the
 *    way, noting the stops the user would have seen (a scan); then a goto
 *    to the last one.
 * Every stop of a scan goes through the stop policy (stop.c), so a scan
 * filters hits by process and program exactly as a live session does.
 *
 * The instruction count is QEMU's icount ("info replay"): the
 * instructions the machine has executed.  A breakpoint's stop at count N
 * is before its instruction, and a goto to N stops there again.  A write
 * watchpoint stops after the store (count W, pc past it): the store is at
 * W - 1.
 */
#ifndef ADAPTER_TARGET_TIMETRAVEL_H
#define ADAPTER_TARGET_TIMETRAVEL_H

#include "gdb/mi_parse.h"

#include <stdbool.h>
#include <stdint.h>

enum tt_mode {
    TT_LIVE,      /* an ordinary session */
    TT_RECORDING, /* launch "record": true, the OS runs forwards and is recorded */
    TT_REPLAY,    /* launch "replay": a recording replayed, backwards too */
};

void tt_set_mode(enum tt_mode mode);
enum tt_mode tt_mode(void);
/* Recording or replaying: nothing may write the machine's registers or
 * memory (a write is not in the log, and the replay would part from the
 * recording). */
bool tt_deterministic(void);

/* QEMU's instruction count now (monitor "info replay"), the target
 * stopped.  false with err if it cannot be read. */
bool tt_icount(uint64_t *n, char *err, size_t errlen);

/* What a scan looks for. */
enum tt_scan_kind {
    TT_SCAN_BREAKPOINTS, /* the user's breakpoints and data breakpoints (reverseContinue) */
    TT_SCAN_LINES,       /* the line starts of one function's frame (stepBack by line) */
};

/* A stop a scan noted: where a goto would bring the user. */
struct tt_mark {
    uint64_t icount;    /* the count to go to */
    char reason[32];    /* the stopped event's reason there */
    int hit_id;         /* the DAP breakpoint id hit, 0 none */
};

/* Is a scan or a goto under way?  Its stops are the time travel's. */
bool tt_busy(void);
bool tt_scanning(void);
enum tt_scan_kind tt_scan_kind(void);

/* Start a scan from the recording's start up to count `until` (the
 * current one): the console's replayed output is discarded.  at_start (or
 * 0) runs at the start, before the target continues; done is called at
 * the end with the last mark before until (or 0 if none). */
int tt_scan(enum tt_scan_kind kind, uint64_t until, void (*at_start)(void),
            void (*done)(const struct tt_mark *last), char *err, size_t errlen);
/* Note the stop the scan is at as a mark (its target count: this stop's,
 * less back for a write that has already happened). */
void tt_scan_note(const char *reason, int hit_id, uint64_t back);
/* The scan's temporary line breakpoints (TT_SCAN_LINES): is GDB breakpoint
 * number n one, and does its hit count (same process, same frame)? */
bool tt_scan_owns_breakpoint(int n);
void tt_scan_note_line_hit(void);
/* Let a scan go on after a stop (the target continues). */
void tt_scan_continue(void);

/* Go to count n: the console shows what the OS had written by then.
 * arrived is called at the stop there. */
int tt_goto(uint64_t n, void (*arrived)(void), char *err, size_t errlen);

/* Go to the recording's start (count 0), where nothing has run: the
 * target stays stopped there (no stop comes from GDB). */
int tt_goto_start(char *err, size_t errlen);

/* At a stop while tt_busy(): true if it was the end of a scan or the
 * arrival of a goto (handled: the callbacks ran); false for a stop on the
 * way, which the stop policy then handles (and, scanning, notes). */
bool tt_on_stop(struct mi_record *rec);

/* stepBack by line: the function around pc and the frame's sp now, for
 * the scan's line breakpoints. */
int tt_arm_line_scan(char *err, size_t errlen);

/* How the replay goes back to its start: QEMU started again and GDB
 * connected again (session.c).  0, or -1 with err. */
void tt_set_restart(int (*restart)(char *err, size_t errlen));

/* The session ends or restarts: no scan or goto is left. */
void tt_reset(void);

#endif
