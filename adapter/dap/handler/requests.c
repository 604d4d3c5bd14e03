/*
 * Session lifecycle and execution control: initialize, launch, attach,
 * configurationDone, continue, pause, next/stepIn/stepOut, threads,
 * terminate, disconnect, and the custom consoleInput.  The table at the
 * end is the adapter's table of contents.
 */
#include "dap/handler/requests.h"
#include "core/buf.h"
#include "machine/console.h"
#include "gdb/gdb.h"
#include "trace/logpoints.h"
#include "core/loop.h"
#include "target/pagetable.h"
#include "target/processes.h"
#include "profile/profile.h"
#include "machine/qemu.h"
#include "target/session.h"
#include "side/siderelay.h"
#include "trace/tracecmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void finish_session(void);

static void req_initialize(json_t *req, json_t *args)
{
    dap_set_origin(!json_is_false(json_object_get(args, "linesStartAt1")),
                   !json_is_false(json_object_get(args, "columnsStartAt1")));
    S.supports_run_in_terminal =
        json_is_true(json_object_get(args, "supportsRunInTerminalRequest"));
    dap_respond(req,
                json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, "
                          "s:b, s:b, s:b}",
                          "supportsConfigurationDoneRequest", 1, "supportsFunctionBreakpoints", 1,
                          "supportsConditionalBreakpoints", 1, "supportsHitConditionalBreakpoints",
                          1, "supportsLogPoints", 1, "supportsInstructionBreakpoints", 1,
                          "supportsSteppingGranularity", 1, "supportsEvaluateForHovers", 1,
                          "supportsReadMemoryRequest", 1, "supportsTerminateRequest", 1,
                          "supportsWriteMemoryRequest", 1, "supportsDisassembleRequest", 1,
                          "supportsSetVariable", 1, "supportsDataBreakpoints", 1,
                          "supportsLoadedSourcesRequest", 1, "supportsModulesRequest", 1,
                          "supportsRestartRequest", 1));
}

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
static void console_line_end(void)
{
    if (console_line_timer) {
        loop_cancel(console_line_timer);
        flush_console_line(0);
    }
}

static void console_to_output(const char *text, size_t len)
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

static void on_console(const char *text, size_t len)
{
    /* With a terminal attached (runInTerminal), or one on its way, it shows
     * the console. */
    if (!console_relay_output(text, len))
        console_to_output(text, len);
}

/* How long the console's output waits for the editor's terminal before it
 * goes to the Debug Console (the terminal still gets it when it comes). */
#define TERMINAL_WAIT_MS 10000

static void on_run_in_terminal(bool ok, const char *message)
{
    if (!ok) {
        dap_log("no terminal: %s", message ? message : "refused");
        console_relay_not_coming();
    }
}

static void on_qemu_exit(int status)
{
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    dap_log("QEMU exited, status %d", code);
    S.state = TARGET_EXITED;
    dap_event("exited", json_pack("{s:i}", "exitCode", code));
    finish_session();
}

static void on_gdb_async(struct mi_record *rec)
{
    if (rec->kind == MI_EXEC_ASYNC && rec->klass && strcmp(rec->klass, "stopped") == 0) {
        inspect_reset();
        session_on_stopped(rec);
    } else if (rec->kind == MI_EXEC_ASYNC && rec->klass && strcmp(rec->klass, "running") == 0) {
        /* Resumed by someone else (a "continue" typed in the GDB console):
         * tell the client, whose view would otherwise stay "stopped". */
        if (!S.expect_running && S.state == TARGET_STOPPED) {
            inspect_reset();
            dap_event("continued",
                      json_pack("{s:i, s:b}", "threadId", 1, "allThreadsContinued", 1));
        }
        S.expect_running = false;
        S.state = TARGET_RUNNING;
    }
}

static void on_gdb_stream(struct mi_record *rec)
{
    if (rec->text)
        dap_log("gdb %s: %s", rec->kind == MI_LOG ? "log" : "console", rec->text);
}

static bool terminated_sent;

