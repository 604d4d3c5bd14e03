#include "sideclient.h"
#include "usock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct side_client {
    int fd;
    struct ss_rx rx;
    uint8_t rxbuf[SS_PACKET_SIZE * 2];
    side_event_fn on_event;
    void *arg;
    struct ss_seq seq;
    uint64_t events, lost, time_hz;
    /* the reply being waited for */
    bool want_reply, got_reply;
    char *reply;
    size_t reply_cap, reply_len;
    uint8_t framed[SS_FRAME_MAX(SS_PACKET_SIZE)]; /* the request in flight */
    size_t framed_len;
    unsigned naks;
    unsigned late; /* replies still owed to requests that timed out: dropped when they come */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_all(struct side_client *c, const void *data, size_t len)
{
    usock_send_all(c->fd, data, len); /* a peer gone shows on the read side */
}

static void handle(struct side_client *c, const struct ss_rx_event *ev)
{
    if (ev->ack)
        send_all(c, &ev->ack, 1); /* '+' or '-' for the kernel's packet */
    if (ev->kind == SS_RX_NAK && c->want_reply && !c->got_reply && c->naks++ < 5) {
        /* The kernel saw a bad checksum: send the request again. */
        send_all(c, c->framed, c->framed_len);
    } else if (ev->kind == SS_RX_PACKET && c->late) {
        /* A request gave up waiting (the OS was stopped); its reply must
         * not be taken for the answer to a later one. */
        c->late--;
    } else if (ev->kind == SS_RX_PACKET && c->want_reply && !c->got_reply) {
        size_t n = ev->len < c->reply_cap - 1 ? ev->len : c->reply_cap - 1;
        memcpy(c->reply, ev->data, n);
        c->reply[n] = 0;
        c->reply_len = n;
        c->got_reply = true;
    } else if (ev->kind == SS_RX_NOTIFY) {
        struct ss_event e;
        if (ss_event_decode(ev->data, ev->len, &e) == 0) {
            uint64_t lost = ss_seq_track(&c->seq, e.seq);
            c->events++;
            c->lost += lost;
            if (c->on_event)
                c->on_event(&e, lost, c->arg);
        }
    }
}

/* Read what there is (waiting up to ms); -1 when the connection ended. */
static int pump(struct side_client *c, long ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int r = poll(&p, 1, (int)ms);
    if (r <= 0)
        return r < 0 && errno != EINTR ? -1 : 0;
    uint8_t buf[8192];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n <= 0)
        return -1;
    size_t off = 0;
    while (off < (size_t)n) {
        struct ss_rx_event ev;
        off += ss_rx_feed(&c->rx, buf + off, (size_t)n - off, &ev);
        if (ev.kind != SS_RX_NONE)
            handle(c, &ev);
    }
    return 1;
}

int side_poll(struct side_client *c, long ms)
{
    return pump(c, ms) < 0 ? -1 : 0;
}

long side_request(struct side_client *c, const char *payload, char *reply, size_t cap, long ms,
                  char *err, size_t errlen)
{
    return side_request_bin(c, payload, strlen(payload), reply, cap, ms, err, errlen);
}

long side_request_bin(struct side_client *c, const void *payload, size_t len, char *reply,
                      size_t cap, long ms, char *err, size_t errlen)
{
    /* One request at a time: while an earlier one's reply is still owed
     * (it timed out, the OS was stopped), wait for it first.  A second
     * request on top would be answered after the first, and a side-stub
     * with one reply in flight may have to drop it. */
    long long until = now_ms() + ms;
    while (c->late && now_ms() < until)
        if (pump(c, 50) < 0)
            break;
    if (c->late) {
        snprintf(err, errlen,
                 "the side-stub still owes the answer to an earlier request "
                 "(is the OS stopped?)");
        return -1;
    }
    c->framed_len = ss_frame('$', payload, len, c->framed, sizeof c->framed);
    if (!c->framed_len) {
        snprintf(err, errlen, "request too long");
        return -1;
    }
    c->want_reply = true;
    c->got_reply = false;
    c->naks = 0;
    c->reply = reply;
    c->reply_cap = cap;
    /* No resend on silence: a request that arrived twice would act twice
     * (two probes); only a '-' makes us send it again. */
    send_all(c, c->framed, c->framed_len);
    long long deadline = now_ms() + ms;
    while (!c->got_reply) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            const char *colon = memchr(payload, ':', len);
            snprintf(err, errlen, "no reply to %.*s within %ld ms",
                     (int)(colon ? (size_t)(colon - (const char *)payload) : len),
                     (const char *)payload, ms);
            c->want_reply = false;
            c->late++;
            return -1;
        }
        if (pump(c, left < 100 ? left : 100) < 0) {
            snprintf(err, errlen, "the side channel closed");
            c->want_reply = false;
            return -1;
        }
    }
    c->want_reply = false;
    return (long)c->reply_len;
}

