/*
 * The session's life, as the client drives it: launch, attach, restart,
 * configurationDone, terminate, disconnect; and the wiring of QEMU's and
 * GDB's events to the client (their handlers live here, the target's
 * side of it in target/session.c).  One family: the requests share the
 * end of a session (finish_session) and the machine's start.
 */
#include "dap/handler/handlers.h"
#include "core/loop.h"
#include "gdb/gdb.h"
#include "machine/console.h"
#include "machine/console_output.h"
#include "machine/qemu.h"
#include "machine/recording.h"
#include "side/siderelay.h"
#include "target/breakpoints.h"
#include "target/liveness.h"
#include "target/runctl.h"
#include "target/session.h"
#include "target/state.h"
#include "target/reverse.h"
#include "target/stop.h"
#include "target/timetravel.h"
#include "trace/logpoints.h"
#include "trace/tracecmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The launch configuration's choices. */
static struct {
    bool stop_on_entry;
    bool console_by_event; /* "consoleTerminal": "event": the client opens the terminal */
} opts;

static void finish_session(void);

/* The recording a "record" session writes, or a "replay" session reads. */
static struct recording recording;

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

/* The recorded run is over: its folder says so, and how to replay it. */
static void end_recording(int status)
{
    char err[512];
    if (recording_finish(&recording, status, err, sizeof err) < 0)
        dap_output("stderr", "osdbg: the recording in %s: %s\n", recording.dir, err);
    else
        dap_output("console",
                   "osdbg: recorded to %s; replay it (and go backwards) with the launch key "
                   "\"replay\": \"%s\"\n",
                   recording.dir, recording.dir);
}

static void on_qemu_exit(int status)
{
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    dap_log("QEMU exited, status %d", code);
    if (tt_mode() == TT_RECORDING)
        end_recording(status);
    else if (tt_mode() == TT_REPLAY)
        dap_output("console", "osdbg: the end of the recording: the OS powered off there (the "
                              "replay ends with it; restart to replay it again)\n");
    session_machine_gone();
    dap_event("exited", json_pack("{s:i}", "exitCode", code));
    finish_session();
}

static void on_gdb_async(struct mi_record *rec)
{
    if (rec->kind == MI_EXEC_ASYNC && rec->klass && strcmp(rec->klass, "stopped") == 0) {
        inspect_reset();
        stop_handle(rec);
    } else if (rec->kind == MI_EXEC_ASYNC && rec->klass && strcmp(rec->klass, "running") == 0) {
        /* Resumed by someone else (a "continue" typed in the GDB console):
         * tell the client, whose view would otherwise stay "stopped". */
        if (target_running_unexpectedly()) {
            inspect_reset();
            dap_event("continued",
                      json_pack("{s:i, s:b}", "threadId", 1, "allThreadsContinued", 1));
        }
    }
}

static void on_gdb_stream(struct mi_record *rec)
{
    if (!rec->text)
        return;
    dap_log("gdb %s: %s", rec->kind == MI_LOG ? "log" : "console", rec->text);
    /* GDB's own failures (an assertion it survives: session.c sets
     * internal-error to "quit no") reach the user, who otherwise sees only
     * the command that failed, or a stop that never comes. */
    if (rec->kind == MI_LOG &&
        (strstr(rec->text, "internal-error") || strstr(rec->text, "internal-warning") ||
         strstr(rec->text, "A problem internal to GDB")))
        dap_output("stderr", "osdbg: GDB: %s%s", rec->text,
                   rec->text[0] && rec->text[strlen(rec->text) - 1] == '\n' ? "" : "\n");
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
    if (T.state != TARGET_EXITED)
        dap_output("stderr", "osdbg: GDB exited unexpectedly\n");
    finish_session();
}

/* A GDB command that timed out (QEMU's gdbstub busy or wedged, or GDB
 * itself): the user hears of it, since what waited on it (a stop shown,
 * a step) may now never come.  The first few are said; all are logged. */
static void on_gdb_unanswered(const char *command, long ms)
{
    static int said;
    dap_log("GDB did not answer %s within %ld ms", command, ms);
    if (said++ < 3)
        dap_output("stderr", "osdbg: GDB did not answer \"%s\" within %ld ms%s\n", command, ms,
                   said == 3 ? " (further ones go to the adapter's log only)" : "");
}

