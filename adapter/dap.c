#include "dap.h"
#include "buf.h"
#include "loop.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

/* A message larger than this is refused (and skipped) rather than
 * buffered: no legitimate request comes close. */
#define DAP_MAX_MESSAGE (64 << 20)

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
    size_t off = 0;
    while (off < out.len) {
        ssize_t n = write(out_fd, out.data + off, out.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the client is gone; the read side will notice */
        off += (size_t)n;
    }
    buf_free(&out);
}

void dap_respond(json_t *req, json_t *body)
{
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

static void dispatch(const char *text, size_t len)
{
    json_error_t jerr;
    json_t *msg = json_loadb(text, len, 0, &jerr);
    dap_log("-> %.*s", (int)len, text);
    if (!msg || !json_is_object(msg)) {
        dap_error(0, "malformed DAP message: %s", msg ? "not a JSON object" : jerr.text);
        json_decref(msg);
        return;
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
        return;
    }
    if (!type || strcmp(type, "request") != 0 || !command ||
        !json_is_integer(json_object_get(msg, "seq"))) {
        dap_error(msg, "malformed DAP request: needs \"type\":\"request\", an integer \"seq\" and "
                       "a \"command\"");
        json_decref(msg);
        return;
    }
    json_t *args = json_object_get(msg, "arguments");
    if (args && !json_is_object(args)) {
        dap_error(msg, "malformed DAP request: \"arguments\" must be an object");
        json_decref(msg);
        return;
    }
    for (const struct dap_request_entry *e = handlers; e->command; e++) {
        if (strcmp(e->command, command) == 0) {
            json_t *empty = 0;
            if (!args)
                args = empty = json_object();
            e->fn(msg, args);
            json_decref(empty);
            json_decref(msg);
            return;
        }
    }
    dap_error(msg, "unsupported request '%s'", command);
    json_decref(msg);
}

/* Take every complete message out of inbuf. */
static void parse_input(void)
{
    for (;;) {
        char *end = strstr(inbuf.data ? inbuf.data : "", "\r\n\r\n");
        if (!end)
            return;
        size_t header_len = (size_t)(end - inbuf.data) + 4;
        long length = -1;
        for (char *line = inbuf.data; line < end;) {
            char *eol = strstr(line, "\r\n");
            if (strncasecmp(line, "Content-Length:", 15) == 0) {
                char *num_end;
                long v = strtol(line + 15, &num_end, 10);
                if (num_end != line + 15 && num_end <= eol && v >= 0)
                    length = v;
            }
            line = eol + 2;
        }
        if (length < 0 || length > DAP_MAX_MESSAGE) {
            dap_error(0, "malformed DAP header (no valid Content-Length); message skipped");
            buf_consume(&inbuf, header_len);
            continue;
        }
        if (inbuf.len < header_len + (size_t)length)
            return;
        dispatch(inbuf.data + header_len, (size_t)length);
        buf_consume(&inbuf, header_len + (size_t)length);
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