struct side_client *side_connect(const char *path, side_event_fn on_event, void *arg, long ms,
                                 char *err, size_t errlen)
{
    int fd = usock_connect(path, err, errlen);
    if (fd < 0)
        return 0;
    struct side_client *c = calloc(1, sizeof *c);
    c->fd = fd;
    c->on_event = on_event;
    c->arg = arg;
    ss_rx_init(&c->rx, c->rxbuf, sizeof c->rxbuf);
    ss_seq_init(&c->seq);
    char reply[256];
    long n = side_request(c, SS_PKT_SUPPORTED, reply, sizeof reply, ms, err, errlen);
    struct ss_features f;
    if (n < 0 || !ss_supported_parse(reply, (size_t)n, &f) || !f.trace) {
        if (n >= 0)
            snprintf(err, errlen, "%s is not an osdbg side-stub (qSupported: %s)", path, reply);
        else if (strstr(err, "no reply"))
            snprintf(err, errlen,
                     "%s does not answer: the OS is stopped or still booting, or another osdbg "
                     "holds its side channel (QEMU serves one client at a time; a debug "
                     "session prints a trace socket that shares it)",
                     path);
        side_close(c);
        return 0;
    }
    c->time_hz = f.time_hz;
    return c;
}

void side_close(struct side_client *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}

void side_counts(const struct side_client *c, struct side_counts *out)
{
    out->events = c->events;
    out->lost = c->lost;
    out->damaged = c->rx.stats.bad_checksum + c->rx.stats.oversize + c->rx.stats.cut;
}

uint64_t side_time_hz(const struct side_client *c)
{
    return c->time_hz;
}

int side_fd_of(const struct side_client *c)
{
    return c->fd;
}

/* vTObjNew, then chunks that fit a packet even if every byte is escaped
 * (docs/side-stub-protocol.md, "Uploading an eBPF object"). */
int side_upload(struct side_client *c, const void *obj, size_t len, uint32_t *id, char *err,
                size_t errlen)
{
    char req[64], reply[64];
    snprintf(req, sizeof req, "%s%zx", SS_PKT_OBJ_NEW, len);
    if (side_request(c, req, reply, sizeof reply, 3000, err, errlen) < 0)
        return -1;
    if (strncmp(reply, SS_REPLY_OK, 2) != 0 || !reply[2]) {
        snprintf(err, errlen, "the kernel has no room for a %zu-byte object (%s)", len, reply);
        return -1;
    }
    *id = (uint32_t)strtoul(reply + 2, 0, 16);
    enum { CHUNK = 1800 };
    static uint8_t packet[64 + CHUNK];
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        int h = snprintf((char *)packet, 64, "%s%x,%zx:", SS_PKT_OBJ_DATA, *id, off);
        memcpy(packet + h, (const uint8_t *)obj + off, n);
        if (side_request_bin(c, packet, (size_t)h + n, reply, sizeof reply, 3000, err, errlen) < 0)
            return -1;
        if (strcmp(reply, SS_REPLY_OK) != 0) {
            snprintf(err, errlen, "upload of the object refused (%s)", reply);
            snprintf(req, sizeof req, "%s%x", SS_PKT_OBJ_FREE, *id);
            side_request(c, req, reply, sizeof reply, 3000, err, errlen);
            return -1;
        }
    }
    return 0;
}
