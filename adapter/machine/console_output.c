/*
 * The OS console as DAP output events (category stdout), a line at a time.
 */
#include "machine/console_output.h"
#include "core/buf.h"
#include "core/loop.h"
#include "dap/dap.h"
#include "machine/console.h"

#include <stdlib.h>

/* Console bytes become "stdout" output events; JSON needs valid UTF-8, so
 * anything else is shown as '?'. */
static void emit_console(const char *text, size_t len)
{
    char *clean = malloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\r')
            continue;
        clean[k++] =
            (c < 0x80 && (c >= 0x20 || c == '\n' || c == '\t' || c == '\b')) ? (char)c : '?';
    }
    clean[k] = 0;
    if (k)
        dap_event("output", json_pack("{s:s, s:s}", "category", "stdout", "output", clean));
    free(clean);
}

/* The console goes out a line at a time: the OS's lines arrive in pieces,
 * and a logpoint's or trace's line sent between two pieces would land in
 * the middle of the console's line.  A line the OS leaves unfinished (a
 * prompt) goes out after CONSOLE_LINE_MS. */
#define CONSOLE_LINE_MS 50
static struct buf console_line;
static long console_line_timer;

static void flush_console_line(void *data)
{
    (void)data;
    console_line_timer = 0;
    emit_console(console_line.data, console_line.len);
    console_line.len = 0;
}

/* The machine is gone: its last, unfinished line now. */
void console_line_end(void)
{
    if (console_line_timer) {
        loop_cancel(console_line_timer);
        flush_console_line(0);
    }
}

void console_to_output(const char *text, size_t len)
{
    buf_append(&console_line, text, len);
    size_t done = console_line.len;
    while (done && console_line.data[done - 1] != '\n')
        done--;
    if (done) {
        emit_console(console_line.data, done);
        buf_consume(&console_line, done);
    }
    if (console_line.len && !console_line_timer)
        console_line_timer = loop_timer(CONSOLE_LINE_MS, flush_console_line, 0);
}

void console_from_os(const char *text, size_t len)
{
    /* With a terminal attached (runInTerminal), or one on its way, it shows
     * the console. */
    if (!console_relay_output(text, len))
        console_to_output(text, len);
}