static void finish_session(void)
{
    if (terminated_sent)
        return;
    terminated_sent = true;
    siderelay_stop();
    tracecmd_close();
    gdb_stop();
    qemu_stop();
    console_relay_stop();
    console_line_end();
    dap_event("terminated", 0);
}

static void on_gdb_exit(void)
{
    if (S.state != TARGET_EXITED)
        dap_output("stderr", "osdbg: GDB exited unexpectedly\n");
    finish_session();
}

static const struct gdb_handlers gdb_h = {on_gdb_async, on_gdb_stream, on_gdb_exit};

/* Common to launch and attach: GDB with the kernel's symbols, connected to
 * the gdbstub at `target` (a Unix socket path or host:port). */
static int connect_gdb(const char *target, char *err, size_t errlen)
{
    if (gdb_start(S.profile->gdb, &gdb_h, err, errlen) < 0)
        return -1;
    char *quoted;
    /* mi-async must be on before connecting, or -exec-interrupt hangs. */
    if (gdb_cmd(err, errlen, "-gdb-set mi-async on") < 0 ||
        gdb_cmd(err, errlen, "-gdb-set pagination off") < 0 ||
        gdb_cmd(err, errlen, "-gdb-set confirm off") < 0 ||
        gdb_cmd(err, errlen, "-gdb-set breakpoint pending off") < 0 ||
        /* GDB takes an ebreak it finds where it puts a breakpoint for the
         * program's own ("permanent") and resumes past it without running
         * it; an OS probe's ebreak is not that: the instruction under it
         * must run (the probe engine executes it).  Code is read from the
         * file, where no probe is; readMemory still shows the live bytes. */
        gdb_cmd(err, errlen, "-gdb-set trust-readonly-sections on") < 0)
        return -1;
    /* For debugging the adapter: OSDBG_GDB_DEBUG=1 logs the remote protocol. */
    if (getenv("OSDBG_GDB_DEBUG"))
        gdb_console(0, err, errlen, "set debug remote 1");
    quoted = mi_quote(S.profile->kernel);
    int r = gdb_cmd(err, errlen, "-file-exec-and-symbols %s", quoted);
    free(quoted);
    if (r < 0)
        return -1;
    /* GDB takes the target word literally (quotes included): no quoting. */
    if (strpbrk(target, " \t\n\"")) {
        snprintf(err, errlen, "the gdbstub address must not contain spaces or quotes: %s", target);
        return -1;
    }
    r = gdb_cmd(err, errlen, "-target-select remote %s", target);
    if (r < 0)
        return -1;
    /* Connecting reports a stop without a reason: it is not the user's. */
    struct mi_record rec;
    if (gdb_wait_stopped(&rec, 5000) == 0)
        mi_record_free(&rec);
    S.state = TARGET_STOPPED;
    /* Once per session (not again at restart): does the profile fit? */
    static const struct profile *checked;
    if (checked != S.profile) {
        checked = S.profile;
        profile_check_kernel();
    }
    return 0;
}

static int load_profile(json_t *req, json_t *args)
{
    const char *path = json_string_value(json_object_get(args, "profile"));
    if (!path) {
        dap_error(
            req,
            "\"profile\" is required: the path of a profile such as profiles/osdbg-kernel.json");
        return -1;
    }
    char err[512];
    S.profile = profile_load(path, err, sizeof err);
    if (!S.profile) {
        dap_error(req, "%s", err);
        return -1;
    }
    struct stat st;
    if (stat(S.profile->kernel, &st) < 0) {
        dap_error(req, "kernel ELF %s not found (build it first: make)", S.profile->kernel);
        return -1;
    }
    S.kernel_di = debuginfo_open(S.profile->kernel, err, sizeof err);
    if (!S.kernel_di)
        dap_output("stderr", "osdbg: kernel debug info: %s\n", err);
    S.kernel_base = S.profile->kernel_base;
    S.last_pid = -2;
    return 0;
}

static char *boot_args; /* kept for restart */

