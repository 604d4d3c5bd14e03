/*
 * GDB/MI output parser (GDB manual, "GDB/MI Output Syntax", "GDB/MI Result
 * Records", "GDB/MI Stream Records", "GDB/MI Async Records").
 *
 * One recursive-descent pass over one line.  The line is a (pointer, length)
 * pair and need not be NUL-terminated: every read goes through peek(), which
 * returns -1 at the end, so no path can read past len.  The first error wins
 * and is reported as "offset N: <what was expected>, found <what was there>";
 * everything built so far is released and the record is left empty.
 *
 * Choices where the grammar is silent:
 *  - variable (and async-class) is a run of [A-Za-z0-9_-], the alphabet GDB
 *    uses for every name it emits;
 *  - result-class must be one of the five the grammar lists;
 *  - c-strings: the escapes GDB's printchar() emits (\a \b \e \f \n \r \t \v,
 *    \" \\ \' and octal \ooo of 1-3 digits) and nothing else; raw control
 *    bytes must be escaped.  The decoded bytes become UTF-8 text: GDB sends
 *    UTF-8 as octal bytes (\303\251 is "é"), and a byte that is not part of
 *    valid UTF-8 becomes U+FFFD, because jansson only holds UTF-8 and the
 *    adapter passes these strings on to DAP as JSON;
 *  - "(gdb)" may be followed by spaces (GDB writes "(gdb) ").
 */
#include "gdb/mi_parse.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting limit: GDB's deepest output (varobj children, BreakpointTable) is
 * a handful of levels; the limit only keeps hostile input off the C stack. */
#define MI_MAX_DEPTH 128

struct mi_parser {
    const char *s;
    size_t len;
    size_t pos;
    int depth;
    int failed;
    char *err;
    size_t errlen;
    char *buf; /* scratch for decoding c-strings, grown as needed */
    size_t bufcap;
};

static int peek(const struct mi_parser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/* Describes the byte at pos for error messages. */
static void describe(const struct mi_parser *p, char *out, size_t n)
{
    int c = peek(p);
    if (c < 0)
        snprintf(out, n, "end of line");
    else if (c > 0x20 && c < 0x7f && c != '\'')
        snprintf(out, n, "'%c'", c);
    else
        snprintf(out, n, "byte 0x%02x", c);
}

/* Records the first error: "offset N: <message>".  Returns -1. */
static int fail(struct mi_parser *p, const char *fmt, ...)
{
    if (p->failed)
        return -1;
    p->failed = 1;
    if (!p->err || p->errlen == 0)
        return -1;
    int n = snprintf(p->err, p->errlen, "offset %zu: ", p->pos);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* "expected X, found Y" at the current position. */
static int expected(struct mi_parser *p, const char *what)
{
    char found[32];
    describe(p, found, sizeof found);
    return fail(p, "expected %s, found %s", what, found);
}

static int is_name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Scans a name ([A-Za-z0-9_-]+); returns its length, 0 if there is none. */
static size_t scan_name(struct mi_parser *p, const char **start)
{
    *start = p->s + p->pos;
    size_t n = 0;
    while (is_name_char(peek(p))) {
        p->pos++;
        n++;
    }
    return n;
}

static int reserve(struct mi_parser *p, size_t need)
{
    if (need <= p->bufcap)
        return 0;
    size_t cap = p->bufcap ? p->bufcap : 256;
    while (cap < need)
        cap *= 2;
    char *b = realloc(p->buf, cap);
    if (!b)
        return fail(p, "out of memory");
    p->buf = b;
    p->bufcap = cap;
    return 0;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF are invalid,
 * as in jansson's own check). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k;
}

/* The one-letter escapes GDB's printchar() writes, and \' for good measure;
 * -1 for anything else. */
static int simple_escape(int e)
{
    static const char letter[] = "ntr\"\\'abefv";
    static const char byte[] = "\n\t\r\"\\'\a\b\x1b\f\v";
    if (e <= 0)
        return -1;
    const char *at = strchr(letter, e);
    return at ? (unsigned char)byte[at - letter] : -1;
}

/*
 * Parses a c-string at pos (which holds '"').  On success the decoded UTF-8
 * text is in p->buf[0..*outlen) (also NUL-terminated; it may itself contain
 * NUL bytes from \000).
 */
static int parse_cstring(struct mi_parser *p, size_t *outlen)
{
    if (peek(p) != '"')
        return expected(p, "'\"' (a c-string)");
    size_t open = p->pos++;
    /* Decoded bytes go to buf[0..], then are made valid UTF-8 into the space
     * after them; 4 bytes per source byte covers both (U+FFFD is 3). */
    size_t rest = p->len - p->pos;
    if (rest > (SIZE_MAX - 1) / 4 || reserve(p, rest * 4 + 1) < 0)
        return fail(p, "out of memory");
    unsigned char *raw = (unsigned char *)p->buf;
    size_t n = 0;
    for (;;) {
        int c = peek(p);
        if (c < 0) {
            size_t here = p->pos;
            p->pos = open;
            return fail(p, "unterminated c-string (no closing '\"' before offset %zu)", here);
        }
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20 || c == 0x7f)
            return fail(p, "control byte 0x%02x inside a c-string (GDB escapes these)", c);
        if (c != '\\') {
            raw[n++] = (unsigned char)c;
            p->pos++;
            continue;
        }
        size_t esc = p->pos++; /* the backslash */
        int e = peek(p);
        if (e >= '0' && e <= '7') {
            unsigned v = 0;
            for (int i = 0; i < 3 && peek(p) >= '0' && peek(p) <= '7'; i++) {
                v = v * 8 + (unsigned)(peek(p) - '0');
                p->pos++;
            }
            if (v > 0xff) {
                p->pos = esc;
                return fail(p, "octal escape above \\377 in a c-string");
            }
            raw[n++] = (unsigned char)v;
            continue;
        }
        int v = simple_escape(e);
        if (v < 0)
            return expected(p, e < 0 ? "an escape character after '\\'"
                                     : "a c-string escape (\\n \\t \\r \\\" \\\\ \\' \\a "
                                       "\\b \\e \\f \\v or octal \\ooo)");
        raw[n++] = (unsigned char)v;
        p->pos++;
    }
    /* Make it UTF-8: valid sequences are kept, stray bytes become U+FFFD. */
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(raw + i, n - i);
        if (k == 0)
            break;
        i += k;
    }
    if (i == n) {
        raw[n] = 0;
        *outlen = n;
        return 0;
    }
    unsigned char *out = raw + n;
    size_t m = 0;
    for (i = 0; i < n;) {
        size_t k = utf8_seq(raw + i, n - i);
        if (k == 0) {
            out[m++] = 0xef;
            out[m++] = 0xbf;
            out[m++] = 0xbd;
            i++;
        } else {
            memcpy(out + m, raw + i, k);
            m += k;
            i += k;
        }
    }
    memmove(raw, out, m);
    raw[m] = 0;
    *outlen = m;
    return 0;
}

