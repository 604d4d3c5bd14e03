/*
 * Looking at a stopped OS: stackTrace, scopes, variables, evaluate,
 * readMemory.  A frame's DAP id names its thread (hart) too:
 * thread * FRAME_STRIDE + its number in that thread's stack.  Variable
 * references: a frame's Locals scope is frameId * 4 + 1, its Registers
 * scope frameId * 4 + 2; GDB variable objects (for structured values) get
 * references from VAROBJ_BASE up and live until the target runs again or
 * another hart is looked at.
 */
#include "dwarf/debuginfo.h"
#include "gdb/gdb.h"
#include "dwarf/rvregs.h"
#include "dap/handler/handlers.h"
#include "target/harts.h"
#include "target/programs.h"
#include "target/state.h"
#include "target/timetravel.h"
#include "trace/tracecmd.h"
#include "target/xstack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_STRIDE    16384    /* frames per thread (the trap label is number + 1000) */
#define VAROBJ_BASE     (1 << 24) /* above MAX_HARTS * FRAME_STRIDE * 4 */
#define SCOPE_LOCALS    1
#define SCOPE_REGISTERS 2

static struct varobj {
    char *name; /* GDB's varobj name */
} * varobjs;
static int nvarobjs;

static char *path_expr;

/* Children of a varobj are named "<parent>.<child>"; GDB tells the C
 * expression of one with -var-info-path-expression.  For a Locals scope
 * the name is the expression. */
const char *inspect_varobj_expression(int ref, const char *name)
{
    free(path_expr);
    path_expr = 0;
    if (ref >= 4 && ref < VAROBJ_BASE && ref % 4 == SCOPE_LOCALS)
        return path_expr = strdup(name);
    if (ref < VAROBJ_BASE || ref - VAROBJ_BASE >= nvarobjs)
        return 0;
    char err[256], child[512];
    struct mi_record rec;
    snprintf(child, sizeof child, "%s.%s", varobjs[ref - VAROBJ_BASE].name, name);
    if (gdb_run(&rec, err, sizeof err, "-var-info-path-expression %s", child) < 0)
        return 0;
    const char *e = mi_str(rec.results, "path_expr");
    path_expr = e ? strdup(e) : 0;
    mi_record_free(&rec);
    return path_expr;
}

void inspect_reset(void)
{
    char err[256];
    for (int i = 0; i < nvarobjs; i++) {
        /* Deleting the roots deletes their children too. */
        if (!strchr(varobjs[i].name, '.') && gdb_alive())
            gdb_cmd(err, sizeof err, "-var-delete %s", varobjs[i].name);
        free(varobjs[i].name);
    }
    free(varobjs);
    varobjs = 0;
    nvarobjs = 0;
    xstack_forget_children();
}

static int add_varobj(const char *name)
{
    varobjs = realloc(varobjs, (size_t)(nvarobjs + 1) * sizeof *varobjs);
    varobjs[nvarobjs].name = strdup(name);
    return VAROBJ_BASE + nvarobjs++;
}

static bool target_stopped(json_t *req)
{
    bool over = !gdb_alive(); /* the session has ended (terminate) */
    if (T.state == TARGET_STOPPED && !over)
        return true;
    /* Going back in time (target/timetravel.h) the OS runs for a moment,
     * with a stopped event to come; after terminate there is nothing left:
     * a view's request still on its way is answered empty, as nothing to
     * show, not with an error the editor would show the user (a pop-up in
     * the next session's window). */
    const char *cmd = json_string_value(json_object_get(req, "command"));
    bool quiet = tt_busy() || over;
    if (quiet && cmd && strcmp(cmd, "stackTrace") == 0) {
        dap_respond(req, json_pack("{s:[], s:i}", "stackFrames", "totalFrames", 0));
        return false;
    }
    if (quiet && cmd && strcmp(cmd, "variables") == 0) {
        dap_respond(req, json_pack("{s:[]}", "variables"));
        return false;
    }
    dap_error(req, "the OS is running; pause it first");
    return false;
}

static json_t *source_json(const char *file, const char *fullname)
{
    const char *base = file ? strrchr(file, '/') : 0;
    json_t *s = json_pack("{s:s}", "name", base ? base + 1 : file ? file : "?");
    if (fullname)
        json_object_set_new(s, "path", json_string(fullname));
    return s;
}

/* The selected hart's stack, frames numbered from 1 in it (the DAP ids
 * add the thread); 0 with err if GDB cannot list it. */
