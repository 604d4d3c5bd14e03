/*
 * event.c - probe events as notifications:
 *     %vTE:<probe>,<seq>,<time>,<hart>,<pid>,<comm>;<type><payload>#cs
 * Numbers are lowercase hex without leading zeros; comm is the process name
 * with bytes that could confuse a reader (controls, ';') shown as '?'; type
 * is one letter (SS_EVT_*) saying how to read the payload, the program's
 * output as raw bytes (framing escapes it).  One
 * sequence counts every event the kernel produced, so a gap on the host is
 * exactly the number of events dropped on the way.
 */
#include "sidestub_int.h"

size_t ss_event_encode(const struct ss_event *ev, uint8_t *out, size_t cap)
{
    struct ss_out o;
    ss_out_init(&o, out, cap);
    ss_out_str(&o, SS_NOTIFY_EVENT);
    ss_out_hex(&o, ev->probe);
    ss_out_byte(&o, ',');
    ss_out_hex(&o, ev->seq);
    ss_out_byte(&o, ',');
    ss_out_hex(&o, ev->time);
    ss_out_byte(&o, ',');
    ss_out_hex(&o, ev->hart);
    ss_out_byte(&o, ',');
    ss_out_hex(&o, ev->pid);
    ss_out_byte(&o, ',');
    for (size_t i = 0; i < SS_COMM_MAX && ev->comm[i]; i++) {
        uint8_t c = (uint8_t)ev->comm[i];
        ss_out_byte(&o, c < ' ' || c >= 0x7f || c == ';' ? '?' : c);
    }
    ss_out_byte(&o, ';');
    ss_out_byte(&o, (uint8_t)(ev->type ? ev->type : SS_EVT_DATA));
    ss_out_mem(&o, ev->data, ev->len);
    return ss_out_done(&o);
}

/*
 * Framing an event in one pass.  The kernel frames every event it sends, so
 * ss_event_frame writes the frame straight from the event's fields, escaping
 * and summing each byte as it goes, instead of encoding into scratch and then
 * escaping and summing that (three passes, a call per byte): on the kernel's
 * sending path that was most of an event's cost (issue 21).  Its bytes are
 * exactly ss_frame(SS_CH_NOTIFY, ss_event_encode(ev)) (the unit tests compare
 * the two on random events).
 */
struct framer {
    uint8_t *p;
    unsigned sum; /* modulo 256 when written */
};

static inline void put(struct framer *f, uint8_t c)
{
    if (c == SS_CH_END || c == SS_CH_PACKET || c == SS_CH_ESCAPE || c == SS_CH_RLE ||
        c == SS_CH_NOTIFY) { /* ss_must_escape, inline */
        *f->p++ = SS_CH_ESCAPE;
        f->sum += SS_CH_ESCAPE;
        c ^= SS_ESCAPE_XOR;
    }
    *f->p++ = c;
    f->sum += c;
}

/* A byte that never needs escaping: hex digits, ',', ';' and the type
 * letter (none is one of the five framing characters). */
static inline void put_plain(struct framer *f, uint8_t c)
{
    *f->p++ = c;
    f->sum += c;
}

/* Lowercase hex without leading zeros.  The number of digits is found in
 * four halvings, not by testing each of 16 nibbles from the top: the
 * event's small numbers (probe, hart, pid) cost 15 turns of that loop each,
 * about a third of a framed logpoint event (issue 21). */
static inline void put_hex(struct framer *f, uint64_t v)
{
    int digits = 1;
    if (v >> 32) {
        digits += 8;
        if (v >> 48)
            digits += 4;
    } else if (v >> 16) {
        digits += 4;
    }
    while (digits < 16 && (v >> (4 * digits)))
        digits++;
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
        put_plain(f, (uint8_t)ss_hexdigits[(v >> shift) & 0xf]);
}

/* The longest payload before the data: "vTE:", five hex numbers of at most
 * 8, 16, 16, 8 and 8 digits and their commas, the comm, ';' and the type. */
#define EVENT_HEAD_MAX (4 + 8 + 16 + 16 + 8 + 8 + 5 + SS_COMM_MAX + 2)