static json_t *parse_value(struct mi_parser *p);

/*
 * Stores name=value in obj.  A repeated name keeps every value: the member
 * becomes an array of them (GDB's -thread-list-ids writes
 * thread-ids={thread-id="1",thread-id="2"}).  *promoted remembers which
 * members were turned into such arrays, so that a value that is itself a
 * list is never mistaken for one.  Consumes value.
 */
static int add_result(struct mi_parser *p, json_t *obj, json_t **promoted, const char *name,
                      size_t nlen, json_t *value)
{
    json_t *old = json_object_getn(obj, name, nlen);
    if (!old) {
        if (json_object_setn_new_nocheck(obj, name, nlen, value) < 0)
            return fail(p, "out of memory");
        return 0;
    }
    if (*promoted && json_object_getn(*promoted, name, nlen)) {
        if (json_array_append_new(old, value) < 0)
            return fail(p, "out of memory");
        return 0;
    }
    json_t *arr = json_array();
    if (!*promoted)
        *promoted = json_object();
    if (!arr || !*promoted || json_array_append(arr, old) < 0) {
        json_decref(arr);
        json_decref(value);
        return fail(p, "out of memory");
    }
    if (json_array_append_new(arr, value) < 0 ||
        json_object_setn_new_nocheck(obj, name, nlen, arr) < 0 ||
        json_object_setn_new_nocheck(*promoted, name, nlen, json_true()) < 0)
        return fail(p, "out of memory");
    return 0;
}

/* result -> variable "=" value, stored into obj. */
static int parse_result_into(struct mi_parser *p, json_t *obj, json_t **promoted)
{
    const char *name;
    size_t nlen = scan_name(p, &name);
    if (nlen == 0)
        return expected(p, "a result name");
    if (peek(p) != '=') {
        char found[32];
        describe(p, found, sizeof found);
        return fail(p, "expected '=' after the name \"%.*s\", found %s",
                    (int)(nlen > 40 ? 40 : nlen), name, found);
    }
    p->pos++;
    json_t *v = parse_value(p);
    if (!v)
        return -1;
    return add_result(p, obj, promoted, name, nlen, v);
}

