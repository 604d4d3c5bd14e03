/*
 * osdbg trace [--socket PATH] [--profile P] [--duration S] kprobe <symbol|address>...
 * osdbg trace [...] uprobe <program>:<symbol|address>...
 *
 * Attach to a running OS's side-stub (its debug channel, e.g. the socket
 * `osdbg run` or `make run` made), put kprobes with the built-in registers
 * program on kernel functions or addresses, print one line per hit while
 * the OS keeps running, and detach everything on Ctrl-C or after the
 * duration.  Symbols come from the profile's kernel ELF, or the user
 * program's own ELF (demangled Rust and C++ names work: rustdemo:rustdemo::work).
 */
#include "debuginfo.h"
#include "profile.h"
#include "sideclient.h"
#include "trace.h"

#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROBES 16

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
    (void)sig;
    stop = 1;
}

struct trace_state {
    struct debuginfo *kernel;
    uint64_t time_hz;
    uint64_t first_time;
    bool have_first;
};

static void print_event(const struct ss_event *ev, uint64_t lost, void *arg)
{
    struct trace_state *t = arg;
    if (lost)
        printf("... %llu events lost\n", (unsigned long long)lost);
    if (!t->have_first) {
        t->first_time = ev->time;
        t->have_first = true;
    }
    double secs = t->time_hz ? (double)(ev->time - t->first_time) / (double)t->time_hz : 0;
    printf("%10.6f %s/%u probe %u", secs, ev->comm[0] ? ev->comm : "-", ev->pid, ev->probe);
    if (ev->type == SS_EVT_REGS && ev->len >= 256) {
        uint64_t r[32];
        memcpy(r, ev->data, sizeof r);
        const char *func = t->kernel ? debuginfo_function_at(t->kernel, r[0]) : 0;
        printf(" pc=0x%llx", (unsigned long long)r[0]);
        if (func)
            printf(" <%s>", func);
        /* pt_regs: pc, x1..x31; ra = x1, sp = x2, a0..a2 = x10..x12 */
        printf(" ra=0x%llx sp=0x%llx a0=0x%llx a1=0x%llx a2=0x%llx", (unsigned long long)r[1],
               (unsigned long long)r[2], (unsigned long long)r[10], (unsigned long long)r[11],
               (unsigned long long)r[12]);
    } else {
        printf(" %c %zu bytes", ev->type, ev->len);
    }
    printf("\n");
    fflush(stdout);
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: osdbg trace [--socket PATH] [--profile P] [--duration SECONDS]\n"
        "                   kprobe <symbol|address>... | uprobe <program>:<symbol|address>...\n");
}

int trace_main(int argc, char **argv)
{
    char exe[PATH_MAX], tmp[PATH_MAX], def_socket[PATH_MAX + 32], def_profile[PATH_MAX + 32];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
    snprintf(tmp, sizeof tmp, "%s", exe);
    char *bin = dirname(tmp);
    snprintf(def_socket, sizeof def_socket, "%s/../dbgchan.sock", bin);
    snprintf(def_profile, sizeof def_profile, "%s/../../profiles/osdbg-kernel.json", bin);
    const char *socket_path = def_socket, *profile_path = def_profile;
    double duration = 0;
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
            socket_path = argv[++i];
        else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
            profile_path = argv[++i];
        else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
            duration = atof(argv[++i]);
        else {
            usage();
            return 2;
        }
    }
    bool user = i < argc && strcmp(argv[i], "uprobe") == 0;
    if (i + 2 > argc || (!user && strcmp(argv[i], "kprobe") != 0)) {
        usage();
        return 2;
    }
    char err[512];
    struct trace_state st = {0};
    struct profile *prof = profile_load(profile_path, err, sizeof err);
    if (prof)
        st.kernel = debuginfo_open(prof->kernel, err, sizeof err);

    /* Where to probe: addresses as given, symbols from the kernel's or the
     * program's ELF. */
    uint64_t addrs[MAX_PROBES];
    char programs[MAX_PROBES][64];
    int n = 0;
    for (int a = i + 1; a < argc && n < MAX_PROBES; a++) {
        const char *what = argv[a];
        struct debuginfo *di = st.kernel;
        programs[n][0] = 0;
        if (user) {
            const char *colon = strchr(what, ':');
            if (!colon || colon == what || (size_t)(colon - what) >= sizeof programs[n]) {
                fprintf(stderr, "osdbg trace: uprobe wants <program>:<symbol|address>, not %s\n",
                        what);
                return 2;
            }
            snprintf(programs[n], sizeof programs[n], "%.*s", (int)(colon - what), what);
            what = colon + 1;
            char *elf = prof ? profile_user_elf(prof, programs[n]) : 0;
            di = elf ? debuginfo_open(elf, err, sizeof err) : 0;
            free(elf);
        }
        char *end;
        unsigned long long v = strtoull(what, &end, 0);
        if (end != what && *end == 0) {
            addrs[n++] = v;
        } else if (di && debuginfo_function_addr(di, what, false, &addrs[n]) == 0) {
            n++;
        } else {
            fprintf(stderr, "osdbg trace: no function %s in %s\n", what,
                    user ? programs[n] : "the kernel");
            return 1;
        }
        if (user && di)
            debuginfo_close(di);
    }

    struct side_client *c = side_connect(socket_path, print_event, &st, 3000, err, sizeof err);
    if (!c) {
        fprintf(stderr, "osdbg trace: %s\n", err);
        return 1;
    }
    st.time_hz = side_time_hz(c);
    int ids[MAX_PROBES], nids = 0;
    int status = 0;
    for (int p = 0; p < n; p++) {
        char req[128], reply[256];
        if (user)
            snprintf(req, sizeof req, "%s%s:%llx", SS_PKT_TRACE_U, programs[p],
                     (unsigned long long)addrs[p]);
        else
            snprintf(req, sizeof req, "%s%llx", SS_PKT_TRACE_K, (unsigned long long)addrs[p]);
        long r = side_request(c, req, reply, sizeof reply, 3000, err, sizeof err);
        if (r < 0 || strncmp(reply, "OK", 2) != 0) {
            fprintf(stderr, "osdbg trace: cannot probe 0x%llx: %s\n", (unsigned long long)addrs[p],
                    r < 0 ? err : reply);
            status = 1;
            break;
        }
        ids[nids++] = (int)strtol(reply + 2, 0, 16);
        fprintf(stderr, "osdbg trace: probe %d at 0x%llx\n", ids[nids - 1],
                (unsigned long long)addrs[p]);
    }
    if (!status) {
        struct sigaction sa = {.sa_handler = on_sigint};
        sigaction(SIGINT, &sa, 0);
        sigaction(SIGTERM, &sa, 0);
        fprintf(stderr, "osdbg trace: tracing; Ctrl-C stops\n");
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (!stop) {
            if (side_poll(c, 100) < 0) {
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
    /* Leave the OS as it was. */
    for (int p = 0; p < nids && status == 0; p++) {
        char req[64], reply[64];
        snprintf(req, sizeof req, "vTDetach:%x", ids[p]);
        if (side_request(c, req, reply, sizeof reply, 3000, err, sizeof err) < 0 ||
            strcmp(reply, "OK") != 0)
            fprintf(stderr, "osdbg trace: detach of probe %d: %s\n", ids[p], reply);
    }
    uint64_t events, lost;
    side_counts(c, &events, &lost);
    fprintf(stderr, "osdbg trace: %llu events, %llu lost\n", (unsigned long long)events,
            (unsigned long long)lost);
    side_close(c);
    if (st.kernel)
        debuginfo_close(st.kernel);
    profile_free(prof);
    return status;
}
