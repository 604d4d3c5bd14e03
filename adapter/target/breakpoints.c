/*
 * Breakpoints per address space.  A kernel breakpoint is one GDB
 * breakpoint, always armed.  A user breakpoint belongs to the program(s)
 * whose ELF contains the source line, resolved from that ELF's own DWARF
 * (debuginfo.c) — even before the program runs, although every program is
 * linked at the same addresses — and is armed in GDB by address; its hits
 * in other programs are resumed silently (stop.c).  A program that has
 * not run yet has its breakpoints reported unverified until the exec
 * breakpoint (profile "exec") sees it start.
 */
#include "target/breakpoints.h"
#include "dap/dap.h"
#include "dwarf/debuginfo.h"
#include "gdb/gdb.h"
#include "target/programs.h"
#include "target/runctl.h"
#include "target/state.h"
#include "target/timetravel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct bp *bps;
static int nbps;
static int next_bp_id;
static const struct logpoint_ops *logpoints; /* 0: none registered */
static bool gdb_logpoints_only;
static void (*change_observer)(void);

/* Data breakpoints (breakpoints.h): what the client asked for, kept so
 * that they can be made again in GDB with the same DAP ids. */
static struct watch {
    int id;          /* DAP id */
    char *expr;      /* the dataId: an expression */
    const char *flag; /* -break-watch's: "" write, "-r " read, "-a " access */
    int gdb_number;  /* 0: not in GDB */
    int pid;         /* the owner process for a user address, else -1 */
} *watches;
static int nwatches, next_watch_id;

void breakpoints_set_logpoint_ops(const struct logpoint_ops *ops)
{
    logpoints = ops;
}

static const char *gdb_logpoints_why;

void breakpoints_use_gdb_logpoints(bool gdb_only, const char *why)
{
    gdb_logpoints_only = gdb_only;
    gdb_logpoints_why = why;
}

void breakpoints_on_change(void (*fn)(void))
{
    change_observer = fn;
}

static void changed(void)
{
    if (change_observer)
        change_observer();
}

struct bp *breakpoints_all(int *n)
{
    *n = nbps;
    return bps;
}

struct bp *breakpoint_by_id(int id)
{
    for (int i = 0; i < nbps; i++)
        if (bps[i].id == id)
            return &bps[i];
    return 0;
}

int breakpoint_armed_at(uint64_t pc)
{
    for (int i = 0; i < nbps; i++)
        for (int k = 0; k < bps[i].nlocs; k++)
            if (bps[i].locs[k].gdb_number > 0 && bps[i].locs[k].enabled &&
                bps[i].locs[k].addr == pc)
                return bps[i].locs[k].gdb_number;
    return 0;
}

static void free_bp(struct bp *b)
{
    free(b->source);
    free(b->name);
    free(b->condition);
    free(b->hit_condition);
    free(b->log_message);
    free(b->message);
    free(b->locs);
    if (logpoints)
        logpoints->forget(b);
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : 0;
}

struct bp *breakpoint_by_gdb_number(int n, struct bp_loc **loc)
{
    for (int i = 0; i < nbps; i++)
        for (int k = 0; k < bps[i].nlocs; k++)
            if (bps[i].locs[k].gdb_number == n) {
                *loc = &bps[i].locs[k];
                return &bps[i];
            }
    return 0;
}

static int insert_at(uint64_t addr, char *err, size_t errlen)
{
    struct mi_record rec;
    /* In user mode GDB would read the live code to see whether it is an
     * ebreak already, and take an OS probe's for the program's own
     * (aspace_sync_symbols says more): there, user addresses read nothing. */
    bool user = T.here.priv == 0;
    if (user)
        gdb_physical_memory(true);
    int r = gdb_run(&rec, err, errlen, "-break-insert *0x%llx", (unsigned long long)addr);
    if (user)
        gdb_physical_memory(false);
    if (r < 0)
        return -1;
    const char *num = mi_str(rec.results, "bkpt.number");
    int n = num ? atoi(num) : -1;
    mi_record_free(&rec);
    if (n < 0)
        snprintf(err, errlen, "GDB gave no breakpoint number");
    return n;
}

