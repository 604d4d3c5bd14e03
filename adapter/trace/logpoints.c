/*
 * logpoints.c - eBPF logpoints: a breakpoint's message, condition and hit
 * condition compiled to one eBPF program per location (logprog.c), uploaded
 * and attached through the side channel (sidechan.c) while the OS runs, and
 * each hit turned into the message's line, with the breakpoint's source, in
 * the Debug Console.  A logpoint whose program cannot be made or attached
 * falls back to a GDB stop-print-resume (breakpoints.c).  Set while the OS
 * is stopped, it attaches when the OS runs again (target_on_resume).
 */
#include "trace/logpoints.h"
#include "bpf/bpfgen.h"
#include "dap/dap.h"
#include "bpf/logprog.h"
#include "core/loop.h"
#include "machine/qemu.h"
#include "target/breakpoints.h"
#include "target/programs.h"
#include "target/runctl.h"
#include "target/state.h"
#include "side/sidechan.h"
#include "side/tprobe.h"

#include <osdbg/sidestub_proto.h>

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Probes of removed logpoints, detached when the OS runs (the side-stub
 * answers only then). */
static int doomed[64];
static int ndoomed;

/* The logpoints' own state, keyed by breakpoint id (struct bp is the
 * breakpoints' business: this file only reads its locations, message,
 * source and line). */
struct logpoint {
    int bp_id;
    struct logprog *progs[8]; /* one program per location */
    int probe_ids[8];         /* their side-stub probe ids, -1 while not attached */
    int attach_timeouts;      /* attaches the side-stub did not answer in time */
};
static struct logpoint *lps;
static int nlps, caplps;
static void (*fall_back)(int bp_id, const char *why);

static struct logpoint *lp_of(int bp_id)
{
    for (int i = 0; i < nlps; i++)
        if (lps[i].bp_id == bp_id)
            return &lps[i];
    return 0;
}

static struct logpoint *lp_new(int bp_id)
{
    if (nlps == caplps) {
        caplps = caplps ? 2 * caplps : 16;
        lps = realloc(lps, (size_t)caplps * sizeof *lps);
        if (!lps)
            abort();
    }
    struct logpoint *lp = &lps[nlps++];
    memset(lp, 0, sizeof *lp);
    lp->bp_id = bp_id;
    for (int k = 0; k < 8; k++)
        lp->probe_ids[k] = -1;
    return lp;
}

static const struct bp *bp_of(int bp_id)
{
    return breakpoint_by_id(bp_id);
}

static void changed(void)
{
    dap_event("osdbg/traceChanged", json_object());
}

static bool logpoint_event(const struct ss_event *ev, int bp_id);
static void attach_pending_soon(void *data);

/* An eBPF logpoint's event (arg: its breakpoint's id): its line, with the
 * breakpoint's source. */
static void on_logpoint_event(const struct ss_event *ev, void *arg)
{
    logpoint_event(ev, (int)(intptr_t)arg);
}

static void end_batches(void);

static void on_closed(void)
{
    logpoints_flush_lines();
    end_batches();
    ndoomed = 0;
}

static void flush_lines(uint64_t lost)
{
    (void)lost;
    logpoints_flush_lines();
}

static void after_read(void);
static const struct sidechan_listener listener = {flush_lines, after_read, on_closed};

/* How the breakpoints (target/breakpoints.c) run a logpoint as eBPF. */
static const struct logpoint_ops ops = {logpoint_compile, logpoint_attach, logpoint_detach,
                                        logpoint_forget};

void logpoints_init(void (*fall_back_to_gdb)(int bp_id, const char *why))
{
    fall_back = fall_back_to_gdb;
    breakpoints_set_logpoint_ops(&ops);
    sidechan_listen(&listener);
    /* Set while the OS was stopped: attach when it runs. */
    target_on_resume(logpoints_resumed);
}

int logpoint_of_probe(int probe_id)
{
    for (int i = 0; i < nlps; i++)
        for (int k = 0; k < 8; k++)
            if (lps[i].probe_ids[k] == probe_id)
                return lps[i].bp_id;
    return -1;
}

void logpoints_catch_up(void)
{
    attach_pending_soon(0);
}

bool logpoint_compile(struct bp *b, const char **why)
{
    static char reason[400];
    logpoint_forget(b);
    struct logpoint *entry = lp_new(b->id);
    for (int k = 0; k < b->nlocs && k < 8; k++) {
        struct logprog *lp = calloc(1, sizeof *lp);
        struct logprog_site site = {
            .di = b->locs[k].program[0] ? user_debuginfo(b->locs[k].program) : T.kernel_di,
            .pc = b->locs[k].addr,
            .user = b->locs[k].program[0] != 0,
        };
        if (logprog_compile(lp, b->log_message, b->condition, b->hit_condition, &site, reason,
                            sizeof reason) < 0) {
            free(lp);
            logpoint_forget(b);
            *why = reason;
            return false;
        }
        entry->progs[k] = lp;
    }
    return true;
}

