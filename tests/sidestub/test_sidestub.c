/*
 * test_sidestub.c - host tests of the side-stub protocol core (sidestub/),
 * built with ASan/UBSan.  Groups follow the library's layers: framing and the
 * receive state machine, the acknowledged link, request parsing, events.
 * Expected checksums are summed by hand in the comments (GDB manual, Remote
 * Protocol, Overview: modulo-256 sum of the payload, two lowercase hex digits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sidestub.h"

/* ---- helpers ---------------------------------------------------------------------- */

/* Frames a payload given as a C string; returns a static NUL-terminated frame. */
static const char *frame_str(char start, const char *payload)
{
    static uint8_t out[2 * SS_PACKET_SIZE + 8];
    size_t n = ss_frame(start, payload, strlen(payload), out, sizeof out - 1);
    out[n] = 0;
    return (const char *)out;
}

/* Runs bytes through a receiver and appends one line per item to log:
 * "P<payload>" packet, "N<payload>" notification, "+" / "-" acks, "B$-" bad
 * packet with its ack, "O$-" oversize, and so on. */
struct rxlog {
    char text[8192];
    size_t len;
};

static void log_add(struct rxlog *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->text + l->len, sizeof l->text - l->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof l->text - l->len);
    l->len += (size_t)n;
}

static void log_event(struct rxlog *l, const struct ss_rx_event *ev)
{
    switch (ev->kind) {
    case SS_RX_NONE:
        break;
    case SS_RX_PACKET:
        assert_int_equal(ev->ack, '+');
        log_add(l, "P%.*s|", (int)ev->len, (const char *)ev->data);
        break;
    case SS_RX_NOTIFY:
        assert_int_equal(ev->ack, 0);
        log_add(l, "N%.*s|", (int)ev->len, (const char *)ev->data);
        break;
    case SS_RX_ACK:
        log_add(l, "+|");
        break;
    case SS_RX_NAK:
        log_add(l, "-|");
        break;
    case SS_RX_BAD:
        log_add(l, "B%c%c|", ev->start, ev->ack ? ev->ack : '0');
        break;
    case SS_RX_OVERSIZE:
        log_add(l, "O%c%c|", ev->start, ev->ack ? ev->ack : '0');
        break;
    }
}

static void feed_all(struct ss_rx *rx, const void *data, size_t len, struct rxlog *l)
{
    const uint8_t *d = data;
    while (len > 0) {
        struct ss_rx_event ev;
        size_t used = ss_rx_feed(rx, d, len, &ev);
        assert_true(used > 0 && used <= len);
        log_event(l, &ev);
        d += used;
        len -= used;
    }
}

/* The log of a whole stream fed in one call, into a receiver of cap bytes. */
static const char *rx_log(const char *stream, size_t cap)
{
    static struct rxlog l;
    static uint8_t buf[SS_PACKET_SIZE];
    struct ss_rx rx;
    memset(&l, 0, sizeof l);
    ss_rx_init(&rx, buf, cap);
    feed_all(&rx, stream, strlen(stream), &l);
    return l.text;
}

/* ---- framing ---------------------------------------------------------------------- */

static void checksum_matches_hand_sums(void **state)
{
    (void)state;
    /* 'O' 0x4f + 'K' 0x4b = 0x9a */
    assert_string_equal(frame_str('$', "OK"), "$OK#9a");
    assert_string_equal(frame_str('$', ""), "$#00");
    /* 'E' 0x45 + '0' 0x30 + '2' 0x32 = 0xa7 */
    assert_string_equal(frame_str('$', "E02"), "$E02#a7");
    /* 'v' 0x76 + 'T' 0x54 + 'R' 0x52 + '1' 0x31 + '0' 0x30 = 0x17d -> 0x7d */
    assert_string_equal(frame_str('$', "vTR10"), "$vTR10#7d");
    /* The seed summed only "vTU" (0x1f); the whole payload sums to 0x95c -> 0x5c. */
    assert_string_equal(frame_str('$', "vTUmatrix:0x0001097e"), "$vTUmatrix:0x0001097e#5c");
    /* Notifications use the same checksum. */
    assert_string_equal(frame_str('%', "OK"), "%OK#9a");
    /* 'a' 0x61 + '}' 0x7d + 0x03 = 0xe1: the checksum covers the escaped bytes. */
    assert_string_equal(frame_str('$', "a#"), "$a}\x03#e1");
    assert_int_equal(ss_checksum("\xff\x01\x02", 3), 2); /* wraps modulo 256 */
}

static void escape_wire_form(void **state)
{
    (void)state;
    uint8_t out[16];
    assert_int_equal(ss_escape("#$}*%a", 6, out, sizeof out), 11);
    assert_memory_equal(out,
                        "}\x03}\x04}]}\x0a}\x05"
                        "a",
                        11);
    /* Too small: 0, not a partial result. */
    assert_int_equal(ss_escape("##", 2, out, 3), 0);
    assert_int_equal(ss_unescape("a}", 2, out, sizeof out), (size_t)-1);
    assert_int_equal(ss_unescape("abc", 3, out, 2), (size_t)-1);
}

static void escape_round_trips_every_byte(void **state)
{
    (void)state;
    uint8_t all[256], esc[512], back[256];
    for (int b = 0; b < 256; b++) {
        uint8_t one = (uint8_t)b;
        size_t n = ss_escape(&one, 1, esc, sizeof esc);
        assert_int_equal(n, ss_must_escape(one) ? 2 : 1);
        assert_int_equal(ss_unescape(esc, n, back, sizeof back), 1);
        assert_int_equal(back[0], one);
        all[b] = one;
    }
    size_t n = ss_escape(all, sizeof all, esc, sizeof esc);
    assert_int_equal(n, 256 + 5); /* # $ } * % */
    for (size_t i = 0; i < n; i++)
        assert_true(esc[i] != '#' && esc[i] != '$' && esc[i] != '*' && esc[i] != '%');
    assert_int_equal(ss_unescape(esc, n, back, sizeof back), 256);
    assert_memory_equal(back, all, 256);

    /* And through a frame and the receive state machine. */
    uint8_t frame[600], buf[300];
    size_t fn = ss_frame('$', all, sizeof all, frame, sizeof frame);
    assert_int_equal(fn, n + 4);
    struct ss_rx rx;
    struct ss_rx_event ev;
    ss_rx_init(&rx, buf, sizeof buf);
    assert_int_equal(ss_rx_feed(&rx, frame, fn, &ev), fn);
    assert_int_equal(ev.kind, SS_RX_PACKET);
    assert_int_equal(ev.len, 256);
    assert_memory_equal(ev.data, all, 256);
}

static void frame_refuses_what_does_not_fit(void **state)
{
    (void)state;
    uint8_t out[8];
    assert_int_equal(ss_frame('$', "OK", 2, out, 5), 0);
    assert_int_equal(ss_frame('$', "OK", 2, out, 6), 6);
    assert_int_equal(ss_frame('$', "OK", 2, out, 3), 0);
    static uint8_t big[SS_PACKET_SIZE + 1], bigout[SS_PACKET_SIZE + 16];
    memset(big, 'x', sizeof big);
    assert_int_equal(ss_frame('$', big, SS_PACKET_SIZE, bigout, sizeof bigout), SS_PACKET_SIZE + 4);
    assert_int_equal(ss_frame('$', big, SS_PACKET_SIZE + 1, bigout, sizeof bigout), 0);
}

/* A stream of packets, notifications and acks, as the host might see it. */
static const char stream[] = "+$OK#9a%vTE:1,2,3,0,5,sh;hi#07-$E02#a7+$a}\x03#e1$#00";
static const char stream_log[] = "+|POK|NvTE:1,2,3,0,5,sh;hi|-|PE02|+|Pa#|P|";

