/*
 * fakestub - a side-stub without an OS, for measuring the host's side of
 * the event path (issue 21, "the host side keeps up"): parse -> format ->
 * output in `osdbg trace` and `osdbg dap`, with no kernel to limit the rate.
 *
 *   fakestub SOCKET COUNT RATE
 *
 * Listens on the Unix socket SOCKET, answers one client's requests the way
 * a kernel's side-stub does (qSupported, vTR/vTU/vTAttach -> OK<id>, vTObj*,
 * vTDetach, vTGo -> OK, vTStat with its counters), and once a probe is
 * attached streams COUNT events of it, RATE per second (0: as fast as the
 * socket takes them).  Every frame is made by the side-stub library
 * (ss_event_frame: the encoding the library offers, the one the kernel
 * uses), so the host decodes what it decodes from a kernel.
 *
 * The socket is blocking: a host that reads slower than RATE slows the
 * stream down (nothing is dropped here); the achieved rate is printed on
 * stderr at the end as one JSON line {"produced","sent","ms","rate"}.
 * The events are register records (SS_EVT_REGS, 32 x 8 bytes), what the
 * registers program of a vTR probe sends.
 */
#include <sidestub.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static uint32_t probe_id;
static uint64_t produced, sent;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void write_all(const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            perror("fakestub: write");
            exit(1);
        }
        s += w;
        n -= (size_t)w;
    }
}

static void reply(const char *payload)
{
    uint8_t frame[SS_FRAME_MAX(256)];
    size_t n = ss_frame(SS_CH_PACKET, payload, strlen(payload), frame, sizeof frame);
    write_all(frame, n);
}

static void answer(const uint8_t *data, size_t len)
{
    struct ss_request req;
    char out[256];
    int rc = ss_parse_request(data, len, 0, 0, &req);
    if (rc < 0) {
        ss_reply_err(out, sizeof out, -rc);
    } else if (req.cmd == SS_CMD_SUPPORTED) {
        out[ss_reply_supported(out, sizeof out - 1, SS_PACKET_SIZE, 10000000)] = 0;
    } else if (req.cmd == SS_CMD_TRACE_K || req.cmd == SS_CMD_TRACE_U || req.cmd == SS_CMD_ATTACH) {
        probe_id++;
        out[ss_reply_ok_id(out, sizeof out - 1, probe_id)] = 0;
    } else if (req.cmd == SS_CMD_OBJ_NEW) {
        out[ss_reply_ok_id(out, sizeof out - 1, 1)] = 0;
    } else if (req.cmd == SS_CMD_STAT) {
        snprintf(out, sizeof out, "%s=%llx;%s=0", SS_STAT_EVENTS, (unsigned long long)produced,
                 SS_STAT_DROPPED);
    } else if (req.cmd == SS_CMD_UNKNOWN && len == strlen(SS_PKT_GO) &&
               !memcmp(data, SS_PKT_GO, len)) {
        strcpy(out, "OK");
    } else if (req.cmd == SS_CMD_UNKNOWN || req.cmd == SS_CMD_LIST || req.cmd == SS_CMD_MAP) {
        strcpy(out, req.cmd == SS_CMD_UNKNOWN ? "" : "l");
    } else {
        strcpy(out, "OK");
    }
    if (!out[0] && req.cmd != SS_CMD_UNKNOWN)
        strcpy(out, "OK");
    reply(out);
}

/* Reads what the host sent (requests, acks) without blocking; false when it
 * has gone. */
static bool serve(struct ss_rx *rx, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, wait_ms) > 0) {
        uint8_t in[8192];
        ssize_t n = read(fd, in, sizeof in);
        if (n <= 0)
            return false;
        for (size_t off = 0; off < (size_t)n;) {
            struct ss_rx_event ev;
            off += ss_rx_feed(rx, in + off, (size_t)n - off, &ev);
            if (ev.ack)
                write_all(&ev.ack, 1);
            if (ev.kind == SS_RX_PACKET)
                answer(ev.data, ev.len);
        }
        wait_ms = 0;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fakestub SOCKET COUNT RATE\n");
        return 2;
    }
    uint64_t count = strtoull(argv[2], 0, 10);
    double rate = strtod(argv[3], 0);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[1]);
    unlink(a.sun_path);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0) {
        perror("fakestub: bind");
        return 1;
    }
    fd = accept(ls, 0, 0);
    if (fd < 0) {
        perror("fakestub: accept");
        return 1;
    }
    static uint8_t rxbuf[SS_PACKET_SIZE];
    struct ss_rx rx;
    ss_rx_init(&rx, rxbuf, sizeof rxbuf);
    while (!probe_id)
        if (!serve(&rx, 1000))
            return 1;
    /* The host's attach is answered: stream. */
    uint64_t regs[32];
    for (int i = 0; i < 32; i++)
        regs[i] = 0x80001000u + 8u * (unsigned)i;
    struct ss_event ev = {.probe = probe_id,
                          .hart = 0,
                          .pid = 3,
                          .type = SS_EVT_REGS,
                          .data = (const uint8_t *)regs,
                          .len = sizeof regs};
    strcpy(ev.comm, "sysbench");
    static uint8_t scratch[SS_PACKET_SIZE], frames[64 * 1024];
    double t0 = now_s();
    size_t fill = 0;
    for (uint64_t i = 0; i < count; i++) {
        ev.seq = i;
        ev.time = (uint64_t)((now_s() - t0) * 1e7);
        regs[10] = i; /* a0: the event's number, for a reader to check */
        size_t n =
            ss_event_frame(&ev, scratch, sizeof scratch, frames + fill, sizeof frames - fill);
        if (!n) {
            write_all(frames, fill);
            fill = 0;
            n = ss_event_frame(&ev, scratch, sizeof scratch, frames, sizeof frames);
        }
        fill += n;
        produced++;
        /* Paced: what is due by now goes out in one write, then a short
         * sleep (never a spin: the host under test needs the other core). */
        while (rate > 0 && (double)(i + 1) / rate > now_s() - t0) {
            if (fill) {
                write_all(frames, fill);
                fill = 0;
            }
            struct timespec nap = {0, 100000};
            nanosleep(&nap, 0);
        }
        if ((i & 255) == 255 && !serve(&rx, 0))
            return 1;
    }
    write_all(frames, fill);
    sent = count;
    double ms = (now_s() - t0) * 1e3;
    fprintf(stderr, "{\"produced\":%llu,\"sent\":%llu,\"ms\":%.1f,\"rate\":%.0f}\n",
            (unsigned long long)produced, (unsigned long long)sent, ms,
            ms > 0 ? (double)sent * 1e3 / ms : 0);
    /* Answer the host's closing requests (vTStat, vTDetach) until it leaves. */
    while (serve(&rx, 10000))
        ;
    close(fd);
    unlink(a.sun_path);
    return 0;
}
