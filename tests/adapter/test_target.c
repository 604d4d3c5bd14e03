/*
 * The rules that decide whether a user sees a stop, against a scripted GDB
 * (scripted_gdb.c): the stop policy (target/stop.c), the arming of user
 * breakpoints by liveness (target/liveness.c), and eBPF logpoints' attach
 * and fallback (target/breakpoints.c with logpoint_ops).  The adapter's
 * real target/ code runs, with the real profile (profiles/osdbg-kernel.json)
 * and the real kernel's and programs' DWARF from the build; GDB's answers
 * and the machine's stops come from the script.  What reaches the client
 * is recorded here (the dap.h functions target/ uses).
 */
#include "scripted_gdb.h"

#include "dap/dap.h"
#include "dwarf/debuginfo.h"
#include "profile/profile.h"
#include "target/breakpoints.h"
#include "target/gdblog.h"
#include "target/harts.h"
#include "target/liveness.h"
#include "target/programs.h"
#include "target/runctl.h"
#include "target/state.h"
#include "target/stop.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- the client: what target/ sends it ------------------------------- */

static json_t *events; /* [{event, body}] */

void dap_event(const char *event, json_t *body)
{
    json_array_append_new(events, json_pack("{s:s, s:o}", "event", event, "body",
                                            body ? body : json_object()));
}

void dap_output(const char *category, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = 0;
    if (vasprintf(&text, fmt, ap) < 0)
        abort();
    va_end(ap);
    dap_event("output", json_pack("{s:s, s:s}", "category", category, "output", text));
    free(text);
}

void dap_log(const char *fmt, ...)
{
    (void)fmt;
}

/* ---- the machine: no QEMU here (time travel's console, timetravel.c) -- */

void qemu_console_drain(void)
{
}

void console_rewind_begin(bool keep)
{
    (void)keep;
}

void console_rewind_end(void)
{
}

int dap_line_out(int line)
{
    return line;
}

int dap_line_in(int line)
{
    return line;
}

int dap_column_out(int column)
{
    return column;
}

static int count_events(const char *event)
{
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) n += !strcmp(json_string_value(json_object_get(e, "event")), event);
    return n;
}

/* The body of the last event of that name, or 0. */
static json_t *last_event(const char *event)
{
    json_t *found = 0;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) if (!strcmp(json_string_value(json_object_get(e, "event")),
                                                 event)) found = json_object_get(e, "body");
    return found;
}

/* Output events whose text contains s. */
static int outputs_with(const char *s)
{
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        const char *text = json_string_value(json_object_get(json_object_get(e, "body"), "output"));
        n += !strcmp(json_string_value(json_object_get(e, "event")), "output") && text &&
             strstr(text, s);
    }
    return n;
}

/* ---- the machine ------------------------------------------------------ */

#define USER_PC 0x10034ULL /* inside every program: all are linked at 0x10000 */

static char hello_c[512];
static int hello_pid_line; /* int pid = getpid(); */

static uint64_t kernel_function(const char *name)
{
    uint64_t addr = 0;
    assert_int_equal(debuginfo_function_addr(T.kernel_di, name, true, &addr), 0);
    return addr;
}

/* The GDB number of the hook at the kernel function (after its prologue,
 * where liveness.c puts it). */
static int hook(const char *function)
{
    int n = sg_breakpoint_at(kernel_function(function));
    assert_true(n > 0);
    return n;
}

/* The OS runs (the user pressed Continue). */
static void resume(void)
{
    char err[256];
    assert_int_equal(target_resume("-exec-continue", err, sizeof err), 0);
}

/* The next stop GDB reports reaches the stop policy, as the event loop
 * hands it over (dap/handler/lifecycle.c). */
static void deliver(void)
{
    struct mi_record rec;
    assert_true(sg_take_stop(&rec));
    stop_handle(&rec);
    mi_record_free(&rec);
}

static void queue_breakpoint_hit(int number, uint64_t pc)
{
    char *r = sg_stopped_breakpoint(number, pc);
    sg_queue_stop(r);
    free(r);
}

