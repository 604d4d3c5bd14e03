/*
 * The state of one debug session: the profile, QEMU, GDB, the address
 * space the OS was in at the last stop, the breakpoints, and the
 * bookkeeping for stops the user never sees (breakpoints of other programs,
 * internal exec stops).
 */
#ifndef ADAPTER_SESSION_H
#define ADAPTER_SESSION_H

#include "dwarf/debuginfo.h"
#include "gdb/mi_parse.h"
#include "profile/profile.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum target_state { TARGET_NONE, TARGET_RUNNING, TARGET_STOPPED, TARGET_EXITED };

/* Where the OS was at a stop. */
struct aspace {
    int priv; /* 0 U, 1 S, 3 M (QEMU's $priv) */
    uint64_t satp;
    uint64_t pc;
    int pid;          /* -1: no process (scheduler, boot) or unknown */
    char program[64]; /* the running process's program, "" if none */
};

enum bp_kind { BP_SOURCE, BP_FUNCTION, BP_INSTRUCTION };

/* One breakpoint as the client sees it.  A user breakpoint may stand for
 * several GDB breakpoints (a line in a file linked into several programs). */
struct bp {
    enum bp_kind kind;
    int id;       /* DAP breakpoint id */
    char *source; /* BP_SOURCE: the client's path */
    int line;     /* requested line */
    int actual_line;
    char *name; /* BP_FUNCTION: as given; BP_INSTRUCTION: the reference */
    char *condition, *hit_condition, *log_message;
    bool verified;
    char *message; /* why not verified */
    int hits;      /* hits in the right address space */
    bool ebpf;     /* a logpoint run by probes in the OS (no GDB breakpoint) */
    int nlocs;
    struct bp_loc {
        int gdb_number;
        uint64_t addr;
        char program[64]; /* "" = kernel, "*" = any user program */
        bool enabled;     /* armed in GDB now */
    } * locs;
};

struct session {
    struct profile *profile;
    struct debuginfo *kernel_di;
    uint64_t kernel_base; /* lowest kernel text address: below it is user space */
    enum target_state state;
    bool launched; /* we started QEMU (terminate kills it) */
    bool stop_on_entry;
    bool gdb_logpoints; /* launch key ebpfLogpoints: false (all logpoints stop in GDB) */
    bool supports_run_in_terminal;
    bool console_by_event; /* launch "consoleTerminal": "event": the client opens it */
    struct aspace here;    /* at the last stop */
    int last_pid;          /* for the address-space-changed event */
    char user_symbols[64]; /* program whose symbols GDB has loaded, "" none */
    struct bp *bps;
    int nbps;
    int next_bp_id;
    int exec_bp;            /* GDB number of the internal exec breakpoint, 0 none */
    int exit_bp;            /* ... and of the exit breakpoint */
    int fork_bp;            /* ... and of the fork breakpoint (0: the profile has none) */
    bool hooks_armed;       /* exec/exit breakpoints in place (liveness.c) */
    bool hooks_failed;      /* the exec hook could not be set: not tried again */
    bool tracking_complete; /* ...since before the OS's first instruction */
    bool has_run;           /* the OS has been resumed at least once */
    bool expect_running;    /* we resumed it: *running needs no continued event */
    char seen[32][64];      /* programs seen running (exec'd) */
    int nseen;
    /* counters (reported by the "osdbg/stats" custom request) */
    long filtered_hits;  /* breakpoint hits in the wrong address space, resumed */
    long internal_stops; /* exec stops */
    long user_stops;     /* stops reported to the client */
    /* stepping */
    bool stepping;
    int step_pid;
    int step_bp;           /* GDB breakpoint finishing a step in the right process, 0 none */
    uint64_t step_origin;  /* pc where a run-to-breakpoint step started */
    int step_bp_priv;      /* the privilege the step must end in (-1 any) */
    bool step_needs_ecall; /* stepIn at ecall: only a stop with scause = ecall counts */
    bool step_then_user;   /* stepOut: at the return-to-user point, go on to the user pc */
};

extern struct session S;

/* Internal: run fn while the target is stopped (interrupting and resuming
 * if it runs).  Returns fn's result. */
/* The text of a C string as GDB prints it (0x... "name", octal escapes,
 * up to the first NUL), into out. */
void parse_c_string(const char *v, char *out, size_t n);
int with_target_stopped(int (*fn)(void *), void *arg);
/* A GDB breakpoint the adapter deleted: a hit of it still on its way is
 * resumed silently, never shown. */
void session_note_deleted_breakpoint(int number);
/* Why the last with_target_stopped() returned -1 without calling fn. */
const char *session_stop_error(void);
/* Run until location (a GDB location) is reached by the process that is
 * current now, in privilege priv (-1: any); with needs_ecall, only when
 * that stop is a system call trap (scause 8).  Reported as a step. */
int step_until(const char *location, int priv, bool needs_ecall, char *err, size_t errlen);
/* Resume the target with -exec-continue (or a step command). */
int session_resume(const char *mi_command, char *err, size_t errlen);
/* Call fn (from the event loop's next turn or at once, fn decides) each
 * time the OS runs again after a stop: the modules above run control
 * (eBPF logpoints set while it was stopped) register here, so that run
 * control never names them.  At most 8 observers. */
void session_on_resume(void (*fn)(void));
/* Read priv/satp/pc and the current process into S.here. */
void aspace_identify(void);
/* Load the symbols of the program running now (user stop), drop others. */
void aspace_sync_symbols(void);
/* Handle a *stopped record from GDB. */
void session_on_stopped(struct mi_record *rec);
/* Debug info of a user program (cached), or 0. */
struct debuginfo *user_debuginfo(const char *program);
/* Every user program the profile knows (names), count returned. */
int user_programs(const char ***names);
bool program_seen(const char *program);
void mark_program_seen(const char *program);

/* breakpoints.c */
void breakpoints_on_program_seen(const char *program);
struct bp *breakpoint_by_gdb_number(int n, struct bp_loc **loc);
/* An eBPF logpoint the OS had no room for prints through GDB instead. */
void breakpoint_fall_back_to_gdb(int id, const char *why);

/* liveness.c: which programs have a process; arming of user breakpoints */
void hooks_update(void);
bool hooks_handle_stop(int bkptno);
bool program_live(const char *program);
void live_set(int pid, const char *program);
/* After a restart: insert every breakpoint location into the new GDB. */
void breakpoints_reinsert(void);
/* Stop QEMU (if launched) and GDB: the adapter is leaving. */
void session_shutdown(void);
/* Forget what the last machine taught us (liveness, seen programs, hooks). */
void session_reset_for_restart(void);
void live_clear(void);

#endif
