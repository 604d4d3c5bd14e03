/*
 * The stop policy: which stops the user sees (issue "Address spaces").
 *
 * QEMU's gdbstub breakpoints match the virtual PC in every address space,
 * and all user programs share addresses, so a breakpoint of `hello` also
 * fires when `matrix` runs the same address.  At every stop we identify
 * the address space (state.c), and a hit that belongs to another program
 * is resumed silently; so are the hooks' stops (liveness.c), a step that
 * ended in another process, and the late hit of a deleted breakpoint.
 * Logpoints run by GDB print here and resume.
 */
#include "target/stop.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "target/breakpoints.h"
#include "target/gdblog.h"
#include "target/harts.h"
#include "target/liveness.h"
#include "target/poweroff.h"
#include "target/programs.h"
#include "target/runctl.h"
#include "target/state.h"
#include "target/timetravel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A step in progress, and what ends it. */
static struct {
    bool stepping;
    int pid;
    int bp;             /* GDB breakpoint finishing a step in the right process, 0 none */
    uint64_t origin;    /* pc where a run-to-breakpoint step started */
    int bp_priv;        /* the privilege the step must end in (-1 any) */
    bool needs_ecall;   /* stepIn at ecall: only a stop with scause = ecall counts */
    bool then_user;     /* stepOut: at the return-to-user point, go on to the user pc */
    char cmd[32];       /* the GDB step command of a step GDB runs (step_resume), "" none */
    int thread;         /* ...the thread it runs on */
    int priv;           /* ...the privilege it started in */
    int depth;          /* ...the depth of the frame it started in (-stack-info-depth) */
    bool redo;          /* back at the user pc of a preempted step: step again with cmd */
} step;

static struct stop_counts counts;

const struct stop_counts *stop_counts(void)
{
    return &counts;
}

static int run_until(const char *location, int priv, bool needs_ecall, bool then_user, char *err,
                     size_t errlen);
static void send_stopped(const char *reason, const char *text, json_t *hit_ids);
static int stack_depth(void);
static uint64_t frame_pc(int level);

/* A stop the user does not see (a hook's, a hit filtered out) that came
 * while GDB stepped: GDB has given the step up, and a continue would let
 * the stepping process run freely.  On the stepping hart in another
 * process, the step was preempted (a timer tick gave the hart to another
 * process, which exec'd, exited or hit a breakpoint of its own): the step
 * goes on when the stepping process is back in user mode, at the user pc
 * its trap frame holds then, from where GDB steps again.  0, or -1 if the
 * step cannot be carried on. */
static int resume_dropped_step(char *err, size_t errlen)
{
    if (!step.stepping || !step.cmd[0] || step.bp || step.priv != 0 || step.pid < 0 ||
        T.thread != step.thread || !T.profile || !T.profile->trap_return ||
        !T.profile->trapframe || T.profile->tf_epc < 0)
        return -1;
    aspace_identify();
    if (T.here.pid == step.pid)
        return -1; /* same process: a callee's stop; not carried on */
    int pid = step.pid;
    char cmd[sizeof step.cmd];
    snprintf(cmd, sizeof cmd, "%s", step.cmd);
    if (run_until(T.profile->trap_return, 1, false, true, err, errlen) < 0)
        return -1;
    step.pid = pid; /* the preempted process, not the one here */
    step.redo = true;
    snprintf(step.cmd, sizeof step.cmd, "%s", cmd);
    return 0;
}

/* The preempted process is back in user mode where it was preempted:
 * carry its step on.  Preempted in a function the step's line called
 * (deeper than the step's frame), first back to the step's frame, at the
 * return address into it; then GDB steps again from there.  An
 * instruction step has ended here (its one instruction was an ecall).
 * 0 with the target resumed or the stop reported, -1 with err. */