static json_t *stack_frames(int start, int levels, int *totalp, char *err, size_t errlen)
{
    struct mi_record rec;
    if (gdb_run(&rec, err, errlen, "-stack-list-frames") < 0)
        return 0;
    json_t *stack = json_object_get(rec.results, "stack");
    json_t *frames = json_array();
    size_t total = json_array_size(stack);
    /* Below the trap entry GDB finds only the trampoline (unknown to it):
     * the trapped program's own frames take its place (xstack.c). */
    json_t *user = xstack_user_frames(stack, 0);
    if (json_array_size(user) && T.profile->trap_entry) {
        for (size_t i = 0; i < total; i++) {
            const char *func = mi_str(json_array_get(stack, i), "func");
            if (debuginfo_same_function(func, T.profile->trap_entry)) {
                total = i + 1;
                break;
            }
        }
    }
    /* In user mode GDB stops unwinding at a uretprobe's trampoline: the
     * frames from there on come from the probe's records (xstack.c). */
    json_t *more = 0;
    if (!json_array_size(user))
        total = xstack_after_trampoline(stack, &more);
    const char *label = T.here.priv == 0 && T.here.program[0] ? T.here.program : "kernel";
    /* A program's entry function is its outermost frame, whatever its name
     * (xv6's _main): GDB would go on unwinding into whatever lies beyond. */
    struct debuginfo *di = T.here.priv == 0 && T.here.program[0] ? user_debuginfo(T.here.program) : 0;
    const char *entry = di ? debuginfo_function_at(di, debuginfo_entry(di)) : 0;
    for (size_t i = 0; entry && i < total; i++) {
        if (debuginfo_same_function(mi_str(json_array_get(stack, i), "func"), entry)) {
            total = i + 1;
            break;
        }
    }
    for (size_t i = (size_t)start; i < total && (levels <= 0 || (int)(i - start) < levels); i++) {
        json_t *f = json_array_get(stack, i);
        const char *func = mi_str(f, "func");
        const char *addr = mi_str(f, "addr");
        const char *file = mi_str(f, "file");
        const char *full = mi_str(f, "fullname");
        const char *line = mi_str(f, "line");
        char name[256];
        snprintf(name, sizeof name, "%s [%s]", func ? func : addr ? addr : "??", label);
        json_t *jf =
            json_pack("{s:i, s:s, s:i, s:i}", "id", (int)i + 1, "name", name, "line",
                      dap_line_out(line ? atoi(line) : 0), "column", dap_column_out(line ? 1 : 0));
        if (file || full)
            json_object_set_new(jf, "source", source_json(file, full));
        if (addr)
            json_object_set_new(jf, "instructionPointerReference", json_string(addr));
        json_array_append_new(frames, jf);
    }
    /* Below the kernel's frames, the user program it is serving (ids after
     * the kernel's). */
    for (size_t i = 0; i < json_array_size(user); i++)
        json_object_set_new(json_array_get(user, i), "id",
                            json_integer((json_int_t)(total + 1 + i)));
    xstack_bind_ids(more ? more : user);
    if (json_array_size(user) && (levels <= 0 || (int)json_array_size(frames) < levels)) {
        json_array_append_new(frames,
                              json_pack("{s:i, s:s, s:i, s:i, s:s}", "id", (int)total + 1000,
                                        "name", "── trap from user mode ──", "line", 0, "column", 0,
                                        "presentationHint", "label"));
        json_array_extend(frames, user);
    }
    total += json_array_size(user) ? json_array_size(user) + 1 : 0;
    json_decref(user);
    if (more) {
        for (size_t i = 0;
             i < json_array_size(more) && (levels <= 0 || (int)json_array_size(frames) < levels);
             i++)
            if ((int)(total + i) >= start)
                json_array_append(frames, json_array_get(more, i));
        total += json_array_size(more);
        json_decref(more);
    }
    mi_record_free(&rec);
    *totalp = (int)total;
    return frames;
}

/* Make thread the selected one for a request about one of its frames
 * (its stack is listed again, so that frames osdbg unwound itself have
 * their numbers).  false with the request answered if it cannot be. */
static bool on_thread(json_t *req, int thread)
{
    if (thread == T.thread)
        return true;
    char err[256];
    inspect_reset();
    int total;
    json_t *frames = 0;
    if (harts_select(thread, err, sizeof err) < 0 ||
        !(frames = stack_frames(0, 0, &total, err, sizeof err))) {
        dap_error(req, "%s", err);
        return false;
    }
    json_decref(frames);
    return true;
}

