/*
 * Following the OS across address spaces (issue: "Address spaces").
 *
 * QEMU's gdbstub breakpoints match the virtual PC in every address space,
 * and all user programs share addresses, so a breakpoint of `hello` also
 * fires when `matrix` runs the same address.  At every stop we read $priv,
 * $satp and the running process (the profile's GDB expressions, read with
 * QEMU's physical-memory mode in user mode because the user page table
 * does not map the kernel), and a hit that belongs to another program is
 * resumed silently.
 */
#include "target/session.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "gdb/gdbexpr.h"
#include "dwarf/rvregs.h"
#include "core/loop.h"
#include "machine/qemu.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct session S;

static struct {
    char name[64];
    struct debuginfo *di;
    bool tried;
} programs[64];
static int nprograms = -1;
static const char *program_names[64];

static bool is_elf(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    unsigned char m[4] = {0};
    size_t n = fread(m, 1, 4, f);
    fclose(f);
    return n == 4 && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
}

/* Find the user programs: ELF files in the profile's user directory. */
static void scan_programs(void)
{
    if (nprograms >= 0)
        return;
    nprograms = 0;
    if (!S.profile || !S.profile->user_dir)
        return;
    DIR *d = opendir(S.profile->user_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && nprograms < 64) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof programs[0].name)
            continue;
        char *path = profile_user_elf(S.profile, e->d_name);
        if (path && is_elf(path)) {
            snprintf(programs[nprograms].name, sizeof programs[0].name, "%s", e->d_name);
            program_names[nprograms] = programs[nprograms].name;
            nprograms++;
        }
        free(path);
    }
    closedir(d);
}

int user_programs(const char ***names)
{
    scan_programs();
    *names = program_names;
    return nprograms;
}

struct debuginfo *user_debuginfo(const char *program)
{
    scan_programs();
    for (int i = 0; i < nprograms; i++) {
        if (strcmp(programs[i].name, program) != 0)
            continue;
        if (!programs[i].tried) {
            programs[i].tried = true;
            char err[256];
            char *path = profile_user_elf(S.profile, program);
            programs[i].di = debuginfo_open(path, err, sizeof err);
            if (!programs[i].di)
                dap_log("no debug info for %s: %s", program, err);
            free(path);
        }
        return programs[i].di;
    }
    return 0;
}

void session_shutdown(void)
{
    gdb_stop();
    if (S.launched)
        qemu_stop();
}

void session_reset_for_restart(void)
{
    S.nseen = 0;
    S.exec_bp = S.exit_bp = S.fork_bp = 0;
    S.hooks_armed = S.hooks_failed = S.tracking_complete = S.has_run = false;
    S.stepping = false;
    S.step_bp = 0;
    S.user_symbols[0] = 0;
    S.last_pid = -2;
    live_clear();
}

bool program_seen(const char *program)
{
    for (int i = 0; i < S.nseen; i++)
        if (strcmp(S.seen[i], program) == 0)
            return true;
    return false;
}

void mark_program_seen(const char *program)
{
    if (!program[0] || program_seen(program) || S.nseen == 32)
        return;
    snprintf(S.seen[S.nseen++], sizeof S.seen[0], "%s", program);
    char *path = profile_user_elf(S.profile, program);
    dap_event("module", json_pack("{s:s, s:{s:s, s:s, s:s}}", "reason", "new", "module", "id",
                                  program, "name", program, "path", path ? path : ""));
    free(path);
    breakpoints_on_program_seen(program);
}

/* GDB prints a char array as "name", '\000' <repeats 11 times>, or with
 * the NULs inline ("ls\000\000..."): take the first quoted string up to
 * its first NUL, decoding C escapes. */
void parse_c_string(const char *v, char *out, size_t n)
{
    out[0] = 0;
    const char *q = strchr(v, '"');
    if (!q)
        return;
    size_t k = 0;
    for (q++; *q && *q != '"' && k + 1 < n; q++) {
        char c = *q;
        if (c == '\\' && q[1] >= '0' && q[1] <= '7') {
            int val = 0, digits = 0;
            while (digits < 3 && q[1] >= '0' && q[1] <= '7') {
                val = val * 8 + (*++q - '0');
                digits++;
            }
            if (val == 0)
                break;
            c = (char)val;
        } else if (c == '\\' && q[1]) {
            c = *++q;
        }
        out[k++] = c;
    }
    out[k] = 0;
}

