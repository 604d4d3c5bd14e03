/*
 * Execution control: threads, continue, pause, next, stepIn, stepOut.
 * Stepping across the border between user and kernel is decided here (at
 * an ecall, on the trap path); when a step ends is the stop policy's
 * business (target/stop.c).
 */
#include "dap/handler/handlers.h"
#include "dwarf/debuginfo.h"
#include "gdb/gdb.h"
#include "target/harts.h"
#include "target/reverse.h"
#include "target/runctl.h"
#include "target/state.h"
#include "target/stop.h"
#include "target/timetravel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One DAP thread per hart (harts.h), named with what it runs. */
void req_threads(json_t *req, json_t *args)
{
    (void)args;
    if (T.state == TARGET_STOPPED)
        harts_identify_all();
    json_t *threads = json_array();
    int n = T.nharts > 0 ? T.nharts : 1;
    for (int t = 1; t <= n; t++) {
        char name[160];
        harts_thread_name(t, name, sizeof name);
        json_array_append_new(threads, json_pack("{s:i, s:s}", "id", t, "name", name));
    }
    dap_respond(req, json_pack("{s:o}", "threads", threads));
}

void req_continue(json_t *req, json_t *args)
{
    (void)args;
    char err[256];
    if (T.state == TARGET_RUNNING) {
        dap_respond(req, json_pack("{s:b}", "allThreadsContinued", 1));
        return;
    }
    inspect_reset();
    if (target_resume("-exec-continue", err, sizeof err) < 0) {
        dap_error(req, "continue: %s", err);
        return;
    }
    dap_respond(req, json_pack("{s:b}", "allThreadsContinued", 1));
}

void req_pause(json_t *req, json_t *args)
{
    (void)args;
    char err[256];
    if (T.state != TARGET_RUNNING) {
        dap_respond(req, 0);
        return;
    }
    if (gdb_cmd(err, sizeof err, "-exec-interrupt") < 0) {
        dap_error(req, "pause: %s", err);
        return;
    }
    dap_respond(req, 0);
}

/* The instruction at pc is a RISC-V ecall (0x00000073)? */
static bool at_ecall(void)
{
    char err[256];
    char *v = gdb_eval(err, sizeof err, "*(unsigned int *)$pc");
    bool yes = v && strtoul(v, 0, 0) == 0x73;
    free(v);
    return yes;
}

/* Is the current kernel frame the trap entry itself, or one the trap path
 * (trap entry -> system call dispatch) called directly? */
static bool on_trap_path(void)
{
    char err[256];
    struct mi_record rec;
    if (!T.profile->trap_entry || gdb_run(&rec, err, sizeof err, "-stack-list-frames 0 1") < 0)
        return false;
    json_t *stack = json_object_get(rec.results, "stack");
    const char *self = mi_str(json_array_get(stack, 0), "func");
    const char *caller = mi_str(json_array_get(stack, 1), "func");
    const char *entry = T.profile->trap_entry;
    bool yes = debuginfo_same_function(self, entry) || debuginfo_same_function(caller, entry) ||
               debuginfo_same_function(caller, T.profile->syscall_dispatch);
    mi_record_free(&rec);
    return yes;
}

/* Stepping across the border between user and kernel:
 *  - stepIn at an ecall stops at the kernel's trap entry for this process's
 *    system call (GDB would step over it: its RISC-V single-step is a
 *    breakpoint at pc + 4);
 *  - stepOut from a function the trap path called (a system call handler)
 *    returns to the user instruction after the ecall, in the same process. */
static bool step_across(json_t *req, const char *line_cmd)
{
    char err[256];
    if (T.here.priv == 0 && strcmp(line_cmd, "-exec-step") == 0 && T.profile->trap_entry &&
        at_ecall()) {
        if (step_until(T.profile->trap_entry, 1, true, false, err, sizeof err) < 0)
            dap_error(req, "stepIn: %s", err);
        else
            dap_respond(req, 0);
        return true;
    }
    if (T.here.priv == 1 && strcmp(line_cmd, "-exec-finish") == 0 && T.profile->trap_return &&
        T.profile->trapframe && T.profile->tf_epc >= 0 && T.here.pid >= 0 && on_trap_path()) {
        /* First to the kernel's return to user mode, for this process; then
         * the stop policy (target/stop.c) goes on to the user pc the trap frame holds there. */
        if (step_until(T.profile->trap_return, 1, false, true, err, sizeof err) < 0)
            dap_error(req, "stepOut: %s", err);
        else
            dap_respond(req, 0);
        return true;
    }
    return false;
}

