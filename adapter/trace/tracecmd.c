/*
 * eBPF from the editor (issue 6): the debug console's `trace` commands and
 * their custom requests, through the kernel's side-stub while the OS keeps
 * running (the side channel: sidechan.c; eBPF logpoints: logpoints.c).
 *
 *   trace kprobe <symbol|address|file:line> [registers|args|count|latency|prog.bpf.c]
 *   trace kretprobe <symbol|address> [registers|count|prog.bpf.c]
 *   trace uprobe <program>:<symbol|address|file:line> [...|latency]
 *   trace uretprobe <program>:<symbol> [registers|count|prog.bpf.c]
 *   trace list | trace detach <id>|all | trace map <id>
 *
 * Custom requests (the VS Code extension's eBPF view uses them):
 *   osdbg/trace        {command: "kprobe sys_write count"} or
 *                      {function, source, builtin?} -> {text, ids}
 *   osdbg/traceList    -> {probes: [{id, kind, hits, program, target,
 *                      latency}], events, lost, dropped, damaged}
 *   osdbg/traceDetach  {id}
 *   osdbg/traceMap     {id, map?} -> {text, entries?, histogram?: {unit,
 *                      total, buckets}}
 * and the event osdbg/traceChanged after every attach or detach.
 *
 * Each trace subscribes to its probe id; its events become lines in the
 * Debug Console.
 */
#include "trace/tracecmd.h"
#include "gdb/gdb.h"
#include "dap/dap.h"
#include "dwarf/debuginfo.h"
#include "trace/logpoints.h"
#include "core/loop.h"
#include "machine/qemu.h"
#include "target/breakpoints.h"
#include "target/programs.h"
#include "target/state.h"
#include "side/sideclient.h"
#include "side/sidechan.h"
#include "side/siderelay.h"
#include "side/tprobe.h"

#include <osdbg/sidestub_proto.h>

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRACES 32

static struct tprobe traces[MAX_TRACES]; /* the console's probes */
static int ntraces;

bool tracecmd_is(const char *line)
{
    return strncmp(line, "trace ", 6) == 0 || strcmp(line, "trace") == 0;
}

static void changed(void)
{
    dap_event("osdbg/traceChanged", json_object());
}

/* The side channel's owner (sidechan.c) tells us about losses (after
 * logpoints.c has flushed its lines) and its end. */
static void on_lost(uint64_t lost)
{
    dap_output("console", "[trace] %llu events lost\n", (unsigned long long)lost);
}

static void on_closed(void)
{
    ntraces = 0;
}

static const struct sidechan_listener listener = {on_lost, 0, on_closed};

void tracecmd_init(void)
{
    sidechan_listen(&listener);
}

/* A console trace's event: a line, sent with the logpoints' lines (in the
 * order the events came; in batches when they come faster than an editor
 * shows them, logpoints.c). */
static void on_trace_event(const struct ss_event *ev, void *arg)
{
    (void)arg;
    for (int i = 0; i < ntraces; i++) {
        if (traces[i].id != (int)ev->probe)
            continue;
        char *line = tprobe_format(&traces[i], ev, -1);
        if (line) {
            size_t n = strlen(line) + 32;
            char *text = malloc(n);
            snprintf(text, n, "[trace %u] %s", ev->probe, line);
            logpoints_console_line(ev->probe, text);
            free(text);
        }
        free(line);
        return;
    }
}

static bool connect_side(char *err, size_t errlen)
{
    return sidechan_get(err, errlen) != 0;
}

void tracecmd_close(void)
{
    sidechan_close(); /* the listeners reset their state */
}

static struct debuginfo *di_for(void *ctx, const char *program)
{
    (void)ctx;
    return program[0] ? user_debuginfo(program) : T.kernel_di;
}

static struct tprobe *trace_by_id(int id)
{
    for (int i = 0; i < ntraces; i++)
        if (traces[i].id == id)
            return &traces[i];
    return 0;
}

/* ---- the commands (shared by evaluate and the custom requests) ---- */

/* Attach; *text says what happened.  0 or -1 (text is the error). */
static int cmd_attach(const char *kind, const char *target, const char *prog, char *text,
                      size_t cap, int *id)
{
    char err[1024];
    if (ntraces == MAX_TRACES) {
        snprintf(text, cap, "trace: %d probes already; detach some", MAX_TRACES);
        return -1;
    }
    struct tprobe *t = &traces[ntraces];
    if (tprobe_parse(t, kind, target, prog, di_for, 0, err, sizeof err) < 0 ||
        tprobe_attach(sidechan_current(), t, err, sizeof err) < 0) {
        snprintf(text, cap, "trace: %s", err);
        return -1;
    }
    ntraces++;
    *id = t->id;
    sidechan_subscribe((uint32_t)t->id, on_trace_event, 0);
    char what[400];
    tprobe_describe(t, what, sizeof what);
    snprintf(text, cap, "probe %d attached: %s at 0x%llx%s%s; %s", t->id, what,
             (unsigned long long)t->addr, t->func[0] ? " in " : "", t->func,
             t->builtin == BUILTIN_COUNT || t->builtin == BUILTIN_LATENCY
                 ? "`trace map` shows what it gathered"
                 : "its hits appear here while the OS runs");
    changed();
    return 0;
}