void req_stack_trace(json_t *req, json_t *args)
{
    if (!target_stopped(req))
        return;
    int start = (int)json_integer_value(json_object_get(args, "startFrame"));
    int levels = (int)json_integer_value(json_object_get(args, "levels"));
    json_t *jthread = json_object_get(args, "threadId");
    if (json_is_integer(jthread) && !on_thread(req, (int)json_integer_value(jthread)))
        return;
    char err[256];
    int total;
    json_t *frames = stack_frames(start, levels, &total, err, sizeof err);
    if (!frames) {
        dap_error(req, "stackTrace: %s", err);
        return;
    }
    size_t i;
    json_t *f;
    json_array_foreach(frames, i, f)
    {
        json_int_t id = json_integer_value(json_object_get(f, "id"));
        json_object_set_new(f, "id", json_integer((json_int_t)T.thread * FRAME_STRIDE + id));
    }
    dap_respond(req, json_pack("{s:o, s:i}", "stackFrames", frames, "totalFrames", total));
}

/* A DAP frame id: its thread selected; its number in that thread's stack,
 * or 0 with the request answered. */
static int frame_number(json_t *req, json_int_t frame_id)
{
    int thread = (int)(frame_id / FRAME_STRIDE), number = (int)(frame_id % FRAME_STRIDE);
    if (thread < 1 || number < 1) {
        dap_error(req, "unknown frameId %lld", (long long)frame_id);
        return 0;
    }
    return on_thread(req, thread) ? number : 0;
}

void req_scopes(json_t *req, json_t *args)
{
    json_int_t frame = json_integer_value(json_object_get(args, "frameId"));
    if (frame / FRAME_STRIDE < 1 || frame % FRAME_STRIDE < 1) {
        dap_error(req, "scopes: unknown frameId");
        return;
    }
    dap_respond(req, json_pack("{s:[{s:s, s:I, s:b, s:s}, {s:s, s:I, s:b, s:s}]}", "scopes", "name",
                               "Locals", "variablesReference", frame * 4 + SCOPE_LOCALS,
                               "expensive", 0, "presentationHint", "locals", "name", "Registers",
                               "variablesReference", frame * 4 + SCOPE_REGISTERS, "expensive", 0,
                               "presentationHint", "registers"));
}

/* A value a pretty-printer shows (Rust's Vec, Arc, RefCell: MI's
 * dynamic="1"): MI gives "{...}" for it; the printer's summary is what
 * GDB prints before the children ("Vec(size=3)").  Malloc'd, or 0. */
static char *printer_summary(const char *expr)
{
    char err[256];
    char *v = gdb_eval_in(GDB_LANG_CURRENT, err, sizeof err, "%s", expr);
    char *cut = v ? strstr(v, " = {") : 0;
    if (cut)
        *cut = 0;
    return v;
}

/* A structured value MI shows as "{...}": Rust's own printing names it
 * ("core::option::Option<u64>::Some(89)", "TaskStatus::Running"), which
 * says more; C's ("{a = 1, ...}") is left to the children.  Malloc'd, or 0. */
static char *rust_summary(const char *value, const char *expr)
{
    if (!value || strcmp(value, "{...}") != 0 || !expr)
        return 0;
    char *p = printer_summary(expr);
    if (p && p[0] != '{' && strlen(p) <= 200)
        return p;
    free(p);
    return 0;
}

/* Does a varobj record (created or listed) have children to show? */
static bool has_children(json_t *rec)
{
    const char *n = mi_str(rec, "numchild"), *more = mi_str(rec, "has_more");
    return (n && atoi(n) > 0) || (more && !strcmp(more, "1"));
}

static bool is_dynamic(json_t *rec)
{
    const char *d = mi_str(rec, "dynamic");
    return d && !strcmp(d, "1");
}

/* Is a varobj's value (MI's "{...}", a pretty-printed one) worth a
 * summary of its own?  Then value_summary makes it from the expression. */
static bool wants_summary(json_t *rec)
{
    const char *value = mi_str(rec, "value");
    return is_dynamic(rec) || (value && !strcmp(value, "{...}"));
}

static char *value_summary(json_t *rec, const char *expr)
{
    return is_dynamic(rec) ? printer_summary(expr) : rust_summary(mi_str(rec, "value"), expr);
}

