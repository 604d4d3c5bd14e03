#include "side/siderelay.h"
#include "dap/dap.h"
#include "core/loop.h"
#include "side/sideclient.h"
#include "side/sidechan.h"
#include "core/usock.h"

#include <osdbg/sidestub_proto.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 4
#define MAX_OWNED   64 /* probes one client may hold */

static struct client {
    int fd; /* -1: a free entry */
    struct ss_rx rx;
    uint8_t rxbuf[SS_PACKET_SIZE];
    uint8_t last[SS_FRAME_MAX(SS_PACKET_SIZE)]; /* the last reply, for a '-' */
    size_t last_len;
    uint64_t seq;              /* its own event numbering: gaps are its losses only */
    uint32_t owned[MAX_OWNED]; /* its probes */
    int nowned;
    uint32_t objs[MAX_OWNED]; /* its objects (vTObjNew) */
    int nobjs;
} clients[MAX_CLIENTS];

static int listen_fd = -1;
static char sock_path[108];
static bool started; /* clients[] is set up */

/* A terminal that does not read its replies and events gets 4 MiB of them
 * queued, then is dropped: it never stalls the adapter. */
#define CLIENT_MAX_QUEUED (4u << 20)

static void drop_client(struct client *c);
static void client_event(const struct ss_event *ev, void *arg);

static void send_bytes(struct client *c, const void *data, size_t len)
{
    if (c->fd >= 0 && loop_send(c->fd, data, len, CLIENT_MAX_QUEUED) < 0 && errno == ENOBUFS) {
        dap_log("relay: a terminal does not read what it asked for: dropped");
        drop_client(c);
    }
}

static void drop_client(struct client *c)
{
    char err[256], reply[64];
    struct side_client *side = sidechan_get(err, sizeof err);
    for (int i = 0; i < c->nowned; i++)
        sidechan_unsubscribe(c->owned[i]);
    for (int i = 0; i < c->nowned && side; i++) {
        struct ss_request detach = {.cmd = SS_CMD_DETACH, .id = c->owned[i]};
        if (side_request_cmd(side, &detach, reply, sizeof reply, 3000, err, sizeof err) < 0)
            dap_log("relay: detaching probe %u: %s", c->owned[i], err);
    }
    /* and its objects, attached or not: none stays in the kernel's memory */
    for (int i = 0; i < c->nobjs && side; i++) {
        struct ss_request free_obj = {.cmd = SS_CMD_OBJ_FREE, .obj = c->objs[i]};
        if (side_request_cmd(side, &free_obj, reply, sizeof reply, 3000, err, sizeof err) < 0)
            dap_log("relay: freeing object %u: %s", c->objs[i], err);
    }
    c->nowned = c->nobjs = 0;
    loop_unwatch(c->fd);
    loop_drop_queue(c->fd);
    close(c->fd);
    c->fd = -1;
}