static void rx_whole_stream(void **state)
{
    (void)state;
    /* vTE:1,2,3,0,5,sh;hi sums to 0x507: the checksum of the notification. */
    assert_string_equal(frame_str('%', "vTE:1,2,3,0,5,sh;hi"), "%vTE:1,2,3,0,5,sh;hi#07");
    assert_string_equal(rx_log(stream, 64), stream_log);
}

static void rx_every_split_point(void **state)
{
    (void)state;
    size_t len = sizeof stream - 1;
    uint8_t buf[64];
    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len; j++) {
            struct rxlog l;
            struct ss_rx rx;
            memset(&l, 0, sizeof l);
            ss_rx_init(&rx, buf, sizeof buf);
            feed_all(&rx, stream, i, &l);
            feed_all(&rx, stream + i, j - i, &l);
            feed_all(&rx, stream + j, len - j, &l);
            if (strcmp(l.text, stream_log) != 0)
                fail_msg("split at %zu,%zu: got %s", i, j, l.text);
        }
    }
    /* One byte at a time. */
    struct rxlog l;
    struct ss_rx rx;
    memset(&l, 0, sizeof l);
    ss_rx_init(&rx, buf, sizeof buf);
    for (size_t i = 0; i < len; i++)
        feed_all(&rx, stream + i, 1, &l);
    assert_string_equal(l.text, stream_log);
    assert_int_equal(rx.stats.packets, 4);
    assert_int_equal(rx.stats.notifies, 1);
    assert_int_equal(rx.stats.acks, 2);
    assert_int_equal(rx.stats.naks, 1);
}

static void rx_skips_garbage_and_resyncs(void **state)
{
    (void)state;
    assert_string_equal(rx_log("hello\r\n\x03$OK#9a", 64), "POK|");
    /* A new '$' cuts the packet in progress: it earns '-', the new one parses. */
    assert_string_equal(rx_log("$vTR12$OK#9a", 64), "B$-|POK|");
    /* Cut notifications are dropped without an ack. */
    assert_string_equal(rx_log("%vTE:1$OK#9a", 64), "B%0|POK|");
    assert_string_equal(rx_log("$vTR12%OK#9a", 64), "B$-|NOK|");
    /* A frame cut in its checksum, and one with a start byte after "}". */
    assert_string_equal(rx_log("$OK#9$OK#9a", 64), "B$-|POK|");
    assert_string_equal(rx_log("$OK}$OK#9a", 64), "B$-|POK|");
    /* '#' right after '}' is a broken escape: read the checksum, then '-'. */
    assert_string_equal(rx_log("$O}#00$OK#9a", 64), "B$-|POK|");
    /* Stray checksum-like bytes between frames are garbage. */
    struct ss_rx rx;
    uint8_t buf[16];
    struct rxlog l = {0};
    ss_rx_init(&rx, buf, sizeof buf);
    feed_all(&rx, "#9a xx $OK#9a", 13, &l);
    assert_string_equal(l.text, "POK|");
    assert_int_equal(rx.stats.garbage, 7);
}

static void rx_bad_checksum_gets_nak(void **state)
{
    (void)state;
    struct ss_rx rx;
    uint8_t buf[16];
    struct rxlog l = {0};
    ss_rx_init(&rx, buf, sizeof buf);
    feed_all(&rx, "$OK#9b$OK#9z$OK#9a$OK#9A", 24, &l);
    /* 9b: wrong sum; 9z: not hex ('z' is garbage after the cut); uppercase accepted. */
    assert_string_equal(l.text, "B$-|B$-|POK|POK|");
    assert_int_equal(rx.stats.bad_checksum, 1);
    assert_int_equal(rx.stats.cut, 1);
    assert_int_equal(rx.stats.packets, 2);
    /* A bad notification is counted but never acknowledged. */
    assert_string_equal(rx_log("%OK#00", 16), "B%0|");
}

static void rx_oversize_is_refused_without_overflow(void **state)
{
    (void)state;
    struct ss_rx rx;
    uint8_t buf[12];
    memset(buf, 0xee, sizeof buf);
    struct rxlog l = {0};
    ss_rx_init(&rx, buf, 8); /* 4 guard bytes after the receive buffer */
    const char *big = "$0123456789#00";
    feed_all(&rx, big, strlen(big), &l);
    feed_all(&rx, "$OK#9a", 6, &l);
    /* Exactly cap bytes is fine: '0'..'7' sum to 0x19c -> 9c. */
    feed_all(&rx, "$01234567#9c", 12, &l);
    /* An oversize frame cut by a new one is still reported as oversize. */
    feed_all(&rx, "$0123456789abc$OK#9a", 20, &l);
    /* Escaped bytes count after decoding: 8 escapes fit, 9 do not. */
    feed_all(&rx, "%}]}]}]}]}]}]}]}]}]#00", 22, &l);
    assert_string_equal(l.text, "O$-|POK|P01234567|O$-|POK|O%0|");
    assert_memory_equal(buf + 8, "\xee\xee\xee\xee", 4);
    assert_int_equal(rx.stats.oversize, 3);
    /* The capacity is clamped to the protocol's packet size. */
    static uint8_t huge[2 * SS_PACKET_SIZE];
    ss_rx_init(&rx, huge, sizeof huge);
    assert_int_equal(rx.cap, SS_PACKET_SIZE);
}

/* ---- link ---------------------------------------------------------------------- */

struct chan {
    char out[4096]; /* everything the link wrote */
    size_t len;
    char packets[8][64]; /* packets the link delivered */
    int npackets;
    char notes[8][64];
    int nnotes;
    int failed;
    const char *reply; /* sent back from the packet callback */
};

static void chan_write(void *ctx, const void *data, size_t len)
{
    struct chan *c = ctx;
    assert_true(c->len + len < sizeof c->out);
    memcpy(c->out + c->len, data, len);
    c->len += len;
    c->out[c->len] = 0;
}

static void chan_packet(void *ctx, struct ss_link *link, const uint8_t *data, size_t len)
{
    struct chan *c = ctx;
    assert_true(c->npackets < 8 && len < 64);
    memcpy(c->packets[c->npackets], data, len);
    c->packets[c->npackets++][len] = 0;
    if (c->reply)
        assert_int_equal(ss_link_send(link, c->reply, strlen(c->reply), 0), SS_LINK_OK);
}

static void chan_notify(void *ctx, struct ss_link *link, const uint8_t *data, size_t len)
{
    struct chan *c = ctx;
    (void)link;
    assert_true(c->nnotes < 8 && len < 64);
    memcpy(c->notes[c->nnotes], data, len);
    c->notes[c->nnotes++][len] = 0;
}

static void chan_failed(void *ctx, struct ss_link *link)
{
    (void)link;
    ((struct chan *)ctx)->failed++;
}

static const struct ss_link_ops chan_ops = {chan_write, chan_packet, chan_notify, chan_failed};

struct linkfix {
    struct chan chan;
    struct ss_link link;
    uint8_t rx[256], tx[256], nb[256];
};

static void link_setup(struct linkfix *f, uint64_t timeout, unsigned retries)
{
    memset(f, 0, sizeof *f);
    struct ss_link_config cfg = {
        .ops = &chan_ops,
        .ctx = &f->chan,
        .rxbuf = f->rx,
        .txbuf = f->tx,
        .nbuf = f->nb,
        .rxcap = sizeof f->rx,
        .txcap = sizeof f->tx,
        .ncap = sizeof f->nb,
        .timeout = timeout,
        .max_retries = retries,
    };
    ss_link_init(&f->link, &cfg);
}

static void input(struct linkfix *f, const char *s, uint64_t now)
{
    ss_link_input(&f->link, s, strlen(s), now);
}

