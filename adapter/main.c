/*
 * osdbg: the host program.
 *   osdbg dap [--port N] [--log FILE]   Debug Adapter on stdin/stdout, or on
 *                                       127.0.0.1:N (N = 0: any free port,
 *                                       printed on stderr)
 */
#include "console.h"
#include "dap.h"
#include "loop.h"
#include "requests.h"
#include "run.h"
#include "session.h"
#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: osdbg dap [--port N] [--log FILE]\n"
               "       osdbg console SOCKET\n"
               "       osdbg run [--profile P] [--gdb SOCK] [--side SOCK] [bootargs...]\n"
               "       osdbg trace [--socket PATH] [--duration S] kprobe <symbol|address>...\n"
               "  dap      serve the Debug Adapter Protocol on stdin/stdout (or 127.0.0.1:N)\n"
               "  console  be a terminal on the OS console of a debug session (the socket is\n"
               "           printed when the session starts; the editor runs this for you)\n"
               "  run      boot the OS on this terminal with its gdbstub and debug channel on\n"
               "           Unix sockets (default build/qemu-gdb.sock, build/dbgchan.sock)\n"
               "  trace    kprobes on a running OS (its debug channel socket), one line per hit\n");
}

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

static int cmd_dap(int argc, char **argv)
{
    int port = -1;
    FILE *log = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            char *end;
            long p = strtol(argv[++i], &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "osdbg: bad port %s\n", argv[i]);
                return 2;
            }
            port = (int)p;
        } else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
            log = fopen(argv[++i], "a");
            if (!log) {
                fprintf(stderr, "osdbg: cannot open log %s: %s\n", argv[i], strerror(errno));
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!log && getenv("OSDBG_DAP_LOG"))
        log = fopen(getenv("OSDBG_DAP_LOG"), "a");
    int in = 0, out = 1;
    if (port >= 0) {
        in = out = listen_once(port);
        if (in < 0)
            return 1;
    }
    dap_init(in, out, osdbg_requests, log);
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
    return code;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "dap") == 0)
        return cmd_dap(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "console") == 0)
        return console_client_main(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return run_main(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "trace") == 0)
        return trace_main(argc - 2, argv + 2);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
