/*
 * fuzz_rx.c - libFuzzer target for the side-stub receive path.  The input is
 * a byte stream; its first byte picks a chunk size.  Checked on every input:
 *  - the receiver never writes past its buffer (ASan, plus guard bytes) and
 *    never reports a payload longer than its capacity;
 *  - feeding the stream whole and in chunks gives the same items;
 *  - every packet parses as a request without crashing, and a parsed built-in
 *    request rebuilt by ss_build_request parses back to the same command;
 *  - the host's reply readers (OK/E, qSupported, vTList items) survive it too;
 *  - every notification decodes without crashing, and a decoded event encodes
 *    and decodes back to the same fields;
 *  - the link (acks, retransmission) survives the stream as input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sidestub.h"

#define CAP 64 /* small, so oversize paths are easy to reach */

struct item {
    int kind;
    char ack;
    size_t len;
    uint64_t hash;
};

static uint64_t hash(const uint8_t *d, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 1099511628211ull;
    return h;
}

static void check_request(const uint8_t *d, size_t n)
{
    struct ss_request r, r2;
    static char buf[2 * SS_PACKET_SIZE];
    if (ss_parse_request(d, n, 0, 0, &r) != 0 || r.cmd == SS_CMD_UNKNOWN)
        return;
    size_t m = ss_build_request(&r, buf, sizeof buf);
    if (m == 0)
        abort();
    if (ss_parse_request(buf, m, 0, 0, &r2) != 0 || r2.cmd != r.cmd || r2.addr != r.addr ||
        r2.id != r.id || r2.obj != r.obj || r2.len != r.len || r2.name.n != r.name.n ||
        r2.prog.n != r.prog.n)
        abort();
}

static void check_event(const uint8_t *d, size_t n)
{
    struct ss_event ev, ev2;
    static uint8_t buf[2 * SS_PACKET_SIZE];
    if (ss_event_decode(d, n, &ev) != 0)
        return;
    size_t m = ss_event_encode(&ev, buf, sizeof buf);
    if (m == 0 || ss_event_decode(buf, m, &ev2) != 0 || ev2.seq != ev.seq ||
        ev2.probe != ev.probe || ev2.type != ev.type || ev2.time != ev.time || ev2.pid != ev.pid ||
        ev2.len != ev.len || strcmp(ev2.comm, ev.comm) != 0 ||
        (ev.len && memcmp(ev2.data, ev.data, ev.len) != 0))
        abort();
}

/* Host-side reply readers must not crash on anything either. */
static void check_reply(const uint8_t *d, size_t n)
{
    struct ss_reply rep;
    struct ss_features f;
    struct ss_probe_info p;
    struct ss_str rest = {(const char *)d, n}, item, k;
    uint8_t key[64];
    char back[256];
    ss_parse_reply(d, n, &rep);
    ss_supported_parse(d, n, &f);
    while (ss_next_item(&rest, ';', &item)) {
        if (ss_probe_info_parse(item.p, item.n, &p) == 0) {
            size_t m = ss_probe_info_format(&p, back, sizeof back);
            struct ss_probe_info p2;
            if (m == 0 || ss_probe_info_parse(back, m, &p2) != 0 || p2.id != p.id ||
                p2.kind != p.kind || p2.hits != p.hits || p2.addr != p.addr)
                abort();
        }
        if (ss_next_item(&item, '=', &k))
            ss_hex_decode(k.p, k.n, key, sizeof key);
    }
}

/* Runs the stream through a fresh receiver in chunks of `chunk` bytes. */
static size_t run(const uint8_t *d, size_t n, size_t chunk, struct item *items, size_t max,
                  bool check)
{
    uint8_t buf[CAP + 8];
    memset(buf + CAP, 0xa5, 8);
    struct ss_rx rx;
    ss_rx_init(&rx, buf, CAP);
    size_t nitems = 0;
    size_t off = 0;
    while (off < n) {
        size_t end = off + chunk < n ? off + chunk : n;
        while (off < end) {
            struct ss_rx_event ev;
            size_t used = ss_rx_feed(&rx, d + off, end - off, &ev);
            if (used == 0 || used > end - off)
                abort();
            off += used;
            if (ev.kind == SS_RX_NONE)
                continue;
            if (ev.len > CAP)
                abort();
            if (check && ev.kind == SS_RX_PACKET) {
                check_request(ev.data, ev.len);
                check_reply(ev.data, ev.len);
            }
            if (check && ev.kind == SS_RX_NOTIFY)
                check_event(ev.data, ev.len);
            if (nitems < max) {
                items[nitems].kind = ev.kind;
                items[nitems].ack = ev.ack;
                items[nitems].len = ev.len;
                items[nitems].hash = ev.data ? hash(ev.data, ev.len) : 0;
            }
            nitems++;
        }
    }
    for (int i = 0; i < 8; i++)
        if (buf[CAP + i] != 0xa5)
            abort();
    return nitems;
}

static void sink(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
}

static void on_packet(void *ctx, struct ss_link *link, const uint8_t *d, size_t n)
{
    (void)ctx;
    char reply[16];
    size_t m = ss_reply_ok_id(reply, sizeof reply, (uint32_t)n);
    ss_link_send(link, d, n < 8 ? n : 8, 0);
    ss_link_send(link, reply, m, 0);
}

static const struct ss_link_ops ops = {sink, on_packet, 0, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct item whole[4096], parts[4096];
    if (size == 0)
        return 0;
    size_t chunk = (size_t)(data[0] % 17) + 1;
    data++;
    size--;
    size_t a = run(data, size, size ? size : 1, whole, 4096, true);
    size_t b = run(data, size, chunk, parts, 4096, false);
    if (a != b)
        abort();
    for (size_t i = 0; i < a && i < 4096; i++)
        if (whole[i].kind != parts[i].kind || whole[i].ack != parts[i].ack ||
            whole[i].len != parts[i].len || whole[i].hash != parts[i].hash)
            abort();

    static uint8_t rxb[CAP], txb[256], nb[256];
    struct ss_link_config cfg = {&ops, 0, rxb, txb, nb, CAP, sizeof txb, sizeof nb, 5, 2};
    struct ss_link link;
    ss_link_init(&link, &cfg);
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        ss_link_input(&link, data + off, n, off);
        ss_link_poll(&link, off);
    }
    return 0;
}