void logpoint_forget(struct bp *b)
{
    struct logpoint *lp = lp_of(b->id);
    if (!lp)
        return;
    for (int k = 0; k < 8; k++) {
        if (lp->progs[k]) {
            logprog_free(lp->progs[k]);
            free(lp->progs[k]);
        }
    }
    *lp = lps[--nlps];
}

static bool logpoints_pending;
/* A logpoint whose attach went unanswered this many times in a row prints
 * through GDB instead (the side-stub is wedged, not just slow). */
#define ATTACH_TIMEOUTS_MAX 3
static int connect_tries; /* connections tried for pending logpoints since the last run */

bool logpoints_wanted(void)
{
    int nbps;
    const struct bp *bps = breakpoints_all(&nbps);
    for (int i = 0; i < nbps; i++)
        if (bps[i].ebpf)
            return true;
    return false;
}

void logpoint_attach(struct bp *b)
{
    if (T.state != TARGET_RUNNING || !sidechan_current()) {
        logpoints_pending = true;      /* the next run (logpoints_resumed) attaches it */
        if (T.state == TARGET_RUNNING) /* no connection yet: from the loop */
            logpoints_resumed();
        return;
    }
    struct logpoint *lp = lp_of(b->id);
    if (!lp)
        return; /* not compiled: not an eBPF logpoint */
    char err[1024], why[1100] = "";
    bool any = false;
    for (int k = 0; k < b->nlocs && k < 8; k++) {
        if (lp->probe_ids[k] >= 0 || !lp->progs[k])
            continue;
        uint8_t *elf = 0;
        size_t len;
        const struct bp_loc *l = &b->locs[k];
        if (bpfgen_object(&lp->progs[k]->gen, &elf, &len, err, sizeof err) < 0 ||
            tprobe_attach_object(sidechan_current(), l->program[0] ? SS_UPROBE : SS_KPROBE,
                                 l->program, l->addr, elf, len, LOGPROG_NAME, 0, &lp->probe_ids[k],
                                 err, sizeof err) < 0) {
            lp->probe_ids[k] = -1;
            bool slow = strstr(err, "no reply") || strstr(err, "still owes");
            if (side_interrupted(sidechan_current()) || T.state != TARGET_RUNNING ||
                (slow && ++lp->attach_timeouts < ATTACH_TIMEOUTS_MAX)) {
                /* The OS stopped meanwhile, or a busy machine answered
                 * late (what was sent is undone): not a refusal, try again
                 * soon or when the OS runs again. */
                free(elf);
                logpoints_pending = true;
                if (T.state == TARGET_RUNNING)
                    loop_timer(500, attach_pending_soon, 0);
                break;
            }
            snprintf(why, sizeof why, "the OS refused its eBPF probe: %s", err);
        } else {
            any = true;
            lp->attach_timeouts = 0;
            sidechan_subscribe((uint32_t)lp->probe_ids[k], on_logpoint_event,
                               (void *)(intptr_t)b->id);
        }
        if (elf)
            free(elf);
        if (why[0])
            break;
    }
    if (any)
        changed();
    if (why[0] && fall_back)
        fall_back(b->id, why);
}

static void detach_doomed(void)
{
    char err[256], reply[64];
    for (int i = 0; i < ndoomed && sidechan_current(); i++) {
        struct ss_request detach = {.cmd = SS_CMD_DETACH, .id = (uint32_t)doomed[i]};
        if (side_request_cmd(sidechan_current(), &detach, reply, sizeof reply, 3000, err,
                             sizeof err) < 0)
            dap_output("stderr", "osdbg: detaching logpoint probe %d: %s\n", doomed[i], err);
    }
    if (ndoomed)
        changed();
    ndoomed = 0;
}

void logpoint_detach(struct bp *b)
{
    struct logpoint *lp = lp_of(b->id);
    if (!lp)
        return;
    for (int k = 0; k < 8; k++) {
        if (lp->probe_ids[k] >= 0)
            sidechan_unsubscribe((uint32_t)lp->probe_ids[k]);
        if (lp->probe_ids[k] >= 0 && sidechan_current() &&
            ndoomed < (int)(sizeof doomed / sizeof doomed[0]))
            doomed[ndoomed++] = lp->probe_ids[k];
        lp->probe_ids[k] = -1;
    }
    logpoint_forget(b);
    if (T.state == TARGET_RUNNING)
        detach_doomed();
}

static void attach_pending(void)
{
    logpoints_pending = false; /* an attach the OS interrupts sets it again */
    int nbps;
    struct bp *bps = breakpoints_all(&nbps);
    for (int i = 0; i < nbps; i++)
        if (bps[i].ebpf)
            logpoint_attach(&bps[i]);
}