/* tuple -> "{}" | "{" result ( "," result )* "}" */
static json_t *parse_tuple(struct mi_parser *p)
{
    p->pos++; /* '{' */
    json_t *obj = json_object();
    json_t *promoted = 0;
    if (!obj) {
        fail(p, "out of memory");
        return 0;
    }
    if (peek(p) == '}') {
        p->pos++;
        return obj;
    }
    for (;;) {
        if (parse_result_into(p, obj, &promoted) < 0)
            goto bad;
        int c = peek(p);
        if (c == '}') {
            p->pos++;
            break;
        }
        if (c != ',') {
            expected(p, "',' or '}' in a tuple");
            goto bad;
        }
        p->pos++;
    }
    json_decref(promoted);
    return obj;
bad:
    json_decref(promoted);
    json_decref(obj);
    return 0;
}

/* list -> "[]" | "[" value ( "," value )* "]" | "[" result ( "," result )* "]"
 * A list of results keeps only the values. */
static json_t *parse_list(struct mi_parser *p)
{
    p->pos++; /* '[' */
    json_t *arr = json_array();
    if (!arr) {
        fail(p, "out of memory");
        return 0;
    }
    if (peek(p) == ']') {
        p->pos++;
        return arr;
    }
    int c0 = peek(p);
    int of_results = is_name_char(c0);
    for (;;) {
        if (of_results) {
            const char *name;
            if (scan_name(p, &name) == 0) {
                expected(p, "a result name (this list holds results)");
                goto bad;
            }
            if (peek(p) != '=') {
                expected(p, "'=' after a name in a list of results");
                goto bad;
            }
            p->pos++;
        } else if (is_name_char(peek(p))) {
            expected(p, "a value (this list holds values, not results)");
            goto bad;
        }
        json_t *v = parse_value(p);
        if (!v)
            goto bad;
        if (json_array_append_new(arr, v) < 0) {
            fail(p, "out of memory");
            goto bad;
        }
        int c = peek(p);
        if (c == ']') {
            p->pos++;
            return arr;
        }
        if (c != ',') {
            expected(p, "',' or ']' in a list");
            goto bad;
        }
        p->pos++;
    }
bad:
    json_decref(arr);
    return 0;
}

/* value -> c-string | tuple | list */
static json_t *parse_value(struct mi_parser *p)
{
    int c = peek(p);
    json_t *v = 0;
    if (c == '"') {
        size_t n;
        if (parse_cstring(p, &n) < 0)
            return 0;
        v = json_stringn_nocheck(p->buf, n); /* parse_cstring made it UTF-8 */
        if (!v)
            fail(p, "out of memory");
        return v;
    }
    if (c != '{' && c != '[') {
        expected(p, "a value (c-string, tuple or list)");
        return 0;
    }
    if (p->depth >= MI_MAX_DEPTH) {
        fail(p, "values nested deeper than %d levels", MI_MAX_DEPTH);
        return 0;
    }
    p->depth++;
    v = c == '{' ? parse_tuple(p) : parse_list(p);
    p->depth--;
    return v;
}

static int at_end(struct mi_parser *p, const char *what)
{
    if (peek(p) < 0)
        return 0;
    return expected(p, what);
}

/* ( "," result )* up to the end of the line, into out->results. */
static int parse_record_results(struct mi_parser *p, struct mi_record *out)
{
    json_t *promoted = 0;
    out->results = json_object();
    if (!out->results)
        return fail(p, "out of memory");
    while (peek(p) == ',') {
        p->pos++;
        if (parse_result_into(p, out->results, &promoted) < 0) {
            json_decref(promoted);
            return -1;
        }
    }
    json_decref(promoted);
    return at_end(p, "',' or end of line after a result");
}

