/*
 * Where the OS is: the profile it was launched with, its kernel's debug
 * information, whether it runs, and the address space it was in at the
 * last stop.  The lowest file of target/: everything else there reads T.
 *
 * Each field has one writer, named beside it.
 */
#ifndef ADAPTER_TARGET_STATE_H
#define ADAPTER_TARGET_STATE_H

#include "dwarf/debuginfo.h"
#include "gdb/gdb.h"
#include "profile/profile.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum target_state { TARGET_NONE, TARGET_RUNNING, TARGET_STOPPED, TARGET_EXITED };

/* Where the OS was at a stop. */
struct aspace {
    int priv; /* 0 U, 1 S, 3 M (QEMU's $priv) */
    uint64_t satp;
    uint64_t pc;
    int pid;          /* -1: no process (scheduler, boot) or unknown */
    char program[64]; /* the running process's program, "" if none */
    char unknown[400]; /* why the process could not be told ("" if it could) */
};

/* Harts the adapter has room for (QEMU virt allows 512; teaching OSes use
 * a handful). */
#define MAX_HARTS 64

struct target {
    struct profile *profile;    /* session.c (launch/attach) */
    struct debuginfo *kernel_di; /* session.c */
    uint64_t kernel_base;       /* session.c: lowest kernel text address: below it is user space */
    bool launched;              /* session.c: we started QEMU (terminate kills it) */
    enum target_state state;    /* runctl.c (and session.c when the machine goes) */
    bool has_run;               /* runctl.c: the OS has been resumed at least once */
    struct aspace here;         /* state.c (aspace_identify): the selected hart's, at the last stop */
    /* Several harts (harts.h): GDB shows each as a thread, thread t is hart
     * t - 1, and GDB's selected thread is the one `here` describes. */
    int thread;                        /* harts.c: the selected thread, 1 before the first stop */
    int stop_thread;                   /* harts.c: the thread whose stop GDB reported last */
    int nharts;                        /* harts.c: threads GDB shows (0: not asked yet) */
    struct aspace harts[MAX_HARTS];    /* state.c/harts.c: each hart's at the last stop */
    bool harts_known;                  /* harts.c: every hart identified since the last stop */
};

extern struct target T;

/* GDB's language for the profile's expressions (its "language"). */
enum gdb_lang profile_lang(void);
/* Address spaces by satp, for an OS whose process has no name field: the
 * exec hook says which program a page table runs (and the fork hook that
 * a child's runs its parent's); a stop's satp then names the program. */
void aspace_learn(uint64_t satp, const char *program);
const char *aspace_program(uint64_t satp); /* "" if unknown */
void aspace_forget_all(void);
/* Read priv/satp/pc and the current process of the selected hart into
 * T.here (and its T.harts slot). */
void aspace_identify(void);
/* The same for another thread's hart (GDB's selection stays), into *a. */
void aspace_identify_thread(int thread, struct aspace *a);
/* "U", "S" or "M" for a privilege level. */
const char *priv_mode(int priv);
/* The text of a C string as GDB prints it (0x... "name", octal escapes,
 * up to the first NUL), into out. */
void parse_c_string(const char *v, char *out, size_t n);

#endif