/* The exec hook reports that pid now runs program. */
static void exec_of(const char *program, int pid)
{
    char name[64], num[16];
    snprintf(name, sizeof name, "\"%s\", '\\000' <repeats %d times>", program,
             15 - (int)strlen(program));
    sg_value(T.profile->exec_name, name);
    snprintf(num, sizeof num, "%d", pid);
    sg_value(T.profile->proc_pid, num);
    sg_here(1, kernel_function(T.profile->exec_symbol), program, pid);
    deliver();
}

static json_t *specs(const char *json)
{
    json_error_t e;
    json_t *j = json_loads(json, 0, &e);
    assert_non_null(j);
    return j;
}

static int set_function_breakpoint(const char *name)
{
    char text[256];
    snprintf(text, sizeof text, "[{\"name\": \"%s\"}]", name);
    json_t *in = specs(text);
    json_t *out = breakpoints_set_functions(in);
    json_decref(in);
    int id = (int)json_integer_value(json_object_get(json_array_get(out, 0), "id"));
    json_decref(out);
    return id;
}

/* The GDB number behind breakpoint id's first location. */
static int gdb_number_of(int id)
{
    struct bp *b = breakpoint_by_id(id);
    assert_non_null(b);
    assert_true(b->nlocs > 0);
    return b->locs[0].gdb_number;
}

/* ---- logpoint_ops: eBPF logpoints as the logpoint layer would run them */

static struct {
    const char *compile_fails; /* the reason, or 0: compiles */
    int attached, detached;
} ebpf;

static bool fake_compile(struct bp *b, const char **why)
{
    (void)b;
    *why = ebpf.compile_fails;
    return !ebpf.compile_fails;
}

static void fake_attach(struct bp *b)
{
    (void)b;
    ebpf.attached++;
}

static void fake_detach(struct bp *b)
{
    (void)b;
    ebpf.detached++;
}

static void fake_forget(struct bp *b)
{
    (void)b;
}

static const struct logpoint_ops fake_ops = {fake_compile, fake_attach, fake_detach, fake_forget};

/* ---- set up ----------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    char err[512], path[512];
    snprintf(path, sizeof path, "%s/profiles/osdbg-kernel.json", OSDBG_TOP);
    T.profile = profile_load(path, err, sizeof err);
    if (!T.profile) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    /* The build under test (OSDBG_BUILD may be elsewhere than build/). */
    free(T.profile->kernel);
    free(T.profile->user_dir);
    if (asprintf(&T.profile->kernel, "%s/kernel/kernel.elf", OSDBG_BUILD) < 0 ||
        asprintf(&T.profile->user_dir, "%s/user", OSDBG_BUILD) < 0)
        return -1;
    T.kernel_di = debuginfo_open(T.profile->kernel, err, sizeof err);
    if (!T.kernel_di) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    T.kernel_base = T.profile->kernel_base;
    snprintf(hello_c, sizeof hello_c, "%s/user/hello.c", OSDBG_TOP);
    FILE *f = fopen(hello_c, "r");
    if (!f)
        return -1;
    char line[256];
    for (int n = 1; fgets(line, sizeof line, f); n++)
        if (strstr(line, "int pid = getpid();"))
            hello_pid_line = n;
    fclose(f);
    /* Wired as cmd/main.c wires them. */
    stop_init();
    breakpoints_on_change(hooks_update);
    return hello_pid_line ? 0 : -1;
}

/* Each test: a machine launched and stopped before its first instruction,
 * no breakpoints, nothing known. */
