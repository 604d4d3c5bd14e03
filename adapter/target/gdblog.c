/*
 * GDB logpoints and conditions (gdblog.h): a log message's {expressions}
 * evaluated by GDB at the stop, printed as the eBPF logpoints print them.
 */
#include "target/gdblog.h"
#include "core/loop.h"
#include "dap/dap.h"
#include "dwarf/rvregs.h"
#include "gdb/gdb.h"
#include "gdb/gdbexpr.h"
#include "target/state.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does a hit-condition ("N", ">= N", "% N", "== N", "> N") allow a stop at
 * hit number `hits`? */
bool gdblog_hit_condition_met(const char *cond, int hits)
{
    if (!cond || !*cond)
        return true;
    while (*cond == ' ')
        cond++;
    long n;
    if (sscanf(cond, ">= %ld", &n) == 1)
        return hits >= n;
    if (sscanf(cond, "> %ld", &n) == 1)
        return hits > n;
    /* The eBPF logpoints take these too (logprog.c): a logpoint that falls
     * back to GDB keeps its meaning ("<= 3" printed every hit here). */
    if (sscanf(cond, "<= %ld", &n) == 1)
        return hits <= n;
    if (sscanf(cond, "< %ld", &n) == 1)
        return hits < n;
    if (sscanf(cond, "%% %ld", &n) == 1)
        return n > 0 && hits % n == 0;
    if (sscanf(cond, "== %ld", &n) == 1 || sscanf(cond, "%ld", &n) == 1)
        return hits == n;
    return true;
}

/* What a logpoint's {pid}, {comm} and {time} are at this stop, as the eBPF
 * logpoints have them (logprog.c); time counts from the first hit. */
static struct gdbexpr_event logpoint_event(void)
{
    static int64_t first_ms = -1;
    if (first_ms < 0)
        first_ms = loop_now_ms();
    return (struct gdbexpr_event){
        .pid = T.here.pid,
        .comm = T.here.program[0] ? T.here.program : "-",
        .time = (double)(loop_now_ms() - first_ms) / 1000.0,
    };
}

/* A value of a GDB logpoint's message, printed as the eBPF logpoints print
 * it: a bare register in hex, {comm} as text; the rest is GDB's. */
static char *log_value(const char *expr, char *err, size_t errlen)
{
    struct gdbexpr_event ev = logpoint_event();
    char name[64], buf[64];
    uint64_t v;
    if (sscanf(expr, " %63[A-Za-z0-9_] %c", name, &(char){0}) == 1) {
        if (!strcmp(name, "comm"))
            return strdup(ev.comm);
        if (rv_reg_index(name, strlen(name)) >= 0 && gdb_eval_u64(&v, "$%s", name)) {
            snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
            return strdup(buf);
        }
    }
    char *gdb_expr = gdbexpr_rewrite(expr, &ev);
    char *value = gdb_eval_in(GDB_LANG_CURRENT, err, errlen, "%s", gdb_expr);
    free(gdb_expr);
    /* Text as the eBPF logpoints print it: a char array ("hello", '\000'
     * <repeats 122 times>) or a char * (0x3fffffcf80 "hello") is its text. */
    const char *q = value ? value : "";
    while (*q == '0' || *q == 'x' || isxdigit((unsigned char)*q))
        q++;
    if (value &&
        (value[0] == '"' || (value[0] == '0' && value[1] == 'x' && q[0] == ' ' && q[1] == '"'))) {
        char text[256];
        parse_c_string(value, text, sizeof text);
        free(value);
        value = strdup(text);
    }
    return value;
}

static char *format_log_message(const char *msg)
{
    size_t cap = strlen(msg) + 256, len = 0;
    char *out = malloc(cap);
    for (const char *p = msg; *p;) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : 0;
        size_t lit = open && close ? (size_t)(open - p) : strlen(p);
        while (len + lit + 1 > cap)
            out = realloc(out, cap *= 2);
        memcpy(out + len, p, lit);
        len += lit;
        p += lit;
        if (!(open && close))
            break;
        char expr[256];
        snprintf(expr, sizeof expr, "%.*s", (int)(close - open - 1), open + 1);
        char err[256];
        char *v = log_value(expr, err, sizeof err);
        const char *val = v ? v : err;
        size_t vl = strlen(val);
        while (len + vl + 1 > cap)
            out = realloc(out, cap *= 2);
        memcpy(out + len, val, vl);
        len += vl;
        free(v);
        p = close + 1;
    }
    out[len] = 0;
    return out;
}

void gdblog_print(const struct bp *bp)
{
    char *text = format_log_message(bp->log_message);
    size_t n = strlen(text);
    text = realloc(text, n + 2);
    memcpy(text + n, "\n", 2);
    /* With its source line, as the eBPF logpoints' output. */
    json_t *body = json_pack("{s:s, s:s}", "category", "console", "output", text);
    if (bp->source)
        json_object_set_new(body, "source", json_pack("{s:s}", "path", bp->source));
    if (bp->line)
        json_object_set_new(body, "line", json_integer(dap_line_out(bp->line)));
    dap_event("output", body);
    free(text);
}

/* A breakpoint's condition, with text compared by $_streq; a logpoint's
 * also with its names (pid, comm, registers) read as in eBPF. */
bool gdblog_condition_true(const struct bp *b)
{
    const char *cond = b->condition;
    if (!cond || !*cond)
        return true;
    char err[256];
    struct gdbexpr_event ev;
    if (b->log_message)
        ev = logpoint_event();
    char *gdb_cond = gdbexpr_rewrite(cond, b->log_message ? &ev : 0);
    char *v = gdb_eval_in(GDB_LANG_CURRENT, err, sizeof err, "%s", gdb_cond);
    free(gdb_cond);
    if (!v) {
        dap_output("stderr", "osdbg: breakpoint condition '%s': %s (stopping)\n", cond, err);
        return true;
    }
    bool t = strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
    free(v);
    return t;
}
