/*
 * Time travel (timetravel.h): the session's mode, QEMU's instruction
 * count, and the two moves every backwards request is made of: a goto (to
 * a count) and a scan (every stop from the recording's start up to a
 * count, noted).  What is done with them is reverse.c's.
 */
#include "target/timetravel.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "machine/console_output.h"
#include "machine/qemu.h"
#include "target/runctl.h"
#include "target/state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum tt_mode mode = TT_LIVE;

void tt_set_mode(enum tt_mode m)
{
    mode = m;
    /* The adapter's own steps over a breakpoint mask interrupts by writing
     * sie (runctl.c): a write the log does not have. */
    target_set_masked_steps(m == TT_LIVE);
}

enum tt_mode tt_mode(void)
{
    return mode;
}

bool tt_deterministic(void)
{
    return mode != TT_LIVE;
}

bool tt_icount(uint64_t *n, char *err, size_t errlen)
{
    char *out = 0;
    if (gdb_console(&out, err, errlen, "monitor info replay") < 0)
        return false;
    /* "Replaying execution 'F': instruction count = N" (or Recording). */
    const char *at = out ? strstr(out, "instruction count = ") : 0;
    bool ok = at && sscanf(at, "instruction count = %" SCNu64, n) == 1;
    if (!ok)
        snprintf(err, errlen, "QEMU does not say its instruction count (%.100s)",
                 out ? out : "no answer");
    free(out);
    return ok;
}

/* The scan or goto under way. */
static struct {
    bool scanning, going;
    enum tt_scan_kind kind;
    uint64_t until;      /* the scan ends at this count */
    uint64_t target;     /* the goto's */
    uint64_t now;        /* the count at the stop being handled */
    struct tt_mark last; /* the scan's last mark (icount 0 with reason "" : none) */
    bool have_last;
    void (*done)(const struct tt_mark *last);
    void (*arrived)(void);
    /* TT_SCAN_LINES: the function's line starts, the frame */
    uint64_t *lines;
    int nlines;
    int *line_bps;
    int nline_bps;
    uint64_t entry;
    uint64_t sp;
    int pid, priv;
} tt;

bool tt_busy(void)
{
    return tt.scanning || tt.going;
}

bool tt_scanning(void)
{
    /* A goto's stops on the way are passed over the same way: the stop
     * policy still learns from them (an exec hook: which program a page
     * table runs, for an OS whose processes have no name). */
    return tt.scanning || tt.going;
}

enum tt_scan_kind tt_scan_kind(void)
{
    return tt.kind;
}

/* A monitor command; QEMU's errors come back as its text, not as GDB's. */
static int monitor(char *err, size_t errlen, const char *cmd)
{
    char *out = 0;
    if (gdb_console(&out, err, errlen, "monitor %s", cmd) < 0)
        return -1;
    bool failed = out && (strstr(out, "rror") || strstr(out, "annot") || strstr(out, "not "));
    if (failed)
        snprintf(err, errlen, "QEMU: %s: %.200s", cmd, out);
    free(out);
    return failed ? -1 : 0;
}

static int (*restart_fn)(char *err, size_t errlen);

void tt_set_restart(int (*restart)(char *err, size_t errlen))
{
    restart_fn = restart;
}

/* Seek: the machine as at count n once the target continues.  Back to the
 * recording's start unless n is ahead, then a stop at n (replay_break).
 *
 * Back to the start is a new QEMU (restart_fn), not a snapshot loaded in
 * this one.  Measured with QEMU 7.2: after loadvm (or replay_seek, which
 * loads the same way, or the bs and bc packets, which use it), a continue
 * or step from some points never ends (the VM runs, its count stays):
 * here from each of the ~90 instructions between a system call's trap and
 * sys_write's first line, while from points far from it they go on.  A
 * fresh QEMU replaying from its first instruction, stopped at the same
 * count by replay_break, goes on from every one of them.  (QEMU's
 * replay_seek also starts the VM at once, before GDB has put its
 * breakpoints in: a scan would miss the hits of that moment.) */
static int seek(uint64_t n, bool from_start, char *err, size_t errlen)
{
    uint64_t now = 0;
    if (!from_start && !tt_icount(&now, err, errlen))
        return -1;
    if (from_start || n <= now) {
        if (!restart_fn) {
            snprintf(err, errlen, "this session cannot start its replay again");
            return -1;
        }
        if (restart_fn(err, errlen) < 0)
            return -1;
    }
    char brk[48];
    snprintf(brk, sizeof brk, "replay_break %" PRIu64, n);
    if (n > 0 && monitor(err, errlen, brk) < 0)
        return -1;
    return 0;
}

