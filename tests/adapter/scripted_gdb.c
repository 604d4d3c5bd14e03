/*
 * The scripted GDB (scripted_gdb.h): adapter/gdb/gdb.h answered from a
 * model of the machine.  Each command becomes the text of GDB's result
 * record, which the adapter's real parser (mi_parse.c) reads, as gdb.c
 * would: the commands the adapter sends and the records it reads are
 * exactly those of a session with gdb-multiarch.
 */
#include "scripted_gdb.h"
#include "gdb/gdb.h"
#include "gdb/gdbexpr.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 64
#define MAX_BPS    64
#define MAX_STOPS  16

static struct {
    char *expr, *value;
} values[MAX_VALUES];
static int nvalues;

static struct {
    char *name;
    uint64_t addr;
} locations[16];
static int nlocations;

static struct {
    int number;
    uint64_t addr;
    bool enabled, deleted;
} bps[MAX_BPS];
static int nbps, next_number;

static char *stops[MAX_STOPS]; /* queued: one per resume */
static int nstops;
static char *interrupt_record;
static char *pending; /* written by GDB, not taken yet */
static char *log_text;
static size_t log_len;
static int resumes;
static char language[8] = "c";       /* GDB's current language */
static char frame_language[8] = "c"; /* the language of the code stopped in */
static bool frame_selected = true;   /* GDB selects a stop's frame lazily */
static bool unsettled;               /* for gdb_frame_unsettled_take */
static bool running; /* resumed, and no stop queued yet: the next one queued is reached */
static bool alive = true;
/* Harts: GDB's threads.  Values set for one thread (sg_thread_value) are
 * its own; the others are every thread's. */
static int nthreads = 1;
static int cur_thread = 1;    /* GDB's selected thread */
static int record_thread = 1; /* the thread the stop records made now name */
static int cmd_thread = 1;    /* the thread the command being answered is for */

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : 0;
}

static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = 0;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

void sg_reset(void)
{
    for (int i = 0; i < nvalues; i++) {
        free(values[i].expr);
        free(values[i].value);
    }
    for (int i = 0; i < nlocations; i++)
        free(locations[i].name);
    for (int i = 0; i < nstops; i++)
        free(stops[i]);
    nvalues = nlocations = nbps = nstops = resumes = 0;
    running = false;
    next_number = 1;
    free(interrupt_record);
    free(pending);
    free(log_text);
    interrupt_record = pending = log_text = 0;
    log_len = 0;
    alive = true;
    nthreads = cur_thread = record_thread = cmd_thread = 1;
}

void sg_threads(int n)
{
    nthreads = n;
}

void sg_stops_on_thread(int thread)
{
    record_thread = thread;
}

void sg_thread_value(int thread, const char *expr, const char *value)
{
    char *key = xasprintf("#%d#%s", thread, expr);
    sg_value(key, value);
    free(key);
}

void sg_value(const char *expr, const char *value)
{
    for (int i = 0; i < nvalues; i++) {
        if (!strcmp(values[i].expr, expr)) {
            free(values[i].value);
            values[i].value = xstrdup(value);
            return;
        }
    }
    if (nvalues == MAX_VALUES)
        abort();
    values[nvalues].expr = xstrdup(expr);
    values[nvalues++].value = xstrdup(value);
}

void sg_forget(const char *expr)
{
    for (int i = 0; i < nvalues; i++) {
        if (!strcmp(values[i].expr, expr)) {
            free(values[i].expr);
            free(values[i].value);
            values[i] = values[--nvalues];
            return;
        }
    }
}

void sg_language(const char *lang)
{
    snprintf(frame_language, sizeof frame_language, "%s", lang);
}

/* GDB selects the stop's frame at the first command that needs one, and
 * takes the frame's language then (stack.c select_frame). */
static void select_frame(void)
{
    if (!frame_selected) {
        frame_selected = true;
        strcpy(language, frame_language);
    }
}