/* QEMU frozen before its first instruction, and GDB connected to it. */
static int start_machine(char *err, size_t errlen)
{
    struct qemu_config cfg = {
        .binary = S.profile->qemu,
        .args = (const char *const *)S.profile->qemu_args,
        .kernel = S.profile->kernel,
        .append = boot_args,
        .freeze = true,
        .debug_device = S.profile->debug_device,
    };
    struct qemu_handlers qh = {on_console, on_qemu_exit};
    if (qemu_start(&cfg, &qh, err, errlen) < 0)
        return -1;
    S.launched = true;
    if (connect_gdb(qemu_gdb_socket(), err, errlen) < 0) {
        qemu_stop();
        gdb_stop();
        return -1;
    }
    return 0;
}

/* The console relay for terminals, and a terminal on it when the editor
 * can give us one (DAP runInTerminal). */
static void open_console_terminal(void)
{
    char console[4200], err[256];
    snprintf(console, sizeof console, "%s/console.sock", qemu_socket_dir());
    if (console_relay_start(console, err, sizeof err) < 0) {
        dap_output("stderr", "osdbg: no console terminal: %s\n", err);
        console[0] = 0;
    }
    /* The debug channel, shared with terminals: osdbg trace --socket <it>. */
    char relay[4200];
    snprintf(relay, sizeof relay, "%s/trace.sock", qemu_socket_dir());
    if (siderelay_start(relay, err, sizeof err) < 0) {
        dap_output("stderr", "osdbg: no trace socket: %s\n", err);
        relay[0] = 0;
    }
    dap_output("console", "osdbg: %s; gdbstub %s, debug channel %s, console %s\n", S.profile->name,
               qemu_gdb_socket(), qemu_side_socket(), console);
    if (relay[0])
        dap_output("console", "osdbg: trace from a terminal: osdbg trace --socket %s kprobe ...\n",
                   relay);
    if (S.console_by_event && console[0]) {
        /* The client makes the terminal itself (the VS Code extension: a
         * terminal with no shell behind it, reused by the next session). */
        console_relay_expect(TERMINAL_WAIT_MS, console_to_output);
        dap_event("osdbg/console",
                  json_pack("{s:s, s:s}", "socket", console, "title", "OS console"));
    } else if (S.supports_run_in_terminal && console[0]) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = 0;
        if (n > 0) {
            console_relay_expect(TERMINAL_WAIT_MS, console_to_output);
            dap_reverse_request("runInTerminal",
                                json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "kind", "integrated",
                                          "title", "OS console", "cwd", S.profile->root, "args",
                                          self, "console", console),
                                on_run_in_terminal);
        }
    }
}

static void req_launch(json_t *req, json_t *args)
{
    if (S.profile) {
        dap_error(req, "a session is already running");
        return;
    }
    const char *terminal = json_string_value(json_object_get(args, "consoleTerminal"));
    if (terminal && strcmp(terminal, "event") && strcmp(terminal, "runInTerminal")) {
        dap_error(req,
                  "launch: \"consoleTerminal\" is \"%s\"; it must be \"runInTerminal\" (the "
                  "editor runs `osdbg console`) or \"event\" (the client opens the terminal on "
                  "the osdbg/console event)",
                  terminal);
        return;
    }
    S.console_by_event = terminal && !strcmp(terminal, "event");
    if (load_profile(req, args) < 0)
        return;
    S.stop_on_entry = json_is_true(json_object_get(args, "stopOnEntry"));
    S.gdb_logpoints = json_is_false(json_object_get(args, "ebpfLogpoints"));
    const char *boot = json_string_value(json_object_get(args, "bootArgs"));
    free(boot_args);
    boot_args = boot ? strdup(boot) : 0;
    char err[512];
    if (start_machine(err, sizeof err) < 0) {
        dap_error(req, "cannot start the OS: %s", err);
        return;
    }
    dap_respond(req, 0);
    dap_event("initialized", 0);
    dap_event("module", json_pack("{s:s, s:{s:s, s:s, s:s}}", "reason", "new", "module", "id",
                                  "kernel", "name", "kernel", "path", S.profile->kernel));
    open_console_terminal();
}

