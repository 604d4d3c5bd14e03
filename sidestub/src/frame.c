/*
 * frame.c - GDB Remote Serial Protocol framing (GDB manual, "Remote Protocol",
 * section "Overview"): $payload#cs packets and %payload#cs notifications, the
 * checksum being the modulo-256 sum of the payload bytes as they appear on the
 * wire (escapes included) in two hex digits; binary bytes escaped as '}'
 * followed by the byte XOR 0x20.  Plus the receive state machine.
 */
#include "sidestub_int.h"

uint8_t ss_checksum(const void *data, size_t len)
{
    const uint8_t *d = data;
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + d[i]);
    return sum;
}

bool ss_must_escape(uint8_t c)
{
    return c == SS_CH_END || c == SS_CH_PACKET || c == SS_CH_ESCAPE || c == SS_CH_RLE ||
           c == SS_CH_NOTIFY;
}

size_t ss_escape(const void *src, size_t len, uint8_t *dst, size_t cap)
{
    const uint8_t *s = src;
    struct ss_out o;
    ss_out_init(&o, dst, cap);
    for (size_t i = 0; i < len; i++) {
        if (ss_must_escape(s[i])) {
            ss_out_byte(&o, SS_CH_ESCAPE);
            ss_out_byte(&o, s[i] ^ SS_ESCAPE_XOR);
        } else {
            ss_out_byte(&o, s[i]);
        }
    }
    return ss_out_done(&o);
}

size_t ss_unescape(const void *src, size_t len, uint8_t *dst, size_t cap)
{
    const uint8_t *s = src;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == SS_CH_ESCAPE) {
            if (++i == len)
                return (size_t)-1;
            c = s[i] ^ SS_ESCAPE_XOR;
        }
        if (n == cap)
            return (size_t)-1;
        dst[n++] = c;
    }
    return n;
}

size_t ss_frame(char start, const void *payload, size_t len, uint8_t *out, size_t cap)
{
    if (cap < SS_FRAME_OVERHEAD)
        return 0;
    out[0] = (uint8_t)start;
    /* Escape straight into place, leaving room for "#cs". */
    size_t n = ss_escape(payload, len, out + 1, cap - SS_FRAME_OVERHEAD);
    if ((n == 0 && len != 0) || n > SS_PACKET_SIZE)
        return 0;
    uint8_t sum = ss_checksum(out + 1, n);
    out[1 + n] = SS_CH_END;
    out[2 + n] = (uint8_t)ss_hexdigits[sum >> 4];
    out[3 + n] = (uint8_t)ss_hexdigits[sum & 0xf];
    return n + SS_FRAME_OVERHEAD;
}

/* ---- receive state machine ------------------------------------------------ */

enum { S_IDLE, S_DATA, S_ESC, S_SKIP, S_CS1, S_CS2 };
enum { SPOIL_NONE, SPOIL_OVERSIZE, SPOIL_ESCAPE };

void ss_rx_init(struct ss_rx *rx, void *buf, size_t cap)
{
    rx->buf = buf;
    rx->cap = cap > SS_PACKET_SIZE ? SS_PACKET_SIZE : cap;
    rx->len = 0;
    rx->state = S_IDLE;
    rx->start = rx->sum = rx->cs = rx->spoiled = 0;
    ss_zero(&rx->stats, sizeof rx->stats);
}

static void begin(struct ss_rx *rx, uint8_t start)
{
    rx->start = start;
    rx->state = S_DATA;
    rx->len = 0;
    rx->sum = 0;
    rx->spoiled = SPOIL_NONE;
}

/* Reports the frame in progress as bad; a '$' one earns a '-'. */
static void reject(struct ss_rx *rx, struct ss_rx_event *ev, enum ss_rx_kind kind)
{
    ev->kind = kind;
    ev->start = (char)rx->start;
    ev->ack = rx->start == SS_CH_PACKET ? SS_CH_NAK : 0;
    rx->state = S_IDLE;
}

/* A frame cut short by a new start byte, a bad escape or a non-hex checksum
 * digit.  If c starts a frame, that frame begins now. */