static int redo_step(char *err, size_t errlen)
{
    if (strstr(step.cmd, "-instruction")) {
        step.redo = false;
        step.stepping = false;
        send_stopped("step", 0, 0);
        return 0;
    }
    int depth = stack_depth();
    if (step.depth > 0 && depth > step.depth) {
        uint64_t pc = frame_pc(depth - step.depth);
        char loc[40];
        snprintf(loc, sizeof loc, "*0x%llx", (unsigned long long)pc);
        if (!pc)
            snprintf(err, errlen, "the return address into the step's frame cannot be read");
        return pc ? run_until(loc, 0, false, false, err, errlen) : -1; /* step.redo stays */
    }
    char cmd[sizeof step.cmd];
    snprintf(cmd, sizeof cmd, "%s", step.cmd);
    int depth0 = step.depth;
    if (step_resume(cmd, err, errlen) < 0)
        return -1;
    step.depth = depth0;
    return 0;
}

/* Let the target run again after a stop the user does not see. */
static void resume_silently(void)
{
    char err[256];
    if (tt_scanning()) {
        tt_scan_continue(); /* going back: a stop not shown is not a mark */
        return;
    }
    if (resume_dropped_step(err, sizeof err) == 0)
        return;
    if (!step.bp)
        step.cmd[0] = 0; /* GDB's step, if one ran, is over */
    if (target_resume("-exec-continue", err, sizeof err) < 0)
        dap_output("stderr", "osdbg: cannot resume: %s\n", err);
}

int step_until(const char *location, int priv, bool needs_ecall, bool then_user, char *err,
               size_t errlen)
{
    step.cmd[0] = 0;
    step.redo = false;
    return run_until(location, priv, needs_ecall, then_user, err, errlen);
}

static int run_until(const char *location, int priv, bool needs_ecall, bool then_user, char *err,
                     size_t errlen)
{
    struct mi_record b;
    if (gdb_run(&b, err, errlen, "-break-insert %s", location) < 0)
        return -1;
    const char *num = mi_str(b.results, "bkpt.number");
    step.bp = num ? atoi(num) : 0;
    mi_record_free(&b);
    step.bp_priv = priv;
    step.needs_ecall = needs_ecall;
    step.then_user = then_user;
    step.stepping = true;
    step.pid = T.here.pid;
    step.origin = T.here.pc;
    return target_resume("-exec-continue", err, errlen);
}

/* Frames on the selected hart's stack, or -1. */
static int stack_depth(void)
{
    char err[256];
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-stack-info-depth") < 0)
        return -1;
    const char *d = mi_str(rec.results, "depth");
    int depth = d ? atoi(d) : -1;
    mi_record_free(&rec);
    return depth;
}

/* The pc of the frame at level (where it returns to), or 0. */
static uint64_t frame_pc(int level)
{
    char err[256];
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-stack-list-frames %d %d", level, level) < 0)
        return 0;
    const char *a = mi_str(json_array_get(json_object_get(rec.results, "stack"), 0), "addr");
    uint64_t pc = a ? strtoull(a, 0, 16) : 0;
    mi_record_free(&rec);
    return pc;
}

int step_resume(const char *mi_command, char *err, size_t errlen)
{
    step.stepping = true;
    step.pid = T.here.pid;
    step.thread = T.thread;
    step.priv = T.here.priv;
    step.depth = T.here.priv == 0 ? stack_depth() : -1;
    step.redo = false;
    snprintf(step.cmd, sizeof step.cmd, "%s", mi_command);
    if (target_resume(mi_command, err, errlen) < 0) {
        step.stepping = false;
        return -1;
    }
    return 0;
}

static uint64_t stop_pc(struct mi_record *rec)
{
    const char *a = mi_str(rec->results, "frame.addr");
    return a ? strtoull(a, 0, 16) : 0;
}

/* An interrupt's stop (SIGINT) exactly on an armed breakpoint's
 * instruction: QEMU stopped before the breakpoint's trap, and GDB, resumed
 * there, steps over it without reporting it: that execution's hit would be
 * lost (a GDB logpoint missing a line).  So the stop is taken as that
 * breakpoint's hit.  Its GDB number, or 0. */