/* restart: a fresh machine with the same arguments and the same
 * breakpoints, then on as after configurationDone. */
static void req_restart(json_t *req, json_t *args)
{
    (void)args;
    if (!S.profile || !S.launched) {
        dap_error(req, "restart: only a launched session can be restarted");
        return;
    }
    siderelay_stop();
    tracecmd_close();
    gdb_stop();
    console_relay_stop();
    qemu_stop();
    console_line_end();
    S.state = TARGET_NONE;
    inspect_reset();
    session_reset_for_restart();
    char err[512];
    if (start_machine(err, sizeof err) < 0) {
        dap_error(req, "restart: %s", err);
        finish_session();
        return;
    }
    breakpoints_reinsert();
    dap_respond(req, 0);
    open_console_terminal();
    if (S.stop_on_entry) {
        aspace_identify();
        dap_event("stopped", json_pack("{s:s, s:i, s:b}", "reason", "entry", "threadId", 1,
                                       "allThreadsStopped", 1));
    } else if (session_resume("-exec-continue", err, sizeof err) < 0) {
        dap_output("stderr", "osdbg: cannot start the OS: %s\n", err);
    }
}

/* attach {profile, target}: target is the gdbstub of an OS that is already
 * running ("unix-socket-path" or "host:port"). */
static void req_attach(json_t *req, json_t *args)
{
    if (S.profile) {
        dap_error(req, "a session is already running");
        return;
    }
    const char *target = json_string_value(json_object_get(args, "target"));
    if (!target) {
        dap_error(req, "\"target\" is required: the gdbstub's Unix socket path or host:port");
        return;
    }
    if (load_profile(req, args) < 0)
        return;
    char err[512];
    if (connect_gdb(target, err, sizeof err) < 0) {
        gdb_stop();
        dap_error(req, "cannot attach to %s: %s", target, err);
        return;
    }
    S.stop_on_entry = json_is_true(json_object_get(args, "stopOnEntry"));
    dap_respond(req, 0);
    dap_event("initialized", 0);
}

static void req_configuration_done(json_t *req, json_t *args)
{
    (void)args;
    hooks_update();
    dap_respond(req, 0);
    if (S.stop_on_entry) {
        aspace_identify();
        dap_event("stopped", json_pack("{s:s, s:i, s:b}", "reason", "entry", "threadId", 1,
                                       "allThreadsStopped", 1));
        return;
    }
    char err[256];
    /* eBPF logpoints: the kernel waits at boot until they are attached
     * (vTGo).  The bound only keeps a boot from hanging if the adapter
     * died; attaching many on a loaded machine can take seconds. */
    bool logpoints = S.launched && logpoints_wanted();
    if (logpoints && S.profile->boot_wait_var[0])
        gdb_cmd(err, sizeof err, "-gdb-set var %s=30000", S.profile->boot_wait_var);
    if (session_resume("-exec-continue", err, sizeof err) < 0)
        dap_output("stderr", "osdbg: cannot start the OS: %s\n", err);
    else if (logpoints)
        logpoints_start();
}

/* The OS has no exceptions in the DAP sense: accept, set none. */
static void req_set_exception_breakpoints(json_t *req, json_t *args)
{
    (void)args;
    dap_respond(req, json_pack("{s:[]}", "breakpoints"));
}

static void req_threads(json_t *req, json_t *args)
{
    (void)args;
    dap_respond(req, json_pack("{s:[{s:i, s:s}]}", "threads", "id", 1, "name", "hart 0"));
}

static void req_continue(json_t *req, json_t *args)
{
    (void)args;
    char err[256];
    if (S.state == TARGET_RUNNING) {
        dap_respond(req, json_pack("{s:b}", "allThreadsContinued", 1));
        return;
    }
    inspect_reset();
    if (session_resume("-exec-continue", err, sizeof err) < 0) {
        dap_error(req, "continue: %s", err);
        return;
    }
    dap_respond(req, json_pack("{s:b}", "allThreadsContinued", 1));
}