static int cmd_detach(int id, char *text, size_t cap)
{
    char err[256];
    struct tprobe *t = trace_by_id(id);
    struct tprobe any = {.id = id};
    if (tprobe_detach(sidechan_current(), t ? t : &any, err, sizeof err) < 0) {
        snprintf(text, cap, "trace: detach %d: %s", id, err);
        return -1;
    }
    if (t) {
        *t = traces[--ntraces];
    }
    sidechan_unsubscribe((uint32_t)id);
    snprintf(text, cap, "probe %d detached", id);
    changed();
    return 0;
}

/* One vTList item: id,kind,hits,prog,target. */
struct list_item {
    int id;
    char kind[16], prog[64], target[128];
    unsigned long long hits;
};

static int list_probes(struct list_item *items, int max, char *err, size_t errlen)
{
    int n = 0;
    struct ss_request req = {.cmd = SS_CMD_LIST};
    static char reply[SS_PACKET_SIZE + 1];
    for (int pages = 0; pages < 100; pages++) {
        if (side_request_cmd(sidechan_current(), &req, reply, sizeof reply, 3000, err, errlen) < 0)
            return -1;
        if (reply[0] != SS_REPLY_MORE && reply[0] != SS_REPLY_LAST) {
            snprintf(err, errlen, "vTList: %.200s", reply);
            return -1;
        }
        /* Items as the library reads them (ss_probe_info_parse). */
        struct ss_str rest = {reply + 1, strlen(reply + 1)}, item;
        while (n < max && ss_next_item(&rest, ';', &item)) {
            struct ss_probe_info p;
            if (ss_probe_info_parse(item.p, item.n, &p) != 0)
                continue;
            struct list_item *it = &items[n++];
            memset(it, 0, sizeof *it);
            it->id = (int)p.id;
            it->hits = p.hits;
            snprintf(it->kind, sizeof it->kind, "%s",
                     ss_kind_name(p.kind) ? ss_kind_name(p.kind) : "?");
            snprintf(it->prog, sizeof it->prog, "%.*s", (int)p.prog.n, p.prog.p);
            if (p.name.n)
                snprintf(it->target, sizeof it->target, "%.*s:%llx", (int)p.name.n, p.name.p,
                         (unsigned long long)p.addr);
            else
                snprintf(it->target, sizeof it->target, "%llx", (unsigned long long)p.addr);
        }
        if (reply[0] == SS_REPLY_LAST || n == 0)
            break;
        req.has_after = true;
        req.id = (uint32_t)items[n - 1].id;
    }
    return n;
}

/* What the user calls the probe's target and program (the kernel only
 * knows addresses and ELF program names). */
static void describe_item(const struct list_item *it, const char **program, char *target,
                          size_t cap, bool *latency)
{
    *latency = false;
    *program = it->prog;
    snprintf(target, cap, "%s", it->target);
    struct tprobe *t = trace_by_id(it->id);
    if (t) {
        *program = t->builtin == BUILTIN_NONE ? t->path : builtin_name(t->builtin);
        snprintf(target, cap, "%s", t->target);
        *latency = t->builtin == BUILTIN_LATENCY;
        return;
    }
    const struct bp *b = breakpoint_by_id(logpoint_of_probe(it->id));
    if (b) {
        *program = "logpoint";
        const char *base = b->source ? strrchr(b->source, '/') : 0;
        snprintf(target, cap, "%s:%d", base ? base + 1 : b->source, b->line);
        return;
    }
    if (siderelay_owns((uint32_t)it->id))
        snprintf(target, cap, "%s (osdbg trace in a terminal)", it->target);
}

static uint64_t stat_value(const char *reply, const char *name)
{
    uint64_t v = 0;
    return ss_stat_value(reply, strlen(reply), name, &v) ? v : 0;
}

