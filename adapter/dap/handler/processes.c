/*
 * osdbg/processes (custom): every process of the stopped OS, read from its
 * process table with the profile's "processes" expressions
 * (docs/profiles.md), for the editor's Address Spaces view: program, pid,
 * state, page table, and the breakpoints armed while each one runs.
 * {processes: [{program, pid, state, pageTable, current, hart, breakpoints:
 * [{id, source, line}]}], kernelBreakpoints} (pageTable as hex text;
 * current: the process of the hart whose stop this is; hart: the hart
 * running it, if one is).
 * Only while the OS is stopped.
 */
#include "dap/handler/handlers.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "profile/profile.h"
#include "target/breakpoints.h"
#include "target/harts.h"
#include "target/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SLOTS = 1024 };

/* expr with every {p} replaced by element, malloc'd. */
static char *instantiate(const char *expr, const char *element)
{
    size_t cap = strlen(expr) + 1, len = 0;
    for (const char *s = expr; (s = strstr(s, "{p}")); s += 3)
        cap += strlen(element);
    char *out = malloc(cap);
    for (const char *s = expr; *s;) {
        if (!strncmp(s, "{p}", 3)) {
            len += (size_t)sprintf(out + len, "%s", element);
            s += 3;
        } else {
            out[len++] = *s++;
        }
    }
    out[len] = 0;
    return out;
}

static char *eval_in(const char *expr, const char *element, char *err, size_t errlen)
{
    char *e = instantiate(expr, element);
    char *v = gdb_eval_in(profile_lang(), err, errlen, "%s", e);
    free(e);
    return v;
}

static json_t *breakpoints_of(const char *program)
{
    json_t *list = json_array();
    int nbps;
    const struct bp *bps = breakpoints_all(&nbps);
    for (int i = 0; i < nbps; i++) {
        const struct bp *b = &bps[i];
        for (int k = 0; k < b->nlocs; k++) {
            if (strcmp(b->locs[k].program, program) != 0)
                continue;
            json_array_append_new(list, json_pack("{s:i, s:s?, s:i}", "id", b->id, "source",
                                                  b->source, "line", b->line));
            break;
        }
    }
    return list;
}

void req_processes(json_t *req, json_t *args)
{
    (void)args;
    const struct profile *p = T.profile;
    if (!p || !p->procs_table || !p->procs_live || !p->procs_name) {
        dap_error(req,
                  "osdbg/processes: the profile has no \"processes\" table (docs/profiles.md)");
        return;
    }
    if (T.state != TARGET_STOPPED) {
        dap_error(req, "osdbg/processes: the OS is running; pause it first");
        return;
    }
    char err[256];
    uint64_t count;
    harts_identify_all();
    bool phys = T.here.priv == 0 && p->kernel_identity_mapped;
    if (phys)
        gdb_physical_memory(true);
    if (!gdb_eval_u64_in(profile_lang(), &count, "sizeof(%s) / sizeof((%s)[0])", p->procs_table, p->procs_table) ||
        count == 0 || count > MAX_SLOTS) {
        if (phys)
            gdb_physical_memory(false);
        dap_error(req, "osdbg/processes: %s is not an array of at most %d processes",
                  p->procs_table, MAX_SLOTS);
        return;
    }
    json_t *list = json_array();
    int kernel_bps = 0, nbps;
    const struct bp *bps = breakpoints_all(&nbps);
    for (int i = 0; i < nbps; i++)
        for (int k = 0; k < bps[i].nlocs; k++)
            if (!bps[i].locs[k].program[0]) {
                kernel_bps++;
                break;
            }
    for (uint64_t i = 0; i < count; i++) {
        char element[512];
        snprintf(element, sizeof element, "(%s)[%llu]", p->procs_table, (unsigned long long)i);
        char *e = instantiate(p->procs_live, element);
        uint64_t live = 0;
        bool ok = gdb_eval_u64_in(profile_lang(), &live, "%s", e);
        free(e);
        if (!ok || !live)
            continue;
        char name[64] = "", *v = eval_in(p->procs_name, element, err, sizeof err);
        if (v)
            parse_c_string(v, name, sizeof name);
        free(v);
        json_t *proc =
            json_pack("{s:s, s:o}", "program", name, "breakpoints", breakpoints_of(name));
        uint64_t n;
        if (p->procs_pid && (e = instantiate(p->procs_pid, element))) {
            if (gdb_eval_u64_in(profile_lang(), &n, "%s", e)) {
                json_object_set_new(proc, "pid", json_integer((json_int_t)n));
                /* Which hart runs it (harts identified above); whichever
                 * hart the client looks at now, "current" stays the stop's. */
                int on = -1;
                for (int t = 1; t <= T.nharts; t++)
                    if (T.harts[t - 1].pid >= 0 && (uint64_t)T.harts[t - 1].pid == n &&
                        !strcmp(T.harts[t - 1].program, name))
                        on = t - 1;
                const struct aspace *stop = T.nharts ? &T.harts[T.stop_thread - 1] : &T.here;
                json_object_set_new(proc, "current",
                                    json_boolean(stop->pid >= 0 && (uint64_t)stop->pid == n &&
                                                 !strcmp(stop->program, name)));
                json_object_set_new(proc, "hart", on >= 0 ? json_integer(on) : json_null());
            }
            free(e);
        }
        if (p->procs_state && (v = eval_in(p->procs_state, element, err, sizeof err))) {
            json_object_set_new(proc, "state", json_string(v));
            free(v);
        }
        if (p->procs_pagetable && (e = instantiate(p->procs_pagetable, element))) {
            if (gdb_eval_u64_in(profile_lang(), &n, "%s", e)) {
                char hex[24];
                snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)n);
                json_object_set_new(proc, "pageTable", json_string(hex));
            }
            free(e);
        }
        json_array_append_new(list, proc);
    }
    if (phys)
        gdb_physical_memory(false);
    dap_respond(req, json_pack("{s:o, s:i}", "processes", list, "kernelBreakpoints", kernel_bps));
}
