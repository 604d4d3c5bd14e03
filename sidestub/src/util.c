/*
 * util.c - hex digits and the bounded output builder (see sidestub_int.h).
 * No libc: this file is compiled into the kernel with -ffreestanding.
 */
#include "sidestub_int.h"

const char ss_hexdigits[16] = "0123456789abcdef";

int ss_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void ss_out_init(struct ss_out *o, void *buf, size_t cap)
{
    o->p = buf;
    o->cap = cap;
    o->len = 0;
    o->overflow = false;
}

void ss_out_byte(struct ss_out *o, uint8_t c)
{
    if (o->overflow || o->len >= o->cap) {
        o->overflow = true;
        return;
    }
    o->p[o->len++] = c;
}

void ss_out_mem(struct ss_out *o, const void *data, size_t len)
{
    const uint8_t *d = data;
    for (size_t i = 0; i < len; i++)
        ss_out_byte(o, d[i]);
}

void ss_out_str(struct ss_out *o, const char *s)
{
    while (*s)
        ss_out_byte(o, (uint8_t)*s++);
}

void ss_out_hex(struct ss_out *o, uint64_t v)
{
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        ss_out_byte(o, (uint8_t)ss_hexdigits[(v >> shift) & 0xf]);
}

void ss_out_hex2(struct ss_out *o, uint8_t v)
{
    ss_out_byte(o, (uint8_t)ss_hexdigits[v >> 4]);
    ss_out_byte(o, (uint8_t)ss_hexdigits[v & 0xf]);
}

size_t ss_out_done(const struct ss_out *o)
{
    return o->overflow ? 0 : o->len;
}

size_t ss_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

bool ss_has_prefix(const char *s, size_t n, const char *prefix)
{
    size_t i;
    for (i = 0; prefix[i]; i++)
        if (i >= n || s[i] != prefix[i])
            return false;
    return true;
}

void ss_zero(void *p, size_t len)
{
    uint8_t *b = p;
    for (size_t i = 0; i < len; i++)
        b[i] = 0;
}

int ss_parse_hex(const char *s, size_t n, size_t maxdigits, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > maxdigits)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int d = ss_hexval((uint8_t)s[i]);
        if (d < 0)
            return -1;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return 0;
}
