/*
 * osdbg.h - the reference kernel's types as eBPF programs see them, the way
 * libbpf programs see Linux's through vmlinux.h:
 *
 *     #include <bpf/osdbg.h>
 *     #include <bpf/bpf_core_read.h>
 *     struct proc *p = (void *)bpf_get_current_task();
 *     int pid = BPF_CORE_READ(p, pid);
 *     struct trapframe *tf = BPF_CORE_READ(p, trapframe);
 *
 * Kernel memory is read with bpf_probe_read_kernel (BPF_CORE_READ does it):
 * a direct dereference is refused by the verifier.  The layouts are the
 * kernel's (kernel/proc.h, kernel/cpu.h, kernel/file.h and
 * include/osdbg/trapframe.h, compiled for rv64 lp64: long and pointers are
 * 8 bytes, as for -target bpf).  No CO-RE: the offsets are fixed at compile
 * time, and test-ebpf-elf compares every field's offset and every struct's
 * size here with the kernel ELF's DWARF (tests/ebpf/osdbg_h_check.sh), so
 * this file cannot drift from the kernel.  Self-contained: no other header.
 */
#ifndef OSDBG_BPF_OSDBG_H
#define OSDBG_BPF_OSDBG_H

#define OSDBG_NOFILE        16 /* kernel/param.h NOFILE */
#define OSDBG_PROC_NAME_LEN 16 /* kernel/param.h PROC_NAME_LEN */
#define OSDBG_NCPU          4  /* kernel/param.h NCPU */

/* kernel/proc.h */
enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

/* kernel/file.h */
enum file_type {
    FILE_NONE,
    FILE_CONSOLE,
    FILE_RAMFS,
    FILE_DIR,
    FILE_BPF_MAP,
    FILE_BPF_PROG,
    FILE_BPF_LINK,
};

/* kernel/cpu.h: callee-saved registers of a kernel context switch. */
struct context {
    unsigned long long ra, sp;
    unsigned long long s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
};

/* include/osdbg/trapframe.h: a user program's registers at its last trap
 * (x1..x31 by ABI name after the trampoline's five words). */
struct trapframe {
    unsigned long long kernel_satp;
    unsigned long long kernel_sp;
    unsigned long long kernel_trap;
    unsigned long long epc;
    unsigned long long kernel_hartid;
    unsigned long long ra, sp, gp, tp, t0, t1, t2, s0, s1;
    unsigned long long a0, a1, a2, a3, a4, a5, a6, a7;
    unsigned long long s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
    unsigned long long t3, t4, t5, t6;
};

struct ramfs_file; /* opaque to programs */

/* kernel/file.h */
struct file {
    enum file_type type;
    int ref;
    unsigned long long off;
    const struct ramfs_file *rf;
    int bpf_id;
};

/* kernel/proc.h: what bpf_get_current_task() returns a pointer to. */
struct proc {
    enum procstate state;
    int pid;
    struct proc *parent;
    void *chan;
    _Bool killed;
    int xstatus;
    unsigned long long kstack;
    unsigned long long sz;
    unsigned long long *pagetable;
    struct trapframe *trapframe;
    struct context context;
    struct file *ofile[OSDBG_NOFILE];
    char name[OSDBG_PROC_NAME_LEN];
};

/* kernel/cpu.h: per-hart state (the kernel's array `cpus`). */
struct cpu {
    int hartid;
    struct proc *proc;
    struct context context;
    int noff;
    int intena;
    unsigned long long ticks;
};

#endif
