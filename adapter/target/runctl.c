/*
 * Run control (runctl.h): the state of the target as GDB reports it
 * (T.state), resuming it, and stopping it for a moment.
 */
#include "target/runctl.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "target/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void (*stop_handler)(struct mi_record *rec, bool ours);
static bool expect_running; /* we resumed it: *running needs no continued event */

void target_set_stop_handler(void (*fn)(struct mi_record *rec, bool ours))
{
    stop_handler = fn;
}

/* Stepping over a breakpoint in the kernel, interrupts masked.
 *
 * GDB steps RISC-V over a breakpoint in software (RSP trace: z0 P, Z0 at
 * the next instruction, vCont;c, then back).  An interrupt taken during
 * that step runs a handler that may reach the step's stopping address (in
 * our kernel myproc(), the callee of the probed line, called by the trap
 * path too): GDB takes the step as done, puts the breakpoint at P back,
 * and the handler returns to P, which has not run yet: a second hit for one
 * execution (a GDB logpoint printed twice, issue 12).  Our own interrupts
 * (with_target_stopped) make it likely, the timer makes it possible.  So
 * the adapter steps over a kernel breakpoint itself, with the S-level
 * interrupts masked (sie = 0: they stay pending and are taken right after),
 * before it lets GDB continue.  In user mode the timer's interrupt lets the
 * scheduler run another program over the same addresses (all are linked at
 * 0x10000), which GDB takes for the step's end the same way; so user
 * breakpoints are stepped over masked too, unless the instruction is an
 * ecall (a system call that sleeps would wait for a masked timer). */
static bool at_breakpoint; /* the target is stopped on a breakpoint's instruction */
static int stopped_priv = -1;
/* Off while QEMU records or replays (timetravel.h): masking writes sie, a
 * write the log does not have.  There the machine is deterministic, and
 * GDB's own step over the breakpoint is left to do. */
static bool masked_steps = true;

void target_set_masked_steps(bool on)
{
    masked_steps = on;
}

void target_stopped_at(bool on_breakpoint, int priv)
{
    at_breakpoint = on_breakpoint;
    stopped_priv = priv;
}

/* 0: stepped, go on; 1: the step stopped for something else, which has
 * been handled (do not continue); -1: could not step (continue anyway). */
static int step_over_masked(void)
{
    char err[256];
    uint64_t sie;
    at_breakpoint = false;
    if (!gdb_eval_u64(&sie, "$sie"))
        return -1;
    if (gdb_cmd(err, sizeof err, "-data-evaluate-expression \"$sie = 0\"") < 0)
        return -1;
    struct mi_record rec;
    bool started = gdb_cmd(err, sizeof err, "-exec-step-instruction") == 0;
    bool got = started && gdb_wait_stopped(&rec, 2000) == 0;
    if (started && !got) {
        /* The step did not end (a hart that waits for an interrupt, with
         * them masked, waits for ever).  Stop it, so that the target is
         * stopped when the caller goes on with GDB's own continue: sent
         * while the step still ran, that failed ("Cannot execute this
         * command while the selected thread is running") and left the
         * adapter taking a running OS for a stopped one. */
        if (gdb_cmd(err, sizeof err, "-exec-interrupt") == 0 && gdb_wait_stopped(&rec, 5000) == 0)
            mi_record_free(&rec);
    }
    gdb_cmd(err, sizeof err, "-data-evaluate-expression \"$sie = 0x%llx\"",
            (unsigned long long)sie);
    if (!got)
        return -1;
    const char *reason = mi_str(rec.results, "reason");
    if (reason && strcmp(reason, "end-stepping-range") == 0) {
        mi_record_free(&rec);
        return 0;
    }
    if (stop_handler)
        stop_handler(&rec, false); /* the next instruction's breakpoint, say */
    mi_record_free(&rec);
    return 1;
}

/* Is the instruction at pc an ecall (RISC-V unprivileged spec 2.8:
 * 0x00000073)?  Read live, in the current address space. */
static bool at_ecall(void)
{
    char err[256];
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-data-read-memory-bytes $pc 4") < 0)
        return true; /* unknown: do not mask */
    const char *hex = mi_str(json_array_get(json_object_get(rec.results, "memory"), 0), "contents");
    bool ecall = hex && !strcmp(hex, "73000000"); /* little-endian bytes */
    mi_record_free(&rec);
    return ecall;
}

