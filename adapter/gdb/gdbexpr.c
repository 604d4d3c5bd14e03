#include "gdb/gdbexpr.h"
#include "core/buf.h"
#include "dwarf/rvregs.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Past the string or character literal that starts at s (at its quote). */
static const char *skip_literal(const char *s)
{
    char q = *s++;
    while (*s && *s != q)
        s += s[0] == '\\' && s[1] ? 2 : 1;
    return *s ? s + 1 : s;
}

/* The last character written that is not a space, or 0. */
static char last_written(const struct buf *out, size_t back)
{
    size_t n = out->len;
    while (n && isspace((unsigned char)out->data[n - 1]))
        n--;
    return n > back ? out->data[n - 1 - back] : 0;
}

static void put_str(struct buf *out, const char *s)
{
    buf_append(out, s, strlen(s));
}

static void put_quoted(struct buf *out, const char *s)
{
    buf_append(out, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_append(out, "\\", 1);
        buf_append(out, s, 1);
    }
    buf_append(out, "\"", 1);
}

/* pid, comm, time and registers, as logprog.c reads them: before any
 * variable of the same name, never after `.`, `->` or `$`, nor as a
 * function's name. */
static void rewrite_names(const char *s, const struct gdbexpr_event *ev, struct buf *out)
{
    while (*s) {
        if (*s == '"' || *s == '\'') {
            const char *end = skip_literal(s);
            buf_append(out, s, (size_t)(end - s));
            s = end;
        } else if (isdigit((unsigned char)*s)) { /* 0x1f is a number, not x1f */
            const char *end = s;
            while (ident_char(*end) || *end == '.')
                end++;
            buf_append(out, s, (size_t)(end - s));
            s = end;
        } else if (ident_start(*s)) {
            const char *end = s;
            while (ident_char(*end))
                end++;
            size_t n = (size_t)(end - s);
            const char *next = end;
            while (isspace((unsigned char)*next))
                next++;
            char before = last_written(out, 0);
            bool plain = out->len == 0 || out->data[out->len - 1] != '$';
            plain = plain && before != '.' && !(before == '>' && last_written(out, 1) == '-');
            plain = plain && *next != '(';
            char word[64];
            snprintf(word, sizeof word, "%.*s", (int)(n < 63 ? n : 63), s);
            char num[64];
            if (plain && n < 63 && !strcmp(word, "pid")) {
                snprintf(num, sizeof num, "%d", ev->pid);
                put_str(out, num);
            } else if (plain && n < 63 && !strcmp(word, "comm")) {
                put_quoted(out, ev->comm ? ev->comm : "");
            } else if (plain && n < 63 && !strcmp(word, "time")) {
                snprintf(num, sizeof num, "%.6f", ev->time);
                put_str(out, num);
            } else if (plain && (!strcmp(word, "zero") || !strcmp(word, "x0"))) {
                put_str(out, "0");
            } else if (plain && rv_reg_index(s, n) >= 0) {
                buf_append(out, "$", 1);
                buf_append(out, s, n);
            } else {
                buf_append(out, s, n);
            }
            s = end;
        } else {
            buf_append(out, s++, 1);
        }
    }
}

