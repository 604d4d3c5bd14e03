/*
 * osdbg trace [--socket PATH] [--profile P] [--duration S] [--hist]
 *             kprobe|kretprobe <symbol|address|file:line>... [program]
 * osdbg trace [...] uprobe|uretprobe <program>:<symbol|address|file:line>... [program]
 *
 * Attach to a running OS's side-stub (its debug channel, e.g. the socket
 * `osdbg run` or `make run` made), put probes on kernel or user functions
 * with a built-in program (registers, args, count, latency) or the user's
 * .bpf.c, print one line per hit while the OS keeps running, and detach
 * everything on Ctrl-C or after the duration.  --hist (latency) prints the
 * log2 histogram of the function's durations at the end, like bpftrace's
 * hist(); count probes print their per-process counts.  Symbols come from
 * the profile's kernel ELF or the user program's own ELF (demangled Rust
 * and C++ names work: rustdemo:rustdemo::work).
 */
#include "bpf/builtins.h"
#include "cmd/cli.h"
#include "dwarf/debuginfo.h"
#include "core/paths.h"
#include "profile/profile.h"
#include "side/sideclient.h"
#include "side/tprobe.h"
#include "cmd/trace.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PROBES 16

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
    (void)sig;
    stop = 1;
}

struct trace_state {
    struct profile *prof;
    struct debuginfo *kernel;
    struct debuginfo *users[MAX_PROBES];
    char user_names[MAX_PROBES][64];
    int nusers;
    struct tprobe probes[MAX_PROBES];
    int nprobes;
    uint64_t time_hz;
    uint64_t first_time;
    bool have_first;
    /* Events that came while an attach waited for its reply: the probe's
     * id is not known until the reply is read, and a hot function's first
     * hits arrive in the same read as it.  Kept, then printed once the id
     * is known; any left over (no probe of ours) are counted, not lost
     * silently. */
    struct early_event *early;
    size_t nearly, capearly;
    uint64_t unmatched;
    bool attaching;
};

struct early_event {
    struct ss_event ev;
    uint64_t lost;
    uint8_t *data;
};

static struct debuginfo *di_for(void *ctx, const char *program)
{
    struct trace_state *t = ctx;
    if (!program[0])
        return t->kernel;
    for (int i = 0; i < t->nusers; i++)
        if (!strcmp(t->user_names[i], program))
            return t->users[i];
    if (t->nusers == MAX_PROBES || !t->prof)
        return 0;
    char err[256], *elf = profile_user_elf(t->prof, program);
    struct debuginfo *di = elf ? debuginfo_open(elf, err, sizeof err) : 0;
    free(elf);
    if (di) {
        snprintf(t->user_names[t->nusers], sizeof t->user_names[0], "%s", program);
        t->users[t->nusers++] = di;
    }
    return di;
}

static uint64_t stat_item(const char *reply, const char *name)
{
    uint64_t v = 0;
    return ss_stat_value(reply, strlen(reply), name, &v) ? v : 0;
}

/* The closing line: what arrived, and what was lost (our sequence gaps:
 * the authoritative count), with where the kernel saw it go.  Through a
 * debug session's relay the session's count of the whole channel is added
 * (host_lost: events of any probe that never reached the session). */
static void print_counts(struct side_client *c, uint64_t unmatched)
{
    struct side_counts k;
    side_counts(c, &k);
    char stat[512] = "", err[256];
    bool have_stat = side_request(c, SS_PKT_STAT, stat, sizeof stat, 1000, err, sizeof err) >= 0 &&
                     stat[0] != 'E';
    fprintf(stderr, "osdbg trace: %llu events, %llu lost", (unsigned long long)k.events,
            (unsigned long long)k.lost);
    if (k.damaged)
        fprintf(stderr, ", %llu frames damaged", (unsigned long long)k.damaged);
    if (unmatched)
        fprintf(stderr, ", %llu of no probe of this trace", (unsigned long long)unmatched);
    if (have_stat)
        fprintf(stderr, " (the kernel's ring dropped %llu of all probes' events",
                (unsigned long long)stat_item(stat, SS_STAT_DROPPED));
    if (have_stat && strstr(stat, SS_STAT_HOST_LOST "="))
        fprintf(stderr, "; the debug session lost %llu on the channel",
                (unsigned long long)stat_item(stat, SS_STAT_HOST_LOST));
    fprintf(stderr, "%s\n", have_stat ? ")" : "");
}