static void add_loc(struct bp *b, uint64_t addr, const char *program)
{
    char err[256];
    /* An eBPF logpoint needs no GDB breakpoint: the OS runs a probe. */
    int n = b->ebpf ? 0 : insert_at(addr, err, sizeof err);
    if (n < 0) {
        free(b->message);
        b->message = strdup(err);
        return;
    }
    b->locs = realloc(b->locs, (size_t)(b->nlocs + 1) * sizeof *b->locs);
    struct bp_loc *l = &b->locs[b->nlocs++];
    l->gdb_number = n;
    l->addr = addr;
    l->enabled = true;
    snprintf(l->program, sizeof l->program, "%s", program ? program : "");
}

static void delete_locs(struct bp *b)
{
    char err[256];
    for (int k = 0; k < b->nlocs; k++) {
        if (b->locs[k].gdb_number > 0) {
            gdb_cmd(err, sizeof err, "-break-delete %d", b->locs[k].gdb_number);
            target_note_deleted_breakpoint(b->locs[k].gdb_number);
        }
    }
    b->nlocs = 0;
}

/* verified: kernel breakpoints always; user ones once their program ran. */
static void decide_verified(struct bp *b)
{
    if (b->nlocs == 0) {
        b->verified = false;
        if (!b->message)
            b->message = strdup("no code at this location in the kernel or any user program");
        return;
    }
    for (int k = 0; k < b->nlocs; k++) {
        /* A replay's programs are all armed (liveness.c). */
        if (!b->locs[k].program[0] || b->locs[k].program[0] == '*' ||
            program_seen(b->locs[k].program) || tt_mode() == TT_REPLAY) {
            b->verified = true;
            free(b->message);
            b->message = 0;
            return;
        }
    }
    b->verified = false;
    free(b->message);
    char msg[160];
    snprintf(msg, sizeof msg, "%s has not run yet; armed when it starts", b->locs[0].program);
    b->message = strdup(msg);
}

static json_t *bp_json(const struct bp *b)
{
    json_t *j = json_pack("{s:i, s:b}", "id", b->id, "verified", b->verified);
    if (b->kind == BP_SOURCE) {
        json_object_set_new(j, "line",
                            json_integer(dap_line_out(b->actual_line ? b->actual_line : b->line)));
        json_object_set_new(j, "source", json_pack("{s:s}", "path", b->source));
    }
    if (b->nlocs)
        json_object_set_new(j, "instructionReference",
                            json_sprintf("0x%llx", (unsigned long long)b->locs[0].addr));
    if (b->message)
        json_object_set_new(j, "message", json_string(b->message));
    return j;
}

void breakpoints_on_program_seen(const char *program)
{
    for (int i = 0; i < nbps; i++) {
        struct bp *b = &bps[i];
        if (b->verified)
            continue;
        for (int k = 0; k < b->nlocs; k++) {
            if (strcmp(b->locs[k].program, program) == 0) {
                decide_verified(b);
                dap_event("breakpoint",
                          json_pack("{s:s, s:o}", "reason", "changed", "breakpoint", bp_json(b)));
                break;
            }
        }
    }
}

static struct bp *new_bp(enum bp_kind kind, json_t *spec)
{
    bps = realloc(bps, (size_t)(nbps + 1) * sizeof *bps);
    struct bp *b = &bps[nbps++];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->id = ++next_bp_id;
    b->condition = dup_or_null(json_string_value(json_object_get(spec, "condition")));
    b->hit_condition = dup_or_null(json_string_value(json_object_get(spec, "hitCondition")));
    b->log_message = dup_or_null(json_string_value(json_object_get(spec, "logMessage")));
    return b;
}

/* Remove every breakpoint of one kind (and source); compacts bps. */
static void remove_bps(enum bp_kind kind, const char *source)
{
    int keep = 0;
    for (int i = 0; i < nbps; i++) {
        struct bp *b = &bps[i];
        if (b->kind == kind && (!source || (b->source && strcmp(b->source, source) == 0))) {
            if (b->ebpf)
                logpoints->detach(b);
            delete_locs(b);
            free_bp(b);
        } else {
            bps[keep++] = *b;
        }
    }
    nbps = keep;
}