static void attach_pending_soon(void *data)
{
    (void)data;
    char err[512];
    if (T.state != TARGET_RUNNING)
        return;
    if (!sidechan_current() && logpoints_pending && !sidechan_get(err, sizeof err)) {
        /* A session with no logpoint at its start has no connection yet.
         * The side-stub answers once the kernel has set it up: try again. */
        if (qemu_running() && ++connect_tries <= 100)
            loop_timer(100, attach_pending_soon, 0);
        else if (connect_tries == 101)
            dap_output("stderr", "osdbg: eBPF logpoints cannot attach: %s\n", err);
        return;
    }
    connect_tries = 0;
    if (sidechan_current()) {
        detach_doomed();
        if (logpoints_pending)
            attach_pending();
    }
}

void logpoints_resumed(void)
{
    /* From the event loop, once the OS runs again (the side-stub answers
     * only then); before the first run logpoints_start does it. */
    if (logpoints_pending || ndoomed) {
        connect_tries = 0;
        loop_timer(1, attach_pending_soon, 0);
    }
}

static int start_tries;
static int64_t start_ms;

/* How long after the OS starts running its debug channel may stay silent
 * before osdbg takes it that the OS has no side-stub.  A side-stub answers
 * from early in the boot (and waits there for vTGo when asked to); the
 * margin is for a loaded machine, whose boot is slow. */
#define HANDSHAKE_MS 15000

/* No side-stub: every eBPF logpoint prints through GDB instead, said once. */
static void no_side_stub(const char *why)
{
    dap_output("console",
               "osdbg: %s: this OS seems to have no side-stub, so logpoints stop, print and "
               "resume in GDB (a port: docs/porting.md; or say \"sideStub\": false in the "
               "profile)\n",
               why);
    int nbps;
    struct bp *bps = breakpoints_all(&nbps);
    int ids[64], n = 0;
    for (int i = 0; i < nbps && n < 64; i++)
        if (bps[i].ebpf)
            ids[n++] = bps[i].id;
    logpoints_pending = false;
    for (int i = 0; i < n && fall_back; i++)
        fall_back(ids[i], "the OS has no side-stub");
}

static void try_start(void *data)
{
    (void)data;
    char err[256], reply[64];
    if (!sidechan_current()) {
        /* Connecting is the handshake (sideclient.c: qSupported). */
        if (!qemu_running()) {
            no_side_stub("the OS is gone");
            return;
        }
        if (start_tries++ == 0)
            start_ms = loop_now_ms();
        if (!sidechan_connect(200, err, sizeof err)) {
            if (loop_now_ms() - start_ms > HANDSHAKE_MS) {
                no_side_stub("nothing answered on the debug channel within 15 s");
                return;
            }
            loop_timer(50, try_start, 0);
            return;
        }
    }
    attach_pending();
    side_request(sidechan_current(), SS_PKT_GO, reply, sizeof reply, 3000, err, sizeof err);
}

void logpoints_start(void)
{
    start_tries = 0;
    try_start(0);
}

/* A logpoint's hit: its record becomes the message, with the source line. */
/* Lines of one logpoint that arrive together go out as one output event
 * (the text has several lines, the source line is theirs): a burst of hits
 * is a few messages to the editor, not thousands.  One pending text per
 * logpoint, in the order of their first lines: one at a time while lines
 * come at the editor's pace (a line of another logpoint sends what is
 * pending first, so lines keep their order); in batches, one per logpoint
 * that has lines, so that two logpoints hit in turn still make one output
 * event each per batch, not one per line. */
#define PENDING_MAX 8
struct pending {
    int bp_id;
    char *text;
    size_t len, cap;
    char *source;
    int line;
};
static struct pending pends[PENDING_MAX];
static int npends;

static long flush_timer;

/*
 * The editor's pace.  An editor's debug console is a list view that renders
 * each output event; VS Code's keeps up with a few hundred events a second
 * and slows the whole window down beyond (every event is a message between
 * its processes and a re-layout).  So lines are sent as they come up to
 * EDITOR_LINES_PER_S lines in a second; past that the session switches to
 * batches: each logpoint's lines are held and sent every BATCH_MS as one
 * output event of many lines (at most 10 events a second per logpoint),
 * and the Debug Console says so once.  Nothing is dropped: every event
 * that came is a line, every event that did not is counted ("[trace] N
 * events lost", tracecmd.c).  docs/benchmarks.md, "The host side".
 */
#define EDITOR_LINES_PER_S 1000
#define BATCH_MS           100
static struct {
    int64_t window_ms; /* start of the current one-second window */
    long lines;        /* lines in it */
    bool batching;     /* past the pace: lines go out every BATCH_MS */
    bool told;         /* the notice was given */
} pace;

