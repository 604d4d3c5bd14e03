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

/* Time travel (target/timetravel.h): the OS's output replayed from the
 * start of a recording.  While a scan runs it is output the user has seen
 * already (dropped); while a goto runs it is the output up to the goto's
 * stop, which then becomes the console's whole content. */
static enum { REWIND_NONE, REWIND_DROP, REWIND_KEEP } rewinding;
static struct buf rewound;

void console_rewind_begin(bool keep)
{
    rewinding = keep ? REWIND_KEEP : REWIND_DROP;
    rewound.len = 0;
}

void console_rewind_end(void)
{
    if (rewinding == REWIND_KEEP) {
        console_line_end();
        /* A terminal is cleared and shows it; the Debug Console cannot be
         * cleared, and is told. */
        if (!console_relay_reset(rewound.data ? rewound.data : "", rewound.len))
            dap_output("console", "osdbg: back in time: the OS console now shows what the OS "
                                  "had written by this point (%zu bytes)\n",
                       rewound.len);
    }
    rewinding = REWIND_NONE;
    buf_free(&rewound);
}

void console_from_os(const char *text, size_t len)
{
    if (rewinding == REWIND_DROP)
        return;
    if (rewinding == REWIND_KEEP) {
        buf_append(&rewound, text, len);
        return;
    }
    /* With a terminal attached (runInTerminal), or one on its way, it shows
     * the console. */
    if (!console_relay_output(text, len))
        console_to_output(text, len);
}