static void link_acks_packets_and_replies(void **state)
{
    (void)state;
    static struct linkfix f;
    link_setup(&f, 0, 3);
    f.chan.reply = "OK1";
    input(&f, "$vTR10#7d", 0);
    /* '+' first, then the reply ('O'+'K'+'1' = 0x4f+0x4b+0x31 = 0xcb). */
    assert_string_equal(f.chan.out, "+$OK1#cb");
    assert_int_equal(f.chan.npackets, 1);
    assert_string_equal(f.chan.packets[0], "vTR10");
    assert_true(ss_link_busy(&f.link));
    input(&f, "+", 0);
    assert_false(ss_link_busy(&f.link));
    /* A corrupted request earns '-' and no callback. */
    f.chan.len = 0;
    input(&f, "$vTR10#7e", 0);
    assert_string_equal(f.chan.out, "-");
    assert_int_equal(f.chan.npackets, 1);
    /* A '+' with nothing in flight is counted, not fatal. */
    input(&f, "+", 0);
    assert_int_equal(f.link.stats.stray_acks, 1);
}

static void link_retransmits_on_nak(void **state)
{
    (void)state;
    static struct linkfix f;
    link_setup(&f, 0, 2);
    assert_int_equal(ss_link_send(&f.link, "OK", 2, 0), SS_LINK_OK);
    assert_int_equal(ss_link_send(&f.link, "OK", 2, 0), SS_LINK_BUSY);
    input(&f, "-", 0);
    assert_string_equal(f.chan.out, "$OK#9a$OK#9a");
    input(&f, "+", 0);
    assert_false(ss_link_busy(&f.link));
    assert_int_equal(f.link.stats.retransmits, 1);

    /* Bounded: two retransmissions, then the third '-' gives up. */
    f.chan.len = 0;
    assert_int_equal(ss_link_send(&f.link, "E02", 3, 0), SS_LINK_OK);
    input(&f, "--", 0);
    assert_string_equal(f.chan.out, "$E02#a7$E02#a7$E02#a7");
    assert_int_equal(f.chan.failed, 0);
    input(&f, "-", 0);
    assert_int_equal(f.chan.failed, 1);
    assert_false(ss_link_busy(&f.link));
    assert_int_equal(f.link.stats.failed, 1);
    assert_string_equal(f.chan.out, "$E02#a7$E02#a7$E02#a7");
    /* The link is usable again. */
    assert_int_equal(ss_link_send(&f.link, "OK", 2, 0), SS_LINK_OK);
    /* Too big for the transmit buffer. */
    input(&f, "+", 0);
    static uint8_t big[300];
    memset(big, 'x', sizeof big);
    assert_int_equal(ss_link_send(&f.link, big, sizeof big, 0), SS_LINK_TOOBIG);
    assert_false(ss_link_busy(&f.link));
}

static void link_retransmits_on_timeout(void **state)
{
    (void)state;
    static struct linkfix f;
    link_setup(&f, 100, 1);
    assert_int_equal(ss_link_send(&f.link, "OK", 2, 1000), SS_LINK_OK);
    ss_link_poll(&f.link, 1099);
    assert_string_equal(f.chan.out, "$OK#9a");
    ss_link_poll(&f.link, 1100);
    assert_string_equal(f.chan.out, "$OK#9a$OK#9a");
    ss_link_poll(&f.link, 1150); /* the timer restarted at 1100 */
    assert_string_equal(f.chan.out, "$OK#9a$OK#9a");
    ss_link_poll(&f.link, 1200); /* max_retries 1: give up */
    assert_int_equal(f.chan.failed, 1);
    assert_false(ss_link_busy(&f.link));
    assert_string_equal(f.chan.out, "$OK#9a$OK#9a");
    /* Without a timeout nothing is ever resent by poll. */
    link_setup(&f, 0, 1);
    ss_link_send(&f.link, "OK", 2, 0);
    ss_link_poll(&f.link, UINT64_MAX);
    assert_string_equal(f.chan.out, "$OK#9a");
}

static void link_interleaves_events_with_replies(void **state)
{
    (void)state;
    static struct linkfix f;
    link_setup(&f, 0, 3);
    /* The host sent a request; the kernel answers '+', an event, the reply, another event. */
    assert_int_equal(ss_link_send(&f.link, "vTR10", 5, 0), SS_LINK_OK);
    char in[256], ev1[64];
    snprintf(ev1, sizeof ev1, "%s", frame_str('%', "vTE:1,7,0,0,1,a;x"));
    snprintf(in, sizeof in, "+%s%s%s", ev1, "$OK1#cb", frame_str('%', "vTE:1,8,0,0,1,a;y"));
    size_t len = strlen(in);
    for (size_t i = 0; i < len; i += 3) /* three bytes at a time */
        ss_link_input(&f.link, in + i, len - i < 3 ? len - i : 3, 0);
    assert_false(ss_link_busy(&f.link));
    assert_int_equal(f.chan.npackets, 1);
    assert_string_equal(f.chan.packets[0], "OK1");
    assert_int_equal(f.chan.nnotes, 2);
    assert_string_equal(f.chan.notes[0], "vTE:1,7,0,0,1,a;x");
    assert_string_equal(f.chan.notes[1], "vTE:1,8,0,0,1,a;y");
    /* Only the reply was acknowledged. */
    assert_string_equal(f.chan.out, "$vTR10#7d+");
    /* Sending a notification never makes the link busy. */
    assert_int_equal(ss_link_notify(&f.link, "vTE:1,9,0,0,1,a;z", 17), SS_LINK_OK);
    assert_false(ss_link_busy(&f.link));
}

/* ---- requests ------------------------------------------------------------------------ */

static int parse(const char *s, struct ss_request *req)
{
    return ss_parse_request(s, strlen(s), 0, 0, req);
}

static void addresses(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int err;
        uint64_t v;
    } cases[] = {
        {"80201234", 0, 0x80201234},
        {"0x80201234", 0, 0x80201234},
        {"0X80201234", 0, 0x80201234},
        {"0xABCDEF", 0, 0xabcdef},
        {"aBcD", 0, 0xabcd},
        {"0", 0, 0},
        {"0x0", 0, 0},
        {"ffffffffffffffff", 0, UINT64_MAX},
        {"0xffffffffffffffff", 0, UINT64_MAX},
        {"00000000000000001", -SS_ERR_ADDR, 0}, /* 17 digits, even if leading zeros */
        {"1ffffffffffffffff", -SS_ERR_ADDR, 0},
        {"", -SS_ERR_ADDR, 0},
        {"0x", -SS_ERR_ADDR, 0},
        {"x10", -SS_ERR_ADDR, 0},
        {"0xg", -SS_ERR_ADDR, 0},
        {"12g4", -SS_ERR_ADDR, 0},
        {" 10", -SS_ERR_ADDR, 0},
        {"10 ", -SS_ERR_ADDR, 0},
        {"-1", -SS_ERR_ADDR, 0},
        {"+1", -SS_ERR_ADDR, 0},
        {"0x0x10", -SS_ERR_ADDR, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        int err = ss_parse_addr(cases[i].s, strlen(cases[i].s), &v);
        if (err != cases[i].err || (err == 0 && v != cases[i].v))
            fail_msg("address \"%s\": err %d value %#llx", cases[i].s, err, (unsigned long long)v);
    }
    /* Not NUL-terminated: only n bytes are read. */
    uint64_t v;
    assert_int_equal(ss_parse_addr("12zz", 2, &v), 0);
    assert_int_equal(v, 0x12);
}

