#include "side/sideclient.h"
#include "core/usock.h"

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
    bool asking_supported; /* the request is qSupported */
    char *reply;
    size_t reply_cap, reply_len;
    uint8_t framed[SS_FRAME_MAX(SS_PACKET_SIZE)]; /* the request in flight */
    size_t framed_len;
    unsigned naks;
    /* Requests given up (timed out, or the OS stopped): their replies are
     * still owed, in this order, and what they made is undone. */
    unsigned late;
    uint8_t late_kind[16]; /* what each late request makes: UNDO_* */
    /* Requests to send when the channel is free (undo, cleanup). */
    char later[32][48];
    unsigned nlater;
    bool (*stopped)(void *);
    void *stopped_arg;
    bool interrupted;
    bool in_request;    /* side_idle must not send from inside a request's wait */
    bool sending_later; /* send_later is running: its requests do not start it again */
};

enum { UNDO_NONE, UNDO_FREE_OBJECT, UNDO_DETACH };

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

static bool starts(const void *p, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(p, prefix, k) == 0;
}

/* Keep a request to send when the channel is free (undo, cleanup). */
static void queue_later(struct side_client *c, const struct ss_request *req)
{
    char payload[sizeof c->later[0]];
    size_t n = ss_build_request(req, payload, sizeof payload - 1);
    if (n && c->nlater < sizeof c->later / sizeof c->later[0]) {
        memcpy(c->later[c->nlater], payload, n);
        c->later[c->nlater++][n] = 0;
    }
}

static void late_reply(struct side_client *c, const char *reply, size_t len)
{
    int kind = c->late_kind[0];
    c->late--;
    memmove(&c->late_kind[0], &c->late_kind[1], sizeof c->late_kind - 1);
    c->late_kind[sizeof c->late_kind - 1] = UNDO_NONE;
    struct ss_reply r;
    ss_parse_reply(reply, len, &r);
    if (kind == UNDO_NONE || r.kind != SS_REPLY_IS_OK || !r.has_id)
        return;
    struct ss_request undo = {
        .cmd = kind == UNDO_FREE_OBJECT ? SS_CMD_OBJ_FREE : SS_CMD_DETACH, .obj = r.id, .id = r.id};
    queue_later(c, &undo); /* sent once no reply is owed, never from in here */
}

/* A request is given up: remember what its late reply will mean. */
static void give_up(struct side_client *c, const void *payload, size_t len)
{
    int kind = starts(payload, len, SS_PKT_OBJ_NEW) ? UNDO_FREE_OBJECT
               : starts(payload, len, SS_PKT_TRACE_K) || starts(payload, len, SS_PKT_TRACE_U) ||
                       starts(payload, len, SS_PKT_ATTACH)
                   ? UNDO_DETACH
                   : UNDO_NONE;
    if (c->late < sizeof c->late_kind)
        c->late_kind[c->late] = (uint8_t)kind;
    c->late++;
    c->want_reply = false;
}

/* A qSupported reply ("...osdbg-trace+..."): no other reply holds it. */
static bool stale_supported(const struct ss_rx_event *ev)
{
    struct ss_features f;
    return ss_supported_parse(ev->data, ev->len, &f);
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
         * not be taken for the answer to a later one, and what it made
         * nobody knows of: undo it. */
        late_reply(c, (const char *)ev->data, ev->len);
    } else if (ev->kind == SS_RX_PACKET && c->want_reply && !c->got_reply &&
               !c->asking_supported && stale_supported(ev)) {
        /* The answer to the qSupported of an earlier connection that gave
         * up waiting (a loaded machine): the kernel answers every request
         * it received, to whoever is connected then.  Taken for the reply
         * to this request, it would shift every reply after it by one. */
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

static long request(struct side_client *c, const void *payload, size_t len, char *reply, size_t cap,
                    long ms, char *err, size_t errlen);

/* The deferred requests, once no reply is owed. */
static void send_later(struct side_client *c)
{
    if (c->sending_later)
        return;
    c->sending_later = true;
    while (c->nlater && !c->late) {
        char packet[sizeof c->later[0]], reply[64], err[128];
        memcpy(packet, c->later[0], sizeof packet);
        memmove(&c->later[0], &c->later[1], (--c->nlater) * sizeof c->later[0]);
        request(c, packet, strlen(packet), reply, sizeof reply, 3000, err, sizeof err);
    }
    c->sending_later = false;
}

long side_request_bin(struct side_client *c, const void *payload, size_t len, char *reply,
                      size_t cap, long ms, char *err, size_t errlen)
{
    c->in_request = true;
    long n = request(c, payload, len, reply, cap, ms, err, errlen);
    c->in_request = false;
    return n;
}

static long request(struct side_client *c, const void *payload, size_t len, char *reply, size_t cap,
                    long ms, char *err, size_t errlen)
{
    c->interrupted = false;
    /* One request at a time: while an earlier one's reply is still owed
     * (it timed out, the OS was stopped), wait for it first.  A second
     * request on top would be answered after the first, and a side-stub
     * with one reply in flight may have to drop it. */
    long long until = now_ms() + ms;
    while (c->late && now_ms() < until) {
        if (c->stopped && c->stopped(c->stopped_arg)) {
            c->interrupted = true;
            break;
        }
        if (pump(c, 20) < 0)
            break;
    }
    send_later(c); /* may give up too, and owe a reply again */
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
    c->asking_supported = len >= strlen(SS_PKT_SUPPORTED) &&
                          memcmp(payload, SS_PKT_SUPPORTED, strlen(SS_PKT_SUPPORTED)) == 0;
    c->got_reply = false;
    c->naks = 0;
    c->reply = reply;
    c->reply_cap = cap;
    /* No resend on silence: a request that arrived twice would act twice
     * (two probes); only a '-' makes us send it again. */
    send_all(c, c->framed, c->framed_len);
    long long deadline = now_ms() + ms;
    const char *colon = memchr(payload, ':', len);
    int name_len = (int)(colon ? (size_t)(colon - (const char *)payload) : len);
    while (!c->got_reply) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            snprintf(err, errlen, "no reply to %.*s within %ld ms", name_len, (const char *)payload,
                     ms);
            give_up(c, payload, len);
            return -1;
        }
        if (pump(c, left < 20 ? left : 20) < 0) {
            snprintf(err, errlen, "the side channel closed");
            c->want_reply = false;
            return -1;
        }
        if (!c->got_reply && c->stopped && c->stopped(c->stopped_arg)) {
            snprintf(err, errlen, "the OS stopped before the side-stub answered %.*s", name_len,
                     (const char *)payload);
            give_up(c, payload, len);
            c->interrupted = true;
            return -1;
        }
    }
    c->want_reply = false;
    return (long)c->reply_len;
}