void aspace_identify(void)
{
    struct aspace a = {.priv = -1, .pid = -1};
    uint64_t v;
    if (gdb_eval_u64(&v, "$priv"))
        a.priv = (int)v;
    if (gdb_eval_u64(&v, "$satp"))
        a.satp = v;
    if (gdb_eval_u64(&v, "$pc"))
        a.pc = v;
    if (S.profile && S.profile->proc_name) {
        char err[256];
        bool phys = a.priv == 0 && S.profile->kernel_identity_mapped;
        if (phys)
            gdb_physical_memory(true);
        char *name = gdb_eval(err, sizeof err, "%s", S.profile->proc_name);
        if (name) {
            parse_c_string(name, a.program, sizeof a.program);
            free(name);
        }
        if (S.profile->proc_pid && gdb_eval_u64(&v, "%s", S.profile->proc_pid))
            a.pid = (int)v;
        if (phys)
            gdb_physical_memory(false);
    }
    S.here = a;
}

void aspace_sync_symbols(void)
{
    char err[256];
    const char *want = S.here.priv == 0 ? S.here.program : "";
    if (strcmp(want, S.user_symbols) == 0)
        return;
    /* Each symbol file change makes GDB re-create every breakpoint
     * location and check whether the code there is already an ebreak (a
     * "permanent" breakpoint, which it resumes past without running it).
     * It reads the code before it knows the new file's sections, so from
     * the live memory, where an OS probe's ebreak may be: with QEMU's
     * physical-memory mode on, user addresses read nothing instead, and
     * kernel code comes from its file (trust-readonly-sections). */
    gdb_physical_memory(true);
    if (S.user_symbols[0]) {
        char *old = profile_user_elf(S.profile, S.user_symbols);
        gdb_console(0, err, sizeof err, "remove-symbol-file %s", old);
        free(old);
        S.user_symbols[0] = 0;
    }
    if (want[0] && user_debuginfo(want)) {
        char *path = profile_user_elf(S.profile, want);
        if (gdb_console(0, err, sizeof err, "add-symbol-file %s", path) == 0)
            snprintf(S.user_symbols, sizeof S.user_symbols, "%s", want);
        else
            dap_log("add-symbol-file %s: %s", path, err);
        free(path);
    }
    gdb_physical_memory(false);
}

int step_until(const char *location, int priv, bool needs_ecall, char *err, size_t errlen)
{
    struct mi_record b;
    if (gdb_run(&b, err, errlen, "-break-insert %s", location) < 0)
        return -1;
    const char *num = mi_str(b.results, "bkpt.number");
    S.step_bp = num ? atoi(num) : 0;
    mi_record_free(&b);
    S.step_bp_priv = priv;
    S.step_needs_ecall = needs_ecall;
    S.step_then_user = false;
    S.stepping = true;
    S.step_pid = S.here.pid;
    S.step_origin = S.here.pc;
    return session_resume("-exec-continue", err, errlen);
}

static uint64_t stop_pc(struct mi_record *rec)
{
    const char *a = mi_str(rec->results, "frame.addr");
    return a ? strtoull(a, 0, 16) : 0;
}

/* An interrupt's stop (SIGINT) exactly on an armed breakpoint's
 * instruction: QEMU stopped before the breakpoint's trap, and GDB, resumed
 * there, steps over it without reporting it: that execution's hit would be
 * lost (a GDB logpoint missing a line).  So the stop is taken as that
 * breakpoint's hit.  Its GDB number, or 0. */
static int breakpoint_under(struct mi_record *rec)
{
    const char *reason = mi_str(rec->results, "reason");
    if (!reason || strcmp(reason, "signal-received") != 0)
        return 0;
    uint64_t pc = stop_pc(rec);
    for (int i = 0; i < S.nbps; i++)
        for (int k = 0; k < S.bps[i].nlocs; k++)
            if (S.bps[i].locs[k].gdb_number > 0 && S.bps[i].locs[k].enabled &&
                S.bps[i].locs[k].addr == pc)
                return S.bps[i].locs[k].gdb_number;
    return 0;
}