static const struct gdb_handlers gdb_h = {on_gdb_async, on_gdb_stream, on_gdb_exit,
                                          on_gdb_unanswered};

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
    if (session_load_profile(path, err, sizeof err) < 0) {
        dap_error(req, "%s", err);
        return -1;
    }
    return 0;
}

static char *boot_args; /* kept for restart */

static const struct qemu_handlers qemu_h = {console_from_os, on_qemu_exit};

/* QEMU frozen before its first instruction, and GDB connected to it. */
static int start_machine(char *err, size_t errlen)
{
    return session_start_machine(boot_args, &qemu_h, &gdb_h, err, errlen);
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
    if (!T.profile->side_stub) {
        relay[0] = 0; /* no debug channel (a recording): nothing to relay */
    } else if (siderelay_start(relay, err, sizeof err) < 0) {
        dap_output("stderr", "osdbg: no trace socket: %s\n", err);
        relay[0] = 0;
    }
    dap_output("console", "osdbg: %s; gdbstub %s, debug channel %s, console %s\n", T.profile->name,
               qemu_gdb_socket(), T.profile->side_stub ? qemu_side_socket() : "none", console);
    if (relay[0])
        dap_output("console", "osdbg: trace from a terminal: osdbg trace --socket %s kprobe ...\n",
                   relay);
    if (opts.console_by_event && console[0]) {
        /* The client makes the terminal itself (the VS Code extension: a
         * terminal with no shell behind it, reused by the next session). */
        console_relay_expect(TERMINAL_WAIT_MS, console_to_output);
        dap_event("osdbg/console",
                  json_pack("{s:s, s:s}", "socket", console, "title", "OS console"));
    } else if (client_supports_run_in_terminal() && console[0]) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = 0;
        if (n > 0) {
            console_relay_expect(TERMINAL_WAIT_MS, console_to_output);
            dap_reverse_request("runInTerminal",
                                json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "kind", "integrated",
                                          "title", "OS console", "cwd", T.profile->root, "args",
                                          self, "console", console),
                                on_run_in_terminal);
        }
    }
}

