#include "dap/dap.h"
#include "core/buf.h"
#include "core/loop.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

/* A message larger than this is refused (and skipped) rather than
 * buffered: no legitimate request comes close. */
#define DAP_MAX_MESSAGE (64 << 20)
/* Messages waiting for a client that does not read them. */
#define DAP_MAX_QUEUED (256u << 20)

static int out_fd = -1;
static FILE *logf;
static const struct dap_request_entry *handlers;
static struct buf inbuf;
static int seq = 1;
static void (*close_fn)(void);

void dap_log(const char *fmt, ...)
{
    if (!logf)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(logf, "[%lld] ", (long long)loop_now_ms());
    vfprintf(logf, fmt, ap);
    fputc('\n', logf);
    fflush(logf);
    va_end(ap);
}

static void send_message(json_t *msg)
{
    json_object_set_new(msg, "seq", json_integer(seq++));
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    dap_log("<- %s", text);
    size_t len = strlen(text);
    char header[64];
    int h = snprintf(header, sizeof header, "Content-Length: %zu\r\n\r\n", len);
    struct buf out = {0};
    buf_append(&out, header, (size_t)h);
    buf_append(&out, text, len);
    free(text);
    /* Never blocks: a client that reads slowly gets its messages queued
     * (a gone client: the read side will notice). */
    if (loop_send(out_fd, out.data, out.len, DAP_MAX_QUEUED) < 0 && errno == ENOBUFS)
        dap_log("the client has not read 256 MiB of messages: one dropped");
    buf_free(&out);
}

/* ---- exactly one response per request ------------------------------------
 * Every handler runs inside dispatch() (nested when a handler runs the
 * loop): the requests being handled and whether each has its response.  A
 * second response to one request is dropped; a handler that returns
 * without any gets an error response from dispatch(). */
#define MAX_NESTED 16
static struct {
    json_int_t seq;
    bool answered;
} handling[MAX_NESTED];
static int nhandling;

/* Records the response to request `seq`; false if it already has one. */
static bool note_answer(json_int_t seq)
{
    for (int i = nhandling - 1; i >= 0; i--) {
        if (handling[i].seq == seq) {
            if (handling[i].answered)
                return false;
            handling[i].answered = true;
            return true;
        }
    }
    return true; /* not a request being handled (framing errors) */
}

bool dap_answered(json_t *req)
{
    json_int_t seq = json_integer_value(json_object_get(req, "seq"));
    for (int i = nhandling - 1; i >= 0; i--)
        if (handling[i].seq == seq)
            return handling[i].answered;
    return false;
}

void dap_respond(json_t *req, json_t *body)
{
    if (!note_answer(json_integer_value(json_object_get(req, "seq")))) {
        dap_log("a second response to request %lld dropped",
                (long long)json_integer_value(json_object_get(req, "seq")));
        json_decref(body);
        return;
    }
    json_t *msg = json_pack("{s:s, s:O, s:b, s:O}", "type", "response", "request_seq",
                            json_object_get(req, "seq"), "success", 1, "command",
                            json_object_get(req, "command"));
    if (body)
        json_object_set_new(msg, "body", body);
    send_message(msg);
}

void dap_error(json_t *req, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_int_t rseq = req ? json_integer_value(json_object_get(req, "seq")) : 0;
    const char *cmd = req ? json_string_value(json_object_get(req, "command")) : 0;
    if (req && !note_answer(rseq)) {
        dap_log("a second response to request %lld dropped: %s", (long long)rseq, text);
        return;
    }
    json_t *msg = json_pack("{s:s, s:I, s:b, s:s, s:s}", "type", "response", "request_seq", rseq,
                            "success", 0, "command", cmd ? cmd : "unknown", "message", text);
    /* The editor shows standard requests' errors to the user; our own
     * osdbg requests come from the extension's views, which show them
     * their own way (a periodic refresh must not pop up a notification). */
    bool show = !cmd || strncmp(cmd, "osdbg/", 6) != 0;
    json_object_set_new(
        msg, "body",
        json_pack("{s:{s:i, s:s, s:b}}", "error", "id", 1, "format", text, "showUser", show));
    send_message(msg);
}

/* The OS's console (category stdout) may leave a line open (a prompt):
 * any other output then starts on a line of its own, not after the prompt. */
static bool stdout_line_open;