static void step(json_t *req, json_t *args, const char *line_cmd, const char *insn_cmd)
{
    if (T.state != TARGET_STOPPED) {
        dap_error(req, "the OS is not stopped");
        return;
    }
    /* The step runs the hart the client names, the others stay stopped. */
    char err[256];
    json_t *jthread = json_object_get(args, "threadId");
    if (json_is_integer(jthread) && (int)json_integer_value(jthread) != T.thread) {
        inspect_reset();
        if (harts_select((int)json_integer_value(jthread), err, sizeof err) < 0) {
            dap_error(req, "%s", err);
            return;
        }
    }
    inspect_reset();
    if (step_across(req, line_cmd))
        return;
    const char *gran = json_string_value(json_object_get(args, "granularity"));
    bool insn = gran && strcmp(gran, "instruction") == 0;
    if (step_resume(insn ? insn_cmd : line_cmd, err, sizeof err) < 0) {
        dap_error(req, "%s", err);
        return;
    }
    dap_respond(req, 0);
}

void req_next(json_t *req, json_t *args)
{
    step(req, args, "-exec-next", "-exec-next-instruction");
}

void req_step_in(json_t *req, json_t *args)
{
    step(req, args, "-exec-step", "-exec-step-instruction");
}

void req_step_out(json_t *req, json_t *args)
{
    step(req, args, "-exec-finish", "-exec-finish");
}


/* Going backwards (issue 20): only where the run is recorded.  A live
 * recorded session goes on as a replay of its recording first, at the same
 * instruction, by itself (lifecycle_replay_here). */
static struct {
    bool instruction, to_breakpoint;
} pending;

static void go_back(void)
{
    char err[300];
    int r = pending.to_breakpoint ? reverse_continue(err, sizeof err)
                                  : reverse_step(pending.instruction, err, sizeof err);
    if (r < 0) {
        dap_output("stderr", "osdbg: cannot go back: %s\n", err);
        stop_report("pause", err, 0);
    }
}

static void back(json_t *req, json_t *args, bool to_breakpoint, const char *what)
{
    if (T.state != TARGET_STOPPED) {
        dap_error(req, "%s: the OS is not stopped", what);
        return;
    }
    if (tt_mode() == TT_LIVE) {
        dap_error(req,
                  "%s: going back needs a recording of the run: launch with \"record\": true "
                  "(Step Back then replays the recording from where you are), or replay one "
                  "with \"replay\": \"<folder>\" (osdbg record makes one; docs/time-travel.md)",
                  what);
        return;
    }
    const char *gran = json_string_value(json_object_get(args, "granularity"));
    pending.instruction = gran && strcmp(gran, "instruction") == 0;
    pending.to_breakpoint = to_breakpoint;
    char err[300];
    inspect_reset();
    if (tt_mode() == TT_RECORDING) {
        if (lifecycle_replay_here(go_back, err, sizeof err) < 0) {
            dap_error(req, "%s: the recording cannot be replayed from here: %s", what, err);
            return;
        }
        dap_respond(req, 0);
        return;
    }
    int r = to_breakpoint ? reverse_continue(err, sizeof err)
                          : reverse_step(pending.instruction, err, sizeof err);
    if (r < 0) {
        dap_error(req, "%s: %s", what, err);
        return;
    }
    dap_respond(req, 0);
}

void req_step_back(json_t *req, json_t *args)
{
    back(req, args, false, "stepBack");
}

void req_reverse_continue(json_t *req, json_t *args)
{
    back(req, args, true, "reverseContinue");
}

bool refused_while_recorded(json_t *req, const char *what)
{
    if (!tt_deterministic())
        return false;
    dap_error(req, "%s: the OS is %s, and QEMU's log has only what the OS did itself: a change "
                   "made from here would make the replay part from the recording",
              what, tt_mode() == TT_REPLAY ? "a replay" : "being recorded");
    return true;
}