static void req_pause(json_t *req, json_t *args)
{
    (void)args;
    char err[256];
    if (S.state != TARGET_RUNNING) {
        dap_respond(req, 0);
        return;
    }
    if (gdb_cmd(err, sizeof err, "-exec-interrupt") < 0) {
        dap_error(req, "pause: %s", err);
        return;
    }
    dap_respond(req, 0);
}

/* The instruction at pc is a RISC-V ecall (0x00000073)? */
static bool at_ecall(void)
{
    char err[256];
    char *v = gdb_eval(err, sizeof err, "*(unsigned int *)$pc");
    bool yes = v && strtoul(v, 0, 0) == 0x73;
    free(v);
    return yes;
}

/* Is the current kernel frame the trap entry itself, or one the trap path
 * (trap entry -> system call dispatch) called directly? */
static bool on_trap_path(void)
{
    char err[256];
    struct mi_record rec;
    if (!S.profile->trap_entry || gdb_run(&rec, err, sizeof err, "-stack-list-frames 0 1") < 0)
        return false;
    json_t *stack = json_object_get(rec.results, "stack");
    const char *self = mi_str(json_array_get(stack, 0), "func");
    const char *caller = mi_str(json_array_get(stack, 1), "func");
    const char *entry = S.profile->trap_entry;
    bool yes = (self && strcmp(self, entry) == 0) ||
               (caller &&
                (strcmp(caller, entry) == 0 || strcmp(caller, S.profile->syscall_dispatch) == 0));
    mi_record_free(&rec);
    return yes;
}

/* Stepping across the border between user and kernel:
 *  - stepIn at an ecall stops at the kernel's trap entry for this process's
 *    system call (GDB would step over it: its RISC-V single-step is a
 *    breakpoint at pc + 4);
 *  - stepOut from a function the trap path called (a system call handler)
 *    returns to the user instruction after the ecall, in the same process. */
static bool step_across(json_t *req, const char *line_cmd)
{
    char err[256];
    if (S.here.priv == 0 && strcmp(line_cmd, "-exec-step") == 0 && S.profile->trap_entry &&
        at_ecall()) {
        if (step_until(S.profile->trap_entry, 1, true, err, sizeof err) < 0)
            dap_error(req, "stepIn: %s", err);
        else
            dap_respond(req, 0);
        return true;
    }
    if (S.here.priv == 1 && strcmp(line_cmd, "-exec-finish") == 0 && S.profile->trap_return &&
        S.profile->trapframe && S.profile->tf_epc >= 0 && S.here.pid >= 0 && on_trap_path()) {
        /* First to the kernel's return to user mode, for this process; then
         * session.c goes on to the user pc the trap frame holds there. */
        if (step_until(S.profile->trap_return, 1, false, err, sizeof err) < 0) {
            dap_error(req, "stepOut: %s", err);
        } else {
            S.step_then_user = true;
            dap_respond(req, 0);
        }
        return true;
    }
    return false;
}

static void step(json_t *req, json_t *args, const char *line_cmd, const char *insn_cmd)
{
    if (S.state != TARGET_STOPPED) {
        dap_error(req, "the OS is not stopped");
        return;
    }
    inspect_reset();
    if (step_across(req, line_cmd))
        return;
    const char *gran = json_string_value(json_object_get(args, "granularity"));
    bool insn = gran && strcmp(gran, "instruction") == 0;
    char err[256];
    S.stepping = true;
    S.step_pid = S.here.pid;
    inspect_reset();
    if (session_resume(insn ? insn_cmd : line_cmd, err, sizeof err) < 0) {
        S.stepping = false;
        dap_error(req, "%s", err);
        return;
    }
    dap_respond(req, 0);
}

static void req_next(json_t *req, json_t *args)
{
    step(req, args, "-exec-next", "-exec-next-instruction");
}

static void req_step_in(json_t *req, json_t *args)
{
    step(req, args, "-exec-step", "-exec-step-instruction");
}