static int setup(void **state)
{
    (void)state;
    sg_reset();
    events = json_array();
    T.launched = true;
    T.state = TARGET_STOPPED;
    T.has_run = false;
    T.nharts = 0;
    T.thread = 1;
    gdb_eval_set_thread(0);
    gdb_eval_set_selected_hart(0);
    sg_here(1, 0x80000000, "", -1);
    breakpoints_set_logpoint_ops(0);
    memset(&ebpf, 0, sizeof ebpf);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    T.state = TARGET_STOPPED;
    json_t *none = json_array();
    json_decref(breakpoints_set_functions(none));
    json_decref(breakpoints_set_instructions(none));
    json_decref(breakpoints_set_source(hello_c, none));
    json_decref(breakpoints_set_functions(none));
    json_decref(none);
    programs_reset();
    hooks_reset();
    stop_reset();
    json_decref(events);
    return 0;
}

/* ---- the stop policy and arming ---------------------------------------- */

/* Launched with a breakpoint in hello: it is armed only while hello has a
 * process; a hit while another program runs the same address is resumed
 * silently; a hit in hello stops, once. */
static void test_user_breakpoint_follows_its_program(void **state)
{
    (void)state;
    long hook_stops = hooks_stop_count();
    long filtered = stop_counts()->filtered_hits;
    int id = set_function_breakpoint("hello!main");
    int n = gdb_number_of(id);
    /* The hooks went in before the OS ran (complete knowledge), and hello,
     * not running, is disarmed: none of its hits can cost a stop. */
    int exec_bp = hook("exec_commit");
    assert_true(hook("exit") > 0);
    assert_false(sg_breakpoint_enabled(n));
    assert_false(breakpoint_by_id(id)->verified);

    /* matrix execs: hello's breakpoint stays disarmed. */
    resume();
    queue_breakpoint_hit(exec_bp, kernel_function("exec_commit"));
    exec_of("matrix", 4);
    assert_false(sg_breakpoint_enabled(n));
    assert_int_equal(hooks_stop_count() - hook_stops, 1);
    assert_int_equal(T.state, TARGET_RUNNING);

    /* hello execs: armed, and its breakpoint becomes verified. */
    queue_breakpoint_hit(exec_bp, kernel_function("exec_commit"));
    exec_of("hello", 3);
    assert_true(sg_breakpoint_enabled(n));
    json_t *changed = json_object_get(last_event("breakpoint"), "breakpoint");
    assert_int_equal(json_integer_value(json_object_get(changed, "id")), id);
    assert_true(json_is_true(json_object_get(changed, "verified")));
    assert_int_equal(count_events("stopped"), 0);

    /* Its hit while matrix (pid 4) runs the same address: resumed, unseen. */
    int resumes = sg_resumes();
    queue_breakpoint_hit(n, USER_PC);
    sg_here(0, USER_PC, "matrix", 4);
    deliver();
    assert_int_equal(count_events("stopped"), 0);
    assert_int_equal(stop_counts()->filtered_hits, filtered + 1);
    assert_int_equal(sg_resumes(), resumes + 1);

    /* Its hit in hello: the user's stop, with the breakpoint's id, after
     * the address space as fields. */
    queue_breakpoint_hit(n, USER_PC);
    sg_here(0, USER_PC, "hello", 3);
    deliver();
    assert_int_equal(count_events("stopped"), 1);
    json_t *stopped = last_event("stopped");
    assert_string_equal(json_string_value(json_object_get(stopped, "description")),
                        "hello/3, U mode");
    assert_int_equal(
        json_integer_value(json_array_get(json_object_get(stopped, "hitBreakpointIds"), 0)), id);
    json_t *as = last_event("osdbg/addressSpace");
    assert_string_equal(json_string_value(json_object_get(as, "program")), "hello");
    assert_int_equal(json_integer_value(json_object_get(as, "pid")), 3);
    assert_string_equal(json_string_value(json_object_get(as, "mode")), "U");
    assert_int_equal(T.state, TARGET_STOPPED);
}

/* hello exits: its breakpoint is disarmed again (no stop per system call
 * of the programs that remain). */