long side_request_cmd(struct side_client *c, const struct ss_request *req, char *reply, size_t cap,
                      long ms, char *err, size_t errlen)
{
    char payload[SS_PACKET_SIZE];
    size_t n = ss_build_request(req, payload, sizeof payload);
    if (!n) {
        snprintf(err, errlen, "request %d is not valid or too long for a packet", req->cmd);
        return -1;
    }
    return side_request_bin(c, payload, n, reply, cap, ms, err, errlen);
}

void side_request_later_cmd(struct side_client *c, const struct ss_request *req)
{
    queue_later(c, req);
    if (!c->in_request)
        send_later(c);
}

bool side_reply_id(const char *reply, uint32_t *id)
{
    struct ss_reply r;
    ss_parse_reply(reply, strlen(reply), &r);
    if (r.kind != SS_REPLY_IS_OK || !r.has_id)
        return false;
    *id = r.id;
    return true;
}

void side_set_stop_check(struct side_client *c, bool (*stopped)(void *), void *arg)
{
    c->stopped = stopped;
    c->stopped_arg = arg;
}

bool side_interrupted(const struct side_client *c)
{
    return c->interrupted;
}

void side_idle(struct side_client *c)
{
    if (!c->in_request)
        send_later(c);
}

struct side_client *side_connect(const char *path, side_event_fn on_event, void *arg, long ms,
                                 char *err, size_t errlen)
{
    return side_connect_checked(path, on_event, arg, 0, 0, ms, err, errlen);
}

struct side_client *side_connect_checked(const char *path, side_event_fn on_event, void *arg,
                                         bool (*stopped)(void *), void *stopped_arg, long ms,
                                         char *err, size_t errlen)
{
    int fd = usock_connect(path, err, errlen);
    if (fd < 0)
        return 0;
    struct side_client *c = calloc(1, sizeof *c);
    c->fd = fd;
    c->on_event = on_event;
    c->arg = arg;
    c->stopped = stopped;
    c->stopped_arg = stopped_arg;
    ss_rx_init(&c->rx, c->rxbuf, sizeof c->rxbuf);
    ss_seq_init(&c->seq);
    char reply[256];
    long n = side_request(c, SS_PKT_SUPPORTED, reply, sizeof reply, ms, err, errlen);
    struct ss_features f;
    if (n < 0 || !ss_supported_parse(reply, (size_t)n, &f) || !f.trace) {
        if (n >= 0)
            snprintf(err, errlen, "%s is not an osdbg side-stub (qSupported: %s)", path, reply);
        else if (c->interrupted)
            ; /* err says the OS stopped */
        else if (strstr(err, "no reply"))
            snprintf(err, errlen,
                     "%s does not answer: the OS is stopped or still booting, or another osdbg "
                     "holds its side channel (QEMU serves one client at a time; a debug "
                     "session prints a trace socket that shares it)",
                     path);
        side_close(c);
        return 0;
    }
    if (f.events > SS_EVENTS_VERSION) {
        /* A newer kernel's events would be misread, not merely missed. */
        snprintf(err, errlen,
                 "%s sends events in format %u; this osdbg reads format %d at most: use the "
                 "osdbg that matches the kernel",
                 path, f.events, SS_EVENTS_VERSION);
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
    char reply[64];
    if (len > UINT32_MAX) {
        snprintf(err, errlen, "an object of %zu bytes is too large", len);
        return -1;
    }
    if (side_request_cmd(c, &(struct ss_request){.cmd = SS_CMD_OBJ_NEW, .size = (uint32_t)len},
                         reply, sizeof reply, 3000, err, errlen) < 0)
        return -1;
    if (!side_reply_id(reply, id)) {
        snprintf(err, errlen, "the kernel has no room for a %zu-byte object (%s)", len, reply);
        return -1;
    }
    enum { CHUNK = 1800 };
    for (size_t off = 0; off < len; off += CHUNK) {
        struct ss_request chunk = {.cmd = SS_CMD_OBJ_DATA,
                                   .obj = *id,
                                   .off = (uint32_t)off,
                                   .data = (const uint8_t *)obj + off,
                                   .len = len - off < CHUNK ? len - off : CHUNK};
        bool sent = side_request_cmd(c, &chunk, reply, sizeof reply, 3000, err, errlen) >= 0;
        if (sent && strcmp(reply, SS_REPLY_OK) != 0)
            snprintf(err, errlen, "upload of the object refused (%s)", reply);
        if (!sent || strcmp(reply, SS_REPLY_OK) != 0) {
            side_request_later_cmd(c, &(struct ss_request){.cmd = SS_CMD_OBJ_FREE, .obj = *id});
            return -1;
        }
    }
    return 0;
}
