/*
 * A profile describes a teaching OS to the adapter, declaratively
 * (a JSON file in profiles/, format in docs/profiles.md): where its kernel and user
 * ELFs are, how to run it, and the GDB expressions that tell which process
 * runs.  No code is OS-specific.
 */
#ifndef ADAPTER_PROFILE_H
#define ADAPTER_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The language GDB reads the profile's expressions in ("language"). */
enum profile_language { PROFILE_LANG_C, PROFILE_LANG_RUST };

struct profile {
    char *path; /* the profile file */
    enum profile_language language;
    char *name;
    char *root;                      /* directory relative paths are resolved against */
    char *kernel;                    /* kernel ELF (absolute) */
    char *gdb;                       /* GDB binary */
    char *qemu;                      /* QEMU binary */
    char **qemu_args;                /* machine arguments, 0-terminated */
    const char *debug_device;        /* the debug channel's -device (osdbg/dbgchan.h) */
    uint64_t kernel_base;            /* lowest kernel address: below it, user code */
    char *syscall_dispatch;          /* the function the trap entry calls for system calls */
    bool side_stub;                  /* the OS runs osdbg's side-stub (eBPF, traces) */
    char *boot_wait_var;             /* kernel variable: ms to wait at boot for probes ("" none) */
    char *user_dir;                  /* directory of user program ELFs (absolute) */
    char *user_pattern;              /* file name of program {name} in user_dir */
    char *proc_name;                 /* GDB expression: name of the running process */
    char *proc_pid;                  /* GDB expression: its pid */
    char *proc_pagetable;            /* GDB expression: physical address of its Sv39 root table */
    bool kernel_identity_mapped;     /* kernel VA == PA: read kernel data physically in user mode */
    char *exec_symbol;               /* where exec has committed a new image */
    char *exec_name;                 /* ...expression for the new program's name there */
    char *exec_satp;                 /* ...and for its satp */
    char *exec_pid;                  /* ...and its pid, if process.pid cannot tell there */
    char *exit_symbol;               /* where a process ends */
    char *exit_pid;                  /* ...expression for its pid there */
    char *fork_symbol;               /* where fork has made a child of the same program */
    char *fork_pid, *fork_name;      /* ...expressions for the child's pid and the program */
    char *fork_satp, *fork_parent_satp; /* ...and the child's and the parent's satp */
    char *proc_satp;                 /* GDB expression: the running process's satp (kernel mode) */
    char **setup;                    /* GDB expressions evaluated once the symbols load, 0-terminated */
    char **power_off;                /* kernel functions that power the machine off, 0-terminated */
    char *trap_entry;                /* C entry of traps from user mode */
    char *trap_return;               /* where the kernel returns to user mode */
    char *trapframe;                 /* expression: kernel address of the current trap frame */
    int tf_epc, tf_ra, tf_sp, tf_fp; /* byte offsets in the trap frame */
    /* Uretprobes (optional): expressions for the return trampoline's
     * address, the probe engine's table of instances in flight (an array
     * of struct rvprobe_ri, probes/include/rvprobe.h) and the current task
     * as the engine records it. */
    char *uret_trampoline, *uret_instances, *uret_task;
    /* Every process (optional, for the editor's process list): an array
     * expression, and per element, with {p} standing for it, whether the
     * slot is in use and the process's name, pid, state and page table. */
    char *procs_table, *procs_live, *procs_name, *procs_pid, *procs_state, *procs_pagetable;
    char *warnings; /* what the load found wrong but could go on with, a line each, or 0 */
};

/* Unknown keys (with the closest known one) and keys of the wrong type, into
 * p->warnings (profile_check.c). */
struct json_t;
void profile_check_keys(struct profile *p, struct json_t *j);

/* Load and check a profile.  Returns 0 with a message in err on failure. */
struct profile *profile_load(const char *path, char *err, size_t errlen);
void profile_free(struct profile *p);
/* Boot the machine with n harts (QEMU -smp n) whatever the profile says:
 * the launch key "harts". */
void profile_set_harts(struct profile *p, int n);
/* The ELF path of a user program, malloc'd. */
/* The program a file in the user directory stands for under
 * userPrograms.file ("_{name}": "_echo" is echo), into name; false if the
 * file's name does not fit the pattern. */
bool profile_user_program_name(const struct profile *p, const char *file, char *name, size_t n);
char *profile_user_elf(const struct profile *p, const char *program);

#endif