static int parse_record(struct mi_parser *p, struct mi_record *out)
{
    if (p->len == 0)
        return fail(p, "empty line: expected a record or \"(gdb)\"");

    if (p->len >= 5 && memcmp(p->s, "(gdb)", 5) == 0) {
        p->pos = 5;
        while (peek(p) == ' ')
            p->pos++;
        out->kind = MI_PROMPT;
        return at_end(p, "end of line after \"(gdb)\"");
    }

    /* token -> any sequence of digits */
    size_t tok_start = p->pos;
    long token = 0;
    while (peek(p) >= '0' && peek(p) <= '9') {
        int d = peek(p) - '0';
        if (token > (LONG_MAX - d) / 10) {
            p->pos = tok_start;
            return fail(p, "token too large");
        }
        token = token * 10 + d;
        p->pos++;
    }
    int has_token = p->pos > tok_start;
    out->token = has_token ? token : -1;

    int c = peek(p);
    switch (c) {
    case '~':
    case '@':
    case '&': {
        if (has_token)
            return fail(p, "a stream record takes no token");
        out->kind = c == '~' ? MI_CONSOLE : c == '@' ? MI_TARGET : MI_LOG;
        p->pos++;
        size_t n;
        if (parse_cstring(p, &n) < 0)
            return -1;
        out->text = malloc(n + 1);
        if (!out->text)
            return fail(p, "out of memory");
        memcpy(out->text, p->buf, n + 1);
        return at_end(p, "end of line after the stream record's c-string");
    }
    case '^':
    case '*':
    case '+':
    case '=': {
        out->kind = c == '^'   ? MI_RESULT
                    : c == '*' ? MI_EXEC_ASYNC
                    : c == '+' ? MI_STATUS_ASYNC
                               : MI_NOTIFY_ASYNC;
        p->pos++;
        const char *name;
        size_t nlen = scan_name(p, &name);
        if (nlen == 0)
            return expected(p, c == '^' ? "a result class (done, running, connected, error, exit)"
                                        : "an async class");
        if (c == '^') {
            static const char *const classes[] = {"done", "running", "connected", "error", "exit"};
            int ok = 0;
            for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
                if (strlen(classes[i]) == nlen && memcmp(classes[i], name, nlen) == 0)
                    ok = 1;
            if (!ok) {
                p->pos -= nlen;
                return fail(p,
                            "unknown result class \"%.*s\" (expected done, running, connected, "
                            "error or exit)",
                            (int)(nlen > 40 ? 40 : nlen), name);
            }
        }
        out->klass = malloc(nlen + 1);
        if (!out->klass)
            return fail(p, "out of memory");
        memcpy(out->klass, name, nlen);
        out->klass[nlen] = 0;
        return parse_record_results(p, out);
    }
    default:
        return expected(
            p, has_token ? "'^', '*', '+' or '=' after the token"
                         : "a record ('^', '*', '+', '=', '~', '@', '&', a token or \"(gdb)\")");
    }
}

static void record_clear(struct mi_record *r)
{
    r->kind = MI_PROMPT;
    r->token = -1;
    r->klass = 0;
    r->results = 0;
    r->text = 0;
}

int mi_parse_line(const char *line, size_t len, struct mi_record *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!out) {
        if (err && errlen)
            snprintf(err, errlen, "no record to fill");
        return -1;
    }
    record_clear(out);
    if (!line && len) {
        if (err && errlen)
            snprintf(err, errlen, "no line");
        return -1;
    }
    if (len && line[len - 1] == '\r')
        len--;
    struct mi_parser p = {.s = line, .len = len, .err = err, .errlen = errlen};
    int rc = parse_record(&p, out);
    free(p.buf);
    if (rc < 0) {
        mi_record_free(out);
        return -1;
    }
    return 0;
}

void mi_record_free(struct mi_record *r)
{
    if (!r)
        return;
    free(r->klass);
    json_decref(r->results);
    free(r->text);
    record_clear(r);
}

/* GDB reads MI arguments with C escapes (mi-parse.c, parse_escape), so
 * besides \" \\ \n the other control bytes go out as \r, \t or octal. */
char *mi_quote(const char *s)
{
    if (!s)
        return 0;
    size_t n = 3;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++)
        n += (*q < 0x20 || *q == 0x7f) ? 4 : (*q == '"' || *q == '\\') ? 2 : 1;
    char *out = malloc(n);
    if (!out)
        return 0;
    char *o = out;
    *o++ = '"';
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        unsigned c = *q;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (c == '\r') {
            *o++ = '\\';
            *o++ = 'r';
        } else if (c == '\t') {
            *o++ = '\\';
            *o++ = 't';
        } else if (c < 0x20 || c == 0x7f) {
            *o++ = '\\';
            *o++ = (char)('0' + ((c >> 6) & 7));
            *o++ = (char)('0' + ((c >> 3) & 7));
            *o++ = (char)('0' + (c & 7));
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = 0;
    return out;
}

/* Walks '.'-separated object keys; an empty path names v itself. */
const char *mi_str(json_t *v, const char *path)
{
    if (!v || !path)
        return 0;
    const char *seg = path;
    while (*seg) {
        const char *dot = strchr(seg, '.');
        size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
        if (!json_is_object(v))
            return 0;
        v = json_object_getn(v, seg, n);
        if (!v)
            return 0;
        if (!dot)
            break;
        seg = dot + 1;
        if (!*seg)
            return 0; /* trailing '.' */
    }
    return json_string_value(v);
}