static bool in(const uint32_t *ids, int n, uint32_t id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static void forget(uint32_t *ids, int *n, uint32_t id)
{
    for (int i = 0; i < *n; i++)
        if (ids[i] == id)
            ids[i--] = ids[--*n];
}

/* The hex id right after `prefix` in a packet. */
/* May this client send this request?  A terminal acts on its own probes
 * and objects only.  The request is read by the library's parser, as the
 * kernel reads it; one that does not parse goes on, for the kernel to
 * answer with its error. */
static bool allowed(const struct client *c, const struct ss_request *r, bool parsed)
{
    if (!parsed)
        return true;
    switch (r->cmd) {
    case SS_CMD_DETACH:
        return in(c->owned, c->nowned, r->id);
    case SS_CMD_OBJ_DATA:
    case SS_CMD_OBJ_FREE:
    case SS_CMD_ATTACH:
        return in(c->objs, c->nobjs, r->obj);
    case SS_CMD_OBJ_NEW:
        return c->nobjs < MAX_OWNED;
    default:
        return true;
    }
}

/* The kernel's counters stop where its ring ends: a relay client also
 * gets the host's count of the whole channel, the authoritative one
 * (docs/side-stub-protocol.md, vTStat). */
static long add_host_counts(struct side_client *side, char *reply, size_t len, size_t cap)
{
    struct side_counts k;
    side_counts(side, &k);
    int n =
        snprintf(reply + len, cap - len, "%s%s=%llx;%s=%llx;%s=%llx", len ? ";" : "",
                 SS_STAT_HOST_EVENTS, (unsigned long long)k.events, SS_STAT_HOST_LOST,
                 (unsigned long long)k.lost, SS_STAT_HOST_DAMAGED, (unsigned long long)k.damaged);
    return n > 0 && (size_t)n < cap - len ? (long)(len + (size_t)n) : (long)len;
}

/* One request of a client, through the adapter's own connection. */
static void forward(struct client *c, const uint8_t *payload, size_t len)
{
    static char reply[SS_PACKET_SIZE + 1];
    char err[256];
    struct ss_request r;
    bool parsed = ss_parse_request(payload, len, 0, 0, &r) == 0;
    if (!allowed(c, &r, parsed)) {
        long n = snprintf(reply, sizeof reply, "E%02x", SS_ERR_NOENT);
        c->last_len = ss_frame('$', reply, (size_t)n, c->last, sizeof c->last);
        send_bytes(c, c->last, c->last_len);
        return;
    }
    struct side_client *side = sidechan_get(err, sizeof err);
    long n = side ? side_request_bin(side, payload, len, reply, sizeof reply, 3000, err, sizeof err)
                  : -1;
    if (n < 0) {
        dap_log("relay: %s", err);
        n = snprintf(reply, sizeof reply, "E%02x", SS_ERR_BUSY);
    }
    /* Which probes and objects are the client's: it gets their events, and
     * they go with it. */
    uint32_t id;
    bool ok = !strcmp(reply, SS_REPLY_OK);
    switch (parsed ? r.cmd : SS_CMD_UNKNOWN) {
    case SS_CMD_TRACE_K:
    case SS_CMD_TRACE_U:
    case SS_CMD_ATTACH:
        if (side_reply_id(reply, &id) && c->nowned < MAX_OWNED) {
            c->owned[c->nowned++] = id;
            sidechan_subscribe(id, client_event, c);
        }
        break;
    case SS_CMD_DETACH:
        if (ok) {
            forget(c->owned, &c->nowned, r.id);
            sidechan_unsubscribe(r.id);
        }
        break;
    case SS_CMD_OBJ_NEW:
        if (side_reply_id(reply, &id) && c->nobjs < MAX_OWNED)
            c->objs[c->nobjs++] = id;
        break;
    case SS_CMD_OBJ_FREE:
        if (ok)
            forget(c->objs, &c->nobjs, r.obj);
        break;
    case SS_CMD_STAT:
        if (side && reply[0] != SS_REPLY_ERR)
            n = add_host_counts(side, reply, (size_t)n, sizeof reply);
        break;
    default:
        break;
    }
    c->last_len = ss_frame('$', reply, (size_t)n, c->last, sizeof c->last);
    send_bytes(c, c->last, c->last_len);
}

static void on_client_readable(int fd, void *data)
{
    struct client *c = data;
    uint8_t buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        drop_client(c);
        return;
    }
    for (size_t off = 0; off < (size_t)n && c->fd >= 0;) {
        struct ss_rx_event ev;
        off += ss_rx_feed(&c->rx, buf + off, (size_t)n - off, &ev);
        if (ev.ack)
            send_bytes(c, &ev.ack, 1);
        if (ev.kind == SS_RX_PACKET)
            forward(c, ev.data, ev.len);
        else if (ev.kind == SS_RX_NAK && c->last_len)
            send_bytes(c, c->last, c->last_len); /* our reply came garbled */
    }
}

static void on_accept(int fd, void *data)
{
    (void)data;
    int s = accept4(fd, 0, 0, SOCK_CLOEXEC);
    if (s < 0)
        return;
    struct client *c = 0;
    for (int i = 0; i < MAX_CLIENTS && !c; i++)
        if (clients[i].fd < 0)
            c = &clients[i];
    if (!c) {
        close(s);
        return;
    }
    memset(c, 0, sizeof *c);
    c->fd = s;
    ss_rx_init(&c->rx, c->rxbuf, sizeof c->rxbuf);
    loop_watch(s, on_client_readable, c);
}

int siderelay_start(const char *path, char *err, size_t errlen)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        clients[i].fd = -1;
    int s = usock_listen(path, MAX_CLIENTS, err, errlen);
    if (s < 0)
        return -1;
    listen_fd = s;
    started = true;
    snprintf(sock_path, sizeof sock_path, "%s", path);
    loop_watch(s, on_accept, 0);
    return 0;
}

bool siderelay_owns(uint32_t id)
{
    for (int i = 0; started && i < MAX_CLIENTS; i++)
        for (int k = 0; clients[i].fd >= 0 && k < clients[i].nowned; k++)
            if (clients[i].owned[k] == id)
                return true;
    return false;
}

/* An event of one of c's probes, renumbered in c's own sequence. */
static void client_event(const struct ss_event *ev, void *arg)
{
    struct client *c = arg;
    if (c->fd < 0)
        return;
    static uint8_t scratch[SS_PACKET_SIZE], frame[SS_FRAME_MAX(SS_PACKET_SIZE)];
    struct ss_event mine = *ev;
    mine.seq = c->seq++;
    size_t n = ss_event_frame(&mine, scratch, sizeof scratch, frame, sizeof frame);
    /* A client that does not read loses events (its sequence shows the
     * gap); the adapter does not wait for it. */
    if (n)
        send(c->fd, frame, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void siderelay_stop(void)
{
    if (!started)
        return;
    started = false;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i].fd >= 0) {
            loop_unwatch(clients[i].fd);
            loop_drop_queue(clients[i].fd);
            close(clients[i].fd);
            clients[i].fd = -1;
        }
    }
    if (listen_fd >= 0) {
        loop_unwatch(listen_fd);
        close(listen_fd);
        unlink(sock_path);
        listen_fd = -1;
    }
}