static void test_exit_disarms(void **state)
{
    (void)state;
    int n = gdb_number_of(set_function_breakpoint("hello!main"));
    int exec_bp = hook("exec_commit"), exit_bp = hook("exit");
    resume();
    queue_breakpoint_hit(exec_bp, kernel_function("exec_commit"));
    exec_of("hello", 3);
    assert_true(sg_breakpoint_enabled(n));
    queue_breakpoint_hit(exit_bp, kernel_function("exit"));
    sg_here(1, kernel_function("exit"), "hello", 3);
    deliver();
    assert_false(sg_breakpoint_enabled(n));
    assert_int_equal(count_events("stopped"), 0);
    assert_int_equal(T.state, TARGET_RUNNING);
}

/* Attached to an OS that ran before us (breakpoints set after it started):
 * a program never seen may be running, so its breakpoints stay armed and
 * their hits are filtered. */
static void test_attach_keeps_unseen_programs_armed(void **state)
{
    (void)state;
    T.has_run = true;
    int n = gdb_number_of(set_function_breakpoint("hello!main"));
    assert_true(hook("exec_commit") > 0);
    assert_true(sg_breakpoint_enabled(n));
    /* matrix runs the address: filtered, resumed. */
    resume();
    queue_breakpoint_hit(n, USER_PC);
    sg_here(0, USER_PC, "matrix", 4);
    deliver();
    assert_int_equal(count_events("stopped"), 0);
    assert_int_equal(sg_resumes(), 2);
}

/* A breakpoint the adapter deleted may still have a hit on its way: it is
 * resumed silently, never shown. */
static void test_late_hit_of_a_deleted_breakpoint(void **state)
{
    (void)state;
    int n = gdb_number_of(set_function_breakpoint("sys_getpid"));
    json_t *none = json_array();
    json_decref(breakpoints_set_functions(none));
    json_decref(none);
    assert_int_equal(sg_breakpoint_at(kernel_function("sys_getpid")), 0);
    queue_breakpoint_hit(n, kernel_function("sys_getpid"));
    resume();
    sg_here(1, kernel_function("sys_getpid"), "hello", 3);
    deliver();
    assert_int_equal(count_events("stopped"), 0);
    assert_int_equal(sg_resumes(), 2);
}

/* A kernel breakpoint stops in S mode, whatever process the kernel serves. */
static void test_kernel_breakpoint_stops_for_any_process(void **state)
{
    (void)state;
    int id = set_function_breakpoint("sys_getpid");
    int n = gdb_number_of(id);
    assert_true(sg_breakpoint_enabled(n));
    queue_breakpoint_hit(n, kernel_function("sys_getpid"));
    resume();
    sg_here(1, kernel_function("sys_getpid"), "matrix", 4);
    deliver();
    assert_int_equal(count_events("stopped"), 1);
    assert_string_equal(json_string_value(json_object_get(last_event("stopped"), "description")),
                        "matrix/4, S mode");
    assert_string_equal(json_string_value(json_object_get(last_event("stopped"), "reason")),
                        "function breakpoint");
}

/* A step that ends in another process (preempted, same code) has not
 * ended: the adapter runs on to that address until the stepping process
 * reaches it, and only then reports the step. */
static void test_step_ends_in_the_stepping_process(void **state)
{
    (void)state;
    sg_here(0, USER_PC, "hello", 3);
    aspace_identify();
    char *step_end = sg_stopped_step(USER_PC + 4);
    sg_queue_stop(step_end);
    free(step_end);
    char err[256];
    assert_int_equal(step_resume("-exec-next", err, sizeof err), 0);
    /* It ended while pid 5 (another hello) ran. */
    sg_here(0, USER_PC + 4, "hello", 5);
    deliver();
    int temp = sg_breakpoint_at(USER_PC + 4);
    assert_true(temp > 0);
    assert_int_equal(count_events("stopped"), 0);
    /* pid 5 reaches it again: still not the step's end. */
    queue_breakpoint_hit(temp, USER_PC + 4);
    deliver();
    assert_int_equal(count_events("stopped"), 0);
    /* pid 3 reaches it: the step ends, and its breakpoint goes. */
    queue_breakpoint_hit(temp, USER_PC + 4);
    sg_here(0, USER_PC + 4, "hello", 3);
    deliver();
    assert_int_equal(count_events("stopped"), 1);
    assert_string_equal(json_string_value(json_object_get(last_event("stopped"), "reason")), "step");
    assert_int_equal(sg_breakpoint_at(USER_PC + 4), 0);
}