static bool print_line(struct trace_state *t, const struct ss_event *ev, uint64_t lost)
{
    if (lost)
        printf("... %llu events lost\n", (unsigned long long)lost);
    for (int i = 0; i < t->nprobes; i++) {
        if (t->probes[i].id != (int)ev->probe)
            continue;
        if (!t->have_first) {
            t->first_time = ev->time;
            t->have_first = true;
        }
        double secs = t->time_hz ? (double)(ev->time - t->first_time) / (double)t->time_hz : 0;
        char *line = tprobe_format(&t->probes[i], ev, secs);
        if (line)
            printf("%s probe %u\n", line, ev->probe);
        free(line);
        return true;
    }
    return false;
}

static void keep_early(struct trace_state *t, const struct ss_event *ev, uint64_t lost)
{
    if (t->nearly == t->capearly) {
        t->capearly = t->capearly ? 2 * t->capearly : 64;
        t->early = realloc(t->early, t->capearly * sizeof *t->early);
        if (!t->early)
            abort();
    }
    struct early_event *e = &t->early[t->nearly++];
    e->ev = *ev;
    e->lost = lost;
    e->data = malloc(ev->len ? ev->len : 1);
    if (!e->data)
        abort();
    memcpy(e->data, ev->data, ev->len);
    e->ev.data = e->data;
}

/* Once an attach has its id: the events kept for it, in their order. */
static void print_early(struct trace_state *t, bool last)
{
    size_t kept = 0;
    for (size_t k = 0; k < t->nearly; k++) {
        struct early_event *e = &t->early[k];
        if (print_line(t, &e->ev, e->lost)) {
            free(e->data);
        } else if (last) {
            t->unmatched++;
            free(e->data);
        } else {
            t->early[kept++] = *e;
        }
    }
    t->nearly = kept;
}

/* Lines go out in the stdio buffer and are flushed after each read of the
 * channel (trace_main's loop), not after each line: at 100,000 events/s a
 * write per line is most of the cost. */
static void print_event(const struct ss_event *ev, uint64_t lost, void *arg)
{
    struct trace_state *t = arg;
    if (print_line(t, ev, lost))
        return;
    if (t->attaching)
        keep_early(t, ev, lost);
    else
        t->unmatched++;
}

static const char trace_usage[] =
    "usage: osdbg trace [--socket PATH] [--profile P] [--duration SECONDS] [--hist]\n"
    "                   kprobe|kretprobe <symbol|address|file:line>... [program]\n"
    "                   uprobe|uretprobe <program>:<symbol|address|file:line>... [program]\n"
    "  program: registers (default), args, count, latency (--hist), or a .bpf.c file\n"
    "  PATH: the OS's debug channel (osdbg run --side; default build/dbgchan.sock), or\n"
    "        the trace socket a debug session names in its Debug Console\n"
    "  --duration: stop after SECONDS (default: at Ctrl-C)\n";

