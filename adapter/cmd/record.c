/*
 * osdbg record [--profile P] [--boot-args "ARGS"] [--out DIR] [bootargs...]
 *
 * Record a run of the OS of a profile at full speed, without a debugger,
 * with the console on this terminal: QEMU records into a new recording
 * folder (machine/recording.h) that a debug session opens later with the
 * launch key "replay".  QEMU is a child, not this process's replacement as
 * in `osdbg run`: once it ends, recording.json must say how it ended.
 *
 * QEMU's console output goes through a pipe that this process copies to
 * its stdout.  Measured with QEMU 7.2: a run recorded with QEMU's stdout on
 * a socket (a node or Python parent's stdio) fails to replay ("Missing
 * character write event in the replay log", within OpenSBI's banner),
 * while one recorded with it on a pipe, a file or a terminal replays.  The
 * pipe makes every recording the kind that replays, whatever our stdout.
 */
#include "cmd/record.h"
#include "cmd/cli.h"
#include "core/paths.h"
#include "machine/recording.h"
#include "profile/profile.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char record_usage[] =
    "usage: osdbg record [--profile P] [--boot-args \"ARGS\"] [--out DIR] [bootargs...]\n"
    "  Boots the OS of profile P (default profiles/osdbg-kernel.json) in QEMU on this\n"
    "  terminal and records the run (QEMU record/replay) into a new folder in DIR\n"
    "  (default build/recordings), to replay later in a debug session with the launch\n"
    "  key \"replay\": \"<folder>\".  bootargs (and --boot-args) go to the kernel (e.g.\n"
    "  run=hello,matrix).  QEMU records one hart and no debug channel (no eBPF).  The\n"
    "  recording ends when the OS powers off, or on Ctrl-C.\n";

static volatile sig_atomic_t qemu_pid;

/* QEMU closes its log properly on SIGTERM; SIGKILL would cut it. */
static void forward_signal(int sig)
{
    (void)sig;
    if (qemu_pid > 0)
        kill(qemu_pid, SIGTERM);
}

/* QEMU's output to stdout until QEMU closes it.  A stdout that fails
 * (a closed terminal) is drained still, so that QEMU never blocks. */