static int breakpoint_under(struct mi_record *rec)
{
    const char *reason = mi_str(rec->results, "reason");
    if (!reason || strcmp(reason, "signal-received") != 0)
        return 0;
    return breakpoint_armed_at(stop_pc(rec));
}

/* Where the OS stopped, as fields (the extension's Address Spaces view):
 * osdbg/addressSpace {program, pid, mode, satp, pageTable}, sent before
 * each stopped event.  program and pid are null when no process runs.
 * satp is the register now (in S mode a kernel with its own page table
 * runs on that one); pageTable is the process's root table from the
 * profile's process.pageTable.  Numbers as hex text: JSON numbers lose an
 * Sv39 satp's low bits. */
static void send_address_space(void)
{
    char satp[24], table[24] = "";
    snprintf(satp, sizeof satp, "0x%llx", (unsigned long long)T.here.satp);
    uint64_t pt;
    if (T.here.program[0] && T.profile && T.profile->proc_pagetable) {
        bool phys = T.here.priv == 0 && T.profile->kernel_identity_mapped;
        if (phys)
            gdb_physical_memory(true);
        if (gdb_eval_u64_in(profile_lang(), &pt, "%s", T.profile->proc_pagetable))
            snprintf(table, sizeof table, "0x%llx", (unsigned long long)pt);
        if (phys)
            gdb_physical_memory(false);
    }
    const char *mode = priv_mode(T.here.priv);
    json_t *body =
        json_pack("{s:s, s:s, s:o, s:o, s:o}", "mode", mode, "satp", satp, "program",
                  T.here.program[0] ? json_string(T.here.program) : json_null(), "pid",
                  T.here.program[0] && T.here.pid >= 0 ? json_integer(T.here.pid) : json_null(),
                  "pageTable", table[0] ? json_string(table) : json_null());
    /* Every hart's: harts [{hart, threadId, mode, satp, program, pid}],
     * the stopped one first among equals (field "selected"). */
    harts_identify_all();
    json_t *harts = json_array();
    for (int t = 1; t <= T.nharts; t++) {
        const struct aspace *a = &T.harts[t - 1];
        char hs[24];
        snprintf(hs, sizeof hs, "0x%llx", (unsigned long long)a->satp);
        json_array_append_new(
            harts, json_pack("{s:i, s:i, s:s, s:s, s:o, s:o, s:b}", "hart", t - 1, "threadId", t,
                             "mode", priv_mode(a->priv), "satp", hs, "program",
                             a->program[0] ? json_string(a->program) : json_null(), "pid",
                             a->program[0] && a->pid >= 0 ? json_integer(a->pid) : json_null(),
                             "selected", t == T.thread));
    }
    json_object_set_new(body, "hart", json_integer(T.thread - 1));
    json_object_set_new(body, "harts", harts);
    dap_event("osdbg/addressSpace", body);
}

static void send_stopped(const char *reason, const char *text, json_t *hit_ids)
{
    if (tt_scanning()) {
        /* Going back: a stop the user would see here is a mark, and the
         * scan goes on (a data breakpoint's write is one instruction back). */
        int id = hit_ids ? (int)json_integer_value(json_array_get(hit_ids, 0)) : 0;
        tt_scan_note(reason, id, strcmp(reason, "data breakpoint") == 0 ? 1 : 0);
        json_decref(hit_ids);
        tt_scan_continue();
        return;
    }
    step.cmd[0] = 0;
    step.redo = false;
    if (step.bp) {
        char err[256];
        gdb_cmd(err, sizeof err, "-break-delete %d", step.bp);
        step.bp = 0;
    }
    char desc[160], hart[24] = "";
    if (T.nharts > 1)
        snprintf(hart, sizeof hart, ", hart %d", T.thread - 1);
    if (T.here.program[0])
        snprintf(desc, sizeof desc, "%s/%d, %s mode%s", T.here.program, T.here.pid,
                 priv_mode(T.here.priv), hart);
    else
        snprintf(desc, sizeof desc, "%s mode%s", priv_mode(T.here.priv), hart);
    send_address_space();
    json_t *body = json_pack("{s:s, s:i, s:b, s:s}", "reason", reason, "threadId", T.thread,
                             "allThreadsStopped", 1, "description", desc);
    if (text)
        json_object_set_new(body, "text", json_string(text));
    if (hit_ids)
        json_object_set_new(body, "hitBreakpointIds", hit_ids);
    dap_event("stopped", body);
    counts.user_stops++;
}