int trace_main(int argc, char **argv)
{
    char build[PATH_MAX], root[PATH_MAX], def_socket[PATH_MAX + 32], def_profile[PATH_MAX + 32];
    osdbg_locate(build, root, sizeof build);
    snprintf(def_socket, sizeof def_socket, "%s/dbgchan.sock", build);
    snprintf(def_profile, sizeof def_profile, "%s/profiles/osdbg-kernel.json", root);
    const char *socket_path = def_socket, *profile_path = def_profile;
    double duration = 0;
    bool hist = false;
    if (cli_wants_help(argc, argv))
        return cli_help(trace_usage);
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
            socket_path = argv[++i];
        else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
            profile_path = argv[++i];
        else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc) {
            char *end;
            duration = strtod(argv[++i], &end);
            if (end == argv[i] || *end || !(duration > 0))
                return cli_usage_error("trace", trace_usage,
                                       "--duration %s: not a number of seconds", argv[i]);
        } else if (strcmp(argv[i], "--hist") == 0)
            hist = true;
        else
            return cli_usage_error("trace", trace_usage, "%s: unknown or incomplete option",
                                   argv[i]);
    }
    if (i + 2 > argc)
        return cli_usage_error("trace", trace_usage, "wants a probe kind and where to put it");
    const char *kind = argv[i];
    int last = argc;
    const char *program = hist ? "latency" : 0;
    if (last - i > 2 && tprobe_names_program(argv[last - 1]))
        program = argv[--last];
    if (hist && strcmp(program, "latency") != 0) {
        fprintf(stderr, "osdbg trace: --hist shows the latency program's histogram, not %s's\n",
                program);
        return 2;
    }
    char err[1024];
    struct trace_state st = {0};
    st.prof = profile_load(profile_path, err, sizeof err);
    if (st.prof && st.prof->warnings)
        fprintf(stderr, "osdbg trace: profile %s:\n%s", profile_path, st.prof->warnings);
    if (st.prof && !st.prof->side_stub) {
        fprintf(stderr,
                "osdbg trace: %s has no side-stub (its profile says \"sideStub\": false): eBPF "
                "tracing runs in the OS, through one (docs/porting.md)\n",
                st.prof->name);
        profile_free(st.prof);
        return 1;
    }
    if (st.prof)
        st.kernel = debuginfo_open(st.prof->kernel, err, sizeof err);
    int status = 0;
    for (int a = i + 1; a < last && st.nprobes < MAX_PROBES; a++) {
        if (tprobe_parse(&st.probes[st.nprobes], kind, argv[a], program, di_for, &st, err,
                         sizeof err) < 0) {
            if (strstr(err, "wants") || strstr(err, "unknown")) {
                status = cli_usage_error("trace", trace_usage, "%s", err);
            } else {
                fprintf(stderr, "osdbg trace: %s\n", err);
                status = 1;
            }
            break;
        }
        st.nprobes++;
    }
    struct side_client *c = 0;
    if (!status) {
        c = side_connect(socket_path, print_event, &st, 3000, err, sizeof err);
        if (!c) {
            fprintf(stderr, "osdbg trace: %s\n", err);
            status = 1;
        }
    }
    if (c)
        st.time_hz = side_time_hz(c);
    for (int p = 0; c && !status && p < st.nprobes; p++) {
        char what[400];
        tprobe_describe(&st.probes[p], what, sizeof what);
        st.attaching = true;
        int attached = tprobe_attach(c, &st.probes[p], err, sizeof err);
        st.attaching = false;
        print_early(&st, p == st.nprobes - 1);
        if (attached < 0) {
            fprintf(stderr, "osdbg trace: cannot attach %s: %s\n", what, err);
            status = 1;
            break;
        }
        fprintf(stderr, "osdbg trace: probe %d: %s at 0x%llx\n", st.probes[p].id, what,
                (unsigned long long)st.probes[p].addr);
    }
    if (c && !status) {
        struct sigaction sa = {.sa_handler = on_sigint};
        sigaction(SIGINT, &sa, 0);
        sigaction(SIGTERM, &sa, 0);
        fprintf(stderr, "osdbg trace: tracing; Ctrl-C stops\n");
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (!stop) {
            int polled = side_poll(c, 100);
            fflush(stdout);
            if (polled < 0) {
                fprintf(stderr, "osdbg trace: the OS went away\n");
                status = 1;
                break;
            }
            struct timespec t1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (duration > 0 &&
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 >=
                    duration)
                break;
        }
    }
    /* What the maps hold, then leave the OS as it was. */
    for (int p = 0; c && status == 0 && p < st.nprobes; p++) {
        struct tprobe *t = &st.probes[p];
        if (t->id < 0 || t->builtin == BUILTIN_REGISTERS || t->builtin == BUILTIN_ARGS)
            continue;
        char *text = tprobe_map_text(c, t, err, sizeof err);
        if (text) {
            printf("@%s[%s]:\n%s",
                   t->builtin == BUILTIN_LATENCY ? "latency_ns"
                   : t->builtin == BUILTIN_COUNT ? "count"
                                                 : "map",
                   t->target, text);
            free(text);
        } else if (t->builtin != BUILTIN_NONE) { /* a user's object may have no map */
            fprintf(stderr, "osdbg trace: probe %d: %s\n", t->id, err);
        }
    }
    for (int p = 0; c && p < st.nprobes; p++)
        if (st.probes[p].id >= 0 && tprobe_detach(c, &st.probes[p], err, sizeof err) < 0)
            fprintf(stderr, "osdbg trace: detach of probe %d: %s\n", st.probes[p].id, err);
    if (c) {
        print_early(&st, true);
        print_counts(c, st.unmatched);
        side_close(c);
    }
    for (int u = 0; u < st.nusers; u++)
        debuginfo_close(st.users[u]);
    if (st.kernel)
        debuginfo_close(st.kernel);
    profile_free(st.prof);
    free(st.early);
    fflush(stdout);
    return status;
}