static int cmd_list(json_t **out, char *text, size_t cap)
{
    char err[256];
    static struct list_item items[64];
    int n = list_probes(items, 64, err, sizeof err);
    if (n < 0) {
        snprintf(text, cap, "trace: %s", err);
        return -1;
    }
    char stat[256] = "";
    side_request(sidechan_current(), SS_PKT_STAT, stat, sizeof stat, 3000, err, sizeof err);
    struct side_counts k;
    side_counts(sidechan_current(), &k);
    json_t *probes = json_array();
    size_t len = 0;
    len += (size_t)snprintf(text + len, cap - len, "%-4s %-10s %-10s %-10s %s\n", "id", "kind",
                            "hits", "program", "target");
    for (int i = 0; i < n; i++) {
        const char *program;
        char target[200];
        bool latency;
        describe_item(&items[i], &program, target, sizeof target, &latency);
        json_array_append_new(probes,
                              json_pack("{s:i, s:s, s:I, s:s, s:s, s:b}", "id", items[i].id, "kind",
                                        items[i].kind, "hits", (json_int_t)items[i].hits, "program",
                                        program, "target", target, "latency", latency));
        if (len < cap)
            len += (size_t)snprintf(text + len, cap - len, "%-4d %-10s %-10llu %-10s %s\n",
                                    items[i].id, items[i].kind, items[i].hits, program, target);
    }
    uint64_t dropped = stat_value(stat, SS_STAT_DROPPED);
    if (len < cap)
        len += (size_t)snprintf(text + len, cap - len,
                                "%d probe%s; %llu events received, %llu lost (sequence gaps: every "
                                "event that never arrived), of which the kernel dropped %llu",
                                n, n == 1 ? "" : "s", (unsigned long long)k.events,
                                (unsigned long long)k.lost, (unsigned long long)dropped);
    if (len < cap && k.damaged)
        snprintf(text + len, cap - len, "; %llu frames arrived damaged",
                 (unsigned long long)k.damaged);
    *out = json_pack("{s:o, s:I, s:I, s:I, s:I}", "probes", probes, "events", (json_int_t)k.events,
                     "lost", (json_int_t)k.lost, "dropped", (json_int_t)dropped, "damaged",
                     (json_int_t)k.damaged);
    return 0;
}

static int cmd_map(int id, json_t **out, char *text, size_t cap)
{
    char err[256];
    struct tprobe *t = trace_by_id(id);
    if (!t) {
        snprintf(text, cap, "trace: no probe %d set from here", id);
        return -1;
    }
    char *map = tprobe_map_text(sidechan_current(), t, err, sizeof err);
    if (!map) {
        snprintf(text, cap, "trace: %s", err);
        return -1;
    }
    snprintf(text, cap, "%s", map);
    free(map);
    *out = json_object();
    if (t->builtin == BUILTIN_LATENCY) {
        uint64_t b[BUILTIN_HIST_BUCKETS];
        if (tprobe_hist(sidechan_current(), t, b, err, sizeof err) == 0) {
            json_t *buckets = json_array();
            uint64_t total = 0;
            for (int i = 0; i < BUILTIN_HIST_BUCKETS; i++) {
                total += b[i];
                if (b[i])
                    json_array_append_new(buckets,
                                          json_pack("{s:I, s:I, s:I}", "low",
                                                    (json_int_t)(i ? 1ull << (i - 1) : 0), "high",
                                                    (json_int_t)(i ? 1ull << i : 1), "count",
                                                    (json_int_t)b[i]));
            }
            json_object_set_new(*out, "histogram",
                                json_pack("{s:s, s:I, s:o}", "unit", "ns", "total",
                                          (json_int_t)total, "buckets", buckets));
        }
    }
    return 0;
}

static const char *usage_text =
    "usage: trace kprobe <symbol|address|file:line> [registers|args|count|latency|prog.bpf.c]\n"
    "       trace kretprobe <symbol> [registers|count|prog.bpf.c]\n"
    "       trace uprobe <program>:<symbol|address|file:line> [...]\n"
    "       trace uretprobe <program>:<symbol> [registers|count|prog.bpf.c]\n"
    "       trace list | trace detach <id>|all | trace map <id>";

static void respond_text(json_t *req, const char *text, json_t *extra)
{
    json_t *body = json_pack("{s:s, s:i}", "result", text, "variablesReference", 0);
    if (extra)
        json_object_update(body, extra);
    json_decref(extra);
    dap_respond(req, body);
}

static bool ready(json_t *req)
{
    char err[512];
    if (T.state == TARGET_STOPPED) {
        dap_error(req, "trace: the OS is stopped; probes are set while it runs (continue first)");
        return false;
    }
    if (!connect_side(err, sizeof err)) {
        dap_error(req, "trace: %s", err);
        return false;
    }
    /* Logpoint changes made while the OS was stopped come first. */
    logpoints_catch_up();
    return true;
}