static const char *value_of(const char *expr)
{
    char *key = xasprintf("#%d#%s", cmd_thread, expr);
    for (int i = 0; i < nvalues; i++) {
        if (!strcmp(values[i].expr, key)) {
            free(key);
            return values[i].value;
        }
    }
    free(key);
    for (int i = 0; i < nvalues; i++)
        if (!strcmp(values[i].expr, expr))
            return values[i].value;
    if (expr[0] && strspn(expr, "0123456789") == strlen(expr))
        return expr; /* a number is its own value */
    return 0;
}

void sg_here(int priv, uint64_t pc, const char *program, int pid)
{
    char v[128];
    snprintf(v, sizeof v, "%d", priv);
    sg_value("$priv", v);
    snprintf(v, sizeof v, "0x%" PRIx64, pc);
    sg_value("$pc", v);
    /* A char[16] as GDB prints it, NULs and all. */
    snprintf(v, sizeof v, "\"%s\", '\\000' <repeats %d times>", program,
             16 - (int)strlen(program) - 1);
    sg_value("cpus[0].proc->name", program[0] ? v : "'\\000' <repeats 15 times>");
    snprintf(v, sizeof v, "%d", pid);
    sg_value("cpus[0].proc->pid", v);
}

void sg_location(const char *name, uint64_t addr)
{
    locations[nlocations].name = xstrdup(name);
    locations[nlocations++].addr = addr;
}

void sg_queue_stop(const char *record)
{
    if (running && !pending) {
        pending = xstrdup(record); /* the running machine gets there */
        running = false;
        return;
    }
    if (nstops == MAX_STOPS)
        abort();
    stops[nstops++] = xstrdup(record);
}

void sg_interrupt_with(const char *record)
{
    free(interrupt_record);
    interrupt_record = xstrdup(record);
}

bool sg_take_stop(struct mi_record *rec)
{
    if (!pending)
        return false;
    unsettled = true;
    frame_selected = false;
    char err[256];
    int r = mi_parse_line(pending, strlen(pending), rec, err, sizeof err);
    free(pending);
    pending = 0;
    if (r < 0) {
        fprintf(stderr, "scripted gdb: a record of its own does not parse: %s\n", err);
        abort();
    }
    /* GDB selects the thread that stopped. */
    const char *t = mi_str(rec->results, "thread-id");
    cur_thread = cmd_thread = t ? atoi(t) : 1;
    return true;
}

/* The frame part of a stop, as GDB 13.1 writes it (the function and line
 * do not matter to the stop policy: only the address does). */
#define FRAME "frame={addr=\"0x%016" PRIx64 "\",func=\"f\",args=[],arch=\"riscv:rv64\"}"
#define TAIL  ",thread-id=\"%d\",stopped-threads=\"all\""

char *sg_stopped_breakpoint(int number, uint64_t pc)
{
    return xasprintf("*stopped,reason=\"breakpoint-hit\",disp=\"keep\",bkptno=\"%d\"," FRAME TAIL,
                     number, pc, record_thread);
}

char *sg_stopped_step(uint64_t pc)
{
    return xasprintf("*stopped,reason=\"end-stepping-range\"," FRAME TAIL, pc, record_thread);
}

char *sg_stopped_sigint(uint64_t pc)
{
    return xasprintf("*stopped,reason=\"signal-received\",signal-name=\"SIGINT\","
                     "signal-meaning=\"Interrupt\"," FRAME TAIL,
                     pc, record_thread);
}

int sg_breakpoint_at(uint64_t addr)
{
    for (int i = 0; i < nbps; i++)
        if (!bps[i].deleted && bps[i].addr == addr)
            return bps[i].number;
    return 0;
}

bool sg_breakpoint_enabled(int number)
{
    for (int i = 0; i < nbps; i++)
        if (bps[i].number == number && !bps[i].deleted)
            return bps[i].enabled;
    return false;
}