static void copy_console(int from)
{
    char buf[4096];
    bool out_ok = true;
    for (;;) {
        ssize_t k = read(from, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        for (ssize_t off = 0; out_ok && off < k;) {
            ssize_t w = write(1, buf + off, (size_t)(k - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                out_ok = false;
            else
                off += w;
        }
    }
}

static void append(char *buf, size_t n, const char *s)
{
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s", len ? " " : "", s);
}

/* The profile's -smp value, or 0 if it names none. */
static const char *profile_smp(const struct profile *p)
{
    for (size_t i = 0; p->qemu_args[i]; i++)
        if (strcmp(p->qemu_args[i], "-smp") == 0)
            return p->qemu_args[i + 1];
    return 0;
}

static int record_run(struct profile *p, const char *parent, const char *bootargs)
{
    const char *smp = profile_smp(p);
    if (smp && strcmp(smp, "1") != 0)
        fprintf(stderr,
                "osdbg record: QEMU records one hart only: -smp 1 (the profile says -smp %s)\n",
                smp);
    profile_set_harts(p, RECORDING_HARTS);
    char err[1024];
    struct recording r;
    if (recording_create(p, parent, bootargs, &r, err, sizeof err) < 0 ||
        recording_adapt_disks(p, &r, false, err, sizeof err) < 0) {
        fprintf(stderr, "osdbg record: %s\n", err);
        return 1;
    }
    /* No debug channel: a virtio-serial port in a recording makes its
     * replay hang after the snapshot loads (recording.h). */
    const char *args[96];
    int n = 0;
    args[n++] = p->qemu;
    for (int i = 0; p->qemu_args[i] && n < 64; i++)
        args[n++] = p->qemu_args[i];
    const char *rest[] = {"-display", "none",  "-monitor", "none",
                          "-serial",  "stdio", "-kernel",  p->kernel};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
        args[n++] = rest[i];
    if (bootargs[0]) {
        args[n++] = "-append";
        args[n++] = bootargs;
    }
    for (const char *const *rr = recording_qemu_args(&r, false); *rr; rr++)
        args[n++] = *rr;
    args[n] = 0;
    if (recording_note_qemu_args(&r, args, err, sizeof err) < 0)
        fprintf(stderr, "osdbg record: %s\n", err);
    fprintf(stderr,
            "osdbg record: %s, recording to %s\n  the terminal is the OS console; Ctrl-C ends\n",
            p->name, r.dir);
    struct sigaction sa = {.sa_handler = forward_signal};
    sigaction(SIGINT, &sa, 0);
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGHUP, &sa, 0);
    int console[2];
    pid_t pid = pipe(console) < 0 ? -1 : fork();
    if (pid < 0) {
        fprintf(stderr, "osdbg record: cannot start QEMU: %s\n", strerror(errno));
        recording_finish(&r, 1 << 8, err, sizeof err);
        return 1;
    }
    if (pid == 0) {
        dup2(console[1], 1);
        close(console[0]);
        close(console[1]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        execvp(args[0], (char *const *)args);
        fprintf(stderr, "osdbg record: cannot run %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    qemu_pid = pid;
    close(console[1]);
    copy_console(console[0]);
    close(console[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "osdbg record: waitpid: %s\n", strerror(errno));
            return 1;
        }
    }
    qemu_pid = 0;
    if (recording_finish(&r, status, err, sizeof err) < 0) {
        fprintf(stderr, "osdbg record: %s\n", err);
        return 1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "osdbg record: QEMU ended with %s %d: the recording in %s is incomplete\n",
                WIFEXITED(status) ? "status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), r.dir);
        return 1;
    }
    fprintf(stderr,
            "osdbg record: recorded to %s\n"
            "  replay it in a debug session with the launch key \"replay\": \"%s\"\n",
            r.dir, r.dir);
    return 0;
}

int record_main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv))
        return cli_help(record_usage);
    char build[PATH_MAX], root[PATH_MAX], def_profile[PATH_MAX + 32], parent[PATH_MAX];
    osdbg_locate(build, root, sizeof build);
    snprintf(def_profile, sizeof def_profile, "%s/profiles/osdbg-kernel.json", root);
    recording_default_parent(parent, sizeof parent);
    const char *profile_path = def_profile, *out = 0;
    char bootargs[1024] = "";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            profile_path = argv[++i];
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && argv[i + 1][0]) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--boot-args") == 0 && i + 1 < argc) {
            append(bootargs, sizeof bootargs, argv[++i]);
        } else if (argv[i][0] == '-') {
            return cli_usage_error("record", record_usage, "%s: unknown or incomplete option",
                                   argv[i]);
        } else {
            append(bootargs, sizeof bootargs, argv[i]);
        }
    }
    /* The folder is named from here, before QEMU runs in the profile's root. */
    if (out && !realpath(out, parent)) {
        if (out[0] == '/' || !getcwd(parent, sizeof parent))
            snprintf(parent, sizeof parent, "%s", out);
        else {
            size_t len = strlen(parent);
            snprintf(parent + len, sizeof parent - len, "/%.*s", (int)(sizeof parent - len - 2),
                     out);
        }
    }
    char err[512];
    struct profile *p = profile_load(profile_path, err, sizeof err);
    if (!p) {
        fprintf(stderr, "osdbg record: %s\n", err);
        return 1;
    }
    if (p->warnings)
        fprintf(stderr, "osdbg record: profile %s:\n%s", profile_path, p->warnings);
    if (access(p->kernel, R_OK) < 0) {
        fprintf(stderr, "osdbg record: kernel %s: %s (build it first: make)\n", p->kernel,
                strerror(errno));
        profile_free(p);
        return 1;
    }
    /* QEMU runs in the profile's root, as in a debug session. */
    if (p->root && chdir(p->root) < 0) {
        fprintf(stderr, "osdbg record: the profile's root %s: %s\n", p->root, strerror(errno));
        profile_free(p);
        return 1;
    }
    int code = record_run(p, parent, bootargs);
    profile_free(p);
    return code;
}