/* Stepping over a breakpoint in the kernel, interrupts masked.
 *
 * GDB steps RISC-V over a breakpoint in software (RSP trace: z0 P, Z0 at
 * the next instruction, vCont;c, then back).  An interrupt taken during
 * that step runs a handler that may reach the step's stopping address (in
 * our kernel myproc(), the callee of the probed line, called by the trap
 * path too): GDB takes the step as done, puts the breakpoint at P back,
 * and the handler returns to P, which has not run yet: a second hit for one
 * execution (a GDB logpoint printed twice, issue 12).  Our own interrupts
 * (with_target_stopped) make it likely, the timer makes it possible.  So
 * the adapter steps over a kernel breakpoint itself, with the S-level
 * interrupts masked (sie = 0: they stay pending and are taken right after),
 * before it lets GDB continue.  In user mode the timer's interrupt lets the
 * scheduler run another program over the same addresses (all are linked at
 * 0x10000), which GDB takes for the step's end the same way; so user
 * breakpoints are stepped over masked too, unless the instruction is an
 * ecall (a system call that sleeps would wait for a masked timer). */
static bool at_breakpoint; /* the target is stopped on a breakpoint's instruction */
static int stopped_priv = -1;

/* 0: stepped, go on; 1: the step stopped for something else, which has
 * been handled (do not continue); -1: could not step (continue anyway). */
static int step_over_masked(void)
{
    char err[256];
    uint64_t sie;
    at_breakpoint = false;
    if (!gdb_eval_u64(&sie, "$sie"))
        return -1;
    if (gdb_cmd(err, sizeof err, "-data-evaluate-expression \"$sie = 0\"") < 0)
        return -1;
    struct mi_record rec;
    int got = gdb_cmd(err, sizeof err, "-exec-step-instruction") == 0 &&
              gdb_wait_stopped(&rec, 5000) == 0;
    gdb_cmd(err, sizeof err, "-data-evaluate-expression \"$sie = 0x%llx\"",
            (unsigned long long)sie);
    if (!got)
        return -1;
    const char *reason = mi_str(rec.results, "reason");
    if (reason && strcmp(reason, "end-stepping-range") == 0) {
        mi_record_free(&rec);
        return 0;
    }
    session_on_stopped(&rec); /* the next instruction's breakpoint, say */
    mi_record_free(&rec);
    return 1;
}

/* Is the instruction at pc an ecall (RISC-V unprivileged spec 2.8:
 * 0x00000073)?  Read live, in the current address space. */
static bool at_ecall(void)
{
    char err[256];
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-data-read-memory-bytes $pc 4") < 0)
        return true; /* unknown: do not mask */
    const char *hex = mi_str(json_array_get(json_object_get(rec.results, "memory"), 0), "contents");
    bool ecall = hex && !strcmp(hex, "73000000"); /* little-endian bytes */
    mi_record_free(&rec);
    return ecall;
}

static void (*resume_observers[8])(void);

void session_on_resume(void (*fn)(void))
{
    for (size_t i = 0; i < sizeof resume_observers / sizeof resume_observers[0]; i++) {
        if (!resume_observers[i] || resume_observers[i] == fn) {
            resume_observers[i] = fn;
            return;
        }
    }
    abort(); /* a ninth observer: raise the bound */
}

static void resumed(void)
{
    for (size_t i = 0; i < sizeof resume_observers / sizeof resume_observers[0]; i++)
        if (resume_observers[i])
            resume_observers[i]();
}

int session_resume(const char *mi_command, char *err, size_t errlen)
{
    if (at_breakpoint && strcmp(mi_command, "-exec-continue") == 0 &&
        (stopped_priv == 1 || (stopped_priv == 0 && !at_ecall()))) {
        S.state = TARGET_RUNNING;
        if (step_over_masked() == 1) {
            resumed();
            return 0;
        }
        S.state = TARGET_STOPPED;
    }
    at_breakpoint = false;
    if (gdb_cmd(err, errlen, "%s", mi_command) < 0)
        return -1;
    S.state = TARGET_RUNNING;
    S.has_run = true;
    S.expect_running = true;
    resumed();
    return 0;
}

/* Let the target run again after a stop the user does not see. */
static void resume_silently(void)
{
    char err[256];
    if (session_resume("-exec-continue", err, sizeof err) < 0)
        dap_output("stderr", "osdbg: cannot resume: %s\n", err);
}

/* GDB breakpoint numbers the adapter deleted (GDB never reuses one). */
static int deleted[256];
static unsigned ndeleted;

void session_note_deleted_breakpoint(int number)
{
    deleted[ndeleted++ % (sizeof deleted / sizeof deleted[0])] = number;
}