const char *sg_commands(void)
{
    return log_text ? log_text : "";
}

int sg_count(const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *l = sg_commands(); *l;) {
        if (!strncmp(l, prefix, len))
            n++;
        const char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : l + strlen(l);
    }
    return n;
}

int sg_resumes(void)
{
    return resumes;
}

static void log_command(const char *cmd)
{
    size_t n = strlen(cmd);
    log_text = realloc(log_text, log_len + n + 2);
    memcpy(log_text + log_len, cmd, n);
    log_len += n;
    log_text[log_len++] = '\n';
    log_text[log_len] = 0;
}

/* An MI c-string argument's text ("..." with escapes), as GDB reads it. */
static char *unquote(const char *s)
{
    if (*s != '"')
        return xstrdup(s);
    char *out = malloc(strlen(s) + 1);
    size_t k = 0;
    for (s++; *s && *s != '"'; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            out[k++] = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        } else {
            out[k++] = *s;
        }
    }
    out[k] = 0;
    return out;
}

/* GDB's MI c-string form of a value. */
static char *quote(const char *s)
{
    char *out = malloc(2 * strlen(s) + 3), *p = out;
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            *p++ = '\\';
        *p++ = *s;
    }
    *p++ = '"';
    *p = 0;
    return out;
}

static char *error_record(const char *msg)
{
    char *q = quote(msg);
    char *r = xasprintf("^error,msg=%s", q);
    free(q);
    return r;
}

/* What GDB evaluates: an assignment ($sie = 0) gives its value; a cast
 * "(unsigned long)(E)" (gdb_eval_u64) gives E's number; else the model. */
static char *evaluate(const char *expr, const char *lang)
{
    /* What each parser refuses (GDB 13.1's words). */
    if (!strcmp(lang, "rust") && (strstr(expr, "(unsigned") || strstr(expr, "(long)") ||
                                  strstr(expr, "->") || strstr(expr, "*(")))
        return xstrdup("^error,msg=\"No symbol 'unsigned' in current context\"");
    if (!strcmp(lang, "c") && (strstr(expr, "::") || strstr(expr, " as ")))
        return xstrdup("^error,msg=\"A syntax error in expression, near `::'.\"");
    const char *eq = strstr(expr, " = ");
    if (eq && expr[0] == '$')
        return xasprintf("^done,value=\"%s\"", eq + 3);
    /* gdb_eval_u64's cast, and the (long) of the hooks' pid expressions. */
    const char *cast = !strncmp(expr, "(unsigned long)(", 16) ? "(unsigned long)("
                       : !strncmp(expr, "(long)(", 7)          ? "(long)("
                                                               : 0;
    if (cast) {
        char *inner = xstrdup(expr + strlen(cast));
        inner[strlen(inner) - 1] = 0;
        const char *v = value_of(inner);
        char *r;
        if (!v) {
            r = xasprintf("^error,msg=\"No symbol \\\"%s\\\" in current context.\"", inner);
        } else {
            /* A pointer prints as "(struct proc *) 0x...": the number. */
            const char *num = strstr(v, "0x") ? strstr(v, "0x") : v;
            r = xasprintf("^done,value=\"%llu\"", strtoull(num, 0, 0));
        }
        free(inner);
        return r;
    }
    const char *v = value_of(expr);
    if (!v)
        return xasprintf("^error,msg=\"No symbol \\\"%s\\\" in current context.\"", expr);
    char *q = quote(v);
    char *r = xasprintf("^done,value=%s", q);
    free(q);
    return r;
}