void req_launch(json_t *req, json_t *args)
{
    if (T.profile) {
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
    opts.console_by_event = terminal && !strcmp(terminal, "event");
    /* "harts": QEMU's -smp, whatever the profile says. */
    json_t *harts = json_object_get(args, "harts");
    if (harts && (!json_is_integer(harts) || json_integer_value(harts) < 1 ||
                  json_integer_value(harts) > MAX_HARTS)) {
        dap_error(req, "launch: \"harts\" must be a number of harts from 1 to %d", MAX_HARTS);
        return;
    }
    /* Time travel (issue 20): "record": true records the run; "replay":
     * "<folder>" replays a recording, backwards too. */
    json_t *record = json_object_get(args, "record");
    json_t *replay = json_object_get(args, "replay");
    if ((record && !json_is_boolean(record)) || (replay && !json_is_string(replay))) {
        dap_error(req, "launch: \"record\" is true or false, \"replay\" the folder of a "
                       "recording (build/recordings/<time>)");
        return;
    }
    if (json_is_true(record) && replay) {
        dap_error(req, "launch: \"record\" and \"replay\" do not go together: a replay is "
                       "already a recording");
        return;
    }
    if (load_profile(req, args) < 0)
        return;
    opts.stop_on_entry = json_is_true(json_object_get(args, "stopOnEntry"));
    if (harts)
        profile_set_harts(T.profile, (int)json_integer_value(harts));
    if (json_is_true(record) || replay) {
        char err[1024];
        const char *boot = json_string_value(json_object_get(args, "bootArgs"));
        int r = replay ? recording_open(json_string_value(replay), T.profile, &recording, err,
                                        sizeof err)
                       : 0;
        if (!replay) {
            char parent[4096];
            recording_default_parent(parent, sizeof parent);
            r = recording_create(T.profile, parent, boot ? boot : "", &recording, err,
                                 sizeof err);
        }
        if (r == 0)
            r = recording_adapt_disks(T.profile, &recording, replay != 0, err, sizeof err);
        if (r < 0) {
            dap_error(req, "launch: %s: %s", replay ? "replay" : "record", err);
            profile_free(T.profile);
            T.profile = 0;
            return;
        }
        if (harts && json_integer_value(harts) != RECORDING_HARTS)
            dap_output("console", "osdbg: QEMU 7.2 records and replays one hart only: "
                                  "\"harts\" is %d here\n",
                       RECORDING_HARTS);
        profile_set_harts(T.profile, RECORDING_HARTS);
        /* A recording has no debug channel (recording.h says why): no
         * side-stub, logpoints in GDB. */
        T.profile->side_stub = false;
        tt_set_mode(replay ? TT_REPLAY : TT_RECORDING);
        session_set_machine_extras(recording_qemu_args(&recording, replay != 0), true);
        breakpoints_use_gdb_logpoints(true, replay ? "a replay has no debug channel: eBPF "
                                                     "cannot run in it"
                                                   : "a recorded run has no debug channel");
        if (replay && boot && strcmp(boot, recording.boot_args))
            dap_output("console", "osdbg: a replay runs with its recording's boot arguments "
                                  "(\"%s\"), not bootArgs\n",
                       recording.boot_args);
        free(boot_args);
        boot_args = strdup(replay ? recording.boot_args : boot ? boot : "");
        dap_output("console", "osdbg: %s %s (one hart, no eBPF: logpoints stop, print and resume "
                              "in GDB)%s\n",
                   replay ? "replaying" : "recording to", recording.dir,
                   replay ? "; Step Back and Reverse Continue go backwards" : "");
    }
    /* Logpoints run as eBPF in the OS unless the launch says not to, or
     * the OS has no side-stub to run them ("sideStub": false). */
    bool no_ebpf = json_is_false(json_object_get(args, "ebpfLogpoints"));
    if (tt_mode() == TT_LIVE)
        breakpoints_use_gdb_logpoints(no_ebpf || !T.profile->side_stub,
                                      no_ebpf ? "the launch configuration says ebpfLogpoints: false"
                                              : "the OS has no side-stub (profile: \"sideStub\": false)");
    if (!T.profile->side_stub && tt_mode() == TT_LIVE)
        dap_output("console", "osdbg: %s has no side-stub: logpoints stop, print and resume in "
                              "GDB, and there is no eBPF tracing\n",
                   T.profile->name);
    if (tt_mode() == TT_LIVE) {
        const char *boot = json_string_value(json_object_get(args, "bootArgs"));
        free(boot_args);
        boot_args = boot ? strdup(boot) : 0;
    }
    char err[512];
    if (start_machine(err, sizeof err) < 0) {
        dap_error(req, "cannot start the OS: %s", err);
        return;
    }
    dap_respond(req, 0);
    dap_event("initialized", 0);
    dap_event("module", json_pack("{s:s, s:{s:s, s:s, s:s}}", "reason", "new", "module", "id",
                                  "kernel", "name", "kernel", "path", T.profile->kernel));
    open_console_terminal();
}

/* restart: a fresh machine with the same arguments and the same
 * breakpoints, then on as after configurationDone. */
void req_restart(json_t *req, json_t *args)
{
    (void)args;
    if (!T.profile || !T.launched) {
        dap_error(req, "restart: only a launched session can be restarted");
        return;
    }
    /* A recorded session records again, into a new folder (the old one is
     * finished first: its log ends properly).  Its disks' overlays are the
     * old recording's, so with disks it cannot. */
    bool rerecord = tt_mode() == TT_RECORDING;
    for (char **a = T.profile->qemu_args; rerecord && *a; a++)
        if (strstr(*a, "-rr-image")) {
            dap_error(req, "restart: a recorded session with a disk records anew only from a new "
                           "launch (the disk's copy belongs to this recording)");
            return;
        }
    siderelay_stop();
    tracecmd_close();
    gdb_stop();
    console_relay_stop();
    if (rerecord) {
        int status = qemu_stop_gracefully(5000);
        end_recording(status < 0 ? 0x9 /* killed */ : status);
    }
    qemu_stop();
    console_line_end();
    inspect_reset();
    session_reset_for_restart();
    char err[1024];
    if (rerecord) {
        char parent[4096];
        recording_default_parent(parent, sizeof parent);
        if (recording_create(T.profile, parent, boot_args ? boot_args : "", &recording, err,
                             sizeof err) < 0) {
            dap_error(req, "restart: %s", err);
            finish_session();
            return;
        }
        session_set_machine_extras(recording_qemu_args(&recording, false), true);
        dap_output("console", "osdbg: recording to %s\n", recording.dir);
    }
    if (start_machine(err, sizeof err) < 0) {
        dap_error(req, "restart: %s", err);
        finish_session();
        return;
    }
    breakpoints_reinsert();
    dap_respond(req, 0);
    open_console_terminal();
    if (opts.stop_on_entry) {
        aspace_identify();
        dap_event("stopped", json_pack("{s:s, s:i, s:b}", "reason", "entry", "threadId", T.thread,
                                       "allThreadsStopped", 1));
    } else if (target_resume("-exec-continue", err, sizeof err) < 0) {
        dap_output("stderr", "osdbg: cannot start the OS: %s\n", err);
    }
}

int lifecycle_replay_here(void (*then)(void), char *err, size_t errlen)
{
    uint64_t n;
    if (!tt_icount(&n, err, errlen))
        return -1;
    /* The recording ends here: QEMU finishes its log on SIGTERM. */
    siderelay_stop();
    tracecmd_close();
    gdb_stop();
    console_relay_stop();
    int status = qemu_stop_gracefully(5000);
    console_line_end();
    end_recording(status < 0 ? 0x9 /* killed */ : status);
    char dir[sizeof recording.dir];
    snprintf(dir, sizeof dir, "%s", recording.dir); /* recording_open fills recording */
    if (recording_open(dir, T.profile, &recording, err, errlen) < 0) {
        finish_session();
        return -1;
    }
    tt_set_mode(TT_REPLAY);
    session_set_machine_extras(recording_qemu_args(&recording, true), true);
    breakpoints_use_gdb_logpoints(true, "a replay has no debug channel: eBPF cannot run in it");
    inspect_reset();
    session_reset_for_restart();
    if (start_machine(err, errlen) < 0) {
        finish_session();
        return -1;
    }
    breakpoints_reinsert();
    open_console_terminal();
    dap_output("console", "osdbg: going back: the recording is replayed up to where you were "
                          "(instruction %llu), then backwards\n",
                (unsigned long long)n);
    return reverse_goto((unsigned long long)n, then, err, errlen);
}

/* attach {profile, target}: target is the gdbstub of an OS that is already
 * running ("unix-socket-path" or "host:port"). */
void req_attach(json_t *req, json_t *args)
{
    if (T.profile) {
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
    if (session_connect_gdb(target, &gdb_h, err, sizeof err) < 0) {
        gdb_stop();
        dap_error(req, "cannot attach to %s: %s", target, err);
        return;
    }
    opts.stop_on_entry = json_is_true(json_object_get(args, "stopOnEntry"));
    dap_respond(req, 0);
    dap_event("initialized", 0);
}

void req_configuration_done(json_t *req, json_t *args)
{
    (void)args;
    hooks_update();
    dap_respond(req, 0);
    if (opts.stop_on_entry) {
        aspace_identify();
        dap_event("stopped", json_pack("{s:s, s:i, s:b}", "reason", "entry", "threadId", T.thread,
                                       "allThreadsStopped", 1));
        return;
    }
    char err[256];
    /* eBPF logpoints: the kernel waits at boot until they are attached
     * (vTGo).  The bound only keeps a boot from hanging if the adapter
     * died; attaching many on a loaded machine can take seconds. */
    bool logpoints = T.launched && logpoints_wanted();
    if (logpoints && T.profile->boot_wait_var[0])
        gdb_cmd(err, sizeof err, "-gdb-set var %s=30000", T.profile->boot_wait_var);
    if (target_resume("-exec-continue", err, sizeof err) < 0)
        dap_output("stderr", "osdbg: cannot start the OS: %s\n", err);
    else if (logpoints)
        logpoints_start();
}

/* The OS has no exceptions in the DAP sense: accept, set none. */
void req_terminate(json_t *req, json_t *args)
{
    (void)args;
    dap_respond(req, 0);
    if (T.launched && qemu_running()) {
        qemu_stop();
        dap_event("exited", json_pack("{s:i}", "exitCode", 137));
    }
    finish_session();
}

void req_disconnect(json_t *req, json_t *args)
{
    json_t *t = json_object_get(args, "terminateDebuggee");
    bool kill_it = T.launched ? !json_is_false(t) : json_is_true(t);
    if (!kill_it && gdb_alive()) {
        char err[256];
        if (T.state == TARGET_RUNNING)
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