static void (*resume_observers[8])(void);

void target_on_resume(void (*fn)(void))
{
    for (size_t i = 0; i < sizeof resume_observers / sizeof resume_observers[0]; i++) {
        if (!resume_observers[i] || resume_observers[i] == fn) {
            resume_observers[i] = fn;
            return;
        }
    }
    abort(); /* a ninth observer: raise the bound */
}

static void resumed(void)
{
    for (size_t i = 0; i < sizeof resume_observers / sizeof resume_observers[0]; i++)
        if (resume_observers[i])
            resume_observers[i]();
}

int target_resume(const char *mi_command, char *err, size_t errlen)
{
    /* The hart on the breakpoint is the one whose stop GDB reported; the
     * client may have looked at another since (GDB's selection follows):
     * stepping that one over, with its interrupts masked, would step an
     * idle hart's wfi forever. */
    if (at_breakpoint && strcmp(mi_command, "-exec-continue") == 0 && T.nharts > 1 &&
        T.stop_thread >= 1 && T.stop_thread != T.thread &&
        gdb_cmd(err, errlen, "-thread-select %d", T.stop_thread) < 0)
        at_breakpoint = false;
    if (at_breakpoint && masked_steps && strcmp(mi_command, "-exec-continue") == 0 &&
        (stopped_priv == 1 || (stopped_priv == 0 && !at_ecall()))) {
        T.state = TARGET_RUNNING;
        if (step_over_masked() == 1) {
            resumed();
            return 0;
        }
        T.state = TARGET_STOPPED;
    }
    at_breakpoint = false;
    if (gdb_cmd(err, errlen, "%s", mi_command) < 0)
        return -1;
    T.state = TARGET_RUNNING;
    T.has_run = true;
    expect_running = true;
    resumed();
    return 0;
}


bool target_running_unexpectedly(void)
{
    bool unexpected = !expect_running && T.state == TARGET_STOPPED;
    expect_running = false;
    T.state = TARGET_RUNNING;
    return unexpected;
}

/* Let the target run again after a stop the user does not see. */
static void resume_silently(void)
{
    char err[256];
    if (target_resume("-exec-continue", err, sizeof err) < 0)
        dap_output("stderr", "osdbg: cannot resume: %s\n", err);
}

/* GDB breakpoint numbers the adapter deleted (GDB never reuses one). */
static int deleted[256];
static unsigned ndeleted;

void target_note_deleted_breakpoint(int number)
{
    deleted[ndeleted++ % (sizeof deleted / sizeof deleted[0])] = number;
}

bool target_breakpoint_was_deleted(int number)
{
    unsigned n = ndeleted < 256 ? ndeleted : 256;
    for (unsigned i = 0; i < n; i++)
        if (deleted[i] == number)
            return true;
    return false;
}

/* Why the last with_target_stopped() could not stop the target. */
static char stop_error[300];

const char *target_stop_error(void)
{
    return stop_error[0] ? stop_error : "the OS could not be stopped";
}

int with_target_stopped(int (*fn)(void *), void *arg)
{
    stop_error[0] = 0;
    if (T.state != TARGET_RUNNING)
        return fn ? fn(arg) : 0;
    char err[256];
    struct mi_record rec;
    if (!gdb_alive()) {
        snprintf(stop_error, sizeof stop_error, "GDB is not running (the session has ended)");
        return -1;
    }
    if (gdb_cmd(err, sizeof err, "-exec-interrupt") < 0) {
        snprintf(stop_error, sizeof stop_error, "the OS could not be stopped: %s", err);
        return -1;
    }
    if (gdb_wait_stopped(&rec, 5000) < 0) {
        snprintf(stop_error, sizeof stop_error, "the OS did not stop within 5 s");
        return -1;
    }
    T.state = TARGET_STOPPED;
    int r = fn ? fn(arg) : 0;
    /* The stop policy decides whether this stop was only ours (resumed) or
     * a real one that raced with the interrupt (shown). */
    if (stop_handler)
        stop_handler(&rec, true);
    else
        resume_silently();
    mi_record_free(&rec);
    return r;
}