static char *break_insert(const char *location)
{
    uint64_t addr = 0;
    if (location[0] == '*') {
        addr = strtoull(location + 1, 0, 0);
    } else {
        for (int i = 0; i < nlocations && !addr; i++)
            if (!strcmp(locations[i].name, location))
                addr = locations[i].addr;
        if (!addr)
            return xasprintf("^error,msg=\"Function \\\"%s\\\" not defined.\"", location);
    }
    if (nbps == MAX_BPS)
        abort();
    int n = next_number++;
    bps[nbps].number = n;
    bps[nbps].addr = addr;
    bps[nbps].enabled = true;
    bps[nbps++].deleted = false;
    return xasprintf("^done,bkpt={number=\"%d\",type=\"breakpoint\",disp=\"keep\",enabled=\"y\","
                     "addr=\"0x%016" PRIx64 "\",func=\"f\",thread-groups=[\"i1\"],times=\"0\","
                     "original-location=\"%s\"}",
                     n, addr, location);
}

static char *break_change(const char *args, int what) /* 0 delete, 1 enable, 2 disable */
{
    int n = atoi(args);
    for (int i = 0; i < nbps; i++) {
        if (bps[i].number == n && !bps[i].deleted) {
            if (what == 0)
                bps[i].deleted = true;
            else
                bps[i].enabled = what == 1;
            return xstrdup("^done");
        }
    }
    return xasprintf("^error,msg=\"No breakpoint number %d.\"", n);
}

/* A resume: the machine runs to its next queued stop (none: it runs on). */
static char *resume(const char *cmd)
{
    resumes++;
    free(pending);
    pending = 0;
    running = false;
    if (nstops) {
        pending = stops[0];
        memmove(stops, stops + 1, (size_t)--nstops * sizeof *stops);
    } else if (!strcmp(cmd, "-exec-step-instruction")) {
        uint64_t pc = strtoull(value_of("$pc") ? value_of("$pc") : "0", 0, 0);
        pending = sg_stopped_step(pc + 4);
    } else {
        running = true;
    }
    return xstrdup("^running");
}

static char *answer(const char *cmd)
{
    log_command(cmd);
    cmd_thread = cur_thread;
    if (!strncmp(cmd, "-thread-list-ids", 16)) {
        char ids[256] = "";
        for (int t = 1; t <= nthreads; t++)
            snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%sthread-id=\"%d\"",
                     t > 1 ? "," : "", t);
        return xasprintf("^done,thread-ids={%s},current-thread-id=\"%d\",number-of-threads=\"%d\"",
                         ids, cur_thread, nthreads);
    }
    if (!strncmp(cmd, "-thread-select ", 15)) {
        int t = atoi(cmd + 15);
        if (t < 1 || t > nthreads)
            return error_record("Invalid thread id");
        cur_thread = t;
        return xasprintf("^done,new-thread-id=\"%d\",frame={level=\"0\",addr=\"0x0\","
                         "func=\"f\",args=[],arch=\"riscv:rv64\"}",
                         t);
    }
    if (!strncmp(cmd, "-gdb-set ", 9))
        return xstrdup("^done");
    if (!strncmp(cmd, "-data-evaluate-expression ", 26)) {
        const char *arg = cmd + 26, *lang = language;
        if (!strncmp(arg, "--thread ", 9)) {
            cmd_thread = atoi(arg + 9);
            arg = strchr(arg + 9, ' ') + 1;
        }
        if (!strncmp(arg, "--language c ", 13))
            lang = "c", arg += 13;
        else if (!strncmp(arg, "--language rust ", 16))
            lang = "rust", arg += 16;
        /* The quirk: a frame selected halfway through this command sets
         * the language its --language had set. */
        if (!frame_selected) {
            select_frame();
            lang = language;
        }
        char *expr = unquote(arg);
        char *r = evaluate(expr, lang);
        free(expr);
        return r;
    }
    if (!strncmp(cmd, "-break-insert ", 14))
        return break_insert(cmd + 14);
    if (!strncmp(cmd, "-break-delete ", 14))
        return break_change(cmd + 14, 0);
    if (!strncmp(cmd, "-break-enable ", 14))
        return break_change(cmd + 14, 1);
    if (!strncmp(cmd, "-break-disable ", 15))
        return break_change(cmd + 15, 2);
    if (!strcmp(cmd, "-exec-continue") || !strncmp(cmd, "-exec-next", 10) ||
        !strncmp(cmd, "-exec-step", 10) || !strcmp(cmd, "-exec-finish"))
        return resume(cmd);
    if (!strcmp(cmd, "-exec-interrupt")) {
        running = false;
        free(pending);
        uint64_t pc = strtoull(value_of("$pc") ? value_of("$pc") : "0", 0, 0);
        pending = interrupt_record ? xstrdup(interrupt_record) : sg_stopped_sigint(pc);
        free(interrupt_record);
        interrupt_record = 0;
        return xstrdup("^done");
    }
    if (!strcmp(cmd, "-data-read-memory-bytes $pc 4")) {
        const char *insn = value_of("*$pc");
        return xasprintf("^done,memory=[{begin=\"0x0\",offset=\"0x0\",end=\"0x4\",contents=\"%s\"}]",
                         insn ? insn : "13000000" /* nop */);
    }
    if (!strncmp(cmd, "-interpreter-exec console ", 26))
        return xstrdup("^done");
    if (!strcmp(cmd, "-stack-info-frame")) {
        select_frame();
        return xstrdup("^done,frame={level=\"0\",addr=\"0x0\",func=\"f\",arch=\"riscv:rv64\"}");
    }
    return error_record("scripted gdb: no answer for this command");
}