static void delete_line_breakpoints(void)
{
    char err[256];
    for (int i = 0; i < tt.nline_bps; i++)
        gdb_cmd(err, sizeof err, "-break-delete %d", tt.line_bps[i]);
    free(tt.line_bps);
    free(tt.lines);
    tt.line_bps = 0;
    tt.lines = 0;
    tt.nline_bps = tt.nlines = 0;
}

int tt_scan(enum tt_scan_kind kind, uint64_t until, void (*at_start)(void),
            void (*done)(const struct tt_mark *last), char *err, size_t errlen)
{
    tt.kind = kind;
    tt.until = until;
    tt.done = done;
    tt.have_last = false;
    memset(&tt.last, 0, sizeof tt.last);
    qemu_console_drain();
    console_rewind_begin(false);
    if (seek(until, true, err, errlen) < 0) {
        console_rewind_end();
        delete_line_breakpoints();
        return -1;
    }
    if (at_start)
        at_start();
    tt.scanning = true;
    if (target_resume("-exec-continue", err, errlen) < 0) {
        tt.scanning = false;
        console_rewind_end();
        delete_line_breakpoints();
        return -1;
    }
    return 0;
}

void tt_scan_note(const char *reason, int hit_id, uint64_t back)
{
    static const char *const marks[] = {"breakpoint", "function breakpoint",
                                        "instruction breakpoint", "data breakpoint"};
    bool wanted = false;
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        wanted = wanted || strcmp(reason, marks[i]) == 0;
    if (!wanted || !tt.scanning || tt.kind != TT_SCAN_BREAKPOINTS || tt.now < back ||
        tt.now - back >= tt.until)
        return;
    tt.last.icount = tt.now - back;
    snprintf(tt.last.reason, sizeof tt.last.reason, "%s", reason);
    tt.last.hit_id = hit_id;
    tt.have_last = true;
}

bool tt_scan_owns_breakpoint(int n)
{
    for (int i = 0; i < tt.nline_bps; i++)
        if (tt.line_bps[i] == n)
            return true;
    /* GDB names one breakpoint of several at an address: a line start the
     * user has a breakpoint on is the scan's too. */
    for (int i = 0; n && i < tt.nlines; i++)
        if (tt.lines[i] == T.here.pc)
            return true;
    return false;
}

void tt_scan_note_line_hit(void)
{
    uint64_t sp;
    if (!tt.scanning || !gdb_eval_u64(&sp, "$sp") || T.here.pid != tt.pid ||
        T.here.priv != tt.priv || tt.now >= tt.until)
        return;
    /* This frame: its body runs with the sp it has now (GCC's RISC-V code
     * moves sp only in the prologue and epilogue); its first instruction
     * ran with its caller's, above it.  A deeper call of the same function
     * (recursion) enters with this frame's sp and runs below it; the last
     * entry above it before now is this frame's own. */
    bool mine = T.here.pc == tt.entry ? sp > tt.sp : sp == tt.sp;
    if (!mine)
        return;
    tt.last.icount = tt.now;
    snprintf(tt.last.reason, sizeof tt.last.reason, "step");
    tt.last.hit_id = 0;
    tt.have_last = true;
}

void tt_scan_continue(void)
{
    char err[256];
    if (target_resume("-exec-continue", err, sizeof err) < 0) {
        dap_output("stderr", "osdbg: going back: cannot continue the replay: %s\n", err);
        tt.scanning = tt.going = false;
        console_rewind_end();
        delete_line_breakpoints();
    }
}

int tt_goto(uint64_t n, void (*arrived)(void), char *err, size_t errlen)
{
    tt.kind = TT_SCAN_BREAKPOINTS; /* its stops on the way go through the stop policy */
    tt.target = n;
    tt.arrived = arrived;
    qemu_console_drain();
    console_rewind_begin(true);
    if (seek(n, false, err, errlen) < 0) {
        console_rewind_end();
        return -1;
    }
    tt.going = true;
    if (target_resume("-exec-continue", err, errlen) < 0) {
        tt.going = false;
        console_rewind_end();
        return -1;
    }
    return 0;
}

int tt_goto_start(char *err, size_t errlen)
{
    qemu_console_drain();
    console_rewind_begin(true);
    int r = seek(0, true, err, errlen); /* loaded and stopped there: no continue */
    console_rewind_end();
    return r;
}