void breakpoints_reinsert(void)
{
    char err[256];
    for (int i = 0; i < nwatches; i++)
        watches[i].gdb_number = 0; /* a new GDB: none is in it */
    breakpoints_rearm_watches();
    for (int i = 0; i < nbps; i++) {
        struct bp *b = &bps[i];
        for (int k = 0; k < b->nlocs; k++) {
            int n = insert_at(b->locs[k].addr, err, sizeof err);
            b->locs[k].gdb_number = n > 0 ? n : 0;
            b->locs[k].enabled = true;
        }
        b->hits = 0;
    }
    changed();
}

static void resolve_source(struct bp *b)
{
    uint64_t addrs[16];
    int actual = 0;
    /* The kernel first. */
    if (T.kernel_di && debuginfo_has_source(T.kernel_di, b->source)) {
        int n = debuginfo_line_to_addrs(T.kernel_di, b->source, b->line, addrs, 16, &actual);
        for (int k = 0; k < n; k++)
            add_loc(b, addrs[k], 0);
        if (n > 0)
            b->actual_line = actual;
    }
    /* Then every user program that has this file. */
    const char **names;
    int np = user_programs(&names);
    for (int i = 0; i < np; i++) {
        struct debuginfo *di = user_debuginfo(names[i]);
        if (!di || !debuginfo_has_source(di, b->source))
            continue;
        int n = debuginfo_line_to_addrs(di, b->source, b->line, addrs, 16, &actual);
        for (int k = 0; k < n; k++)
            add_loc(b, addrs[k], names[i]);
        if (n > 0 && !b->actual_line)
            b->actual_line = actual;
    }
}

json_t *breakpoints_set_source(const char *path, json_t *list)
{
    remove_bps(BP_SOURCE, path);
    json_t *out = json_array();
    size_t i;
    json_t *spec;
    json_array_foreach(list, i, spec)
    {
        json_t *jl = json_object_get(spec, "line");
        struct bp *b = new_bp(BP_SOURCE, spec);
        b->source = strdup(path);
        b->line = json_is_integer(jl) ? dap_line_in((int)json_integer_value(jl)) : 0;
        /* Logpoints run as eBPF probes in the OS when their message and
         * conditions compile (logprog.c); else GDB stops, prints, resumes. */
        b->ebpf = b->log_message && T.launched && !gdb_logpoints_only && logpoints; /* no GDB breakpoints yet */
        if (b->log_message && T.launched && gdb_logpoints_only)
            dap_output("console",
                       "osdbg: logpoint at %s:%d runs as a GDB stop-print-resume: %s\n", path,
                       b->line, gdb_logpoints_why);
        resolve_source(b);
        const char *why = 0;
        bool unknown_name = false;
        if (b->ebpf && b->nlocs && !logpoints->compile(b, &why)) {
            b->ebpf = false;
            b->nlocs = 0;
            /* A name that is no local, parameter or global there (the
             * same debug information GDB reads): GDB would only print
             * "No symbol" into the message at every hit.  Say it now. */
            unknown_name = strstr(why, "no variable ") != 0;
            if (unknown_name) {
                char msg[600];
                snprintf(msg, sizeof msg,
                         "not set: %s (name a local, a parameter or a global of this line, or "
                         "{comm}, {pid}, {time}, a register)",
                         why);
                free(b->message);
                b->message = strdup(msg);
                dap_output("console", "osdbg: logpoint at %s:%d %s\n", path, b->line, msg);
            } else {
                resolve_source(b); /* again, with GDB breakpoints */
                dap_output("console",
                           "osdbg: logpoint at %s:%d runs as a GDB stop-print-resume: %s\n", path,
                           b->line, why);
            }
        }
        decide_verified(b);
        if (b->ebpf && b->nlocs) {
            free(b->message);
            b->message = strdup("eBPF logpoint: prints without stopping the OS");
            b->verified = true;
            logpoints->attach(b);
        }
        json_array_append_new(out, bp_json(b));
    }
    changed();
    return out;
}

