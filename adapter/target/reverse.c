/*
 * stepBack and reverseContinue (reverse.h): each a scan of the recording
 * up to this point and a goto to what it found (timetravel.h says why not
 * QEMU's own reverse steps), the stop then reported as a forward one is.
 */
#include "target/reverse.h"
#include "dap/dap.h"
#include "target/breakpoints.h"
#include "target/state.h"
#include "target/stop.h"
#include "target/timetravel.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static uint64_t origin;   /* the count the request started from */
static struct tt_mark to; /* where it goes */

static void arrived(void)
{
    stop_report(to.reason, 0, to.hit_id);
}

static void go(const struct tt_mark *m)
{
    char err[256];
    to = *m;
    if (tt_goto(to.icount, arrived, err, sizeof err) < 0) {
        dap_output("stderr", "osdbg: going back: %s\n", err);
        stop_report("pause", err, 0);
    }
}

/* stepBack by line: the scan found the last line start of this frame, or
 * none (at the function's first instruction): then its call, one
 * instruction back. */
static void line_found(const struct tt_mark *last)
{
    struct tt_mark m = {.icount = origin - 1, .reason = "step"};
    go(last ? last : &m);
}

int reverse_step(bool instruction, char *err, size_t errlen)
{
    if (!tt_icount(&origin, err, errlen))
        return -1;
    if (origin == 0) {
        snprintf(err, errlen, "this is the start of the recording: there is nothing before it");
        return -1;
    }
    if (instruction) {
        struct tt_mark m = {.icount = origin - 1, .reason = "step"};
        go(&m);
        return 0;
    }
    if (tt_arm_line_scan(err, errlen) < 0)
        return -1;
    return tt_scan(TT_SCAN_LINES, origin, 0, line_found, err, errlen);
}

static void breakpoint_found(const struct tt_mark *last)
{
    if (last) {
        go(last);
        return;
    }
    char err[256];
    if (tt_goto_start(err, sizeof err) < 0) {
        stop_report("pause", err, 0);
        return;
    }
    dap_output("console", "osdbg: no breakpoint was hit before this point: at the start of the "
                          "recording\n");
    stop_report("entry", "the start of the recording", 0);
}

int reverse_continue(char *err, size_t errlen)
{
    if (!tt_icount(&origin, err, errlen))
        return -1;
    if (origin == 0) {
        snprintf(err, errlen, "this is the start of the recording: there is nothing before it");
        return -1;
    }
    /* At the start, the data breakpoints afresh (breakpoints.h says why). */
    return tt_scan(TT_SCAN_BREAKPOINTS, origin, breakpoints_rearm_watches, breakpoint_found, err,
                   errlen);
}

static void (*then_fn)(void);

static void arrived_then(void)
{
    stop_settle(); /* the process and its symbols, as at any stop */
    then_fn();
}

int reverse_goto(unsigned long long n, void (*then)(void), char *err, size_t errlen)
{
    memset(&to, 0, sizeof to);
    to.icount = n;
    snprintf(to.reason, sizeof to.reason, "pause");
    then_fn = then;
    return tt_goto(n, then ? arrived_then : arrived, err, errlen);
}