/* An interrupt (the adapter's own, to set a breakpoint while the OS runs)
 * that lands exactly on an armed breakpoint's instruction is that
 * breakpoint's hit: GDB would step over it silently. */
static void test_interrupt_on_a_breakpoint_is_its_hit(void **state)
{
    (void)state;
    int id = set_function_breakpoint("sys_getpid");
    uint64_t pc = kernel_function("sys_getpid");
    resume();
    assert_int_equal(T.state, TARGET_RUNNING);
    sg_here(1, pc, "hello", 3);
    assert_int_equal(with_target_stopped(0, 0), 0);
    assert_int_equal(count_events("stopped"), 1);
    assert_int_equal(json_integer_value(json_array_get(
                         json_object_get(last_event("stopped"), "hitBreakpointIds"), 0)),
                     id);
}

/* The adapter's own interrupt anywhere else is resumed: nobody asked. */
static void test_own_interrupt_is_unseen(void **state)
{
    (void)state;
    resume();
    int resumes = sg_resumes();
    sg_here(1, 0x80201000, "hello", 3);
    assert_int_equal(with_target_stopped(0, 0), 0);
    assert_int_equal(count_events("stopped"), 0);
    assert_int_equal(sg_resumes(), resumes + 1);
    assert_int_equal(T.state, TARGET_RUNNING);
}

/* ---- GDB logpoints and conditions -------------------------------------- */

static int set_logpoint(const char *message, const char *condition)
{
    char text[512];
    snprintf(text, sizeof text, "[{\"line\": %d, \"logMessage\": \"%s\"%s%s%s}]", hello_pid_line,
             message, condition ? ", \"condition\": \"" : "", condition ? condition : "",
             condition ? "\"" : "");
    json_t *in = specs(text);
    json_t *out = breakpoints_set_source(hello_c, in);
    json_decref(in);
    int id = (int)json_integer_value(json_object_get(json_array_get(out, 0), "id"));
    json_decref(out);
    return id;
}

/* Without eBPF, a logpoint is GDB's: it prints its message with its values
 * and resumes; the user sees no stop. */
static void test_gdb_logpoint_prints_and_resumes(void **state)
{
    (void)state;
    T.has_run = true; /* hello's breakpoints armed without an exec */
    int id = set_logpoint("pid is {pid} in {comm}", 0);
    int n = gdb_number_of(id);
    queue_breakpoint_hit(n, breakpoint_by_id(id)->locs[0].addr);
    resume();
    sg_here(0, breakpoint_by_id(id)->locs[0].addr, "hello", 3);
    deliver();
    assert_int_equal(count_events("stopped"), 0);
    assert_int_equal(outputs_with("pid is 3 in hello\n"), 1);
    assert_int_equal(sg_resumes(), 2);
}

/* A false condition resumes without a line; a true one prints. */
static void test_logpoint_condition(void **state)
{
    (void)state;
    T.has_run = true;
    int id = set_logpoint("hit", "wanted");
    int n = gdb_number_of(id);
    uint64_t pc = breakpoint_by_id(id)->locs[0].addr;
    sg_value("wanted", "0");
    queue_breakpoint_hit(n, pc);
    resume();
    sg_here(0, pc, "hello", 3);
    queue_breakpoint_hit(n, pc);
    deliver();
    assert_int_equal(outputs_with("hit\n"), 0);
    sg_value("wanted", "1");
    deliver();
    assert_int_equal(outputs_with("hit\n"), 1);
    assert_int_equal(count_events("stopped"), 0);
}

/* ---- eBPF logpoints: attach and fallback -------------------------------- */