static bool was_deleted(int number)
{
    unsigned n = ndeleted < 256 ? ndeleted : 256;
    for (unsigned i = 0; i < n; i++)
        if (deleted[i] == number)
            return true;
    return false;
}

/* Why the last with_target_stopped() could not stop the target. */
static char stop_error[300];

const char *session_stop_error(void)
{
    return stop_error[0] ? stop_error : "the OS could not be stopped";
}

int with_target_stopped(int (*fn)(void *), void *arg)
{
    stop_error[0] = 0;
    if (S.state != TARGET_RUNNING)
        return fn(arg);
    char err[256];
    struct mi_record rec;
    if (!gdb_alive()) {
        snprintf(stop_error, sizeof stop_error, "GDB is not running (the session has ended)");
        return -1;
    }
    if (gdb_cmd(err, sizeof err, "-exec-interrupt") < 0) {
        snprintf(stop_error, sizeof stop_error, "the OS could not be stopped: %s", err);
        return -1;
    }
    if (gdb_wait_stopped(&rec, 5000) < 0) {
        snprintf(stop_error, sizeof stop_error, "the OS did not stop within 5 s");
        return -1;
    }
    S.state = TARGET_STOPPED;
    const char *reason = mi_str(rec.results, "reason");
    int r = fn(arg);
    if (breakpoint_under(&rec)) {
        session_on_stopped(&rec); /* taken as that breakpoint's hit */
    } else if (reason && strcmp(reason, "signal-received") != 0) {
        /* A real stop raced with our interrupt: report it, do not resume. */
        session_on_stopped(&rec);
    } else {
        resume_silently();
    }
    mi_record_free(&rec);
    return r;
}

/* Where the OS stopped, as fields (the extension's Address Spaces view):
 * osdbg/addressSpace {program, pid, mode, satp, pageTable}, sent before
 * each stopped event.  program and pid are null when no process runs.
 * satp is the register now (in S mode a kernel with its own page table
 * runs on that one); pageTable is the process's root table from the
 * profile's process.pageTable.  Numbers as hex text: JSON numbers lose an
 * Sv39 satp's low bits. */
static void send_address_space(void)
{
    char satp[24], table[24] = "";
    snprintf(satp, sizeof satp, "0x%llx", (unsigned long long)S.here.satp);
    uint64_t pt;
    if (S.here.program[0] && S.profile && S.profile->proc_pagetable) {
        bool phys = S.here.priv == 0 && S.profile->kernel_identity_mapped;
        if (phys)
            gdb_physical_memory(true);
        if (gdb_eval_u64(&pt, "%s", S.profile->proc_pagetable))
            snprintf(table, sizeof table, "0x%llx", (unsigned long long)pt);
        if (phys)
            gdb_physical_memory(false);
    }
    const char *mode = S.here.priv == 0 ? "U" : S.here.priv == 1 ? "S" : "M";
    json_t *body =
        json_pack("{s:s, s:s, s:o, s:o, s:o}", "mode", mode, "satp", satp, "program",
                  S.here.program[0] ? json_string(S.here.program) : json_null(), "pid",
                  S.here.program[0] && S.here.pid >= 0 ? json_integer(S.here.pid) : json_null(),
                  "pageTable", table[0] ? json_string(table) : json_null());
    dap_event("osdbg/addressSpace", body);
}

static void send_stopped(const char *reason, const char *text, json_t *hit_ids)
{
    if (S.step_bp) {
        char err[256];
        gdb_cmd(err, sizeof err, "-break-delete %d", S.step_bp);
        S.step_bp = 0;
    }
    char desc[160];
    if (S.here.program[0])
        snprintf(desc, sizeof desc, "%s/%d, %s mode", S.here.program, S.here.pid,
                 S.here.priv == 0   ? "U"
                 : S.here.priv == 1 ? "S"
                                    : "M");
    else
        snprintf(desc, sizeof desc, "%s mode",
                 S.here.priv == 0   ? "U"
                 : S.here.priv == 1 ? "S"
                                    : "M");
    send_address_space();
    json_t *body = json_pack("{s:s, s:i, s:b, s:s}", "reason", reason, "threadId", 1,
                             "allThreadsStopped", 1, "description", desc);
    if (text)
        json_object_set_new(body, "text", json_string(text));
    if (hit_ids)
        json_object_set_new(body, "hitBreakpointIds", hit_ids);
    dap_event("stopped", body);
    S.user_stops++;
    S.last_pid = S.here.pid;
}

