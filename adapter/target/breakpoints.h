/*
 * The breakpoints as the client sees them (breakpoints.c): one table, each
 * entry standing for the GDB breakpoints of its locations.  Setting them
 * needs the target stopped (with_target_stopped); the DAP handlers in
 * dap/handler/set_breakpoints.c call the setters.
 */
#ifndef ADAPTER_TARGET_BREAKPOINTS_H
#define ADAPTER_TARGET_BREAKPOINTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

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

/* How logpoints run as eBPF in the OS: the logpoint layer above
 * (trace/logpoints.c) registers these; without them every logpoint is a
 * GDB stop-print-resume. */
struct logpoint_ops {
    /* Compile the message and conditions, one program per location; false
     * with *why if part of it needs GDB. */
    bool (*compile)(struct bp *b, const char **why);
    void (*attach)(struct bp *b); /* now, or when the OS runs again */
    void (*detach)(struct bp *b);
    void (*forget)(struct bp *b); /* free the compiled programs */
};
void breakpoints_set_logpoint_ops(const struct logpoint_ops *ops);
/* Every logpoint stops in GDB (launch key ebpfLogpoints: false, or an OS
 * without a side-stub), for the reason why (said once per logpoint). */
void breakpoints_use_gdb_logpoints(bool gdb_only, const char *why);
/* fn is called after each change of the table's GDB breakpoints (the
 * arming of user breakpoints follows them: liveness.c). */
void breakpoints_on_change(void (*fn)(void));

/* Replace the breakpoints of one source file (setBreakpoints), the function
 * breakpoints, the instruction breakpoints, from the request's specs; the
 * DAP Breakpoint objects returned.  The target must be stopped. */
json_t *breakpoints_set_source(const char *path, json_t *specs);
json_t *breakpoints_set_functions(json_t *specs);
json_t *breakpoints_set_instructions(json_t *specs);
/* An eBPF logpoint the OS had no room for prints through GDB instead. */
void breakpoint_fall_back_to_gdb(int id, const char *why);
/* A program ran for the first time: its breakpoints become verified. */
void breakpoints_on_program_seen(const char *program);
/* After a restart: insert every breakpoint location into the new GDB. */
void breakpoints_reinsert(void);
/* A breakpoint of the adapter's own (a hook) at a kernel function, by
 * address from the kernel's symbols (a user program may have a function
 * of the same name), after its prologue if asked (the profile's
 * expressions then read its parameters).  Its GDB number, or 0 (logged,
 * with what, the profile key it serves). */
int breakpoint_insert_internal(const char *what, const char *function, bool after_prologue);

/* The table: all breakpoints (count in *n), one by DAP id, or by the GDB
 * number of one of its locations (*loc set). */
struct bp *breakpoints_all(int *n);
struct bp *breakpoint_by_id(int id);
struct bp *breakpoint_by_gdb_number(int n, struct bp_loc **loc);
/* The GDB number of the armed breakpoint at pc, or 0. */
int breakpoint_armed_at(uint64_t pc);

/* Data breakpoints (GDB watchpoints), DAP setDataBreakpoints' list (each
 * {dataId: an expression, accessType}): all replaced; the DAP breakpoints
 * answered.  Their ids start at WATCH_ID_BASE.  One on a user address
 * belongs to the process it was set in (every program's data is at the
 * same addresses, and QEMU's watchpoints fire in every address space). */
#define WATCH_ID_BASE 100000
json_t *breakpoints_set_watches(json_t *list);
/* Made again in GDB, same ids: GDB compares a write's value with the one
 * it read last, and after a jump back in time that one is from the
 * future (a write of the value it had then would not stop). */
void breakpoints_rearm_watches(void);
/* The DAP id and owner process (-1 none) of GDB's watchpoint n. */
bool breakpoint_watch_by_gdb(int gdb_number, int *id, int *pid);

#endif