/* A GDB varobj for expr in frame level; returns its DAP json variable. */
static json_t *varobj_variable(const char *display, const char *expr, int level)
{
    char err[256];
    struct mi_record rec;
    char *q = mi_quote(expr);
    int r = gdb_run(&rec, err, sizeof err, "-var-create --thread %d --frame %d - * %s", T.thread, level, q);
    free(q);
    if (r < 0) {
        /* -var-create only says it failed; the evaluator says why. */
        char *v = gdb_eval_in(GDB_LANG_CURRENT, err, sizeof err, "%s", expr);
        free(v);
        return json_pack("{s:s, s:s, s:i}", "name", display, "value", err, "variablesReference", 0);
    }
    const char *name = mi_str(rec.results, "name");
    const char *value = mi_str(rec.results, "value");
    const char *type = mi_str(rec.results, "type");
    char *summary = wants_summary(rec.results) ? value_summary(rec.results, expr) : 0;
    int ref = has_children(rec.results) ? add_varobj(name) : 0;
    if (!ref) {
        /* A leaf: no need to keep the varobj. */
        gdb_cmd(err, sizeof err, "-var-delete %s", name);
    }
    json_t *v = json_pack("{s:s, s:s, s:i}", "name", display, "value",
                          summary ? summary : value ? value : "", "variablesReference", ref);
    free(summary);
    if (type)
        json_object_set_new(v, "type", json_string(type));
    mi_record_free(&rec);
    return v;
}

static void locals(json_t *req, int level)
{
    char err[256];
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-stack-list-variables --thread %d --frame %d --no-values", T.thread,
                level) < 0) {
        dap_error(req, "variables: %s", err);
        return;
    }
    json_t *vars = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rec.results, "variables"), i, v)
    {
        const char *name = mi_str(v, "name");
        if (name)
            json_array_append_new(vars, varobj_variable(name, name, level));
    }
    mi_record_free(&rec);
    dap_respond(req, json_pack("{s:o}", "variables", vars));
}

/* The registers a kernel developer looks at first, then the privilege
 * state (QEMU's $priv and the supervisor CSRs), with decoded fields. */
static const char *const csrs[] = {"priv",  "satp",  "sstatus",  "scause", "sepc",
                                   "stval", "stvec", "sscratch", "sie",    "sip"};

static bool read_reg(const char *name, unsigned long long *v)
{
    char err[256];
    char *s = gdb_eval(err, sizeof err, "(unsigned long)$%s", name);
    if (!s)
        return false;
    *v = strtoull(s, 0, 0);
    free(s);
    return true;
}

static json_t *reg_var(const char *name, const char *value)
{
    return json_pack("{s:s, s:s, s:i}", "name", name, "value", value, "variablesReference", 0);
}

static void describe_csr(const char *name, unsigned long long v, char *out, size_t n)
{
    if (strcmp(name, "priv") == 0) {
        snprintf(out, n, "%llu (%s)", v,
                 v == 0   ? "U, user"
                 : v == 1 ? "S, supervisor"
                 : v == 3 ? "M, machine"
                          : "?");
    } else if (strcmp(name, "satp") == 0) {
        /* RISC-V privileged spec 4.1.11: MODE[63:60] ASID[59:44] PPN[43:0] */
        unsigned long long mode = v >> 60, asid = (v >> 44) & 0xffff, ppn = v & ((1ULL << 44) - 1);
        snprintf(out, n, "0x%llx (MODE=%s, ASID=%llu, root page table at 0x%llx)", v,
                 mode == 8   ? "Sv39"
                 : mode == 9 ? "Sv48"
                 : mode == 0 ? "Bare"
                             : "?",
                 asid, ppn << 12);
    } else if (strcmp(name, "sstatus") == 0) {
        /* 4.1.1: SIE bit 1, SPIE bit 5, SPP bit 8, SUM bit 18 */
        snprintf(out, n, "0x%llx (SIE=%llu SPIE=%llu SPP=%s SUM=%llu)", v, (v >> 1) & 1,
                 (v >> 5) & 1, (v >> 8) & 1 ? "S" : "U", (v >> 18) & 1);
    } else if (strcmp(name, "scause") == 0) {
        bool intr = v >> 63;
        unsigned long long code = v & ~(1ULL << 63);
        static const char *exc[] = {"instruction misaligned",
                                    "instruction access fault",
                                    "illegal instruction",
                                    "breakpoint",
                                    "load misaligned",
                                    "load access fault",
                                    "store misaligned",
                                    "store access fault",
                                    "ecall from U",
                                    "ecall from S",
                                    "?",
                                    "?",
                                    "instruction page fault",
                                    "load page fault",
                                    "?",
                                    "store page fault"};
        static const char *irq[] = {"?",       "S software", "?", "?", "?",
                                    "S timer", "?",          "?", "?", "S external"};
        const char *what = intr ? (code < 10 ? irq[code] : "?") : (code < 16 ? exc[code] : "?");
        /* scause keeps the cause of the last trap into S mode (privileged
         * spec 4.1.8), not why the debugger stopped: say so. */
        snprintf(out, n, "0x%llx (last trap: %s %llu, %s)", v, intr ? "interrupt" : "exception",
                 code, what);
    } else {
        snprintf(out, n, "0x%llx", v);
    }
}

