/*
 * sideproxy - QEMU with more logpoint hits than the kernel can make, for
 * measuring a debug session's side of the event path (issue 21, "the host
 * side keeps up"): the side channel's parse -> the logpoint's format -> the
 * DAP output event, in a real `osdbg dap` session driven by a DAP client.
 *
 * It stands in for the profile's QEMU binary: it runs the real QEMU
 * (SIDEPROXY_QEMU, default qemu-system-riscv64) with the same arguments,
 * except that the debug channel's socket (-chardev socket,id=osdbgside,
 * path=P) moves to P.q, and it listens on P itself, relaying both ways.
 * Everything is relayed as it is, but for one thing: the first event of a
 * probe (a logpoint's first hit) is followed by SIDEPROXY_COUNT copies of
 * it, SIDEPROXY_RATE a second (0: as fast as the host reads).  The copies
 * are made by the side-stub library (ss_event_decode, ss_event_frame: the
 * encoding the library offers, the one the kernel uses), so the adapter
 * decodes and formats them exactly as the kernel's.  The kernel's later
 * events are renumbered after the copies so the sequence has no gap: any
 * gap the adapter sees is a real loss.
 *
 * While the copies go out, the kernel's side is not read (the copies' and
 * the kernel's events stay in order); they are paced with short sleeps,
 * never a spin.  At the end SIDEPROXY_REPORT (a file) gets one JSON line:
 * {"produced","ms","rate"} of the copies; SIDEPROXY_LOG (a file) gets a
 * line per item relayed from the kernel, to debug the proxy.  QEMU dies with this process
 * (PR_SET_PDEATHSIG), so the adapter's kill of "QEMU" leaves nothing.
 */
#include <sidestub.h>
#include <osdbg/dbgchan.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t qemu = -1;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

static int listen_on(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0) {
        perror("sideproxy: listen");
        exit(1);
    }
    return fd;
}

/* QEMU's end of the channel, once its socket is there (it is a server). */
static int connect_guest(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    for (int tries = 0; tries < 500; tries++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return fd;
        close(fd);
        usleep(10000);
    }
    return -1;
}

