/*
 * Expressions evaluated by GDB (gdb.h: gdb_eval*), in a named language,
 * and QEMU's physical-memory mode: commands built on gdb_run, apart from
 * the MI driver itself (gdb.c), so that the unit tests' scripted GDB
 * (tests/adapter/scripted_gdb.c) runs this code as it is.
 */
#include "gdb/gdb.h"
#include "gdb/gdbexpr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GDB selects the frame of a stop lazily, at the first command that needs
 * it, and selecting a frame sets the current language to the frame's (GDB
 * manual, "Automatically"; stack.c select_frame).  The first expression
 * after a stop in Rust code would be parsed in C by its --language option
 * and then, the frame selected halfway, in Rust: "No symbol 'unsigned'".
 * So after a stop the frame is selected first, by a command that needs
 * it, and the language settles before an expression is parsed. */
static void settle_frame(void)
{
    if (!gdb_frame_unsettled_take())
        return;
    char err[256];
    gdb_cmd(err, sizeof err, "-stack-info-frame"); /* no frame (not started): fine */
}

static int ctx_thread;    /* 0: GDB's selected thread */
static int selected_hart; /* the selected thread's hart id */

void gdb_eval_set_thread(int thread)
{
    ctx_thread = thread;
}

int gdb_eval_thread(void)
{
    return ctx_thread;
}

void gdb_eval_set_selected_hart(int hart)
{
    selected_hart = hart;
}

char *gdb_hart_expr(const char *expr)
{
    int hart = ctx_thread > 0 ? ctx_thread - 1 : selected_hart;
    char id[16];
    snprintf(id, sizeof id, "%d", hart);
    size_t n = strlen(expr) + 1, idlen = strlen(id);
    for (const char *p = strstr(expr, "{hart}"); p; p = strstr(p + 6, "{hart}"))
        n += idlen;
    char *out = malloc(n), *o = out;
    for (const char *p = expr; *p;) {
        if (strncmp(p, "{hart}", 6) == 0) {
            memcpy(o, id, idlen);
            o += idlen;
            p += 6;
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    return out;
}

static const char *const lang_option[] = {
    [GDB_LANG_CURRENT] = "",
    [GDB_LANG_C] = "--language c ",
    [GDB_LANG_RUST] = "--language rust ",
};

static char *eval_v(enum gdb_lang lang, char *err, size_t errlen, const char *fmt, va_list ap)
{
    char *text = 0;
    if (vasprintf(&text, fmt, ap) < 0)
        return 0;
    char *expr = gdb_hart_expr(text);
    free(text);
    char *quoted = mi_quote(expr);
    free(expr);
    settle_frame();
    struct mi_record rec;
    char thread[32] = "";
    if (ctx_thread > 0)
        snprintf(thread, sizeof thread, "--thread %d ", ctx_thread);
    int r = gdb_run(&rec, err, errlen, "-data-evaluate-expression %s%s%s", thread,
                    lang_option[lang], quoted);
    free(quoted);
    if (r < 0)
        return 0;
    const char *v = mi_str(rec.results, "value");
    char *value = v ? strdup(v) : 0;
    if (!value)
        snprintf(err, errlen, "no value");
    mi_record_free(&rec);
    return value;
}

char *gdb_eval_in(enum gdb_lang lang, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = eval_v(lang, err, errlen, fmt, ap);
    va_end(ap);
    return v;
}

char *gdb_eval(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = eval_v(GDB_LANG_C, err, errlen, fmt, ap);
    va_end(ap);
    return v;
}

static bool eval_u64_v(enum gdb_lang lang, uint64_t *out, const char *fmt, va_list ap)
{
    char *expr = 0;
    if (vasprintf(&expr, fmt, ap) < 0)
        return 0;
    char err[256];
    /* In C the cast makes any scalar a number (an enum, a pointer that
     * would print as "(struct proc *) 0x..."); other languages have no
     * such cast in GDB's parsers, so their value's text is read. */
    char *v = lang == GDB_LANG_C ? gdb_eval_in(lang, err, sizeof err, "(unsigned long)(%s)", expr)
                                 : gdb_eval_in(lang, err, sizeof err, "%s", expr);
    free(expr);
    if (!v)
        return false;
    bool ok = gdb_value_number(v, out);
    free(v);
    return ok;
}

bool gdb_eval_u64_in(enum gdb_lang lang, uint64_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = eval_u64_v(lang, out, fmt, ap);
    va_end(ap);
    return ok;
}

bool gdb_eval_u64(uint64_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = eval_u64_v(GDB_LANG_C, out, fmt, ap);
    va_end(ap);
    return ok;
}


void gdb_physical_memory(bool on)
{
    char err[128];
    gdb_console(0, err, sizeof err, "maint packet Qqemu.PhyMemMode:%d", on ? 1 : 0);
}