static void vtr_packets(void **state)
{
    (void)state;
    struct ss_request r;
    assert_int_equal(parse("vTR0x80201234", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_TRACE_K);
    assert_int_equal(r.kind, SS_KPROBE);
    assert_int_equal(r.addr, 0x80201234);
    assert_int_equal(parse("vTR80201234", &r), 0);
    assert_int_equal(r.addr, 0x80201234);
    assert_int_equal(parse("vTR", &r), -SS_ERR_ADDR);
    assert_int_equal(r.cmd, SS_CMD_TRACE_K);
    assert_int_equal(parse("vTR0x", &r), -SS_ERR_ADDR);
    assert_int_equal(parse("vTR12345678901234567", &r), -SS_ERR_ADDR);
    assert_int_equal(parse("vTR:10", &r), -SS_ERR_ADDR);
    assert_int_equal(parse("vTRmain", &r), -SS_ERR_ADDR);
}

static void vtu_packets(void **state)
{
    (void)state;
    struct ss_request r;
    /* The seed's own packet. */
    assert_int_equal(parse("vTUmatrix:0x0001097e", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_TRACE_U);
    assert_int_equal(r.kind, SS_UPROBE);
    assert_int_equal(r.name.n, 6);
    assert_memory_equal(r.name.p, "matrix", 6);
    assert_int_equal(r.addr, 0x1097e);
    assert_int_equal(parse("vTU/bin/hello:10000", &r), 0);
    assert_int_equal(r.name.n, 10);
    assert_int_equal(r.addr, 0x10000);
    assert_int_equal(parse("vTUhello:0X1ABC", &r), 0);
    assert_int_equal(r.addr, 0x1abc);

    static const struct {
        const char *s;
        int err;
    } bad[] = {
        {"vTU:10000", -SS_ERR_NAME}, /* empty program */
        {"vTUhello:", -SS_ERR_ADDR}, /* empty address */
        {"vTUhello:0x", -SS_ERR_ADDR},
        {"vTUhello:0xg", -SS_ERR_ADDR},
        {"vTUhello:10:20", -SS_ERR_ADDR}, /* a second ':' belongs to the address */
        {"vTUhello:12345678901234567", -SS_ERR_ADDR},
        {"vTUhello", -SS_ERR_SYNTAX}, /* no ':' at all */
        {"vTU", -SS_ERR_SYNTAX},
        {"vTU:", -SS_ERR_NAME},
        {"vTUhel lo:10", -SS_ERR_NAME},
        {"vTUhel,lo:10", -SS_ERR_NAME},
        {"vTUhel;lo:10", -SS_ERR_NAME},
        {"vTUhel\x01lo:10", -SS_ERR_NAME},
        {"vTUhel\x7flo:10", -SS_ERR_NAME},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int err = parse(bad[i].s, &r);
        if (err != bad[i].err || r.cmd != SS_CMD_TRACE_U)
            fail_msg("\"%s\": got %d, want %d", bad[i].s, err, bad[i].err);
    }
    /* Name length bound: SS_NAME_MAX bytes pass, one more does not. */
    char p[128];
    memset(p, 0, sizeof p);
    memcpy(p, "vTU", 3);
    memset(p + 3, 'n', SS_NAME_MAX);
    strcat(p, ":10");
    assert_int_equal(parse(p, &r), 0);
    assert_int_equal(r.name.n, SS_NAME_MAX);
    memset(p + 3, 'n', SS_NAME_MAX + 1);
    strcpy(p + 3 + SS_NAME_MAX + 1, ":10");
    assert_int_equal(parse(p, &r), -SS_ERR_NAME);
    /* A NUL inside the packet is a forbidden name byte, not an end. */
    assert_int_equal(ss_parse_request("vTUa\0b:10", 9, 0, 0, &r), -SS_ERR_NAME);
}

static void other_packets_parse(void **state)
{
    (void)state;
    struct ss_request r;
    assert_int_equal(parse("qSupported", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_SUPPORTED);
    assert_int_equal(parse("qSupported:multiprocess+;swbreak+", &r), 0);
    assert_int_equal(r.key.n, strlen("multiprocess+;swbreak+"));
    assert_int_equal(parse("qSupportedX", &r), -SS_ERR_SYNTAX);

    assert_int_equal(parse("vTObjNew:1f00", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_OBJ_NEW);
    assert_int_equal(r.size, 0x1f00);
    assert_int_equal(parse("vTObjNew:", &r), -SS_ERR_SYNTAX);
    assert_int_equal(parse("vTObjNew:123456789", &r), -SS_ERR_SYNTAX);

    /* Chunk bytes are binary: ':' ',' and NUL in them are data. */
    assert_int_equal(ss_parse_request("vTObjData:3,100:a:b,\0c", 22, 0, 0, &r), 0);
    assert_int_equal(r.cmd, SS_CMD_OBJ_DATA);
    assert_int_equal(r.obj, 3);
    assert_int_equal(r.off, 0x100);
    assert_int_equal(r.len, 6);
    assert_memory_equal(r.data, "a:b,\0c", 6);
    assert_int_equal(parse("vTObjData:3,100:", &r), 0);
    assert_int_equal(r.len, 0);
    assert_int_equal(parse("vTObjData:3,100", &r), -SS_ERR_SYNTAX);
    assert_int_equal(parse("vTObjData:3:100:x", &r), -SS_ERR_SYNTAX);
    assert_int_equal(parse("vTObjData:,1:x", &r), -SS_ERR_SYNTAX);

    assert_int_equal(parse("vTObjFree:3", &r), 0);
    assert_int_equal(r.obj, 3);

    assert_int_equal(parse("vTAttach:2,kprobe,trace_write,0x80201234", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_ATTACH);
    assert_int_equal(r.obj, 2);
    assert_int_equal(r.kind, SS_KPROBE);
    assert_memory_equal(r.prog.p, "trace_write", r.prog.n);
    assert_int_equal(r.addr, 0x80201234);
    assert_int_equal(parse("vTAttach:2,uretprobe,lat_exit,matrix:1097e", &r), 0);
    assert_int_equal(r.kind, SS_URETPROBE);
    assert_memory_equal(r.name.p, "matrix", r.name.n);
    assert_int_equal(r.addr, 0x1097e);
    /* A kretprobe may name the program run at the function's entry. */
    assert_int_equal(parse("vTAttach:2,kretprobe,lat_ret,80201234,lat_entry", &r), 0);
    assert_int_equal(r.kind, SS_KRETPROBE);
    assert_int_equal(r.addr, 0x80201234);
    assert_int_equal(r.entry.n, 9);
    assert_memory_equal(r.entry.p, "lat_entry", 9);
    assert_int_equal(parse("vTAttach:2,kretprobe,lat_ret,80201234", &r), 0);
    assert_int_equal(r.entry.n, 0);
    /* So may a uretprobe. */
    assert_int_equal(parse("vTAttach:2,uretprobe,lat_ret,matrix:1097e,lat_entry", &r), 0);
    assert_int_equal(r.kind, SS_URETPROBE);
    assert_memory_equal(r.name.p, "matrix", r.name.n);
    assert_int_equal(r.addr, 0x1097e);
    assert_memory_equal(r.entry.p, "lat_entry", r.entry.n);
    assert_int_equal(parse("vTAttach:2,uprobe,p,matrix:10,entry", &r), -SS_ERR_ADDR);
    assert_int_equal(parse("vTAttach:2,kretprobe,lat_ret,80201234,", &r), -SS_ERR_NAME);
    assert_int_equal(parse("vTAttach:2,kretprobe,lat_ret,,entry", &r), -SS_ERR_ADDR);
    assert_int_equal(parse("vTAttach:2,kprobe,p,80201234,entry", &r), -SS_ERR_ADDR);
    assert_int_equal(parse("vTAttach:2,kprobe,p,matrix:10", &r), -SS_ERR_ADDR);
    assert_int_equal(parse("vTAttach:2,uprobe,p,10", &r), -SS_ERR_SYNTAX);
    assert_int_equal(parse("vTAttach:2,fprobe,p,10", &r), -SS_ERR_KIND);
    assert_int_equal(parse("vTAttach:2,kprobe,,10", &r), -SS_ERR_NAME);
    assert_int_equal(parse("vTAttach:2,kprobe,p", &r), -SS_ERR_SYNTAX);
    assert_int_equal(parse("vTAttach:x,kprobe,p,10", &r), -SS_ERR_SYNTAX);

    assert_int_equal(parse("vTDetach:a", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_DETACH);
    assert_int_equal(r.id, 10);
    assert_int_equal(parse("vTDetach:", &r), -SS_ERR_SYNTAX);

    assert_int_equal(parse("vTList", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_LIST);
    assert_false(r.has_after);
    assert_int_equal(parse("vTList:7", &r), 0);
    assert_true(r.has_after);
    assert_int_equal(r.id, 7);
    assert_int_equal(parse("vTList:", &r), -SS_ERR_SYNTAX);
    assert_int_equal(parse("vTListx", &r), -SS_ERR_SYNTAX);

    assert_int_equal(parse("vTMap:4", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_MAP);
    assert_int_equal(r.id, 4);
    assert_int_equal(r.prog.n, 0);
    assert_int_equal(parse("vTMap:4,counts", &r), 0);
    assert_memory_equal(r.prog.p, "counts", r.prog.n);
    assert_int_equal(parse("vTMap:4,counts,0a000000", &r), 0);
    assert_memory_equal(r.key.p, "0a000000", r.key.n);
    assert_int_equal(parse("vTMap:4,counts,0a0", &r), -SS_ERR_SYNTAX);
    assert_int_equal(parse("vTMap:4,counts,zz", &r), -SS_ERR_SYNTAX);
    assert_int_equal(parse("vTMap:4,counts,", &r), -SS_ERR_SYNTAX);
    assert_int_equal(parse("vTMap:4,", &r), -SS_ERR_NAME);
    assert_int_equal(parse("vTMap:", &r), -SS_ERR_SYNTAX);

    assert_int_equal(parse("vTStat", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_STAT);
    assert_int_equal(parse("vTStat:1", &r), -SS_ERR_SYNTAX);

    /* Unknown packets are not errors: the server replies with an empty packet. */
    assert_int_equal(parse("vCont?", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_UNKNOWN);
    assert_int_equal(parse("", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_UNKNOWN);
    assert_int_equal(parse("vT", &r), 0);
    assert_int_equal(r.cmd, SS_CMD_UNKNOWN);
}

static void requests_round_trip(void **state)
{
    (void)state;
    struct ss_request in[14];
    memset(in, 0, sizeof in);
    in[0].cmd = SS_CMD_SUPPORTED;
    in[1].cmd = SS_CMD_TRACE_K, in[1].addr = 0xffffffff80200000ull;
    in[2].cmd = SS_CMD_TRACE_U, in[2].kind = SS_UPROBE, in[2].name = (struct ss_str){"matrix", 6},
    in[2].addr = 0x1097e;
    in[3].cmd = SS_CMD_OBJ_NEW, in[3].size = 0x2000;
    in[4].cmd = SS_CMD_OBJ_DATA, in[4].obj = 1, in[4].off = 0x800;
    in[4].data = (const uint8_t *)"\x7f"
                                  "ELF$#}*%",
    in[4].len = 9;
    in[5].cmd = SS_CMD_OBJ_FREE, in[5].obj = 1;
    in[6].cmd = SS_CMD_ATTACH, in[6].obj = 1, in[6].kind = SS_UPROBE;
    in[6].prog = (struct ss_str){"on_work", 7}, in[6].name = (struct ss_str){"matrix", 6};
    in[6].addr = 0x10100;
    in[7].cmd = SS_CMD_DETACH, in[7].id = 3;
    in[8].cmd = SS_CMD_LIST, in[8].has_after = true, in[8].id = 2;
    in[9].cmd = SS_CMD_MAP, in[9].id = 3, in[9].prog = (struct ss_str){"hist", 4};
    in[9].key = (struct ss_str){"0100", 4};
    in[10].cmd = SS_CMD_STAT;
    in[11].cmd = SS_CMD_ATTACH, in[11].obj = 1, in[11].kind = SS_KRETPROBE;
    in[11].prog = (struct ss_str){"ret", 3}, in[11].addr = 0x80201234;
    in[12].cmd = SS_CMD_ATTACH, in[12].obj = 1, in[12].kind = SS_KRETPROBE;
    in[12].prog = (struct ss_str){"ret", 3}, in[12].addr = 0x80201234;
    in[12].entry = (struct ss_str){"entry", 5};
    in[13].cmd = SS_CMD_ATTACH, in[13].obj = 1, in[13].kind = SS_URETPROBE;
    in[13].prog = (struct ss_str){"ret", 3}, in[13].addr = 0x1097e;
    in[13].name = (struct ss_str){"matrix", 6}, in[13].entry = (struct ss_str){"entry", 5};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char buf[256];
        uint8_t frame[600], rxbuf[256];
        size_t n = ss_build_request(&in[i], buf, sizeof buf);
        assert_true(n > 0);
        /* Over the wire: frame, receive, parse. */
        size_t fn = ss_frame('$', buf, n, frame, sizeof frame);
        struct ss_rx rx;
        struct ss_rx_event ev;
        ss_rx_init(&rx, rxbuf, sizeof rxbuf);
        assert_int_equal(ss_rx_feed(&rx, frame, fn, &ev), fn);
        assert_int_equal(ev.kind, SS_RX_PACKET);
        struct ss_request out;
        int err = ss_parse_request(ev.data, ev.len, 0, 0, &out);
        if (err)
            fail_msg("request %zu (%.*s): error %d", i, (int)n, buf, err);
        assert_int_equal(out.cmd, in[i].cmd);
        assert_int_equal(out.addr, in[i].addr);
        assert_int_equal(out.id, in[i].id);
        assert_int_equal(out.obj, in[i].obj);
        assert_int_equal(out.off, in[i].off);
        assert_int_equal(out.size, in[i].size);
        assert_int_equal(out.has_after, in[i].has_after);
        assert_int_equal(out.name.n, in[i].name.n);
        assert_int_equal(out.prog.n, in[i].prog.n);
        assert_int_equal(out.key.n, in[i].key.n);
        assert_int_equal(out.entry.n, in[i].entry.n);
        if (in[i].entry.n)
            assert_memory_equal(out.entry.p, in[i].entry.p, in[i].entry.n);
        assert_int_equal(out.len, in[i].len);
        if (in[i].len)
            assert_memory_equal(out.data, in[i].data, in[i].len);
        if (in[i].cmd == SS_CMD_ATTACH || in[i].cmd == SS_CMD_TRACE_U)
            assert_int_equal(out.kind, in[i].kind);
    }
    /* The builder refuses what the server would refuse. */
    struct ss_request bad = {.cmd = SS_CMD_TRACE_U, .name = {"a:b", 3}};
    char buf[64];
    assert_int_equal(ss_build_request(&bad, buf, sizeof buf), 0);
    bad.cmd = SS_CMD_ATTACH, bad.kind = 9, bad.prog = (struct ss_str){"p", 1};
    assert_int_equal(ss_build_request(&bad, buf, sizeof buf), 0);
    struct ss_request k = {.cmd = SS_CMD_TRACE_K, .addr = 0x80201234};
    assert_int_equal(ss_build_request(&k, buf, 5), 0);
    assert_int_equal(ss_build_request(&k, buf, sizeof buf), 11);
    assert_memory_equal(buf, "vTR80201234", 11);
}

/* An embedder's own command, tried before the built-in table. */
static int parse_ping(const char *s, size_t n, struct ss_request *req)
{
    return ss_parse_u32(s, n, &req->id);
}

static void extra_commands(void **state)
{
    (void)state;
    static const struct ss_cmd_desc extra[] = {
        {"vTPing:", SS_CMD_USER, parse_ping},
    };
    struct ss_request r;
    assert_int_equal(ss_parse_request("vTPing:2a", 9, extra, 1, &r), 0);
    assert_int_equal(r.cmd, SS_CMD_USER);
    assert_int_equal(r.id, 42);
    assert_int_equal(ss_parse_request("vTPing:", 7, extra, 1, &r), -SS_ERR_SYNTAX);
    assert_int_equal(r.cmd, SS_CMD_USER);
    /* Built-ins still work next to an extra table. */
    assert_int_equal(ss_parse_request("vTR10", 5, extra, 1, &r), 0);
    assert_int_equal(r.cmd, SS_CMD_TRACE_K);
}

static void replies(void **state)
{
    (void)state;
    char b[64];
    assert_int_equal(ss_reply_ok(b, sizeof b), 2);
    assert_memory_equal(b, "OK", 2);
    assert_int_equal(ss_reply_ok_id(b, sizeof b, 0x2a), 4);
    assert_memory_equal(b, "OK2a", 4);
    assert_int_equal(ss_reply_ok_id(b, sizeof b, 0), 3);
    assert_memory_equal(b, "OK0", 3);
    assert_int_equal(ss_reply_err(b, sizeof b, SS_ERR_ADDR), 3);
    assert_memory_equal(b, "E02", 3);
    assert_int_equal(ss_reply_err(b, sizeof b, -SS_ERR_KIND), 3);
    assert_memory_equal(b, "E0a", 3);
    assert_int_equal(ss_reply_err(b, 2, 1), 0);
    size_t n = ss_reply_supported(b, sizeof b, SS_PACKET_SIZE, 0);
    assert_int_equal(n, strlen("PacketSize=1000;osdbg-trace+;osdbg-events=1"));
    assert_memory_equal(b, "PacketSize=1000;osdbg-trace+;osdbg-events=1", n);
    struct ss_features f;
    assert_true(ss_supported_parse(b, n, &f));
    assert_int_equal(f.packet_size, SS_PACKET_SIZE);
    assert_int_equal(f.time_hz, 0);
    assert_int_equal(f.events, 1);
    n = ss_reply_supported(b, sizeof b, 0x400, 10000000);
    assert_memory_equal(b, "PacketSize=400;osdbg-trace+;osdbg-events=1;TimeFreq=989680", n);
    assert_true(ss_supported_parse(b, n, &f));
    assert_int_equal(f.packet_size, 0x400);
    assert_int_equal(f.time_hz, 10000000);
    assert_true(ss_supported_parse("qRelocInsn-;osdbg-trace+;PacketSize=400;", 40, &f));
    assert_int_equal(f.packet_size, 0x400);
    assert_int_equal(f.events, 1); /* a side-stub from before the feature */
    assert_true(ss_supported_parse("osdbg-trace+;osdbg-events=2", 27, &f));
    assert_int_equal(f.events, 2);
    assert_true(ss_supported_parse("osdbg-trace+;osdbg-events=x", 27, &f));
    assert_true(f.events > SS_EVENTS_VERSION); /* unreadable: not a version this host reads */
    assert_false(ss_supported_parse("PacketSize=400;osdbg-trace-", 27, &f));
    assert_false(ss_supported_parse("osdbg-trace++", 13, &f));
    assert_false(ss_supported_parse("", 0, &f));
    assert_int_equal(f.packet_size, 0);
    assert_int_equal(ss_reply_supported(b, 30, SS_PACKET_SIZE, 0), 0);

    struct ss_reply rep;
    ss_parse_reply("OK", 2, &rep);
    assert_int_equal(rep.kind, SS_REPLY_IS_OK);
    assert_false(rep.has_id);
    ss_parse_reply("OK1f", 4, &rep);
    assert_int_equal(rep.kind, SS_REPLY_IS_OK);
    assert_true(rep.has_id);
    assert_int_equal(rep.id, 0x1f);
    ss_parse_reply("E0b", 3, &rep);
    assert_int_equal(rep.kind, SS_REPLY_IS_ERR);
    assert_int_equal(rep.err, SS_ERR_FAULT);
    ss_parse_reply("", 0, &rep);
    assert_int_equal(rep.kind, SS_REPLY_EMPTY);
    ss_parse_reply("E0", 2, &rep);
    assert_int_equal(rep.kind, SS_REPLY_DATA);
    ss_parse_reply("OKAY", 4, &rep);
    assert_int_equal(rep.kind, SS_REPLY_DATA);
    ss_parse_reply("events=3;dropped=0", 18, &rep);
    assert_int_equal(rep.kind, SS_REPLY_DATA);
    assert_string_equal(ss_kind_name(SS_KRETPROBE), "kretprobe");
    assert_null(ss_kind_name(SS_NKINDS));
    assert_null(ss_kind_name(-1));
}

/* ---- events --------------------------------------------------------------------------- */

static void event_round_trips(void **state)
{
    (void)state;
    uint8_t data[256];
    for (int i = 0; i < 256; i++)
        data[i] = (uint8_t)i;
    struct ss_event ev = {.probe = 7,
                          .seq = 0x123456789abcull,
                          .time = UINT64_MAX,
                          .hart = 3,
                          .pid = 42,
                          .type = SS_EVT_REGS,
                          .data = data,
                          .len = sizeof data};
    strcpy(ev.comm, "matrix");
    static uint8_t scratch[1024], frame[2048], rxbuf[SS_PACKET_SIZE];
    size_t fn = ss_event_frame(&ev, scratch, sizeof scratch, frame, sizeof frame);
    assert_true(fn > 0);
    assert_int_equal(frame[0], '%');
    const char *head = "%vTE:7,123456789abc,ffffffffffffffff,3,2a,matrix;R";
    assert_memory_equal(frame, head, strlen(head));

    struct ss_rx rx;
    struct ss_rx_event rev;
    ss_rx_init(&rx, rxbuf, sizeof rxbuf);
    assert_int_equal(ss_rx_feed(&rx, frame, fn, &rev), fn);
    assert_int_equal(rev.kind, SS_RX_NOTIFY);
    struct ss_event out;
    assert_int_equal(ss_event_decode(rev.data, rev.len, &out), 0);
    assert_int_equal(out.probe, 7);
    assert_int_equal(out.seq, ev.seq);
    assert_int_equal(out.time, UINT64_MAX);
    assert_int_equal(out.hart, 3);
    assert_int_equal(out.pid, 42);
    assert_string_equal(out.comm, "matrix");
    assert_int_equal(out.type, SS_EVT_REGS);
    assert_int_equal(out.len, 256);
    assert_memory_equal(out.data, data, 256);

    /* Empty comm and payload; a full 16-byte comm; comm bytes that need '?'. */
    struct ss_event e2 = {0};
    uint8_t p[128];
    size_t n = ss_event_encode(&e2, p, sizeof p);
    assert_int_equal(n, strlen("vTE:0,0,0,0,0,;D")); /* type 0 goes out as DATA */
    assert_memory_equal(p, "vTE:0,0,0,0,0,;D", n);
    assert_int_equal(ss_event_decode(p, n, &out), 0);
    assert_string_equal(out.comm, "");
    assert_int_equal(out.type, SS_EVT_DATA);
    assert_int_equal(out.len, 0);
    memcpy(e2.comm, "0123456789abcdef", 16);
    n = ss_event_encode(&e2, p, sizeof p);
    assert_int_equal(ss_event_decode(p, n, &out), 0);
    assert_string_equal(out.comm, "0123456789abcdef");
    strcpy(e2.comm, "a;b\nc d,e");
    n = ss_event_encode(&e2, p, sizeof p);
    assert_int_equal(ss_event_decode(p, n, &out), 0);
    assert_string_equal(out.comm, "a?b?c d,e");
    /* Does not fit. */
    assert_int_equal(ss_event_encode(&ev, p, sizeof p), 0);
    assert_int_equal(ss_event_frame(&ev, scratch, sizeof scratch, frame, 100), 0);
}

static uint64_t xorshift64(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* ss_event_frame writes the frame in one pass (issue 21); its bytes must be
 * those of the two-step reference, ss_frame(ss_event_encode(ev)), for any
 * event (escapable bytes in comm and data, every length, numbers of every
 * width) and any room, including room that is a byte short. */
static void event_frame_matches_encode_then_frame(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull; /* the same events every run */
    static const uint8_t escapable[] = {'#', '$', '}', '*', '%', ';', 0, '\n', 0x7f, 0xff};
    for (int round = 0; round < 2000; round++) {
        uint8_t data[SS_EVENT_DATA_MAX], raw[SS_PACKET_SIZE], want[SS_FRAME_MAX(SS_PACKET_SIZE)],
            got[SS_FRAME_MAX(SS_PACKET_SIZE)], scratch[SS_PACKET_SIZE];
        struct ss_event ev = {0};
#define NEXT() xorshift64(&x)
        uint64_t r[4] = {NEXT(), NEXT(), NEXT(), NEXT()};
        ev.probe = (uint32_t)(NEXT() >> (r[0] % 64));
        ev.seq = NEXT() >> (r[1] % 64);
        ev.time = NEXT() >> (r[2] % 64);
        ev.hart = (uint32_t)(NEXT() % 5);
        ev.pid = (uint32_t)(NEXT() >> (r[3] % 64));
        ev.type = round % 4 == 0 ? 0 : (char)('A' + NEXT() % 26);
        size_t clen = NEXT() % (SS_COMM_MAX + 1);
        for (size_t i = 0; i < clen; i++)
            ev.comm[i] = (char)(NEXT() % 3 ? ' ' + NEXT() % 95 : escapable[NEXT() % 10]);
        ev.len = round % 50 == 0 ? SS_EVENT_DATA_MAX : NEXT() % (SS_EVENT_DATA_MAX + 1);
        for (size_t i = 0; i < ev.len; i++)
            data[i] = NEXT() % 4 ? (uint8_t)NEXT() : escapable[NEXT() % 10];
        ev.data = data;
        size_t rn = ss_event_encode(&ev, raw, sizeof raw);
        assert_true(rn > 0);
        size_t wn = ss_frame(SS_CH_NOTIFY, raw, rn, want, sizeof want);
        assert_true(wn > 0);
        size_t gn = ss_event_frame(&ev, scratch, sizeof scratch, got, sizeof got);
        if (gn != wn || memcmp(got, want, wn) != 0)
            fail_msg("round %d: the one-pass frame differs from ss_frame(ss_event_encode)", round);
        /* Room for exactly the frame, and a byte less. */
        assert_int_equal(ss_event_frame(&ev, scratch, sizeof scratch, got, wn), wn);
        assert_memory_equal(got, want, wn);
        assert_int_equal(ss_event_frame(&ev, scratch, sizeof scratch, got, wn - 1), 0);
#undef NEXT
    }
}

static void event_decode_rejects_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "vTE:",
        "vTX:1,2,3,4,5,sh;",
        "vTE:1,2,3,4,5,sh",     /* no ';' */
        "vTE:1,2,3,4,5,sh;",    /* no type */
        "vTE:1,2,3,4,5,sh;t",   /* type not an uppercase letter */
        "vTE:1,2,3,4,5,s\th;T", /* control byte in comm */
        "vTE:1,2,3,4,sh;",      /* a number missing */
        "vTE:1,,3,4,5,sh;",
        "vTE:1,2,3,4,5g,sh;",
        "vTE:123456789,2,3,4,5,sh;", /* probe id over 8 digits */
        "vTE:1,12345678901234567,3,4,5,sh;",
        "vTE:1,2,3,4,5,0123456789abcdefg;", /* comm over 16 bytes */
    };
    struct ss_event ev;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ss_event_decode(bad[i], strlen(bad[i]), &ev) != -SS_ERR_SYNTAX)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(ss_event_decode("vTE:1,2,3,4,5,sh;Thi", 20, &ev), 0);
    assert_int_equal(ev.type, SS_EVT_TEXT);
    assert_int_equal(ev.len, 2);
    assert_memory_equal(ev.data, "hi", 2);
}

static void sequence_gaps_count_drops(void **state)
{
    (void)state;
    struct ss_seq s;
    ss_seq_init(&s);
    assert_int_equal(ss_seq_track(&s, 100), 0); /* first event: baseline, no loss */
    assert_int_equal(ss_seq_track(&s, 101), 0);
    assert_int_equal(ss_seq_track(&s, 105), 3);
    assert_int_equal(ss_seq_track(&s, 106), 0);
    assert_int_equal(s.received, 4);
    assert_int_equal(s.lost, 3);
    /* Backwards: the kernel restarted; counted, new baseline. */
    assert_int_equal(ss_seq_track(&s, 0), 0);
    assert_int_equal(s.resets, 1);
    assert_int_equal(ss_seq_track(&s, 2), 1);
    assert_int_equal(s.lost, 4);

    /* End to end: 50 events framed, every third corrupted on the wire. */
    static uint8_t wire[50 * 64], rxbuf[256];
    size_t wlen = 0;
    for (uint64_t i = 0; i < 50; i++) {
        struct ss_event ev = {.probe = 1, .seq = i, .pid = 1};
        uint8_t scratch[64];
        size_t n = ss_event_frame(&ev, scratch, sizeof scratch, wire + wlen, sizeof wire - wlen);
        assert_true(n > 0);
        if (i % 3 == 1)
            wire[wlen + 6] ^= 1; /* flip a bit inside the payload */
        wlen += n;
    }
    struct ss_rx rx;
    ss_rx_init(&rx, rxbuf, sizeof rxbuf);
    ss_seq_init(&s);
    size_t off = 0;
    while (off < wlen) {
        struct ss_rx_event ev;
        off += ss_rx_feed(&rx, wire + off, wlen - off, &ev);
        struct ss_event e;
        if (ev.kind == SS_RX_NOTIFY && ss_event_decode(ev.data, ev.len, &e) == 0)
            ss_seq_track(&s, e.seq);
    }
    assert_int_equal(rx.stats.bad_checksum, 17); /* i = 1, 4, ..., 49 */
    assert_int_equal(s.received + s.lost, 49);   /* seq 49 was lost at the end: invisible */
    assert_int_equal(s.received, 33);
}

/* ---- listings ---------------------------------------------------------------------- */

static void probe_list_items(void **state)
{
    (void)state;
    struct ss_probe_info k = {
        .id = 1, .kind = SS_KPROBE, .hits = 0x2a, .prog = {"registers", 9}, .addr = 0x80201234};
    struct ss_probe_info u = {.id = 2,
                              .kind = SS_URETPROBE,
                              .hits = UINT64_MAX,
                              .prog = {"work_exit", 9},
                              .name = {"matrix", 6},
                              .addr = 0x1097e};
    char body[256];
    size_t n = 0;
    body[n++] = 'l';
    n += ss_probe_info_format(&k, body + n, sizeof body - n);
    body[n++] = ';';
    n += ss_probe_info_format(&u, body + n, sizeof body - n);
    const char *want = "l1,kprobe,2a,registers,80201234;2,uretprobe,ffffffffffffffff,work_exit,"
                       "matrix:1097e";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(body, want, n);

    struct ss_str rest = {body + 1, n - 1}, item;
    struct ss_probe_info p;
    assert_true(ss_next_item(&rest, ';', &item));
    assert_int_equal(ss_probe_info_parse(item.p, item.n, &p), 0);
    assert_int_equal(p.id, 1);
    assert_int_equal(p.kind, SS_KPROBE);
    assert_int_equal(p.hits, 0x2a);
    assert_memory_equal(p.prog.p, "registers", p.prog.n);
    assert_int_equal(p.name.n, 0);
    assert_int_equal(p.addr, 0x80201234);
    assert_true(ss_next_item(&rest, ';', &item));
    assert_int_equal(ss_probe_info_parse(item.p, item.n, &p), 0);
    assert_int_equal(p.kind, SS_URETPROBE);
    assert_int_equal(p.hits, UINT64_MAX);
    assert_memory_equal(p.name.p, "matrix", p.name.n);
    assert_int_equal(p.addr, 0x1097e);
    assert_false(ss_next_item(&rest, ';', &item));

    static const struct {
        const char *s;
        int err;
    } bad[] = {
        {"1,kprobe,2a,registers", -SS_ERR_ADDR}, /* no target */
        {"1,kprobe,2a,registers,", -SS_ERR_ADDR},
        {"1,kprobe,,registers,10", -SS_ERR_SYNTAX},
        {"1,kprobe,0x2a,registers,10", -SS_ERR_SYNTAX},
        {"1,kprobe,2a,,10", -SS_ERR_NAME},
        {"1,xprobe,2a,r,10", -SS_ERR_KIND},
        {"1,uprobe,2a,r,10", -SS_ERR_SYNTAX},
        {"1,uprobe,2a,r,:10", -SS_ERR_NAME},
        {"1,uprobe,2a,r,m:", -SS_ERR_SYNTAX},
        {"x,kprobe,2a,r,10", -SS_ERR_SYNTAX},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ss_probe_info_parse(bad[i].s, strlen(bad[i].s), &p) != bad[i].err)
            fail_msg("\"%s\" not refused with %d", bad[i].s, bad[i].err);
    /* The formatter refuses what the parser would refuse. */
    k.kind = 7;
    assert_int_equal(ss_probe_info_format(&k, body, sizeof body), 0);
    u.name.n = 0;
    assert_int_equal(ss_probe_info_format(&u, body, sizeof body), 0);
    u.name.n = 6;
    assert_int_equal(ss_probe_info_format(&u, body, 10), 0);
}

static void map_and_stat_items(void **state)
{
    (void)state;
    /* A vTMap page: key=value items, bytes in hex. */
    const char *page = "m0100000000000000=0300000000000000;0200000000000000=0100000000000000";
    struct ss_str rest = {page + 1, strlen(page) - 1}, item, k, v;
    uint8_t key[8], val[8];
    int items = 0;
    while (ss_next_item(&rest, ';', &item)) {
        assert_true(ss_next_item(&item, '=', &k));
        v = item;
        assert_int_equal(ss_hex_decode(k.p, k.n, key, sizeof key), 8);
        assert_int_equal(ss_hex_decode(v.p, v.n, val, sizeof val), 8);
        assert_int_equal(key[0], items + 1);
        items++;
    }
    assert_int_equal(items, 2);
    assert_int_equal(val[0], 1);
    char hex[17];
    assert_int_equal(ss_hex_encode("\x01\xab\xff", 3, hex, sizeof hex), 6);
    assert_memory_equal(hex, "01abff", 6);
    assert_int_equal(ss_hex_encode("\x01\xab\xff", 3, hex, 5), 0);
    assert_int_equal(ss_hex_decode("0", 1, key, sizeof key), (size_t)-1);
    assert_int_equal(ss_hex_decode("0g", 2, key, sizeof key), (size_t)-1);
    assert_int_equal(ss_hex_decode("000000000000000000", 18, key, sizeof key), (size_t)-1);
    assert_int_equal(ss_hex_decode("", 0, key, sizeof key), 0);

    /* vTStat: name=value. */
    const char *stat = "events=3e8;dropped=2;bad_packets=1;retransmits=0;chan_dropped=0";
    rest = (struct ss_str){stat, strlen(stat)};
    assert_true(ss_next_item(&rest, ';', &item));
    assert_true(ss_next_item(&item, '=', &k));
    assert_memory_equal(k.p, SS_STAT_EVENTS, k.n);
    assert_memory_equal(item.p, "3e8", item.n);
    int n = 1;
    while (ss_next_item(&rest, ';', &item))
        n++;
    assert_int_equal(n, 5);
    /* A trailing separator makes no empty item; an empty body has none. */
    rest = (struct ss_str){"a;", 2};
    assert_true(ss_next_item(&rest, ';', &item));
    assert_false(ss_next_item(&rest, ';', &item));
}

/* ss_stat_value: one vTStat counter by name. */
static void stat_value_by_name(void **state)
{
    (void)state;
    uint64_t value = 0;
    /* One counter by name: not one that only ends like it, not a bad value. */
    const char *more = "events=3e8;chan_dropped=7;dropped=2;host_lost=;bad=xyz";
    assert_true(ss_stat_value(more, strlen(more), SS_STAT_DROPPED, &value));
    assert_int_equal(value, 2);
    assert_true(ss_stat_value(more, strlen(more), SS_STAT_CHAN_DROPS, &value));
    assert_int_equal(value, 7);
    assert_false(ss_stat_value(more, strlen(more), SS_STAT_HOST_LOST, &value));
    assert_false(ss_stat_value(more, strlen(more), "bad", &value));
    assert_false(ss_stat_value(more, strlen(more), "retransmits", &value));
    assert_false(ss_stat_value(more, 20, SS_STAT_DROPPED, &value)); /* only within len */
}

#ifdef PROTOCOL_DOC
/* Every `$...#cs` and `%...#cs` example in docs/side-stub-protocol.md has the
 * right checksum, and every event example decodes. */
static void doc_examples_have_right_checksums(void **state)
{
    (void)state;
    static char doc[65536];
    FILE *f = fopen(PROTOCOL_DOC, "r");
    assert_non_null(f);
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    int checked = 0;
    for (char *p = doc; (p = strchr(p, '`')) != NULL;) {
        char *end = strchr(p + 1, '`');
        if (!end)
            break;
        size_t len = (size_t)(end - p - 1);
        const char *s = p + 1;
        p = end + 1;
        if (len < 4 || (s[0] != '$' && s[0] != '%') || s[len - 3] != '#')
            continue;
        uint8_t buf[SS_PACKET_SIZE];
        struct ss_rx rx;
        struct ss_rx_event ev;
        ss_rx_init(&rx, buf, sizeof buf);
        size_t used = ss_rx_feed(&rx, s, len, &ev);
        if (used != len || (ev.kind != SS_RX_PACKET && ev.kind != SS_RX_NOTIFY))
            fail_msg("doc example %.*s: bad frame or checksum", (int)len, s);
        struct ss_event e;
        if (ev.kind == SS_RX_NOTIFY && ss_event_decode(ev.data, ev.len, &e) != 0)
            fail_msg("doc example %.*s: event does not decode", (int)len, s);
        checked++;
    }
    assert_true(checked >= 20);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checksum_matches_hand_sums),
        cmocka_unit_test(escape_wire_form),
        cmocka_unit_test(escape_round_trips_every_byte),
        cmocka_unit_test(frame_refuses_what_does_not_fit),
        cmocka_unit_test(rx_whole_stream),
        cmocka_unit_test(rx_every_split_point),
        cmocka_unit_test(rx_skips_garbage_and_resyncs),
        cmocka_unit_test(rx_bad_checksum_gets_nak),
        cmocka_unit_test(rx_oversize_is_refused_without_overflow),
        cmocka_unit_test(link_acks_packets_and_replies),
        cmocka_unit_test(link_retransmits_on_nak),
        cmocka_unit_test(link_retransmits_on_timeout),
        cmocka_unit_test(link_interleaves_events_with_replies),
        cmocka_unit_test(addresses),
        cmocka_unit_test(vtr_packets),
        cmocka_unit_test(vtu_packets),
        cmocka_unit_test(other_packets_parse),
        cmocka_unit_test(requests_round_trip),
        cmocka_unit_test(extra_commands),
        cmocka_unit_test(replies),
        cmocka_unit_test(event_round_trips),
        cmocka_unit_test(event_frame_matches_encode_then_frame),
        cmocka_unit_test(event_decode_rejects_malformed),
        cmocka_unit_test(sequence_gaps_count_drops),
        cmocka_unit_test(probe_list_items),
        cmocka_unit_test(map_and_stat_items),
        cmocka_unit_test(stat_value_by_name),
#ifdef PROTOCOL_DOC
        cmocka_unit_test(doc_examples_have_right_checksums),
#endif
    };
    return cmocka_run_group_tests_name("sidestub", tests, NULL, NULL);
}