static void qemu_gone(void)
{
    int status = 0;
    if (qemu > 0 && waitpid(qemu, &status, WNOHANG) == qemu)
        exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

static void on_term(int sig)
{
    if (qemu > 0)
        kill(qemu, sig);
}

/* The copies: what they are, how many are left, when they started. */
static struct {
    uint64_t count, left;
    double rate, t0;
    bool started;
    struct ss_event ev;
    uint8_t data[SS_PACKET_SIZE];
    uint64_t next_seq;
} copies;
static uint64_t seq_offset; /* added to the kernel's sequence numbers */
static FILE *trace_log;     /* SIDEPROXY_LOG: what the proxy did, for debugging it */
#define LOG(...) (trace_log ? (fprintf(trace_log, __VA_ARGS__), fflush(trace_log)) : 0)
static const char *report;

static void write_report(void)
{
    FILE *f = report ? fopen(report, "w") : 0;
    if (!f)
        return;
    double ms = (now_s() - copies.t0) * 1e3;
    fprintf(f, "{\"produced\":%llu,\"ms\":%.1f,\"rate\":%.0f}\n", (unsigned long long)copies.count,
            ms, ms > 0 ? (double)copies.count * 1e3 / ms : 0);
    fclose(f);
}

/* Sends the copies that are due (all of them at rate 0); true when done. */
static bool send_copies(int host)
{
    static uint8_t scratch[SS_PACKET_SIZE], frames[64 * 1024];
    size_t fill = 0;
    double due = copies.rate > 0 ? (now_s() - copies.t0) * copies.rate : 1e18;
    while (copies.left && (double)(copies.count - copies.left) < due) {
        copies.ev.seq = copies.next_seq;
        size_t n = ss_event_frame(&copies.ev, scratch, sizeof scratch, frames + fill,
                                  sizeof frames - fill);
        if (!n) { /* the buffer is full: out with it, then this copy again */
            if (!write_all(host, frames, fill))
                exit(1);
            fill = 0;
            continue;
        }
        fill += n;
        copies.next_seq++;
        copies.left--;
    }
    if (fill && !write_all(host, frames, fill))
        exit(1);
    if (!copies.left)
        write_report();
    return !copies.left;
}

/* One item from the kernel (raw bytes, and the decoded frame): relayed,
 * an event renumbered; the first event starts the copies. */
static void relay_item(int host, const uint8_t *raw, size_t rawlen, const struct ss_rx_event *it)
{
    struct ss_event ev;
    LOG("item kind %d start %c len %zu raw %zu\n", (int)it->kind, it->start ? it->start : '.',
        it->len, rawlen);
    if (it->kind != SS_RX_NOTIFY || ss_event_decode(it->data, it->len, &ev) < 0) {
        if (!write_all(host, raw, rawlen))
            exit(1);
        return;
    }
    ev.seq += seq_offset;
    static uint8_t scratch[SS_PACKET_SIZE], frame[SS_FRAME_MAX(SS_PACKET_SIZE)];
    size_t n = ss_event_frame(&ev, scratch, sizeof scratch, frame, sizeof frame);
    if (!n || !write_all(host, frame, n))
        exit(1);
    if (!copies.started && copies.count && ev.type == SS_EVT_DATA) {
        copies.started = true;
        copies.ev = ev;
        memcpy(copies.data, ev.data, ev.len);
        copies.ev.data = copies.data;
        copies.next_seq = ev.seq + 1;
        copies.left = copies.count;
        seq_offset += copies.count;
        copies.t0 = now_s();
        LOG("copies of probe %u from seq %llu\n", ev.probe, (unsigned long long)copies.next_seq);
    }
}

int main(int argc, char **argv)
{
    const char *binary =
        getenv("SIDEPROXY_QEMU") ? getenv("SIDEPROXY_QEMU") : "qemu-system-riscv64";
    copies.count = getenv("SIDEPROXY_COUNT") ? strtoull(getenv("SIDEPROXY_COUNT"), 0, 10) : 0;
    copies.rate = getenv("SIDEPROXY_RATE") ? strtod(getenv("SIDEPROXY_RATE"), 0) : 0;
    report = getenv("SIDEPROXY_REPORT");
    trace_log = getenv("SIDEPROXY_LOG") ? fopen(getenv("SIDEPROXY_LOG"), "w") : 0;
    static char host_path[4096], guest_path[4096], moved[8192];
    char **args = calloc((size_t)argc + 1, sizeof *args);
    args[0] = (char *)binary;
    for (int i = 1; i < argc; i++) {
        args[i] = argv[i];
        const char *p = strstr(argv[i], ",path=");
        if (i > 1 && !strcmp(argv[i - 1], "-chardev") &&
            strstr(argv[i], "id=" DBGCHAN_CHARDEV_ID ",") && p) {
            const char *end = strchr(p + 6, ',');
            size_t n = end ? (size_t)(end - p - 6) : strlen(p + 6);
            snprintf(host_path, sizeof host_path, "%.*s", (int)n, p + 6);
            snprintf(guest_path, sizeof guest_path, "%s.q", host_path);
            snprintf(moved, sizeof moved, "%.*s,path=%s%s", (int)(p - argv[i]), argv[i], guest_path,
                     end ? end : "");
            args[i] = moved;
        }
    }
    int ls = host_path[0] ? listen_on(host_path) : -1;
    qemu = fork();
    if (qemu == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (ls >= 0)
            close(ls);
        execvp(binary, args);
        perror("sideproxy: exec");
        _exit(127);
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    int host = -1, guest = -1;
    static uint8_t rxbuf[SS_PACKET_SIZE], raw[2 * SS_PACKET_SIZE + 64];
    size_t rawlen = 0;
    struct ss_rx rx;
    ss_rx_init(&rx, rxbuf, sizeof rxbuf);
    for (;;) {
        qemu_gone();
        bool copying = copies.started && copies.left;
        struct pollfd p[3] = {{.fd = host >= 0 ? -1 : ls, .events = POLLIN},
                              {.fd = host, .events = POLLIN},
                              {.fd = copying ? -1 : guest, .events = POLLIN}};
        int r = poll(p, 3, copying ? 0 : 50);
        if (r < 0 && errno != EINTR)
            return 1;
        if (copying) {
            if (!send_copies(host)) {
                struct timespec nap = {0, 100000};
                nanosleep(&nap, 0);
            }
        }
        if (r <= 0)
            continue;
        if (p[0].revents & POLLIN) {
            host = accept(ls, 0, 0);
            LOG("host connected\n");
            guest = host >= 0 ? connect_guest(guest_path) : -1;
            if (guest < 0) {
                close(host);
                host = -1;
            }
            rawlen = 0;
            ss_rx_init(&rx, rxbuf, sizeof rxbuf);
        }
        uint8_t in[8192];
        if (p[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(host, in, sizeof in);
            if (n <= 0 || !write_all(guest, in, (size_t)n)) {
                close(host);
                close(guest);
                host = guest = -1;
                continue;
            }
        }
        if (guest >= 0 && (p[2].revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(guest, in, sizeof in);
            if (n <= 0) {
                close(host);
                close(guest);
                host = guest = -1;
                continue;
            }
            for (size_t off = 0; off < (size_t)n;) {
                struct ss_rx_event it;
                size_t used = ss_rx_feed(&rx, in + off, (size_t)n - off, &it);
                if (rawlen + used > sizeof raw) { /* an oversize item: pass it on as it is */
                    write_all(host, raw, rawlen);
                    rawlen = 0;
                }
                if (rawlen + used <= sizeof raw) {
                    memcpy(raw + rawlen, in + off, used);
                    rawlen += used;
                } else {
                    write_all(host, in + off, used);
                }
                off += used;
                if (it.kind != SS_RX_NONE) {
                    relay_item(host, raw, rawlen, &it);
                    rawlen = 0;
                }
            }
        }
    }
}
