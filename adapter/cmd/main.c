/*
 * osdbg: the host program.
 *   osdbg dap [--socket PATH | --port N] [--log FILE]
 *                                       Debug Adapter on stdin/stdout, or to one
 *                                       client of a Unix socket (mode 0600), or
 *                                       of 127.0.0.1:N (N = 0: any free port,
 *                                       printed on stderr)
 *   osdbg console | run | record | trace ...
 *                                       see their usage texts
 *   osdbg --version | --help
 * Every subcommand keeps the conventions of cli.h (--help: usage on stdout,
 * exit 0; usage error: stderr, exit 2).
 */
#include "cmd/cli.h"
#include "machine/console.h"
#include "dap/dap.h"
#include "core/loop.h"
#include "osdbg/version.h"
#include "dap/handler/handlers.h"
#include "cmd/record.h"
#include "cmd/run.h"
#include "target/breakpoints.h"
#include "target/liveness.h"
#include "target/session.h"
#include "target/stop.h"
#include "cmd/trace.h"
#include "trace/logpoints.h"
#include "trace/tracecmd.h"
#include "core/usock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: osdbg dap [--socket PATH | --port N] [--log FILE]\n"
    "       osdbg console SOCKET\n"
    "       osdbg run [--profile P] [--gdb SOCK] [--side SOCK] [bootargs...]\n"
    "       osdbg record [--profile P] [--boot-args \"ARGS\"] [--out DIR] [bootargs...]\n"
    "       osdbg trace [--socket PATH] [--duration S] kprobe|uprobe|... <where>... [program]\n"
    "       osdbg --version\n"
    "  dap      serve the Debug Adapter Protocol on stdin/stdout (or 127.0.0.1:N)\n"
    "  console  be a terminal on the OS console of a debug session (the socket is\n"
    "           printed when the session starts; the editor runs this for you)\n"
    "  run      boot the OS on this terminal with its gdbstub and debug channel on\n"
    "           Unix sockets (default build/qemu-gdb.sock, build/dbgchan.sock)\n"
    "  record   boot the OS on this terminal and record the run, to replay it later in a\n"
    "           debug session (launch key \"replay\"), stepping backwards\n"
    "  trace    eBPF probes on a running OS (its debug channel socket), one line per hit\n"
    "`osdbg COMMAND --help` describes one command.\n";

static const char dap_usage[] =
    "usage: osdbg dap [--socket PATH | --port N] [--log FILE]\n"
    "  Serves the Debug Adapter Protocol on stdin/stdout; with --socket, to one client of\n"
    "  a Unix socket at PATH that only this user may open (mode 0600); with --port, to one\n"
    "  client on 127.0.0.1:N (0: a free port, printed on stderr), which any local user\n"
    "  could reach first: prefer --socket.  --log FILE appends every DAP message and\n"
    "  GDB/MI exchange to FILE (also: OSDBG_DAP_LOG=FILE).\n";

static const char console_usage[] =
    "usage: osdbg console SOCKET\n"
    "  Be a terminal on the OS console of a debug session: SOCKET is the console socket\n"
    "  the session prints when it starts (the editor runs this for you).  Ctrl-] leaves.\n";

static void on_client_closed(void)
{
    loop_stop(0);
}

/* SIGTERM/SIGINT/SIGHUP: leave through the loop so that QEMU and GDB are
 * stopped (the self-pipe makes the signal an event of the loop). */
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    char c = (char)sig;
    if (write(signal_pipe[1], &c, 1) < 0) {
    }
}

static void on_signal_event(int fd, void *data)
{
    (void)data;
    char c;
    if (read(fd, &c, 1) > 0)
        loop_stop(128 + c);
}