/* A logpoint that compiles runs in the OS: no GDB breakpoint, attached. */
static void test_ebpf_logpoint_attaches_without_gdb(void **state)
{
    (void)state;
    breakpoints_set_logpoint_ops(&fake_ops);
    int inserts = sg_count("-break-insert");
    int id = set_logpoint("pid {pid}", 0);
    struct bp *b = breakpoint_by_id(id);
    assert_true(b->ebpf);
    assert_true(b->verified);
    assert_int_equal(ebpf.attached, 1);
    /* Only the hooks went in, not the logpoint. */
    assert_int_equal(sg_count("-break-insert") - inserts, 0);
}

/* The OS had no room for it: it prints through GDB instead, and the
 * client is told (a changed breakpoint, and why). */
static void test_ebpf_logpoint_falls_back_to_gdb(void **state)
{
    (void)state;
    breakpoints_set_logpoint_ops(&fake_ops);
    int id = set_logpoint("pid {pid}", 0);
    uint64_t pc = breakpoint_by_id(id)->locs[0].addr;
    assert_int_equal(sg_breakpoint_at(pc), 0);
    breakpoint_fall_back_to_gdb(id, "no room for another probe");
    assert_int_equal(ebpf.detached, 1);
    assert_false(breakpoint_by_id(id)->ebpf);
    assert_true(sg_breakpoint_at(pc) > 0);
    assert_int_equal(outputs_with("runs as a GDB stop-print-resume: no room for another probe"), 1);
    json_t *changed = json_object_get(last_event("breakpoint"), "breakpoint");
    assert_int_equal(json_integer_value(json_object_get(changed, "id")), id);
}

/* A message naming nothing that exists there is refused, not set. */
static void test_logpoint_with_an_unknown_name_is_not_set(void **state)
{
    (void)state;
    breakpoints_set_logpoint_ops(&fake_ops);
    ebpf.compile_fails = "no variable 'nosuch' at user/hello.c:6";
    int inserts = sg_count("-break-insert");
    int id = set_logpoint("{nosuch}", 0);
    struct bp *b = breakpoint_by_id(id);
    assert_false(b->verified);
    assert_non_null(strstr(b->message, "not set: no variable 'nosuch'"));
    assert_int_equal(ebpf.attached, 0);
    assert_int_equal(sg_count("-break-insert") - inserts, 0);
}

/* A logpoint that needs GDB (eBPF cannot compile it) stops in GDB. */
static void test_logpoint_eBPF_cannot_compile_uses_gdb(void **state)
{
    (void)state;
    breakpoints_set_logpoint_ops(&fake_ops);
    ebpf.compile_fails = "a function call needs GDB";
    int id = set_logpoint("{f(1)}", 0);
    struct bp *b = breakpoint_by_id(id);
    assert_false(b->ebpf);
    assert_true(sg_breakpoint_at(b->locs[0].addr) > 0);
    assert_int_equal(outputs_with("runs as a GDB stop-print-resume: a function call needs GDB"), 1);
}

/* ---- GDB's language ------------------------------------------------------ */

/* A stop in Rust code makes GDB's current language Rust (it follows the
 * frame).  The adapter's expressions name their language, so the next hit
 * is identified as before and stops; before, every later hit was resumed
 * silently as "not this program's" (issue 15). */
static void test_a_stop_in_rust_code_changes_nothing(void **state)
{
    (void)state;
    T.has_run = true;
    long filtered = stop_counts()->filtered_hits;
    int id = set_function_breakpoint("rustdemo!rustdemo::work");
    int n = gdb_number_of(id);
    uint64_t pc = breakpoint_by_id(id)->locs[0].addr;
    resume();
    queue_breakpoint_hit(n, pc);
    sg_here(0, pc, "rustdemo", 3);
    deliver();
    assert_int_equal(count_events("stopped"), 1);
    sg_language("rust"); /* GDB, stopped in rustdemo::work */
    resume();
    queue_breakpoint_hit(n, pc);
    deliver();
    assert_int_equal(count_events("stopped"), 2);
    assert_string_equal(json_string_value(json_object_get(last_event("stopped"), "description")),
                        "rustdemo/3, U mode");
    assert_int_equal(stop_counts()->filtered_hits, filtered);
}

