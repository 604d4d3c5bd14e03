/*
 * The session's life on the target side (session.h): the profile and the
 * kernel's debug information loaded, QEMU started, GDB connected to the
 * gdbstub, and at a restart everything the last machine taught us
 * forgotten.  The top file of target/: it wires the others.
 */
#include "target/session.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "machine/qemu.h"
#include "target/liveness.h"
#include "target/poweroff.h"
#include "target/profile_kernel.h"
#include "target/programs.h"
#include "target/harts.h"
#include "target/state.h"
#include "target/stop.h"
#include "target/timetravel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's rust-gdb package: the pretty-printers of the Rust toolchain. */
#define RUST_GDB_PRINTERS "/usr/lib/rustlib/etc"

int session_load_profile(const char *path, char *err, size_t errlen)
{
    T.profile = profile_load(path, err, errlen);
    if (!T.profile)
        return -1;
    struct stat st;
    if (stat(T.profile->kernel, &st) < 0) {
        snprintf(err, errlen, "kernel ELF %s not found (build it first: make)", T.profile->kernel);
        return -1;
    }
    char why[512];
    T.kernel_di = debuginfo_open(T.profile->kernel, why, sizeof why);
    if (!T.kernel_di)
        dap_output("stderr", "osdbg: kernel debug info: %s\n", why);
    T.kernel_base = T.profile->kernel_base;
    return 0;
}

/* GDB connected to the gdbstub at target; the target is then stopped.
 * QEMU's socket file exists once bound, a moment before it listens: a
 * connection refused is tried again (up to 2 s). */
static int select_target(const char *target, char *err, size_t errlen)
{
    int r = -1;
    for (int i = 0; i < 100 && r < 0; i++) {
        r = gdb_cmd(err, errlen, "-target-select remote %s", target);
        if (r < 0 && !strstr(err, "refused"))
            break;
        if (r < 0)
            usleep(20000);
    }
    if (r < 0)
        return -1;
    /* Connecting reports a stop without a reason: it is not the user's. */
    struct mi_record rec;
    if (gdb_wait_stopped(&rec, 5000) == 0)
        mi_record_free(&rec);
    T.state = TARGET_STOPPED;
    return 0;
}

/* Common to launch and attach: GDB with the kernel's symbols, connected to
 * the gdbstub at `target` (a Unix socket path or host:port). */