static void cut(struct ss_rx *rx, struct ss_rx_event *ev, uint8_t c)
{
    rx->stats.cut++;
    reject(rx, ev, rx->spoiled == SPOIL_OVERSIZE ? SS_RX_OVERSIZE : SS_RX_BAD);
    if (rx->spoiled == SPOIL_OVERSIZE)
        rx->stats.oversize++;
    if (c == SS_CH_PACKET || c == SS_CH_NOTIFY)
        begin(rx, c);
}

static void append(struct ss_rx *rx, uint8_t c)
{
    if (rx->len == rx->cap) {
        /* Never overflow: skip to the end of the frame, then reject it. */
        rx->spoiled = SPOIL_OVERSIZE;
        rx->state = S_SKIP;
        return;
    }
    rx->buf[rx->len++] = c;
}

static void finish(struct ss_rx *rx, struct ss_rx_event *ev)
{
    if (rx->spoiled == SPOIL_OVERSIZE) {
        rx->stats.oversize++;
        reject(rx, ev, SS_RX_OVERSIZE);
    } else if (rx->spoiled == SPOIL_ESCAPE) {
        rx->stats.cut++;
        reject(rx, ev, SS_RX_BAD);
    } else if (rx->cs != rx->sum) {
        rx->stats.bad_checksum++;
        reject(rx, ev, SS_RX_BAD);
    } else {
        ev->start = (char)rx->start;
        ev->data = rx->buf;
        ev->len = rx->len;
        if (rx->start == SS_CH_PACKET) {
            ev->kind = SS_RX_PACKET;
            ev->ack = SS_CH_ACK;
            rx->stats.packets++;
        } else {
            ev->kind = SS_RX_NOTIFY;
            rx->stats.notifies++;
        }
        rx->state = S_IDLE;
    }
}

/* Steps the machine by one byte; sets ev->kind when an item completes. */
static void step(struct ss_rx *rx, uint8_t c, struct ss_rx_event *ev)
{
    int v;
    switch (rx->state) {
    case S_IDLE:
        if (c == SS_CH_PACKET || c == SS_CH_NOTIFY) {
            begin(rx, c);
        } else if (c == SS_CH_ACK) {
            rx->stats.acks++;
            ev->kind = SS_RX_ACK;
        } else if (c == SS_CH_NAK) {
            rx->stats.naks++;
            ev->kind = SS_RX_NAK;
        } else {
            rx->stats.garbage++;
        }
        break;
    case S_DATA:
        if (c == SS_CH_PACKET || c == SS_CH_NOTIFY) {
            cut(rx, ev, c);
            break;
        }
        if (c == SS_CH_END) {
            rx->state = S_CS1;
            break;
        }
        rx->sum = (uint8_t)(rx->sum + c);
        if (c == SS_CH_ESCAPE)
            rx->state = S_ESC;
        else
            append(rx, c);
        break;
    case S_ESC:
        if (c == SS_CH_PACKET || c == SS_CH_NOTIFY) {
            cut(rx, ev, c);
            break;
        }
        if (c == SS_CH_END) { /* "}#": nothing to unescape; read the checksum, then '-' */
            rx->spoiled = SPOIL_ESCAPE;
            rx->state = S_CS1;
            break;
        }
        rx->sum = (uint8_t)(rx->sum + c);
        rx->state = S_DATA;
        append(rx, c ^ SS_ESCAPE_XOR);
        break;
    case S_SKIP:
        if (c == SS_CH_PACKET || c == SS_CH_NOTIFY)
            cut(rx, ev, c);
        else if (c == SS_CH_END)
            rx->state = S_CS1;
        break;
    case S_CS1:
    case S_CS2:
        v = ss_hexval(c);
        if (v < 0) {
            cut(rx, ev, c);
            break;
        }
        if (rx->state == S_CS1) {
            rx->cs = (uint8_t)(v << 4);
            rx->state = S_CS2;
        } else {
            rx->cs = (uint8_t)(rx->cs | v);
            finish(rx, ev);
        }
        break;
    }
}

size_t ss_rx_feed(struct ss_rx *rx, const void *data, size_t len, struct ss_rx_event *ev)
{
    const uint8_t *d = data;
    ev->kind = SS_RX_NONE;
    ev->start = 0;
    ev->ack = 0;
    ev->data = 0;
    ev->len = 0;
    for (size_t i = 0; i < len; i++) {
        step(rx, d[i], ev);
        if (ev->kind != SS_RX_NONE)
            return i + 1;
    }
    return len;
}