bool tt_on_stop(struct mi_record *rec)
{
    (void)rec;
    char err[256];
    if (!tt_icount(&tt.now, err, sizeof err)) {
        dap_output("stderr", "osdbg: going back: %s\n", err);
        tt_reset();
        return false;
    }
    if (tt.scanning && tt.now >= tt.until) {
        tt.scanning = false;
        /* Stopped by a breakpoint at the count itself, the break is left. */
        monitor(err, sizeof err, "replay_delete_break");
        qemu_console_drain();
        console_rewind_end();
        delete_line_breakpoints();
        if (tt.done)
            tt.done(tt.have_last ? &tt.last : 0);
        return true;
    }
    if (tt.going) {
        if (tt.now < tt.target)
            return false; /* a stop on the way: the stop policy passes it (tt_scanning) */
        tt.going = false;
        monitor(err, sizeof err, "replay_delete_break");
        qemu_console_drain();
        console_rewind_end();
        if (tt.arrived)
            tt.arrived();
        return true;
    }
    return false;
}

int tt_arm_line_scan(char *err, size_t errlen)
{
    delete_line_breakpoints();
    uint64_t sp;
    if (!gdb_eval_u64(&sp, "$sp")) {
        snprintf(err, errlen, "the stack pointer cannot be read");
        return -1;
    }
    struct mi_record rec;
    /* The whole function around pc, its lines in address order (GDB/MI
     * -data-disassemble -a, mode 4: source and disassembly, /s order):
     * each block's first instruction is where a line begins. */
    if (gdb_run(&rec, err, errlen, "-data-disassemble -a 0x%" PRIx64 " -- 4", T.here.pc) < 0)
        return -1;
    json_t *blocks = json_object_get(rec.results, "asm_insns");
    size_t nb = json_array_size(blocks);
    tt.lines = calloc(nb + 1, sizeof *tt.lines);
    tt.line_bps = calloc(nb + 1, sizeof *tt.line_bps);
    tt.entry = 0;
    for (size_t i = 0; i < nb; i++) {
        json_t *b = json_array_get(blocks, i);
        /* MI lists are [{...}] here; a result list as {"src_and_asm_line": {...}} is
         * how mi_parse gives "name=value" list items. */
        json_t *line = json_object_get(b, "src_and_asm_line");
        if (!line)
            line = b;
        json_t *insns = json_object_get(line, "line_asm_insn");
        const char *addr = mi_str(json_array_get(insns, 0), "address");
        const char *offset = mi_str(json_array_get(insns, 0), "offset");
        if (!addr)
            continue;
        uint64_t a = strtoull(addr, 0, 16);
        if (offset && atoi(offset) == 0)
            tt.entry = a;
        tt.lines[tt.nlines++] = a;
    }
    mi_record_free(&rec);
    if (!tt.nlines) {
        snprintf(err, errlen, "no line information for the function at 0x%" PRIx64, T.here.pc);
        delete_line_breakpoints();
        return -1;
    }
    bool user = T.here.priv == 0;
    if (user)
        gdb_physical_memory(true); /* as breakpoints.c: GDB reads no live user code */
    for (int i = 0; i < tt.nlines; i++) {
        struct mi_record b;
        if (gdb_run(&b, err, errlen, "-break-insert *0x%" PRIx64, tt.lines[i]) < 0)
            continue;
        const char *num = mi_str(b.results, "bkpt.number");
        if (num) {
            /* GDB itself passes over the hits of other frames and other
             * processes (a condition costs no stop of the adapter's; a
             * user address space is its satp, the kernel's stacks are
             * each process's own). */
            char cond[160], satp[48] = "";
            if (user)
                snprintf(satp, sizeof satp, " && $satp == 0x%" PRIx64, T.here.satp);
            snprintf(cond, sizeof cond, "$sp %s 0x%" PRIx64 "%s", tt.lines[i] == tt.entry ? ">" : "==",
                     sp, satp);
            gdb_cmd(err, errlen, "-break-condition %s %s", num, cond);
            tt.line_bps[tt.nline_bps++] = atoi(num);
        }
        mi_record_free(&b);
    }
    if (user)
        gdb_physical_memory(false);
    tt.sp = sp;
    tt.pid = T.here.pid;
    tt.priv = T.here.priv;
    return 0;
}

void tt_reset(void)
{
    if (tt.scanning || tt.going)
        console_rewind_end();
    delete_line_breakpoints();
    tt.scanning = tt.going = false;
}