/* A user breakpoint's hit where the process cannot be told is shown, with
 * the reason, never resumed unseen. */
static void test_a_hit_in_an_unknown_process_is_shown(void **state)
{
    (void)state;
    T.has_run = true;
    int id = set_function_breakpoint("hello!main");
    int n = gdb_number_of(id);
    resume();
    queue_breakpoint_hit(n, USER_PC);
    sg_here(0, USER_PC, "hello", 3);
    char *name = gdb_hart_expr(T.profile->proc_name); /* cpus[{hart}]: hart 0's */
    sg_forget(name);
    free(name);
    deliver();
    assert_int_equal(count_events("stopped"), 1);
    const char *text = json_string_value(json_object_get(last_event("stopped"), "text"));
    assert_non_null(text);
    assert_non_null(strstr(text, "cannot tell which process runs"));
    assert_non_null(strstr(text, "No symbol"));
    assert_int_equal(outputs_with("a breakpoint of hello was hit, but"), 1);
}

/* A profile in Rust: its expressions are parsed as Rust, whatever GDB's
 * current language. */
static void test_profile_expressions_in_the_profiles_language(void **state)
{
    (void)state;
    char *name = T.profile->proc_name, *pid = T.profile->proc_pid;
    T.profile->language = PROFILE_LANG_RUST;
    T.profile->proc_name = "os::task::PROCESSOR.current.name";
    T.profile->proc_pid = "os::task::PROCESSOR.current.pid";
    sg_value(T.profile->proc_name, "\"sh\", '\\000' <repeats 13 times>");
    sg_value(T.profile->proc_pid, "2");
    sg_value("$priv", "0");
    sg_value("$pc", "0x10000");
    aspace_identify();
    T.profile->language = PROFILE_LANG_C;
    T.profile->proc_name = name;
    T.profile->proc_pid = pid;
    assert_string_equal(T.here.program, "sh");
    assert_int_equal(T.here.pid, 2);
    assert_string_equal(T.here.unknown, "");
    /* The name's address (a null process?), the name, the pid: all in Rust. */
    assert_int_equal(sg_count("-data-evaluate-expression --language rust "), 3);
    assert_int_equal(sg_count("-data-evaluate-expression --language c \"(unsigned long)(os::"), 0);
}

/* Two harts: hart 1 (thread 2) runs hello and hits its breakpoint while
 * hart 0 idles in the kernel with no process.  The stop is thread 2's,
 * its expressions read cpus[1] ({hart}), and hart 0 is "no process" even
 * though its null process's name field reads as bytes (xv6: page 0 is a
 * user program's code, read through a user page table). */
static void test_a_hit_on_hart_1_while_hart_0_idles(void **state)
{
    (void)state;
    sg_threads(2);
    harts_connected();
    assert_int_equal(T.nharts, 2);
    int id = set_function_breakpoint("hello!main");
    int n = gdb_number_of(id);
    resume();
    sg_stops_on_thread(2);
    queue_breakpoint_hit(n, USER_PC);
    /* Hart 0: in the kernel, cpus[0].proc null. */
    sg_here(1, 0x80001000, "", -1);
    sg_value("&(cpus[0].proc->name)", "0x18");
    sg_value("cpus[0].proc->name", "\"A\\001\\202\\200\\001E\", <incomplete sequence \\344>");
    sg_value("cpus[0].proc->pid", "2711");
    /* Hart 1: hello, pid 3, in user mode. */
    sg_thread_value(2, "$priv", "0");
    sg_thread_value(2, "$pc", "0x10034");
    sg_thread_value(2, "&(cpus[1].proc->name)", "0x80012345");
    sg_thread_value(2, "cpus[1].proc->name", "\"hello\", '\\000' <repeats 10 times>");
    sg_thread_value(2, "cpus[1].proc->pid", "3");
    deliver();
    assert_int_equal(count_events("stopped"), 1);
    json_t *stopped = last_event("stopped");
    assert_int_equal(json_integer_value(json_object_get(stopped, "threadId")), 2);
    assert_string_equal(json_string_value(json_object_get(stopped, "description")),
                        "hello/3, U mode, hart 1");
    json_t *harts = json_object_get(last_event("osdbg/addressSpace"), "harts");
    assert_int_equal(json_array_size(harts), 2);
    json_t *h0 = json_array_get(harts, 0), *h1 = json_array_get(harts, 1);
    assert_true(json_is_null(json_object_get(h0, "program")));
    assert_string_equal(json_string_value(json_object_get(h0, "mode")), "S");
    assert_string_equal(json_string_value(json_object_get(h1, "program")), "hello");
    assert_true(json_is_true(json_object_get(h1, "selected")));
    char name[128];
    harts_thread_name(1, name, sizeof name);
    assert_string_equal(name, "hart 0 \u00b7 kernel S");
    harts_thread_name(2, name, sizeof name);
    assert_string_equal(name, "hart 1 \u00b7 hello/3 U");
    /* Hart 0 was read for its own thread. */
    assert_true(sg_count("-data-evaluate-expression --thread 1 ") >= 3);
}