static void req_step_out(json_t *req, json_t *args)
{
    step(req, args, "-exec-finish", "-exec-finish");
}

static void req_terminate(json_t *req, json_t *args)
{
    (void)args;
    dap_respond(req, 0);
    if (S.launched && qemu_running()) {
        qemu_stop();
        dap_event("exited", json_pack("{s:i}", "exitCode", 137));
    }
    finish_session();
}

static void req_disconnect(json_t *req, json_t *args)
{
    json_t *t = json_object_get(args, "terminateDebuggee");
    bool kill_it = S.launched ? !json_is_false(t) : json_is_true(t);
    if (!kill_it && gdb_alive()) {
        char err[256];
        if (S.state == TARGET_RUNNING)
            with_target_stopped(0, 0);
        gdb_cmd(err, sizeof err, "-target-detach");
    }
    gdb_stop();
    if (kill_it)
        qemu_stop();
    terminated_sent = true;
    dap_respond(req, 0);
    loop_stop(0);
}

/* Custom: type into the OS console {text}. */
static void req_console_input(json_t *req, json_t *args)
{
    const char *text = json_string_value(json_object_get(args, "text"));
    if (!text) {
        dap_error(req, "consoleInput: \"text\" is required");
        return;
    }
    if (!qemu_running()) {
        dap_error(req, "consoleInput: the OS is not running under this adapter");
        return;
    }
    if (qemu_console_input(text, strlen(text)) < 0) {
        dap_error(req, "consoleInput: %s",
                  errno == ENOBUFS ? "64 MiB of input are already waiting for the OS to read them"
                                   : strerror(errno));
        return;
    }
    dap_respond(req, 0);
}

/* Custom: counters of stops the user never saw. */
/* osdbg/trace, osdbg/traceList, osdbg/traceDetach, osdbg/traceMap */
static void req_trace(json_t *req, json_t *args)
{
    tracecmd_request(req, json_string_value(json_object_get(req, "command")), args);
}

static void req_stats(json_t *req, json_t *args)
{
    (void)args;
    dap_respond(req, json_pack("{s:I, s:I, s:I}", "filteredHits", (json_int_t)S.filtered_hits,
                               "internalStops", (json_int_t)S.internal_stops, "userStops",
                               (json_int_t)S.user_stops));
}

const struct dap_request_entry osdbg_requests[] = {
    {"initialize", req_initialize},
    {"launch", req_launch},
    {"attach", req_attach},
    {"configurationDone", req_configuration_done},
    {"setBreakpoints", req_set_breakpoints},
    {"setFunctionBreakpoints", req_set_function_breakpoints},
    {"setInstructionBreakpoints", req_set_instruction_breakpoints},
    {"setExceptionBreakpoints", req_set_exception_breakpoints},
    {"threads", req_threads},
    {"continue", req_continue},
    {"pause", req_pause},
    {"next", req_next},
    {"stepIn", req_step_in},
    {"stepOut", req_step_out},
    {"stackTrace", req_stack_trace},
    {"scopes", req_scopes},
    {"variables", req_variables},
    {"evaluate", req_evaluate},
    {"readMemory", req_read_memory},
    {"writeMemory", req_write_memory},
    {"disassemble", req_disassemble},
    {"setVariable", req_set_variable},
    {"dataBreakpointInfo", req_data_breakpoint_info},
    {"setDataBreakpoints", req_set_data_breakpoints},
    {"loadedSources", req_loaded_sources},
    {"modules", req_modules},
    {"terminate", req_terminate},
    {"restart", req_restart},
    {"disconnect", req_disconnect},
    {"consoleInput", req_console_input},
    {"osdbg/stats", req_stats},
    {"osdbg/processes", req_processes},
    {"osdbg/pageTable", req_page_table},
    {"osdbg/trace", req_trace},
    {"osdbg/traceList", req_trace},
    {"osdbg/traceDetach", req_trace},
    {"osdbg/traceMap", req_trace},
    {0, 0},
};