static int listen_once(int port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0) {
        fprintf(stderr, "osdbg: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return -1;
    }
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    fprintf(stderr, "osdbg: listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    int c = accept4(s, 0, 0, SOCK_CLOEXEC);
    close(s);
    return c;
}

/* One client of a Unix socket only this user can open: the client owns an
 * adapter that runs the profile's QEMU and GDB. */
static int listen_unix_once(const char *path)
{
    char err[256];
    mode_t old = umask(0177); /* the socket is made 0600 */
    unlink(path);             /* a stale socket of an earlier run */
    int s = usock_listen(path, 1, err, sizeof err);
    umask(old);
    if (s < 0) {
        fprintf(stderr, "osdbg dap: %s\n", err);
        return -1;
    }
    fprintf(stderr, "osdbg: listening on %s\n", path);
    int c = accept4(s, 0, 0, SOCK_CLOEXEC);
    close(s);
    unlink(path);
    return c;
}

static int cmd_dap(int argc, char **argv)
{
    int port = -1;
    const char *unix_path = 0;
    FILE *log = 0;
    if (cli_wants_help(argc, argv))
        return cli_help(dap_usage);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            char *end;
            long p = strtol(argv[++i], &end, 10);
            if (!*argv[i] || *end || p < 0 || p > 65535)
                return cli_usage_error("dap", dap_usage, "bad port %s", argv[i]);
            port = (int)p;
        } else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc && argv[i + 1][0]) {
            unix_path = argv[++i];
        } else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
            log = fopen(argv[++i], "a");
            if (!log) {
                fprintf(stderr, "osdbg dap: cannot open log %s: %s\n", argv[i], strerror(errno));
                return 1;
            }
        } else {
            return cli_usage_error("dap", dap_usage, "%s: unknown or incomplete option", argv[i]);
        }
    }
    if (!log && getenv("OSDBG_DAP_LOG"))
        log = fopen(getenv("OSDBG_DAP_LOG"), "a");
    if (unix_path && port >= 0)
        return cli_usage_error("dap", dap_usage, "--socket and --port exclude each other");
    int in = 0, out = 1;
    if (unix_path) {
        in = out = listen_unix_once(unix_path);
        if (in < 0)
            return 1;
    } else if (port >= 0) {
        fprintf(stderr, "osdbg: note: any user of this machine can connect to a TCP port; "
                        "--socket PATH cannot be reached by others\n");
        in = out = listen_once(port);
        if (in < 0)
            return 1;
    }
    dap_init(in, out, osdbg_requests, log);
    /* First: its lines go out before a trace's notice of a loss. */
    logpoints_init(breakpoint_fall_back_to_gdb);
    /* The modules below the handlers, wired: the stop policy handles the
     * stops run control meets, and user breakpoints are armed as the
     * breakpoint table changes. */
    stop_init();
    breakpoints_on_change(hooks_update);
    tracecmd_init();
    dap_on_close(on_client_closed);
    if (pipe2(signal_pipe, O_CLOEXEC) == 0) {
        loop_watch(signal_pipe[0], on_signal_event, 0);
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGTERM, &sa, 0);
        sigaction(SIGINT, &sa, 0);
        sigaction(SIGHUP, &sa, 0);
    }
    int code = loop_run();
    session_shutdown(); /* whatever ended the loop: no QEMU or GDB left behind */
    loop_flush(2000);   /* the last responses and events, to a client that reads */
    return code;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        return cli_usage_error(NULL, usage_text, "which command?");
    const char *cmd = argv[1];
    if (strcmp(cmd, "dap") == 0)
        return cmd_dap(argc - 2, argv + 2);
    if (strcmp(cmd, "console") == 0) {
        if (cli_wants_help(argc - 2, argv + 2))
            return cli_help(console_usage);
        if (argc != 3 || argv[2][0] == '-')
            return cli_usage_error("console", console_usage, "wants one SOCKET");
        return console_client_main(argv[2]);
    }
    if (strcmp(cmd, "run") == 0)
        return run_main(argc - 2, argv + 2);
    if (strcmp(cmd, "record") == 0)
        return record_main(argc - 2, argv + 2);
    if (strcmp(cmd, "trace") == 0)
        return trace_main(argc - 2, argv + 2);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("osdbg %s\n", OSDBG_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
        return cli_help(usage_text);
    return cli_usage_error(NULL, usage_text, "unknown command %s", cmd);
}
