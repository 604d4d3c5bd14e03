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

size_t ss_event_frame(const struct ss_event *ev, uint8_t *scratch, size_t scap, uint8_t *out,
                      size_t cap)
{
    size_t n = ss_event_encode(ev, scratch, scap);
    return n ? ss_frame(SS_CH_NOTIFY, scratch, n, out, cap) : 0;
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