/* Where the top-level `&&`/`||` (op 0) or `==`/`!=` (op 1) in [s, e) is, or e. */
static const char *find_top(const char *s, const char *e, int op)
{
    int depth = 0;
    for (const char *p = s; p < e;) {
        if (*p == '"' || *p == '\'') {
            p = skip_literal(p);
            continue;
        }
        if (*p == '(' || *p == '[')
            depth++;
        else if (*p == ')' || *p == ']')
            depth--;
        else if (depth == 0 && p + 1 < e) {
            if (op == 0 && ((p[0] == '&' && p[1] == '&') || (p[0] == '|' && p[1] == '|')))
                return p;
            if (op == 1 && (p[0] == '=' || p[0] == '!') && p[1] == '=' &&
                (p == s || !strchr("<>=!", p[-1])))
                return p;
        }
        p++;
    }
    return e;
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* [s, e) is one string literal, nothing else. */
static bool is_string(const char *s, const char *e)
{
    trim(&s, &e);
    return e - s >= 2 && *s == '"' && skip_literal(s) == e;
}

/* The parenthesis that closes the one at s, within [s, e), or 0. */
static const char *closing(const char *s, const char *e)
{
    int depth = 0;
    for (const char *p = s; p < e;) {
        if (*p == '"' || *p == '\'') {
            p = skip_literal(p);
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p;
        p++;
    }
    return 0;
}

static void rewrite_compare(const char *s, const char *e, struct buf *out);

/* One operand of && and ||: a comparison of text with a string becomes
 * $_streq; a parenthesized condition is rewritten inside. */
static void rewrite_term(const char *s, const char *e, struct buf *out)
{
    const char *ts = s, *te = e;
    trim(&ts, &te);
    buf_append(out, s, (size_t)(ts - s));
    if (ts < te && *ts == '!' && ts + 1 < te && ts[1] == '(' && closing(ts + 1, te) == te - 1) {
        buf_append(out, "!(", 2);
        rewrite_compare(ts + 2, te - 1, out);
        buf_append(out, ")", 1);
    } else if (ts < te && *ts == '(' && closing(ts, te) == te - 1) {
        buf_append(out, "(", 1);
        rewrite_compare(ts + 1, te - 1, out);
        buf_append(out, ")", 1);
    } else {
        const char *op = find_top(ts, te, 1);
        if (op < te && (is_string(ts, op) || is_string(op + 2, te))) {
            const char *ls = ts, *le = op, *rs = op + 2, *re = te;
            trim(&ls, &le);
            trim(&rs, &re);
            put_str(out, *op == '!' ? "!$_streq(" : "$_streq(");
            buf_append(out, ls, (size_t)(le - ls));
            buf_append(out, ", ", 2);
            buf_append(out, rs, (size_t)(re - rs));
            buf_append(out, ")", 1);
        } else {
            buf_append(out, ts, (size_t)(te - ts));
        }
    }
    buf_append(out, te, (size_t)(e - te));
}

static void rewrite_compare(const char *s, const char *e, struct buf *out)
{
    for (;;) {
        const char *op = find_top(s, e, 0);
        rewrite_term(s, op, out);
        if (op == e)
            return;
        buf_append(out, op, 2);
        s = op + 2;
    }
}

char *gdbexpr_rewrite(const char *expr, const struct gdbexpr_event *ev)
{
    struct buf named = {0}, out = {0};
    if (ev)
        rewrite_names(expr, ev, &named);
    else
        put_str(&named, expr);
    rewrite_compare(named.data ? named.data : "", named.data ? named.data + named.len : "", &out);
    buf_free(&named);
    buf_append(&out, "", 1); /* the terminating NUL */
    return out.data;
}

bool gdb_value_number(const char *v, uint64_t *out)
{
    while (*v == ' ')
        v++;
    if (*v == '(') { /* the pointer's type: skip it, parentheses balanced */
        int depth = 0;
        do {
            if (*v == '(')
                depth++;
            else if (*v == ')')
                depth--;
            else if (!*v)
                return false;
            v++;
        } while (depth > 0);
        while (*v == ' ')
            v++;
    }
    if (!strncmp(v, "true", 4) && !isalnum((unsigned char)v[4]) && v[4] != '_') {
        *out = 1;
        return true;
    }
    if (!strncmp(v, "false", 5) && !isalnum((unsigned char)v[5]) && v[5] != '_') {
        *out = 0;
        return true;
    }
    bool negative = *v == '-';
    const char *digits = negative ? v + 1 : v;
    if (!isdigit((unsigned char)*digits))
        return false;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(digits, &end, 0);
    if (errno || end == digits || isalnum((unsigned char)*end) || *end == '_' || *end == '.')
        return false;
    *out = negative ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    return true;
}