/* The same breakpoint hit on hart 1 while it runs matrix (the same
 * addresses): resumed unseen, whatever hart 0 runs. */
static void test_a_hit_on_hart_1_in_another_program_is_resumed(void **state)
{
    (void)state;
    sg_threads(2);
    harts_connected();
    int id = set_function_breakpoint("hello!main");
    int n = gdb_number_of(id);
    resume();
    long filtered = stop_counts()->filtered_hits;
    sg_stops_on_thread(2);
    queue_breakpoint_hit(n, USER_PC);
    sg_here(0, USER_PC, "hello", 3); /* hart 0 runs hello */
    sg_thread_value(2, "$priv", "0");
    sg_thread_value(2, "$pc", "0x10034");
    sg_thread_value(2, "cpus[1].proc->name", "\"matrix\", '\\000' <repeats 9 times>");
    sg_thread_value(2, "cpus[1].proc->pid", "4");
    deliver();
    assert_int_equal(count_events("stopped"), 0);
    assert_int_equal(stop_counts()->filtered_hits, filtered + 1);
}

/* A GDB logpoint's hit condition means what an eBPF one's does
 * (logprog.c): N, == N, >= N, > N, <= N, < N, % N; hits count from 1. */
static void test_hit_conditions(void **state)
{
    (void)state;
    static const struct {
        const char *cond;
        const char *met; /* hits 1..6: '1' met */
    } cases[] = {
        {"3", "001000"},    {"== 3", "001000"}, {">= 3", "001111"}, {"> 3", "000111"},
        {"<= 3", "111000"}, {"< 3", "110000"},  {"% 2", "010101"},  {"", "111111"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int hits = 1; hits <= 6; hits++) {
            bool want = cases[i].met[hits - 1] == '1';
            if (gdblog_hit_condition_met(cases[i].cond, hits) != want)
                fail_msg("hit condition \"%s\" at hit %d: want %s", cases[i].cond, hits,
                         want ? "met" : "not met");
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_conditions),
        cmocka_unit_test_setup_teardown(test_user_breakpoint_follows_its_program, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_disarms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_keeps_unseen_programs_armed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_hit_of_a_deleted_breakpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_breakpoint_stops_for_any_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_ends_in_the_stepping_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_on_a_breakpoint_is_its_hit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_interrupt_is_unseen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gdb_logpoint_prints_and_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logpoint_condition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ebpf_logpoint_attaches_without_gdb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ebpf_logpoint_falls_back_to_gdb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logpoint_with_an_unknown_name_is_not_set, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_logpoint_eBPF_cannot_compile_uses_gdb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_stop_in_rust_code_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_hit_in_an_unknown_process_is_shown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_hit_on_hart_1_while_hart_0_idles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_hit_on_hart_1_in_another_program_is_resumed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_profile_expressions_in_the_profiles_language, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, 0);
}