static void registers(json_t *req, int level)
{
    char err[256];
    gdb_cmd(err, sizeof err, "-stack-select-frame %d", level);
    json_t *vars = json_array();
    char text[160];
    unsigned long long v;
    for (size_t i = 0; i < 32; i++) {
        if (read_reg(rv_reg_names[i], &v)) {
            snprintf(text, sizeof text, "0x%016llx", v);
            json_array_append_new(vars, reg_var(rv_reg_names[i], text));
        }
    }
    for (size_t i = 0; i < sizeof csrs / sizeof csrs[0]; i++) {
        if (read_reg(csrs[i], &v)) {
            describe_csr(csrs[i], v, text, sizeof text);
            json_array_append_new(vars, reg_var(csrs[i], text));
        }
    }
    gdb_cmd(err, sizeof err, "-stack-select-frame 0");
    dap_respond(req, json_pack("{s:o}", "variables", vars));
}

static void children(json_t *req, int idx)
{
    char err[256];
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-var-list-children --all-values %s", varobjs[idx].name) <
        0) {
        dap_error(req, "variables: %s", err);
        return;
    }
    json_t *vars = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(rec.results, "children"), i, c)
    {
        const char *name = mi_str(c, "name");
        const char *exp = mi_str(c, "exp");
        const char *value = mi_str(c, "value");
        const char *type = mi_str(c, "type");
        int ref = has_children(c) && name ? add_varobj(name) : 0;
        char *summary = 0;
        struct mi_record path;
        if (wants_summary(c) && name &&
            gdb_run(&path, err, sizeof err, "-var-info-path-expression %s", name) == 0) {
            const char *e = mi_str(path.results, "path_expr");
            summary = e ? value_summary(c, e) : 0;
            mi_record_free(&path);
        }
        json_t *v = json_pack("{s:s, s:s, s:i}", "name", exp ? exp : "?", "value",
                              summary ? summary : value ? value : "", "variablesReference", ref);
        free(summary);
        if (type)
            json_object_set_new(v, "type", json_string(type));
        json_array_append_new(vars, v);
    }
    mi_record_free(&rec);
    dap_respond(req, json_pack("{s:o}", "variables", vars));
}

void req_variables(json_t *req, json_t *args)
{
    if (!target_stopped(req))
        return;
    int ref = (int)json_integer_value(json_object_get(args, "variablesReference"));
    json_t *vars;
    if (ref >= VAROBJ_BASE && ref - VAROBJ_BASE < nvarobjs) {
        children(req, ref - VAROBJ_BASE);
    } else if (ref >= XSTACK_CHILD_BASE && (vars = xstack_child_variables(ref))) {
        /* a struct or array in a frame osdbg unwound itself */
        dap_respond(req, json_pack("{s:o}", "variables", vars));
    } else if (ref >= 4 && ref < VAROBJ_BASE &&
               (ref % 4 == SCOPE_LOCALS || ref % 4 == SCOPE_REGISTERS)) {
        int n = frame_number(req, ref / 4);
        if (!n)
            return;
        if ((vars = xstack_frame_variables(n, ref % 4 == SCOPE_LOCALS)))
            /* a frame osdbg unwound itself (below GDB's) */
            dap_respond(req, json_pack("{s:o}", "variables", vars));
        else if (ref % 4 == SCOPE_LOCALS)
            locals(req, n - 1);
        else
            registers(req, n - 1);
    } else {
        dap_error(req, "variables: unknown variablesReference %d", ref);
    }
}

