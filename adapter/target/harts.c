/*
 * Several harts (harts.h).
 */
#include "target/harts.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "target/programs.h"
#include "target/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void select_context(int thread)
{
    T.thread = thread;
    gdb_eval_set_thread(0); /* the selected one */
    gdb_eval_set_selected_hart(thread - 1);
}

void harts_connected(void)
{
    char err[256];
    struct mi_record rec;
    T.nharts = 1;
    if (gdb_run(&rec, err, sizeof err, "-thread-list-ids") == 0) {
        const char *n = mi_str(rec.results, "number-of-threads");
        if (n && atoi(n) > 0)
            T.nharts = atoi(n) < MAX_HARTS ? atoi(n) : MAX_HARTS;
        mi_record_free(&rec);
    }
    select_context(1);
    T.stop_thread = 1;
    T.harts_known = false;
    /* A profile written for one hart reads hart 0's process on every hart. */
    const char *name = T.profile ? T.profile->proc_name : 0;
    if (T.nharts > 1 && name && !strstr(name, "{hart}") && !strstr(name, "$mhartid") &&
        !strstr(name, "$tp"))
        dap_output("stderr",
                   "osdbg: profile: the machine has %d harts, but process.name \"%s\" does not "
                   "depend on the hart ({hart}): every hart will be said to run the same process "
                   "(docs/profiles.md, \"Several harts\")\n",
                   T.nharts, name);
}

void harts_on_stop(struct mi_record *rec)
{
    const char *t = mi_str(rec->results, "thread-id");
    int thread = t ? atoi(t) : 0;
    if (thread >= 1 && thread <= MAX_HARTS) {
        if (thread > T.nharts)
            T.nharts = thread;
        select_context(thread);
        T.stop_thread = thread;
    }
    T.harts_known = false;
}

/* GDB reads memory through the hart whose registers it fetched last (the
 * remote protocol's Hg, which GDB sends before fetching a thread's
 * registers, never before reading memory: it takes threads to share one
 * address space).  After reading other harts, the selected hart's
 * registers are fetched again, so that its memory is read through its own
 * page table: its user stack, its locals. */
static void anchor_memory(void)
{
    char err[256];
    uint64_t pc;
    gdb_console(0, err, sizeof err, "maint flush register-cache");
    gdb_eval_u64(&pc, "$pc");
}

void harts_identify_all(void)
{
    if (T.harts_known)
        return;
    for (int t = 1; t <= T.nharts; t++)
        if (t != T.thread)
            aspace_identify_thread(t, &T.harts[t - 1]);
    T.harts[T.thread - 1] = T.here;
    T.harts_known = true;
    if (T.nharts > 1)
        anchor_memory();
}

int harts_select(int thread, char *err, size_t errlen)
{
    if (thread == T.thread)
        return 0;
    if (thread < 1 || thread > T.nharts) {
        snprintf(err, errlen, "no thread %d: the machine has %d hart%s (threads 1 to %d)", thread,
                 T.nharts, T.nharts == 1 ? "" : "s", T.nharts);
        return -1;
    }
    harts_identify_all();
    if (gdb_cmd(err, errlen, "-thread-select %d", thread) < 0)
        return -1;
    select_context(thread);
    anchor_memory();
    T.here = T.harts[thread - 1];
    aspace_sync_symbols(); /* the user program this hart runs */
    return 0;
}

void harts_thread_name(int thread, char *out, size_t n)
{
    const struct aspace *a = &T.harts[thread - 1];
    if (T.state != TARGET_STOPPED || !T.harts_known || a->priv < 0) {
        snprintf(out, n, "hart %d", thread - 1);
        return;
    }
    if (a->program[0] && a->pid >= 0)
        snprintf(out, n, "hart %d \u00b7 %s/%d %s", thread - 1, a->program, a->pid,
                 priv_mode(a->priv));
    else if (a->program[0])
        snprintf(out, n, "hart %d \u00b7 %s %s", thread - 1, a->program, priv_mode(a->priv));
    else
        snprintf(out, n, "hart %d \u00b7 %s %s", thread - 1, a->priv == 0 ? "user" : "kernel",
                 priv_mode(a->priv));
}