static void start_output_line(json_t *body)
{
    const char *category = json_string_value(json_object_get(body, "category"));
    const char *text = json_string_value(json_object_get(body, "output"));
    if (!category || !text || !*text)
        return;
    size_t n = strlen(text);
    if (!strcmp(category, "stdout")) {
        stdout_line_open = text[n - 1] != '\n';
    } else if (stdout_line_open && strcmp(category, "telemetry") != 0) {
        char *fresh = malloc(n + 2);
        fresh[0] = '\n';
        memcpy(fresh + 1, text, n + 1);
        json_object_set_new(body, "output", json_string(fresh));
        free(fresh);
        stdout_line_open = false;
    }
}

void dap_event(const char *event, json_t *body)
{
    if (body && !strcmp(event, "output"))
        start_output_line(body);
    json_t *msg = json_pack("{s:s, s:s}", "type", "event", "event", event);
    if (body)
        json_object_set_new(msg, "body", body);
    send_message(msg);
}

/* Reverse requests waiting for their response (DAP: the client answers
 * each with request_seq = our seq). */
#define MAX_REVERSE 8
static struct {
    int seq;
    dap_response_fn fn;
} reverse[MAX_REVERSE];

void dap_reverse_request(const char *command, json_t *arguments, dap_response_fn on_response)
{
    json_t *msg = json_pack("{s:s, s:s}", "type", "request", "command", command);
    if (arguments)
        json_object_set_new(msg, "arguments", arguments);
    for (int i = 0; on_response && i < MAX_REVERSE; i++) {
        if (!reverse[i].fn) {
            reverse[i].seq = seq; /* the one send_message gives it */
            reverse[i].fn = on_response;
            break;
        }
    }
    send_message(msg);
}

static void reverse_response(json_t *msg)
{
    json_int_t rseq = json_integer_value(json_object_get(msg, "request_seq"));
    bool ok = json_is_true(json_object_get(msg, "success"));
    for (int i = 0; i < MAX_REVERSE; i++) {
        if (reverse[i].fn && reverse[i].seq == rseq) {
            dap_response_fn fn = reverse[i].fn;
            reverse[i].fn = 0;
            fn(ok, json_string_value(json_object_get(msg, "message")));
        }
    }
}

void dap_output(const char *category, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    dap_event("output", json_pack("{s:s, s:s}", "category", category, "output", text));
    free(text);
}

void dap_on_close(void (*fn)(void))
{
    close_fn = fn;
}

/* One message's body.  A body that is not JSON and holds the start of a
 * header (`header_inside`) is left to the framing (returns false); any other
 * bad body is answered with an error here. */
static bool dispatch(const char *text, size_t len, bool header_inside)
{
    json_error_t jerr;
    json_t *msg = json_loadb(text, len, 0, &jerr);
    dap_log("-> %.*s", (int)len, text);
    if (!msg && header_inside)
        return false;
    if (!msg || !json_is_object(msg)) {
        dap_error(0, "malformed DAP message: %s", msg ? "not a JSON object" : jerr.text);
        json_decref(msg);
        return true;
    }
    const char *type = json_string_value(json_object_get(msg, "type"));
    const char *command = json_string_value(json_object_get(msg, "command"));
    if (type && strcmp(type, "response") == 0) {
        /* The answer to one of our reverse requests. */
        if (!json_is_true(json_object_get(msg, "success")))
            dap_log("client refused %s: %s", command ? command : "?",
                    json_string_value(json_object_get(msg, "message")));
        reverse_response(msg);
        json_decref(msg);
        return true;
    }
    if (!type || strcmp(type, "request") != 0 || !command ||
        !json_is_integer(json_object_get(msg, "seq"))) {
        dap_error(msg, "malformed DAP request: needs \"type\":\"request\", an integer \"seq\" and "
                       "a \"command\"");
        json_decref(msg);
        return true;
    }
    json_t *args = json_object_get(msg, "arguments");
    if (args && !json_is_object(args)) {
        dap_error(msg, "malformed DAP request: \"arguments\" must be an object");
        json_decref(msg);
        return true;
    }
    for (const struct dap_request_entry *e = handlers; e->command; e++) {
        if (strcmp(e->command, command) == 0) {
            json_t *empty = 0;
            if (!args)
                args = empty = json_object();
            bool tracked = nhandling < MAX_NESTED;
            if (tracked) {
                handling[nhandling].seq = json_integer_value(json_object_get(msg, "seq"));
                handling[nhandling++].answered = false;
            }
            int depth = nhandling;
            e->fn(msg, args);
            if (tracked && depth == nhandling) {
                bool answered = handling[--nhandling].answered;
                if (!answered) {
                    nhandling++; /* so that this one is recorded too */
                    dap_error(msg,
                              "%s: the adapter could not carry it out and had no answer "
                              "(please report this)",
                              command);
                    nhandling--;
                }
            }
            json_decref(empty);
            json_decref(msg);
            return true;
        }
    }
    dap_error(msg, "unsupported request '%s'", command);
    json_decref(msg);
    return true;
}

