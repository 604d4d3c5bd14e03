/*
 * The Debug Adapter Protocol transport (DAP specification, "Base
 * Protocol"): messages framed by a "Content-Length: N\r\n\r\n" header,
 * JSON bodies (jansson).  Requests are dispatched to the handler table
 * given to dap_init (dap/handler/table.c); a handler answers with dap_respond/dap_error before it returns:
 * every request gets exactly one response (dispatch answers for a handler
 * that did not; a second response is dropped).
 */
#ifndef ADAPTER_DAP_H
#define ADAPTER_DAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef void (*dap_handler)(json_t *req, json_t *args);

struct dap_request_entry {
    const char *command;
    dap_handler fn;
};

/* Serve DAP on in_fd/out_fd with the given handler table (ending in {0}).
 * log, if not 0, receives every message in both directions. */
void dap_init(int in_fd, int out_fd, const struct dap_request_entry *table, FILE *log);
/* A success response to req, with body (stolen; may be 0). */
void dap_respond(json_t *req, json_t *body);
/* Has the request being handled had its response? */
bool dap_answered(json_t *req);
/* A failure response with a message shown to the user. */
void dap_error(json_t *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An event with body (stolen; may be 0). */
void dap_event(const char *event, json_t *body);
/* An output event: category "console", "stdout", "stderr" or "important". */
void dap_output(const char *category, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A request from the adapter to the client (a "reverse request", e.g.
 * runInTerminal).  on_response (may be 0) gets the client's answer: success,
 * and its message when it failed. */
typedef void (*dap_response_fn)(bool ok, const char *message);
void dap_reverse_request(const char *command, json_t *arguments, dap_response_fn on_response);
/* Write a line to the adapter's own log (--log), if any. */
void dap_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Called once the client's input ends. */
void dap_on_close(void (*fn)(void));

/* Lines and columns as the client counts them (initialize's linesStartAt1
 * and columnsStartAt1, default true): the adapter works with 1-based
 * lines; these convert at the DAP boundary.  A 0 line (no line) stays 0. */
void dap_set_origin(bool lines_from_1, bool columns_from_1);
int dap_line_out(int line);
int dap_line_in(int line);
int dap_column_out(int column);

#endif
