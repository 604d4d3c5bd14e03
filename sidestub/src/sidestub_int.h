/*
 * sidestub_int.h - helpers shared by the side-stub library's files: hex digits
 * and a bounded output builder with a sticky overflow flag (once a write does
 * not fit, every later write is refused, so callers check once at the end).
 */
#ifndef SIDESTUB_INT_H
#define SIDESTUB_INT_H

#include "sidestub.h"

/* Value of a hex digit (either case), or -1. */
int ss_hexval(uint8_t c);
extern const char ss_hexdigits[16];
/* 1..maxdigits hex digits and nothing else (no 0x): 0, or -1. */
int ss_parse_hex(const char *s, size_t n, size_t maxdigits, uint64_t *out);

struct ss_out {
    uint8_t *p;
    size_t cap, len;
    bool overflow;
};

void ss_out_init(struct ss_out *o, void *buf, size_t cap);
void ss_out_byte(struct ss_out *o, uint8_t c);
void ss_out_mem(struct ss_out *o, const void *data, size_t len);
void ss_out_str(struct ss_out *o, const char *s); /* NUL-terminated */
void ss_out_hex(struct ss_out *o, uint64_t v);    /* lowercase, no leading zeros */
void ss_out_hex2(struct ss_out *o, uint8_t v);    /* exactly two digits */
/* Length written, or 0 after an overflow. */
size_t ss_out_done(const struct ss_out *o);

/* Whether s[0..n) starts with the NUL-terminated prefix. */
bool ss_has_prefix(const char *s, size_t n, const char *prefix);
size_t ss_strlen(const char *s);
/* Clears len bytes (no memset in the kernel build). */
void ss_zero(void *p, size_t len);

#endif