/* ---- framing: "Content-Length: N\r\n\r\n" then N bytes of JSON ----------
 *
 * The base protocol (DAP specification, "Base Protocol") is HTTP-like:
 * header fields "Name: value" each ended by CRLF, an empty line, then the
 * body.  Input from a client can be wrong in any way; one bad message must
 * not cost the ones after it.  So a header is read strictly (the length in
 * decimal digits only, nothing else on its line), and after anything
 * malformed the reader resynchronises on the next "Content-Length:" field:
 * an output event (category "important") tells the user what was skipped.
 * A body that contains a whole header (a CRLF CRLF-ended Content-Length
 * field, which no JSON body holds: JSON escapes CR and LF inside strings)
 * means its declared length was too long: the message is dropped and
 * reading goes on at that header, so a short body cannot swallow the next
 * request nor leave the client waiting. */

#define DAP_FIELD      "Content-Length:"
#define DAP_FIELD_LEN  15
#define DAP_MAX_HEADER 4096 /* bytes of header fields before the empty line */

static bool is_field_at(size_t at)
{
    return inbuf.len - at >= DAP_FIELD_LEN &&
           strncasecmp(inbuf.data + at, DAP_FIELD, DAP_FIELD_LEN) == 0;
}

/* Does inbuf start with `name`: 1 yes, 0 not known yet (inbuf is shorter
 * and a prefix of it), -1 no. */
static int starts_with(const char *name)
{
    size_t n = strlen(name), k = inbuf.len < n ? inbuf.len : n;
    if (strncasecmp(inbuf.data, name, k) != 0)
        return -1;
    return k == n ? 1 : 0;
}

/* The offset of the first Content-Length field at or after `from`. */
static long next_field(size_t from)
{
    for (size_t i = from; i + DAP_FIELD_LEN <= inbuf.len; i++)
        if ((inbuf.data[i] | 0x20) == 'c' && is_field_at(i))
            return (long)i;
    return -1;
}

/* A complete, well-formed header at `at`: its length (up to and with the
 * empty line) and the body length in *length; 0 if not complete yet; -1 if
 * malformed (why in *why). */
static long header_at(size_t at, size_t *length, const char **why)
{
    const char *h = inbuf.data + at;
    size_t avail = inbuf.len - at;
    const char *end = memmem(h, avail, "\r\n\r\n", 4);
    if (!end) {
        *why = "a header longer than 4096 bytes";
        return avail > DAP_MAX_HEADER ? -1 : 0;
    }
    if (end - h > DAP_MAX_HEADER) {
        *why = "a header longer than 4096 bytes";
        return -1;
    }
    bool have = false;
    for (const char *line = h; line < end + 2;) {
        const char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
        size_t n = (size_t)(eol - line);
        if (memchr(line, 0, n)) {
            *why = "a NUL byte in a header";
            return -1;
        }
        if (n >= DAP_FIELD_LEN && strncasecmp(line, DAP_FIELD, DAP_FIELD_LEN) == 0) {
            const char *p = line + DAP_FIELD_LEN, *e = eol;
            while (p < e && *p == ' ')
                p++;
            while (e > p && e[-1] == ' ')
                e--;
            size_t v = 0;
            if (p == e || e - p > 9) {
                *why = "a Content-Length that is not a decimal number below 10^9";
                return -1;
            }
            for (; p < e; p++) {
                if (*p < '0' || *p > '9') {
                    *why = "a Content-Length that is not a decimal number below 10^9";
                    return -1;
                }
                v = v * 10 + (size_t)(*p - '0');
            }
            if (v > DAP_MAX_MESSAGE) {
                *why = "a Content-Length above 64 MiB";
                return -1;
            }
            *length = v;
            have = true;
        } else {
            /* Another field: a name of letters, digits and '-', then ':'
             * (RFC 9110 5.1 is wider; no DAP client needs more). */
            size_t k = 0;
            while (k < n && (isalnum((unsigned char)line[k]) || line[k] == '-'))
                k++;
            if (k == 0 || k == n || line[k] != ':') {
                *why = "a header line that is not a \"Name: value\" field";
                return -1;
            }
        }
        line = eol + 2;
    }
    if (!have) {
        *why = "a header without Content-Length";
        return -1;
    }
    return (long)(end + 4 - h);
}

