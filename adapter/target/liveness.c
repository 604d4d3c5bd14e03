/*
 * Which programs have a process right now, so that a user breakpoint is
 * armed in GDB only while its program can run: then a program that is not
 * running costs no stop at all, however many system calls others make
 * (the "GDB stops per 1000 syscalls ... target: 0").
 *
 * Two internal breakpoints, from the profile: "exec" (where exec commits a
 * new image: pid -> program) and "exit" (a process ends).  They are armed
 * once the session has user breakpoints, and stay armed.  If they were
 * armed before the OS ran its first instruction (launch with breakpoints
 * set before configurationDone), every process is known and a program
 * never seen is not running; otherwise (attach, or breakpoints added
 * later) a program never seen may be running, and its breakpoints stay
 * armed with the hits filtered as before.  A third hook, "fork" (if the
 * profile has one), adds a forked child under its parent's program, so a
 * child that never execs keeps its program's breakpoints armed after its
 * parent is gone.  Each hook is one internal stop per exec, exit or fork,
 * never per system call.
 */
#include "target/liveness.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "gdb/gdbexpr.h"
#include "target/breakpoints.h"
#include "target/poweroff.h"
#include "target/programs.h"
#include "target/runctl.h"
#include "target/state.h"
#include "target/timetravel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIVE 64

/* The hooks: GDB numbers of the internal breakpoints, 0 none. */
static struct {
    int exec_bp, exit_bp, fork_bp;
    bool armed;             /* exec/exit breakpoints in place */
    bool failed;            /* the exec hook could not be set: not tried again */
    bool tracking_complete; /* ...since before the OS's first instruction */
    long stops;             /* internal stops (osdbg/stats internalStops) */
} hooks;

static struct live {
    int pid;
    char program[64];
} live[MAX_LIVE];
static int nlive;

bool program_live(const char *program)
{
    for (int i = 0; i < nlive; i++)
        if (strcmp(live[i].program, program) == 0)
            return true;
    return false;
}

void live_set(int pid, const char *program)
{
    if (pid < 0 || !program[0])
        return;
    for (int i = 0; i < nlive; i++) {
        if (live[i].pid == pid) {
            snprintf(live[i].program, sizeof live[i].program, "%s", program);
            return;
        }
    }
    if (nlive < MAX_LIVE) {
        live[nlive].pid = pid;
        snprintf(live[nlive].program, sizeof live[nlive].program, "%s", program);
        nlive++;
    }
}

void live_clear(void)
{
    nlive = 0;
}

static void live_remove(int pid)
{
    for (int i = 0; i < nlive; i++) {
        if (live[i].pid == pid) {
            live[i] = live[--nlive];
            return;
        }
    }
}

static bool any_user_breakpoint(void)
{
    int n;
    struct bp *bps = breakpoints_all(&n);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < bps[i].nlocs; k++)
            if (bps[i].locs[k].program[0] && !bps[i].ebpf)
                return true;
    return false;
}

/* Should this location be armed in GDB now? */
static bool loc_wanted(const struct bp_loc *l)
{
    if (!l->program[0] || l->program[0] == '*')
        return true; /* kernel, or any program */
    /* A replay goes backwards too: a program not running now may have run
     * before, and its hits are told apart at each stop (stop.c). */
    if (tt_mode() == TT_REPLAY)
        return true;
    if (!hooks.tracking_complete)
        return !hooks.armed || program_live(l->program) || !program_seen(l->program);
    return program_live(l->program);
}

void hooks_update(void)
{
    char err[256];
    if (!T.profile || T.state == TARGET_NONE)
        return;
    poweroff_arm();
    /* An OS whose processes have no name is known only through its hooks:
     * they go in from the start, breakpoints or not. */
    bool identity_by_hooks = !T.profile->proc_name && T.profile->exec_satp;
    if (!hooks.armed && !hooks.failed && (any_user_breakpoint() || identity_by_hooks) &&
        T.profile->exec_symbol) {
        /* Without the exec hook the others are no use; never insert them
         * twice (a second set's stops would not be known as hooks and
         * would reach the user as ordinary stops). */
        hooks.exec_bp = breakpoint_insert_internal("hook", T.profile->exec_symbol, true);
        if (hooks.exec_bp > 0 && T.profile->exit_symbol)
            hooks.exit_bp = breakpoint_insert_internal("hook", T.profile->exit_symbol, true);
        if (hooks.exec_bp > 0 && T.profile->fork_symbol && T.profile->fork_pid &&
            (T.profile->fork_name || (T.profile->fork_satp && T.profile->fork_parent_satp)))
            hooks.fork_bp = breakpoint_insert_internal("hook", T.profile->fork_symbol, true);
        hooks.armed = hooks.exec_bp > 0;
        hooks.failed = !hooks.armed;
        if (hooks.failed)
            dap_output("stderr",
                       "osdbg: profile: cannot break at exec.symbol \"%s\": user breakpoints "
                       "cannot follow programs and stay unverified\n",
                       T.profile->exec_symbol);
        /* Complete knowledge only if the OS has not run yet. */
        hooks.tracking_complete = hooks.armed && hooks.exit_bp > 0 && T.launched && !T.has_run;
    }
    int nbps;
    struct bp *bps = breakpoints_all(&nbps);
    for (int i = 0; i < nbps; i++) {
        for (int k = 0; k < bps[i].nlocs; k++) {
            struct bp_loc *l = &bps[i].locs[k];
            if (l->gdb_number <= 0)
                continue; /* an eBPF logpoint: no GDB breakpoint */
            bool want = loc_wanted(l);
            if (want != l->enabled &&
                gdb_cmd(err, sizeof err, want ? "-break-enable %d" : "-break-disable %d",
                        l->gdb_number) == 0)
                l->enabled = want;
        }
    }
}