/* Does a hit-condition ("N", ">= N", "% N", "== N", "> N") allow a stop at
 * hit number `hits`? */
static bool hit_condition_met(const char *cond, int hits)
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
    if (sscanf(cond, "%% %ld", &n) == 1)
        return n > 0 && hits % n == 0;
    if (sscanf(cond, "== %ld", &n) == 1 || sscanf(cond, "%ld", &n) == 1)
        return hits == n;
    return true;
}

/* Expand "{expr}" in a log message with GDB's values. */
/* What a logpoint's {pid}, {comm} and {time} are at this stop, as the eBPF
 * logpoints have them (logprog.c); time counts from the first hit. */
static struct gdbexpr_event logpoint_event(void)
{
    static int64_t first_ms = -1;
    if (first_ms < 0)
        first_ms = loop_now_ms();
    return (struct gdbexpr_event){
        .pid = S.here.pid,
        .comm = S.here.program[0] ? S.here.program : "-",
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
    char *value = gdb_eval(err, errlen, "%s", gdb_expr);
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

/* A breakpoint's condition, with text compared by $_streq; a logpoint's
 * also with its names (pid, comm, registers) read as in eBPF. */
static bool condition_true(const struct bp *b)
{
    const char *cond = b->condition;
    if (!cond || !*cond)
        return true;
    char err[256];
    struct gdbexpr_event ev;
    if (b->log_message)
        ev = logpoint_event();
    char *gdb_cond = gdbexpr_rewrite(cond, b->log_message ? &ev : 0);
    char *v = gdb_eval(err, sizeof err, "%s", gdb_cond);
    free(gdb_cond);
    if (!v) {
        dap_output("stderr", "osdbg: breakpoint condition '%s': %s (stopping)\n", cond, err);
        return true;
    }
    bool t = strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
    free(v);
    return t;
}

void session_on_stopped(struct mi_record *rec)
{
    S.state = TARGET_STOPPED;
    int under = breakpoint_under(rec);
    if (under) {
        char num[16];
        snprintf(num, sizeof num, "%d", under);
        json_object_set_new(rec->results, "reason", json_string("breakpoint-hit"));
        json_object_set_new(rec->results, "bkptno", json_string(num));
    }
    const char *reason = mi_str(rec->results, "reason");
    if (reason && (strcmp(reason, "exited") == 0 || strcmp(reason, "exited-normally") == 0 ||
                   strcmp(reason, "exited-signalled") == 0)) {
        S.state = TARGET_EXITED;
        return;
    }
    int bkptno = 0;
    const char *b = mi_str(rec->results, "bkptno");
    if (b)
        bkptno = atoi(b);
    bool hit = reason && strcmp(reason, "breakpoint-hit") == 0 && bkptno;
    /* On a breakpoint's instruction, which has not run: the resume steps
     * over it (a SIGINT stop there was made that breakpoint's hit above). */
    at_breakpoint = hit;
    stopped_priv = 1; /* the hooks are kernel functions */
    if (hooks_handle_stop(bkptno))
        return;
    aspace_identify();
    stopped_priv = S.here.priv;
    if (S.here.program[0]) {
        live_set(S.here.pid, S.here.program);
        mark_program_seen(S.here.program);
    }

    if (bkptno && bkptno == S.step_bp) {
        uint64_t scause = 0;
        bool wrong_trap = S.step_needs_ecall && (!gdb_eval_u64(&scause, "$scause") || scause != 8);
        if (S.here.pid != S.step_pid || wrong_trap ||
            (S.step_bp_priv >= 0 && S.here.priv != S.step_bp_priv)) {
            S.filtered_hits++;
            resume_silently();
            return;
        }
        S.step_needs_ecall = false;
        if (S.step_then_user) {
            /* At the kernel's return to user mode the trap frame holds the
             * final user pc (after the ecall): finish there. */
            S.step_then_user = false;
            char err[256], loc[64];
            uint64_t tf, epc;
            gdb_cmd(err, sizeof err, "-break-delete %d", S.step_bp);
            S.step_bp = 0;
            if (gdb_eval_u64(&tf, "%s", S.profile->trapframe) &&
                gdb_eval_u64(&epc, "*(unsigned long *)0x%llx",
                             (unsigned long long)(tf + (uint64_t)S.profile->tf_epc))) {
                snprintf(loc, sizeof loc, "*0x%llx", (unsigned long long)epc);
                if (step_until(loc, 0, false, err, sizeof err) == 0)
                    return;
            }
            dap_output("stderr", "osdbg: stepOut: cannot find the return address in user mode\n");
        }
        char err[256];
        gdb_cmd(err, sizeof err, "-break-delete %d", S.step_bp);
        S.step_bp = 0;
        S.stepping = false;
        aspace_sync_symbols();
        send_stopped("step", 0, 0);
        return;
    }

    /* A run-to-breakpoint step (stepIn at ecall, stepOut to user) that is
     * back at its own starting instruction in its own process - an interrupt
     * came first and returned there - meets the user's breakpoint on that
     * instruction again: that is not a new stop. */
    if (S.step_bp && reason && strcmp(reason, "breakpoint-hit") == 0 && bkptno &&
        S.here.pc == S.step_origin && S.here.pid == S.step_pid) {
        S.filtered_hits++;
        resume_silently();
        return;
    }

    if (reason && strcmp(reason, "breakpoint-hit") == 0 && bkptno) {
        struct bp_loc *loc;
        struct bp *bp = breakpoint_by_gdb_number(bkptno, &loc);
        if (bp) {
            /* User breakpoints belong to their program; kernel ones to S-mode. */
            bool mine = !loc->program[0] ? S.here.priv != 0
                        : loc->program[0] == '*'
                            ? S.here.priv == 0
                            : S.here.priv == 0 && strcmp(loc->program, S.here.program) == 0;
            if (!mine) {
                S.filtered_hits++;
                resume_silently();
                return;
            }
            aspace_sync_symbols();
            if (!condition_true(bp)) {
                resume_silently();
                return;
            }
            bp->hits++;
            if (!hit_condition_met(bp->hit_condition, bp->hits)) {
                resume_silently();
                return;
            }
            if (bp->log_message) {
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
                resume_silently();
                return;
            }
            S.stepping = false;
            send_stopped(bp->kind == BP_FUNCTION      ? "function breakpoint"
                         : bp->kind == BP_INSTRUCTION ? "instruction breakpoint"
                                                      : "breakpoint",
                         0, json_pack("[i]", bp->id));
            return;
        }
    }
    /* The hit of a breakpoint the adapter has deleted: its stop was on its
     * way while the OS was being stopped to delete it (a busy logpoint
     * removed).  Nobody asked for this stop.  (A breakpoint the user made
     * in GDB's command line is not ours and still stops.) */
    if (reason && strcmp(reason, "breakpoint-hit") == 0 && bkptno && was_deleted(bkptno)) {
        S.filtered_hits++;
        resume_silently();
        return;
    }
    aspace_sync_symbols();

    if (S.stepping && reason &&
        (strcmp(reason, "end-stepping-range") == 0 || strcmp(reason, "function-finished") == 0 ||
         strcmp(reason, "location-reached") == 0)) {
        /* A step that ended in another process (same code, same addresses,
         * preempted in between) has not ended for the user's process:
         * step again from here until it is back. */
        if (S.step_pid >= 0 && S.here.pid >= 0 && S.here.pid != S.step_pid) {
            char err[256];
            struct mi_record b;
            if (gdb_run(&b, err, sizeof err, "-break-insert *0x%llx",
                        (unsigned long long)S.here.pc) == 0) {
                const char *num = mi_str(b.results, "bkpt.number");
                S.step_bp = num ? atoi(num) : 0;
                S.step_bp_priv = S.here.priv;
                mi_record_free(&b);
            }
            S.filtered_hits++;
            resume_silently();
            return;
        }
        S.stepping = false;
        send_stopped("step", 0, 0);
        return;
    }
    S.stepping = false;
    if (reason && strcmp(reason, "signal-received") == 0) {
        const char *sig = mi_str(rec->results, "signal-name");
        send_stopped(sig && strcmp(sig, "SIGINT") == 0 ? "pause" : "exception", sig, 0);
        return;
    }
    if (reason && strcmp(reason, "watchpoint-trigger") == 0) {
        send_stopped("data breakpoint", 0, 0);
        return;
    }
    send_stopped(
        reason ? (strcmp(reason, "breakpoint-hit") == 0 ? "breakpoint" : "pause") : "entry", 0, 0);
}