/* The words after "trace": run them; text gets the answer.  -1: an error. */
static int run_words(const char *line, char *text, size_t cap, json_t **extra)
{
    char cmd[32] = "", a[512] = "", b[512] = "";
    int nw = sscanf(line, "%31s %511s %511s", cmd, a, b);
    *extra = 0;
    if (nw < 1) {
        snprintf(text, cap, "%s", usage_text);
        return -1;
    }
    if (!strcmp(cmd, "kprobe") || !strcmp(cmd, "kretprobe") || !strcmp(cmd, "uprobe") ||
        !strcmp(cmd, "uretprobe")) {
        if (nw < 2) {
            snprintf(text, cap, "%s", usage_text);
            return -1;
        }
        int id;
        if (cmd_attach(cmd, a, nw > 2 ? b : 0, text, cap, &id) < 0)
            return -1;
        *extra = json_pack("{s:[i]}", "ids", id);
        return 0;
    }
    if (!strcmp(cmd, "list"))
        return cmd_list(extra, text, cap);
    if (!strcmp(cmd, "detach") && !strcmp(a, "all")) {
        size_t len = 0;
        while (ntraces && len < cap) {
            if (cmd_detach(traces[0].id, text + len, cap - len) < 0)
                return -1;
            len += strlen(text + len);
            if (len + 1 < cap)
                text[len++] = '\n';
        }
        if (!len)
            snprintf(text, cap, "no probes set from here");
        else
            text[len - 1] = 0;
        return 0;
    }
    if ((!strcmp(cmd, "detach") || !strcmp(cmd, "map")) && nw >= 2) {
        char *end;
        long id = strtol(a, &end, 0);
        if (*end || id < 0) {
            snprintf(text, cap, "trace %s wants a probe id (trace list shows them)", cmd);
            return -1;
        }
        return !strcmp(cmd, "map") ? cmd_map((int)id, extra, text, cap)
                                   : cmd_detach((int)id, text, cap);
    }
    snprintf(text, cap, "trace: unknown command %s\n%s", cmd, usage_text);
    return -1;
}

void tracecmd_run(json_t *req, const char *line)
{
    if (!ready(req))
        return;
    static char text[16384];
    json_t *extra;
    const char *words = line + 5; /* after "trace" */
    if (run_words(words, text, sizeof text, &extra) < 0) {
        json_decref(extra);
        dap_error(req, "%s", text);
        return;
    }
    respond_text(req, text, extra);
}

/* {function, source}: the kernel's function if the source is the
 * kernel's, else the user program's whose ELF has that source. */
static int function_target(const char *function, const char *source, char *kind, size_t kcap,
                           char *target, size_t tcap)
{
    if (!source || (T.kernel_di && debuginfo_has_source(T.kernel_di, source))) {
        snprintf(kind, kcap, "kprobe");
        snprintf(target, tcap, "%s", function);
        return 0;
    }
    const char **names;
    int np = user_programs(&names);
    for (int i = 0; i < np; i++) {
        struct debuginfo *di = user_debuginfo(names[i]);
        if (di && debuginfo_has_source(di, source)) {
            snprintf(kind, kcap, "uprobe");
            snprintf(target, tcap, "%s:%s", names[i], function);
            return 0;
        }
    }
    return -1;
}

void tracecmd_request(json_t *req, const char *command, json_t *args)
{
    if (!ready(req))
        return;
    static char text[16384];
    json_t *extra = 0;
    int rc;
    if (!strcmp(command, "osdbg/trace")) {
        const char *words = json_string_value(json_object_get(args, "command"));
        const char *function = json_string_value(json_object_get(args, "function"));
        char line[1200];
        if (words) {
            snprintf(line, sizeof line, "%s", words);
        } else if (function) {
            const char *source = json_string_value(json_object_get(args, "source"));
            const char *builtin = json_string_value(json_object_get(args, "builtin"));
            char kind[16], target[600];
            if (function_target(function, source, kind, sizeof kind, target, sizeof target) < 0) {
                dap_error(req, "trace: %s is not a source of the kernel or of a user program",
                          source);
                return;
            }
            snprintf(line, sizeof line, "%s %s %s", kind, target, builtin ? builtin : "");
        } else {
            dap_error(req, "osdbg/trace wants command, or function and source");
            return;
        }
        rc = run_words(line, text, sizeof text, &extra);
    } else if (!strcmp(command, "osdbg/traceList")) {
        rc = cmd_list(&extra, text, sizeof text);
    } else {
        json_t *id = json_object_get(args, "id");
        if (!json_is_integer(id) || json_integer_value(id) < 0) {
            dap_error(req, "%s wants the probe's id (a number, as osdbg/traceList gives)", command);
            return;
        }
        rc = !strcmp(command, "osdbg/traceDetach")
                 ? cmd_detach((int)json_integer_value(id), text, sizeof text)
                 : cmd_map((int)json_integer_value(id), &extra, text, sizeof text);
    }
    if (rc < 0) {
        json_decref(extra);
        dap_error(req, "%s", text);
        return;
    }
    json_t *body = json_pack("{s:s}", "text", text);
    if (extra)
        json_object_update(body, extra);
    json_decref(extra);
    if (!json_object_get(body, "ids"))
        json_object_set_new(body, "ids", json_array());
    dap_respond(req, body);
}