/* A hook's expression that does not evaluate there: said once per key. */
static void hook_expr_failed(const char *key, const char *expr, const char *err)
{
    static char said[8][24];
    for (int i = 0; i < 8; i++) {
        if (!strcmp(said[i], key))
            return;
        if (!said[i][0]) {
            snprintf(said[i], sizeof said[i], "%s", key);
            break;
        }
    }
    dap_output("stderr", "osdbg: profile: %s \"%s\" does not evaluate at its hook: %s\n", key, expr,
               err);
}

static bool eval_int_key(const char *key, const char *expr, long *out)
{
    char err[256];
    uint64_t v;
    char *text = gdb_eval_in(profile_lang(), err, sizeof err, "%s", expr);
    if (!text || !gdb_value_number(text, &v)) {
        hook_expr_failed(key, expr, text ? "not a number" : err);
        free(text);
        return false;
    }
    free(text);
    *out = (long)(int64_t)v;
    return true;
}

static bool eval_int(const char *expr, long *out)
{
    return eval_int_key("process.pid", expr, out);
}

static void parse_name(const char *v, char *out, size_t n)
{
    out[0] = 0;
    const char *q = v ? strchr(v, '"') : 0;
    if (!q)
        return;
    size_t k = 0;
    for (q++; *q && *q != '"' && *q != '\\' && k + 1 < n; q++)
        out[k++] = *q;
    out[k] = 0;
}

bool hooks_handle_stop(int bkptno)
{
    if (!bkptno || (bkptno != hooks.exec_bp && bkptno != hooks.exit_bp && bkptno != hooks.fork_bp))
        return false;
    char err[256];
    long pid = -1;
    if (bkptno == hooks.exec_bp) {
        char name[64];
        char *v = gdb_eval_in(profile_lang(), err, sizeof err, "%s", T.profile->exec_name);
        if (!v)
            hook_expr_failed("exec.name", T.profile->exec_name, err);
        parse_name(v, name, sizeof name);
        free(v);
        /* exec.pid: an OS that execs its first program before any task is
         * current (rCore-Tutorial's initproc) passes the pid to its hook. */
        if (T.profile->exec_pid)
            eval_int_key("exec.pid", T.profile->exec_pid, &pid);
        else if (T.profile->proc_pid)
            eval_int(T.profile->proc_pid, &pid);
        long satp;
        if (T.profile->exec_satp && name[0] && eval_int_key("exec.satp", T.profile->exec_satp, &satp))
            aspace_learn((uint64_t)satp, name);
        live_set((int)pid, name);
        if (mark_program_seen(name))
            breakpoints_on_program_seen(name);
    } else if (bkptno == hooks.fork_bp) {
        char name[64] = "";
        long child, parent;
        if (T.profile->fork_name) {
            char *v = gdb_eval_in(profile_lang(), err, sizeof err, "%s", T.profile->fork_name);
            if (!v)
                hook_expr_failed("fork.name", T.profile->fork_name, err);
            parse_name(v, name, sizeof name);
            free(v);
        } else if (T.profile->fork_satp && T.profile->fork_parent_satp &&
                   eval_int_key("fork.parentSatp", T.profile->fork_parent_satp, &parent) &&
                   eval_int_key("fork.satp", T.profile->fork_satp, &child)) {
            /* The child runs its parent's program in a page table of its own. */
            snprintf(name, sizeof name, "%s", aspace_program((uint64_t)parent));
            if (name[0])
                aspace_learn((uint64_t)child, name);
        }
        if (eval_int_key("fork.pid", T.profile->fork_pid, &pid))
            live_set((int)pid, name);
    } else if (T.profile->exit_pid && eval_int_key("exit.pid", T.profile->exit_pid, &pid)) {
        live_remove((int)pid);
    }
    hooks.stops++;
    hooks_update();
    return true; /* the stop policy resumes (a step may be in progress) */
}

long hooks_stop_count(void)
{
    return hooks.stops;
}

void hooks_reset(void)
{
    long stops = hooks.stops;
    memset(&hooks, 0, sizeof hooks);
    hooks.stops = stops;
    live_clear();
}