void req_evaluate(json_t *req, json_t *args)
{
    const char *expr = json_string_value(json_object_get(args, "expression"));
    const char *context = json_string_value(json_object_get(args, "context"));
    if (!expr) {
        dap_error(req, "evaluate: \"expression\" is required");
        return;
    }
    json_t *jframe = json_object_get(args, "frameId");
    char err[512];
    /* The debug console is GDB's command line, usable while the OS runs
     * too (GDB refuses what needs a stopped target, with its message). */
    if (context && strcmp(context, "repl") == 0 && tracecmd_is(expr)) {
        tracecmd_run(req, expr);
        return;
    }
    if (context && strcmp(context, "repl") == 0) {
        char *out = 0;
        if (gdb_console(&out, err, sizeof err, "%s", expr) < 0) {
            free(out);
            dap_error(req, "%s", err);
            return;
        }
        dap_respond(req,
                    json_pack("{s:s, s:i}", "result", out ? out : "", "variablesReference", 0));
        free(out);
        return;
    }
    /* Watch and hovers read the stopped OS, as the other requests do. */
    if (!target_stopped(req))
        return;
    int level = 0;
    if (json_is_integer(jframe)) {
        int n = frame_number(req, json_integer_value(jframe));
        if (!n)
            return;
        level = n - 1;
    }
    json_t *v = varobj_variable(expr, expr, level);
    const char *value = json_string_value(json_object_get(v, "value"));
    json_t *ref = json_object_get(v, "variablesReference");
    json_t *type = json_object_get(v, "type");
    if (!type && json_integer_value(ref) == 0) {
        /* varobj_variable reports failures as the value, without a type. */
        dap_error(req, "%s", value ? value : "cannot evaluate");
        json_decref(v);
        return;
    }
    json_t *body = json_pack("{s:s, s:O}", "result", value ? value : "", "variablesReference", ref);
    if (type)
        json_object_set(body, "type", type);
    json_decref(v);
    dap_respond(req, body);
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : 0;
}

void req_read_memory(json_t *req, json_t *args)
{
    const char *ref = json_string_value(json_object_get(args, "memoryReference"));
    json_int_t offset = json_integer_value(json_object_get(args, "offset"));
    json_int_t count = json_integer_value(json_object_get(args, "count"));
    if (!ref || count < 0 || count > (1 << 20)) {
        dap_error(req, "readMemory: needs memoryReference and 0 <= count <= 1 MiB");
        return;
    }
    if (!target_stopped(req))
        return;
    unsigned long long addr = strtoull(ref, 0, 0) + (unsigned long long)offset;
    char err[256];
    struct mi_record rec;
    /* The live bytes, probes' ebreaks included, not the file's (GDB reads
     * code from the file otherwise: connect_gdb). */
    gdb_cmd(err, sizeof err, "-gdb-set trust-readonly-sections off");
    int r = count == 0 ? -1
                       : gdb_run(&rec, err, sizeof err, "-data-read-memory-bytes 0x%llx %lld", addr,
                                 (long long)count);
    gdb_cmd(err, sizeof err, "-gdb-set trust-readonly-sections on");
    if (r < 0) {
        dap_respond(req, json_pack("{s:s, s:i}", "address", ref, "unreadableBytes", (int)count));
        return;
    }
    /* contents is hex; DAP wants base64.  (Decoded by hand, linearly:
     * sscanf measures the whole rest of the string at every byte.) */
    const char *hex = mi_str(json_array_get(json_object_get(rec.results, "memory"), 0), "contents");
    size_t n = hex ? strlen(hex) / 2 : 0;
    unsigned char *bytes = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        bytes[i] = (unsigned char)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *b64 = malloc(4 * (n / 3 + 1) + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v =
            bytes[i] << 16 | (i + 1 < n ? bytes[i + 1] << 8 : 0) | (i + 2 < n ? bytes[i + 2] : 0);
        b64[k++] = tbl[(v >> 18) & 63];
        b64[k++] = tbl[(v >> 12) & 63];
        b64[k++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        b64[k++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    b64[k] = 0;
    char addr_text[32];
    snprintf(addr_text, sizeof addr_text, "0x%llx", addr);
    dap_respond(req, json_pack("{s:s, s:s}", "address", addr_text, "data", b64));
    free(bytes);
    free(b64);
    mi_record_free(&rec);
}
