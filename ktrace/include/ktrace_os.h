/*
 * What an OS provides to ktrace, the kernel side of osdbg's tracing
 * (bpf(), kprobes and uprobes, the side-stub server, the eBPF helpers):
 * plain C functions the OS defines (`extern "C"` in Rust), resolved at link
 * time.  docs/porting.md walks through them with both ports as examples:
 * the C reference kernel (kernel/ktrace_os*.c) and the Rust kernel
 * (rkernel/src/ktrace/).
 *
 * Conventions:
 *  - A "space" is a user address space, named by a number the OS chooses
 *    (the reference kernels use the satp value or the page table's address;
 *    0 is never a space).  A "task" is the OS's process, named by the
 *    address of its own structure (what bpf_get_current_task returns).
 *  - Every function may be called with interrupts off, on any hart, unless
 *    it says otherwise.  None may sleep unless it says so.
 *  - Return values: 0 or a count for success, a negative errno
 *    (<osdbg/errno.h>) for failure, unless stated.
 */
#ifndef KTRACE_OS_H
#define KTRACE_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Harts ktrace's per-hart state has room for (a kernel on more is refused
 * at ktrace_init). */
#define KT_MAX_HARTS 4

/* ---- harts and interrupts ------------------------------------------------ */

/* This hart's index, 0 .. KT_MAX_HARTS - 1 (the reference kernels: tp). */
unsigned kt_os_hart(void);
/* Interrupts off on this hart; returns what to give kt_os_irq_restore. */
uint64_t kt_os_irq_save(void);
void kt_os_irq_restore(uint64_t saved);
/* fence.i, and sfence.vma of every address, on every hart (SBI RFENCE). */
void kt_os_fence_i_all(void);
void kt_os_sfence_vma_all(void);

/* ---- time ------------------------------------------------------------------ */

/* The time CSR's frequency (the device tree's timebase-frequency). */
uint64_t kt_os_timebase_hz(void);
/* Timer ticks since boot, and ticks per second (bpf_jiffies64). */
uint64_t kt_os_jiffies(void);
uint64_t kt_os_tick_hz(void);

/* ---- the current task -------------------------------------------------------- */

#define KT_COMM_LEN 16

struct kt_task {
    int pid;                 /* 0: no process runs on this hart (idle, boot) */
    int tgid;                /* the same as pid on an OS without threads */
    uint64_t task;           /* the OS's task structure's address (bpf_get_current_task) */
    uint64_t space;          /* its user address space, 0 if none */
    char comm[KT_COMM_LEN];  /* its program's name, NUL-terminated ("" if unknown) */
};
/* Fills t for the task running on this hart; false (and t->pid 0) if none. */
bool kt_os_current(struct kt_task *t);

/* ---- printing ------------------------------------------------------------------ */

/* Write n bytes to the kernel's console (whole lines; may be called with
 * interrupts off).  ktrace formats with its own printf (kt_printf). */
void kt_os_print(const char *s, size_t n);

/* A broken invariant inside ktrace (msg says which): the OS stops, as it
 * does on its own panics (the C kernel: panic(), which powers QEMU off with
 * a failure status so that a test does not hang). */
__attribute__((noreturn)) void kt_os_panic(const char *msg);

/* ---- kernel symbols (ksyms) ------------------------------------------------------ */

/* Used by bpf() (a kprobe attached by function name) and by the stack
 * walker and the probes (the function an address is in).  The reference
 * kernels keep a table of their functions' names and starts, generated at
 * link time (kernel/ksyms.c, scripts/gen-ksyms.sh). */

/* The start address of the kernel function called name, 0 if none. */
uint64_t kt_os_ksym_lookup(const char *name);
/* The start of the kernel function that contains addr, 0 if addr is in
 * none the table knows. */
uint64_t kt_os_ksym_func_start(uint64_t addr);

/* ---- memory: sections added by the bpf() and probe parts -------------------- */

#endif