size_t ss_event_frame(const struct ss_event *ev, uint8_t *scratch, size_t scap, uint8_t *out,
                      size_t cap)
{
    size_t worst = 2 * (EVENT_HEAD_MAX + ev->len); /* every byte escaped */
    if (ev->len > SS_PACKET_SIZE || worst > SS_PACKET_SIZE || cap < worst + SS_FRAME_OVERHEAD) {
        /* It may still fit, or be too long: the exact check of ss_frame. */
        size_t n = ss_event_encode(ev, scratch, scap);
        return n ? ss_frame(SS_CH_NOTIFY, scratch, n, out, cap) : 0;
    }
    struct framer f = {out + 1, 0};
    out[0] = SS_CH_NOTIFY;
    for (const char *s = SS_NOTIFY_EVENT; *s; s++)
        put(&f, (uint8_t)*s);
    put_hex(&f, ev->probe);
    put_plain(&f, ',');
    put_hex(&f, ev->seq);
    put_plain(&f, ',');
    put_hex(&f, ev->time);
    put_plain(&f, ',');
    put_hex(&f, ev->hart);
    put_plain(&f, ',');
    put_hex(&f, ev->pid);
    put_plain(&f, ',');
    for (size_t i = 0; i < SS_COMM_MAX && ev->comm[i]; i++) {
        uint8_t c = (uint8_t)ev->comm[i];
        put(&f, c < ' ' || c >= 0x7f || c == ';' ? '?' : c);
    }
    put_plain(&f, ';');
    put(&f, (uint8_t)(ev->type ? ev->type : SS_EVT_DATA));
    for (size_t i = 0; i < ev->len; i++)
        put(&f, ev->data[i]);
    uint8_t sum = (uint8_t)f.sum;
    f.p[0] = SS_CH_END;
    f.p[1] = (uint8_t)ss_hexdigits[sum >> 4];
    f.p[2] = (uint8_t)ss_hexdigits[sum & 0xf];
    return (size_t)(f.p + 3 - out);
}

/* Reads a hex number of 1..maxdigits digits ending at sep; advances past sep. */
static int number(const char **s, size_t *n, char sep, size_t maxdigits, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < *n && (*s)[i] != sep) {
        int d = ss_hexval((uint8_t)(*s)[i]);
        if (d < 0 || i == maxdigits)
            return -SS_ERR_SYNTAX;
        v = (v << 4) | (uint64_t)d;
        i++;
    }
    if (i == 0 || i == *n)
        return -SS_ERR_SYNTAX;
    *s += i + 1;
    *n -= i + 1;
    *out = v;
    return 0;
}

int ss_event_decode(const void *payload, size_t len, struct ss_event *ev)
{
    const char *s = payload;
    size_t n = len;
    uint64_t probe, hart, pid;
    ss_zero(ev, sizeof *ev);
    if (!ss_has_prefix(s, n, SS_NOTIFY_EVENT))
        return -SS_ERR_SYNTAX;
    s += ss_strlen(SS_NOTIFY_EVENT);
    n -= ss_strlen(SS_NOTIFY_EVENT);
    if (number(&s, &n, ',', SS_NUM_DIGITS, &probe) || number(&s, &n, ',', 16, &ev->seq) ||
        number(&s, &n, ',', 16, &ev->time) || number(&s, &n, ',', SS_NUM_DIGITS, &hart) ||
        number(&s, &n, ',', SS_NUM_DIGITS, &pid))
        return -SS_ERR_SYNTAX;
    size_t i = 0;
    while (i < n && s[i] != ';') {
        uint8_t c = (uint8_t)s[i];
        if (i == SS_COMM_MAX || c < ' ' || c >= 0x7f) /* never produced by the encoder */
            return -SS_ERR_SYNTAX;
        ev->comm[i] = s[i];
        i++;
    }
    if (n - i < 2 || s[i + 1] < 'A' || s[i + 1] > 'Z') /* ';' and a type letter */
        return -SS_ERR_SYNTAX;
    ev->type = s[i + 1];
    ev->probe = (uint32_t)probe;
    ev->hart = (uint32_t)hart;
    ev->pid = (uint32_t)pid;
    ev->data = (const uint8_t *)s + i + 2;
    ev->len = n - i - 2;
    return 0;
}

void ss_seq_init(struct ss_seq *s)
{
    ss_zero(s, sizeof *s);
}

uint64_t ss_seq_track(struct ss_seq *s, uint64_t seq)
{
    uint64_t lost = 0;
    s->received++;
    if (s->started && seq >= s->next) {
        lost = seq - s->next;
    } else if (s->started) {
        s->resets++; /* went backwards: the kernel restarted its count */
    }
    s->lost += lost;
    s->started = true;
    s->next = seq + 1;
    return lost;
}