static void batch_flush(void *data)
{
    (void)data;
    flush_timer = 0;
    logpoints_flush_lines();
}

/* One more line: whether the session is (now) past the editor's pace. */
static bool count_line(void)
{
    int64_t t = loop_now_ms();
    if (t - pace.window_ms >= 1000) {
        /* A quiet window ends the batches: single hits show at once again.
         * A line a second or more after the last window ended means the
         * whole second before it was quiet. */
        if (pace.lines <= EDITOR_LINES_PER_S || t - pace.window_ms >= 2000)
            pace.batching = false;
        pace.window_ms = t;
        pace.lines = 0;
    }
    if (++pace.lines > EDITOR_LINES_PER_S && !pace.batching) {
        pace.batching = true;
        if (!pace.told) {
            pace.told = true;
            logpoints_flush_lines();
            dap_output("console",
                       "osdbg: logpoint lines come faster than %d a second, more than an editor "
                       "shows one by one: from now on they are sent together every %d ms, many "
                       "lines to an output event. None is dropped (events the OS could not "
                       "deliver are counted as \"[trace] N events lost\").\n",
                       EDITOR_LINES_PER_S, BATCH_MS);
        }
    }
    return pace.batching;
}

static void end_batches(void)
{
    pace.batching = false;
    pace.lines = 0;
}

/* The end of a read of the channel: its lines go out now, unless the
 * session is batching (then the batch timer sends them). */
static void after_read(void)
{
    if (!pace.batching)
        logpoints_flush_lines();
}

/* A pending text out as one output event (the slot stays its key's). */
static void emit(struct pending *p)
{
    if (p->len && p->source) {
        json_t *body =
            json_pack("{s:s, s:s%, s:{s:s}, s:i}", "category", "console", "output", p->text, p->len,
                      "source", "path", p->source, "line", dap_line_out(p->line));
        dap_event("output", body);
    } else if (p->len) { /* a console trace's lines */
        dap_event("output",
                  json_pack("{s:s, s:s%}", "category", "console", "output", p->text, p->len));
    }
    p->len = 0;
}

void logpoints_flush_lines(void)
{
    for (int i = 0; i < npends; i++) {
        struct pending *p = &pends[i];
        emit(p);
        p->bp_id = -1;
        free(p->source);
        p->source = 0;
    }
    npends = 0;
}

static void flush_soon(void *data)
{
    (void)data;
    flush_timer = 0;
    logpoints_flush_lines();
}

/* One line for the Debug Console, pending under key (a logpoint's
 * breakpoint id, or a console trace's key); source 0: no source line. */
static void queue_line(int key, const char *source, int line, const char *text)
{
    bool batching = count_line();
    struct pending *p = 0;
    for (int i = 0; i < npends && !p; i++)
        if (pends[i].bp_id == key)
            p = &pends[i];
    if ((!batching && npends && pends[npends - 1].bp_id != key) || (!p && npends == PENDING_MAX)) {
        logpoints_flush_lines();
        p = 0;
    }
    if (p && p->len > 60000) /* a big batch goes out early, on its own */
        emit(p);
    if (!p) {
        /* Events also arrive while a request waits for its reply
         * (the eBPF view's vTList): nothing else may come after them
         * for a long time, so the loop's next turn flushes; in
         * batches, the batch's time does. */
        if (!flush_timer)
            flush_timer =
                batching ? loop_timer(BATCH_MS, batch_flush, 0) : loop_timer(0, flush_soon, 0);
        p = &pends[npends++];
        p->bp_id = key;
        p->source = source ? strdup(source) : 0;
        p->line = line;
    }
    size_t n = strlen(text);
    if (p->len + n + 2 > p->cap) {
        p->cap = (p->len + n + 2) * 2;
        p->text = realloc(p->text, p->cap);
    }
    memcpy(p->text + p->len, text, n);
    p->len += n;
    p->text[p->len++] = '\n';
}

void logpoints_console_line(uint32_t probe, const char *text)
{
    /* Keys below -1: breakpoint ids are not negative, -1 is a free slot. */
    queue_line(-2 - (int)(probe & 0x3fffffff), 0, 0, text);
}

static bool logpoint_event(const struct ss_event *ev, int bp_id)
{
    struct logpoint *lp = lp_of(bp_id);
    const struct bp *b = bp_of(bp_id);
    for (int k = 0; lp && b && k < 8; k++) {
        if (lp->probe_ids[k] != (int)ev->probe || !lp->progs[k])
            continue;
        if (ev->type != SS_EVT_DATA)
            return true;
        char *text = logprog_format(lp->progs[k], ev->data, ev->len, ev->pid, ev->comm,
                                    sidechan_seconds(ev));
        queue_line(b->id, b->source ? b->source : "", b->line, text);
        free(text);
        return true;
    }
    return false;
}