/* ---- adapter/gdb/gdb.h ----------------------------------------------- */

int gdb_start(const char *gdb_path, const struct gdb_handlers *h, char *err, size_t errlen)
{
    (void)gdb_path, (void)h, (void)err, (void)errlen;
    alive = true;
    return 0;
}

bool gdb_alive(void)
{
    return alive;
}

static int run_v(struct mi_record *rec, char *err, size_t errlen, const char *fmt, va_list ap)
{
    char *cmd = 0;
    if (vasprintf(&cmd, fmt, ap) < 0)
        abort();
    char *text = answer(cmd);
    free(cmd);
    struct mi_record r;
    char perr[256];
    if (mi_parse_line(text, strlen(text), &r, perr, sizeof perr) < 0) {
        fprintf(stderr, "scripted gdb: its own record does not parse: %s: %s\n", text, perr);
        abort();
    }
    free(text);
    if (!strcmp(r.klass, "error")) {
        const char *msg = mi_str(r.results, "msg");
        snprintf(err, errlen, "%s", msg ? msg : "error");
        mi_record_free(&r);
        return -1;
    }
    if (rec)
        *rec = r;
    else
        mi_record_free(&r);
    return 0;
}

int gdb_run(struct mi_record *rec, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = run_v(rec, err, errlen, fmt, ap);
    va_end(ap);
    return r;
}

int gdb_cmd(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = run_v(0, err, errlen, fmt, ap);
    va_end(ap);
    return r;
}

int gdb_console(char **out, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = 0;
    if (vasprintf(&line, fmt, ap) < 0)
        abort();
    va_end(ap);
    char *quoted = mi_quote(line);
    free(line);
    int r = gdb_cmd(err, errlen, "-interpreter-exec console %s", quoted);
    free(quoted);
    if (out)
        *out = strdup("");
    return r;
}

/* A stop leaves GDB's frame unselected (scripted: frame_selected). */
bool gdb_frame_unsettled_take(void)
{
    bool was = unsettled;
    unsettled = false;
    return was;
}

int gdb_wait_stopped(struct mi_record *rec, long ms)
{
    (void)ms;
    return sg_take_stop(rec) ? 0 : -1;
}

bool gdb_stop_queued(void)
{
    return pending != 0;
}

void gdb_stop(void)
{
    alive = false;
}

void gdb_set_timeout(long ms)
{
    (void)ms;
}