/* An eBPF logpoint the OS could not take (no room for another program or
 * probe): it becomes a GDB stop-print-resume logpoint, so it still prints. */
struct fall_back_args {
    int id;
    const char *why;
};

static int do_fall_back(void *p)
{
    struct fall_back_args *a = p;
    struct bp *b = breakpoint_by_id(a->id);
    if (!b || !b->ebpf || !logpoints)
        return 0;
    logpoints->detach(b); /* the probes of it that did attach */
    b->ebpf = false;
    delete_locs(b);
    resolve_source(b); /* again, with GDB breakpoints */
    decide_verified(b);
    dap_output("console", "osdbg: logpoint at %s:%d runs as a GDB stop-print-resume: %s\n",
               b->source, b->line, a->why);
    dap_event("breakpoint", json_pack("{s:s, s:o}", "reason", "changed", "breakpoint", bp_json(b)));
    changed();
    return 0;
}

void breakpoint_fall_back_to_gdb(int id, const char *why)
{
    struct fall_back_args a = {id, why};
    if (with_target_stopped(do_fall_back, &a) < 0)
        dap_output("stderr", "osdbg: a GDB logpoint could not be set: %s\n", target_stop_error());
}

/* "prog!func" names a user program's function; a plain name the kernel's. */
static void resolve_function(struct bp *b)
{
    const char *bang = strchr(b->name, '!');
    uint64_t addr;
    if (bang) {
        char prog[64];
        snprintf(prog, sizeof prog, "%.*s", (int)(bang - b->name), b->name);
        struct debuginfo *di = user_debuginfo(prog);
        if (!di) {
            b->message = strdup("no such user program (or it has no debug info)");
            return;
        }
        if (debuginfo_function_addr(di, bang + 1, true, &addr) == 0)
            add_loc(b, addr, prog);
        else
            b->message = strdup("no such function in that program");
        return;
    }
    if (T.kernel_di && debuginfo_function_addr(T.kernel_di, b->name, true, &addr) == 0)
        add_loc(b, addr, 0);
    else
        b->message = strdup("no such kernel function (use program!function for user code)");
}

json_t *breakpoints_set_functions(json_t *specs)
{
    remove_bps(BP_FUNCTION, 0);
    json_t *out = json_array();
    size_t i;
    json_t *spec;
    json_array_foreach(specs, i, spec)
    {
        struct bp *b = new_bp(BP_FUNCTION, spec);
        const char *name = json_string_value(json_object_get(spec, "name"));
        b->name = strdup(name ? name : "");
        resolve_function(b);
        decide_verified(b);
        json_array_append_new(out, bp_json(b));
    }
    changed();
    return out;
}

/* Instruction breakpoints: "0xADDR" in the kernel, or "prog!0xADDR" for a
 * user program (also accepted: an offset field added to the address). */
json_t *breakpoints_set_instructions(json_t *specs)
{
    remove_bps(BP_INSTRUCTION, 0);
    json_t *out = json_array();
    size_t i;
    json_t *spec;
    json_array_foreach(specs, i, spec)
    {
        struct bp *b = new_bp(BP_INSTRUCTION, spec);
        const char *ref = json_string_value(json_object_get(spec, "instructionReference"));
        b->name = strdup(ref ? ref : "");
        const char *bang = strchr(b->name, '!');
        const char *num = bang ? bang + 1 : b->name;
        char *end;
        unsigned long long addr = strtoull(num, &end, 0);
        json_t *off = json_object_get(spec, "offset");
        if (json_is_integer(off))
            addr += (unsigned long long)json_integer_value(off);
        if (end == num || *end) {
            b->message = strdup("instructionReference must be an address (0x...) or program!0x...");
        } else if (bang) {
            char prog[64];
            snprintf(prog, sizeof prog, "%.*s", (int)(bang - b->name), b->name);
            if (!user_debuginfo(prog))
                b->message = strdup("no such user program");
            else
                add_loc(b, addr, prog);
        } else {
            /* A user-range address without a program: any program. */
            add_loc(b, addr, addr < T.kernel_base ? "*" : 0);
        }
        decide_verified(b);
        json_array_append_new(out, bp_json(b));
    }
    changed();
    return out;
}