int session_connect_gdb(const char *target, const struct gdb_handlers *handlers, char *err,
                        size_t errlen)
{
    if (gdb_start(T.profile->gdb, handlers, err, errlen) < 0)
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
    /* Rust values as rust-gdb shows them (Vec(size=3), Arc(strong=2),
     * RefCell(borrow=0), Some(...)): the pretty-printers Rust ships, for
     * every Rust program and kernel.  Its lookup leaves C types alone. */
    if (access(RUST_GDB_PRINTERS "/gdb_lookup.py", R_OK) == 0 &&
        gdb_console(0, err, errlen,
                    "python import sys; sys.path.insert(0, '%s'); import gdb_lookup; "
                    "gdb.pretty_printers.append(gdb_lookup.lookup)",
                    RUST_GDB_PRINTERS) == 0)
        gdb_cmd(err, errlen, "-enable-pretty-printing");
    /* An internal error of GDB's (gdb-multiarch 13.1 asserted once in
     * inline-frame.c skip_inline_frames after one-hart steps on two harts)
     * fails the command it happened in, with GDB's message, instead of
     * aborting GDB and the session with it (GDB manual, "Maintenance
     * Commands": maint set internal-error). */
    gdb_console(0, err, errlen, "maint set internal-error quit no");
    gdb_console(0, err, errlen, "maint set internal-error corefile no");
    gdb_console(0, err, errlen, "maint set internal-warning quit no");
    gdb_console(0, err, errlen, "maint set internal-warning corefile no");
    /* For debugging the adapter: OSDBG_GDB_DEBUG=1 logs the remote protocol. */
    if (getenv("OSDBG_GDB_DEBUG"))
        gdb_console(0, err, errlen, "set debug remote 1");
    quoted = mi_quote(T.profile->kernel);
    int r = gdb_cmd(err, errlen, "-file-exec-and-symbols %s", quoted);
    free(quoted);
    if (r < 0)
        return -1;
    /* GDB takes the target word literally (quotes included): no quoting. */
    if (strpbrk(target, " \t\n\"")) {
        snprintf(err, errlen, "the gdbstub address must not contain spaces or quotes: %s", target);
        return -1;
    }
    /* Recorded or replayed, the machine runs only what the OS does: a
     * function called from an expression would run code the log does not
     * have (GDB manual, "Calling": may-call-functions).  Set before
     * connecting: GDB refuses to change these while connected. */
    if (tt_deterministic()) {
        gdb_cmd(err, errlen, "-gdb-set may-call-functions off");
        /* Nor may an expression's assignment write (GDB manual, "Observer
         * Mode"); breakpoints are QEMU's (Z packets), not memory writes. */
        gdb_cmd(err, errlen, "-gdb-set may-write-registers off");
        gdb_cmd(err, errlen, "-gdb-set may-write-memory off");
    }
    if (select_target(target, err, errlen) < 0)
        return -1;
    /* Every hart stops when one does (all-stop); a step runs only the
     * selected one, so that it ends in the process it began in (harts.h). */
    if (gdb_cmd(err, errlen, "-gdb-set scheduler-locking step") < 0)
        return -1;
    harts_connected();
    /* The profile's setup (convenience variables for what its language
     * cannot name, such as a lazy_static's hidden static): parsed as C,
     * whose 'quoted::names' reach any symbol (docs/profiles.md). */
    for (char **e = T.profile->setup; e && *e; e++) {
        char why[256];
        char *v = gdb_eval_in(GDB_LANG_C, why, sizeof why, "%s", *e);
        if (!v)
            dap_output("stderr", "osdbg: profile: setup \"%s\" does not evaluate: %s\n", *e, why);
        free(v);
    }
    /* Once per session (not again at restart): does the profile fit? */
    static const struct profile *checked;
    if (checked != T.profile) {
        checked = T.profile;
        profile_check_kernel();
    }
    return 0;
}

static int restart_replay(char *err, size_t errlen);

/* A recorded or replayed machine's additions (recording.h). */
static const char *const *extra_args;
static bool no_debug_channel;

void session_set_machine_extras(const char *const *extra, bool no_channel)
{
    extra_args = extra;
    no_debug_channel = no_channel;
}

int session_start_machine(const char *boot_args, const struct qemu_handlers *qh,
                          const struct gdb_handlers *gh, char *err, size_t errlen)
{
    struct qemu_config cfg = {
        .binary = T.profile->qemu,
        .args = (const char *const *)T.profile->qemu_args,
        .kernel = T.profile->kernel,
        .append = boot_args,
        .freeze = true,
        .debug_device = T.profile->debug_device,
        .dir = T.profile->root,
        .no_debug_channel = no_debug_channel,
        .extra_args = extra_args,
    };
    if (qemu_start(&cfg, qh, err, errlen) < 0)
        return -1;
    T.launched = true;
    tt_set_restart(restart_replay);
    if (session_connect_gdb(qemu_gdb_socket(), gh, err, errlen) < 0) {
        qemu_stop();
        gdb_stop();
        return -1;
    }
    return 0;
}

/* A replay back at its start: QEMU started again, GDB (its breakpoints,
 * its symbols) connected to it again (timetravel.h). */
static int restart_replay(char *err, size_t errlen)
{
    /* GDB lets go of the old QEMU first (it would talk to a dead one),
     * keeping its breakpoints, which go in again when the target runs. */
    gdb_cmd(err, errlen, "-target-disconnect");
    if (qemu_restart(err, errlen) < 0)
        return -1;
    if (select_target(qemu_gdb_socket(), err, errlen) < 0)
        return -1;
    return 0;
}

void session_machine_gone(void)
{
    T.state = TARGET_EXITED;
}

void session_shutdown(void)
{
    gdb_stop();
    if (T.launched)
        qemu_stop();
}

void session_reset_for_restart(void)
{
    T.state = TARGET_NONE;
    T.has_run = false;
    programs_reset();
    aspace_forget_all();
    hooks_reset();
    poweroff_reset();
    stop_reset();
    tt_reset();
}