/* The first offset in [from, to) where a Content-Length field starts, or
 * could start (its first bytes at the end of what has arrived); -1 if none. */
static long field_start_in(size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        size_t k = inbuf.len - i < DAP_FIELD_LEN ? inbuf.len - i : DAP_FIELD_LEN;
        if ((inbuf.data[i] | 0x20) == 'c' && strncasecmp(inbuf.data + i, DAP_FIELD, k) == 0)
            return (long)i;
    }
    return -1;
}

/* Drop bytes up to the next Content-Length field after `from` (all of them
 * if there is none; a field's first bytes may still be on their way, so
 * keep a possible beginning of one at the end) and say so. */
static void resync(size_t from, const char *why)
{
    long next = next_field(from);
    size_t drop = next >= 0 ? (size_t)next : inbuf.len;
    if (next < 0) {
        size_t keep = 0; /* a tail that is a prefix of the field name */
        for (size_t k = DAP_FIELD_LEN - 1; k > 0 && !keep; k--)
            if (inbuf.len >= k && strncasecmp(inbuf.data + inbuf.len - k, DAP_FIELD, k) == 0)
                keep = k;
        drop = inbuf.len - keep;
    }
    dap_log("framing: %s; %zu bytes skipped", why, drop);
    dap_output("important",
               "osdbg: malformed DAP input (%s): %zu bytes skipped up to the next Content-Length "
               "header\n",
               why, drop);
    buf_consume(&inbuf, drop);
}

/* Take every complete message out of inbuf. */
static void parse_input(void)
{
    while (inbuf.len) {
        /* Messages start with their header; anything else before the next
         * Content-Length field is garbage (a Content-Type field first is
         * fine: header_at reads every field). */
        int cl = starts_with(DAP_FIELD), ct = starts_with("Content-Type:");
        if (cl == 0 || ct == 0)
            return; /* the start of a header, the rest on its way */
        if (cl < 0 && ct < 0) {
            resync(0, "bytes outside any message");
            continue;
        }
        size_t length = 0;
        const char *why = 0;
        long hlen = header_at(0, &length, &why);
        if (hlen == 0)
            return;
        if (hlen < 0) {
            resync(1, why);
            continue;
        }
        size_t header_len = (size_t)hlen;
        size_t have = inbuf.len - header_len < length ? inbuf.len - header_len : length;
        /* A whole header inside the body: the declared length was wrong. */
        for (long f = next_field(header_len); f >= 0 && (size_t)f < header_len + have;
             f = next_field((size_t)f + 1)) {
            size_t l2;
            const char *w2;
            if (header_at((size_t)f, &l2, &w2) > 0) {
                dap_log("framing: body shorter than its Content-Length %zu", length);
                dap_output("important",
                           "osdbg: malformed DAP input (a body shorter than its Content-Length "
                           "of %zu): message skipped\n",
                           length);
                buf_consume(&inbuf, (size_t)f);
                goto next;
            }
        }
        if (have < length)
            return;
        /* A body that is not JSON and holds the start of a header (its
         * last bytes may still be on the way): the next message began
         * inside the declared length. */
        long inner = field_start_in(header_len, header_len + length);
        if (!dispatch(inbuf.data + header_len, length, inner >= 0)) {
            dap_log("framing: body shorter than its Content-Length %zu", length);
            dap_output("important",
                       "osdbg: malformed DAP input (a body shorter than its Content-Length of "
                       "%zu): message skipped\n",
                       length);
            buf_consume(&inbuf, (size_t)inner);
            continue;
        }
        buf_consume(&inbuf, header_len + length);
    next:;
    }
}

static void on_input(int fd, void *data)
{
    (void)data;
    long n = buf_read_fd(&inbuf, fd);
    if (n <= 0) {
        loop_unwatch(fd);
        dap_log("client closed the connection");
        if (close_fn)
            close_fn();
        return;
    }
    parse_input();
}

void dap_init(int in_fd, int out, const struct dap_request_entry *table, FILE *log)
{
    out_fd = out;
    handlers = table;
    logf = log;
    loop_watch(in_fd, on_input, 0);
}

static bool lines_from_1 = true, columns_from_1 = true;

void dap_set_origin(bool lines, bool columns)
{
    lines_from_1 = lines;
    columns_from_1 = columns;
}

int dap_line_out(int line)
{
    return line > 0 && !lines_from_1 ? line - 1 : line;
}

int dap_line_in(int line)
{
    return lines_from_1 ? line : line + 1;
}

int dap_column_out(int column)
{
    return column > 0 && !columns_from_1 ? column - 1 : column;
}