void stop_handle(struct mi_record *rec)
{
    T.state = TARGET_STOPPED;
    harts_on_stop(rec); /* GDB selected the hart that stopped */
    /* Going back (timetravel.h): the end of a scan, a goto's arrival. */
    if (tt_busy() && tt_on_stop(rec))
        return;
    int under = breakpoint_under(rec);
    if (under) {
        char num[16];
        snprintf(num, sizeof num, "%d", under);
        json_object_set_new(rec->results, "reason", json_string("breakpoint-hit"));
        json_object_set_new(rec->results, "bkptno", json_string(num));
    }
    const char *reason = mi_str(rec->results, "reason");
    if (reason && (strcmp(reason, "exited") == 0 || strcmp(reason, "exited-normally") == 0 ||
                   strcmp(reason, "exited-signalled") == 0)) {
        T.state = TARGET_EXITED;
        return;
    }
    int bkptno = 0;
    const char *b = mi_str(rec->results, "bkptno");
    if (b)
        bkptno = atoi(b);
    bool hit = reason && strcmp(reason, "breakpoint-hit") == 0 && bkptno;
    /* stepBack by line: only the scan's line starts in the frame count. */
    if (tt_scanning() && tt_scan_kind() == TT_SCAN_LINES) {
        if (hit) {
            aspace_identify();
            if (tt_scan_owns_breakpoint(bkptno))
                tt_scan_note_line_hit();
        }
        tt_scan_continue();
        return;
    }
    /* On a breakpoint's instruction, which has not run: the resume steps
     * over it (a SIGINT stop there was made that breakpoint's hit above). */
    target_stopped_at(hit, 1); /* the hooks are kernel functions */
    if (hooks_handle_stop(bkptno)) {
        resume_silently();
        return;
    }
    const char *off = poweroff_hit(bkptno);
    if (off && tt_scanning()) {
        resume_silently(); /* going back passes it (a scan ends before it) */
        return;
    }
    if (off) {
        aspace_identify();
        target_stopped_at(hit, T.here.priv);
        step.stepping = false;
        if (tt_mode() == TT_REPLAY)
            dap_output("console", "osdbg: the end of the recording: the OS powers off here (%s). "
                                  "Step Back and Reverse go back from it; Continue ends the "
                                  "replay\n",
                       off);
        else
            dap_output("console", "osdbg: the OS powers off here (%s), and the recording ends with "
                                  "it. Step Back replays the recording and goes back from it; "
                                  "Continue ends the run\n",
                       off);
        send_stopped("pause", "the OS powers off here: the end of the recording", 0);
        return;
    }
    aspace_identify();
    target_stopped_at(hit, T.here.priv);
    if (T.here.program[0]) {
        live_set(T.here.pid, T.here.program);
        if (mark_program_seen(T.here.program))
            breakpoints_on_program_seen(T.here.program);
    }

    if (bkptno && bkptno == step.bp) {
        uint64_t scause = 0;
        bool wrong_trap = step.needs_ecall && (!gdb_eval_u64(&scause, "$scause") || scause != 8);
        if (T.here.pid != step.pid || wrong_trap ||
            (step.bp_priv >= 0 && T.here.priv != step.bp_priv)) {
            counts.filtered_hits++;
            resume_silently();
            return;
        }
        step.needs_ecall = false;
        if (step.then_user) {
            /* At the kernel's return to user mode the trap frame holds the
             * final user pc (after the ecall): finish there. */
            step.then_user = false;
            char err[256], loc[64];
            uint64_t tf, epc;
            gdb_cmd(err, sizeof err, "-break-delete %d", step.bp);
            step.bp = 0;
            if (gdb_eval_u64_in(profile_lang(), &tf, "%s", T.profile->trapframe) &&
                gdb_eval_u64(&epc, "*(unsigned long *)0x%llx",
                             (unsigned long long)(tf + (uint64_t)T.profile->tf_epc))) {
                snprintf(loc, sizeof loc, "*0x%llx", (unsigned long long)epc);
                if (run_until(loc, 0, false, false, err, sizeof err) == 0)
                    return;
            }
            dap_output("stderr", "osdbg: stepOut: cannot find the return address in user mode\n");
        }
        char err[256];
        gdb_cmd(err, sizeof err, "-break-delete %d", step.bp);
        step.bp = 0;
        aspace_sync_symbols();
        if (step.redo) {
            if (redo_step(err, sizeof err) == 0)
                return; /* stepping again, or the stop reported */
            dap_output("stderr", "osdbg: the step cannot go on: %s\n", err);
        }
        step.stepping = false;
        send_stopped("step", 0, 0);
        return;
    }

    /* A run-to-breakpoint step (stepIn at ecall, stepOut to user) that is
     * back at its own starting instruction in its own process - an interrupt
     * came first and returned there - meets the user's breakpoint on that
     * instruction again: that is not a new stop. */
    if (step.bp && reason && strcmp(reason, "breakpoint-hit") == 0 && bkptno &&
        T.here.pc == step.origin && T.here.pid == step.pid) {
        counts.filtered_hits++;
        resume_silently();
        return;
    }

    if (reason && strcmp(reason, "breakpoint-hit") == 0 && bkptno) {
        struct bp_loc *loc;
        struct bp *bp = breakpoint_by_gdb_number(bkptno, &loc);
        if (bp) {
            /* User breakpoints belong to their program; kernel ones to S-mode. */
            bool mine = !loc->program[0] ? T.here.priv != 0
                        : loc->program[0] == '*'
                            ? T.here.priv == 0
                            : T.here.priv == 0 && strcmp(loc->program, T.here.program) == 0;
            /* A user breakpoint's hit where the process cannot be told is
             * never resumed unseen: the user sees it, and why. */
            bool unknown = !mine && loc->program[0] && T.here.priv != 1 && T.here.unknown[0];
            if (unknown) {
                step.stepping = false;
                char text[480];
                snprintf(text, sizeof text, "osdbg cannot tell which process runs: %s",
                         T.here.unknown);
                dap_output("stderr", "osdbg: a breakpoint of %s was hit, but %s; stopped\n",
                           loc->program, text);
                send_stopped("breakpoint", text, json_pack("[i]", bp->id));
                return;
            }
            if (!mine) {
                counts.filtered_hits++;
                resume_silently();
                return;
            }
            aspace_sync_symbols();
            if (!gdblog_condition_true(bp)) {
                resume_silently();
                return;
            }
            /* Going back, a hit is not counted again, nor printed again. */
            if (!tt_scanning())
                bp->hits++;
            if (!gdblog_hit_condition_met(bp->hit_condition, bp->hits)) {
                resume_silently();
                return;
            }
            if (bp->log_message) {
                if (!tt_scanning())
                    gdblog_print(bp);
                resume_silently();
                return;
            }
            step.stepping = false;
            send_stopped(bp->kind == BP_FUNCTION      ? "function breakpoint"
                         : bp->kind == BP_INSTRUCTION ? "instruction breakpoint"
                                                      : "breakpoint",
                         0, json_pack("[i]", bp->id));
            return;
        }
    }
    /* The hit of a breakpoint the adapter has deleted: its stop was on its
     * way while the OS was being stopped to delete it (a busy logpoint
     * removed).  Nobody asked for this stop.  (A breakpoint the user made
     * in GDB's command line is not ours and still stops.) */
    if (reason && strcmp(reason, "breakpoint-hit") == 0 && bkptno &&
        target_breakpoint_was_deleted(bkptno)) {
        counts.filtered_hits++;
        resume_silently();
        return;
    }
    aspace_sync_symbols();

    if (step.stepping && reason &&
        (strcmp(reason, "end-stepping-range") == 0 || strcmp(reason, "function-finished") == 0 ||
         strcmp(reason, "location-reached") == 0)) {
        /* A step that ended in another process (same code, same addresses,
         * preempted in between) has not ended for the user's process:
         * step again from here until it is back. */
        if (step.pid >= 0 && T.here.pid >= 0 && T.here.pid != step.pid) {
            char err[256];
            struct mi_record b;
            if (gdb_run(&b, err, sizeof err, "-break-insert *0x%llx",
                        (unsigned long long)T.here.pc) == 0) {
                const char *num = mi_str(b.results, "bkpt.number");
                step.bp = num ? atoi(num) : 0;
                step.bp_priv = T.here.priv;
                mi_record_free(&b);
            }
            counts.filtered_hits++;
            resume_silently();
            return;
        }
        step.stepping = false;
        send_stopped("step", 0, 0);
        return;
    }
    step.stepping = false;
    if (reason && strcmp(reason, "signal-received") == 0) {
        const char *sig = mi_str(rec->results, "signal-name");
        send_stopped(sig && strcmp(sig, "SIGINT") == 0 ? "pause" : "exception", sig, 0);
        return;
    }
    if (reason && (strcmp(reason, "watchpoint-trigger") == 0 ||
                   strcmp(reason, "access-watchpoint-trigger") == 0 ||
                   strcmp(reason, "read-watchpoint-trigger") == 0)) {
        /* A user address is the process's where the data breakpoint was
         * set: every program has its data at the same addresses, and QEMU's
         * watchpoints match the virtual address in any address space. */
        const char *wn = mi_str(rec->results, "wpt.number");
        if (!wn)
            wn = mi_str(rec->results, "hw-awpt.number");
        if (!wn)
            wn = mi_str(rec->results, "hw-rwpt.number");
        int owner = -1, id = 0, n = wn ? atoi(wn) : 0;
        if (n && breakpoint_watch_by_gdb(n, &id, &owner) && owner >= 0 && T.here.pid != owner) {
            counts.filtered_hits++;
            resume_silently();
            return;
        }
        send_stopped("data breakpoint", 0, id ? json_pack("[i]", id) : 0);
        return;
    }
    send_stopped(
        reason ? (strcmp(reason, "breakpoint-hit") == 0 ? "breakpoint" : "pause") : "entry", 0, 0);
}

/* Every stop run control meets itself (runctl.h).  Its own interrupt's
 * stop is shown only when it was more than that. */
static void on_runctl_stop(struct mi_record *rec, bool ours)
{
    const char *reason = mi_str(rec->results, "reason");
    if (!ours || breakpoint_under(rec))
        stop_handle(rec); /* taken as that breakpoint's hit */
    else if (reason && strcmp(reason, "signal-received") != 0)
        stop_handle(rec); /* a real stop raced with our interrupt: report it */
    else
        resume_silently();
}

void stop_settle(void)
{
    T.state = TARGET_STOPPED;
    step.stepping = false;
    aspace_identify();
    aspace_sync_symbols();
}

void stop_report(const char *reason, const char *text, int hit_id)
{
    stop_settle();
    send_stopped(reason, text, hit_id ? json_pack("[i]", hit_id) : 0);
}

void stop_init(void)
{
    target_set_stop_handler(on_runctl_stop);
}

void stop_reset(void)
{
    memset(&step, 0, sizeof step);
}