static int insert_watch(struct watch *w, char *err, size_t errlen)
{
    struct mi_record rec;
    char *q = mi_quote(w->expr);
    int r = gdb_run(&rec, err, errlen, "-break-watch %s%s", w->flag, q);
    free(q);
    if (r < 0)
        return -1;
    json_t *wpt = json_object_get(rec.results, "wpt");
    if (!wpt)
        wpt = json_object_get(rec.results, "hw-awpt");
    if (!wpt)
        wpt = json_object_get(rec.results, "hw-rwpt");
    const char *num = mi_str(wpt, "number");
    w->gdb_number = num ? atoi(num) : 0;
    mi_record_free(&rec);
    return 0;
}

static void delete_watches(void)
{
    char err[256];
    for (int i = 0; i < nwatches; i++) {
        if (watches[i].gdb_number > 0) {
            gdb_cmd(err, sizeof err, "-break-delete %d", watches[i].gdb_number);
            target_note_deleted_breakpoint(watches[i].gdb_number);
        }
        watches[i].gdb_number = 0;
    }
}

json_t *breakpoints_set_watches(json_t *list)
{
    delete_watches();
    for (int i = 0; i < nwatches; i++)
        free(watches[i].expr);
    nwatches = 0;
    watches = realloc(watches, (json_array_size(list) + 1) * sizeof *watches);
    json_t *out = json_array();
    size_t i;
    json_t *spec;
    json_array_foreach(list, i, spec)
    {
        char err[256];
        const char *id = json_string_value(json_object_get(spec, "dataId"));
        const char *access = json_string_value(json_object_get(spec, "accessType"));
        struct watch *w = &watches[nwatches];
        *w = (struct watch){.expr = id ? strdup(id) : 0, .pid = -1};
        w->flag = access && strcmp(access, "read") == 0        ? "-r "
                  : access && strcmp(access, "readWrite") == 0 ? "-a "
                                                               : "";
        if (!id || insert_watch(w, err, sizeof err) < 0) {
            json_array_append_new(out, json_pack("{s:b, s:s}", "verified", 0, "message",
                                                 id ? err : "dataId missing"));
            free(w->expr);
            continue;
        }
        /* A user address: this process's. */
        uint64_t addr;
        if (gdb_eval_u64(&addr, "&(%s)", id) && addr < T.kernel_base)
            w->pid = T.here.pid;
        w->id = WATCH_ID_BASE + ++next_watch_id;
        nwatches++;
        json_array_append_new(out, json_pack("{s:b, s:i}", "verified", 1, "id", w->id));
    }
    return out;
}

void breakpoints_rearm_watches(void)
{
    char err[256];
    delete_watches();
    for (int i = 0; i < nwatches; i++)
        if (insert_watch(&watches[i], err, sizeof err) < 0)
            dap_output("stderr", "osdbg: data breakpoint %s: %s\n", watches[i].expr, err);
}

bool breakpoint_watch_by_gdb(int gdb_number, int *id, int *pid)
{
    for (int i = 0; i < nwatches; i++)
        if (watches[i].gdb_number == gdb_number) {
            *id = watches[i].id;
            *pid = watches[i].pid;
            return true;
        }
    return false;
}

int breakpoint_insert_internal(const char *what, const char *function, bool after_prologue)
{
    uint64_t addr;
    char err[256];
    if (!T.kernel_di || debuginfo_function_addr(T.kernel_di, function, after_prologue, &addr) < 0) {
        dap_log("%s %s: not a kernel function", what, function);
        return 0;
    }
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-break-insert *0x%llx", (unsigned long long)addr) < 0) {
        dap_log("%s %s: %s", what, function, err);
        return 0;
    }
    const char *num = mi_str(rec.results, "bkpt.number");
    int n = num ? atoi(num) : 0;
    mi_record_free(&rec);
    return n > 0 ? n : 0;
}
