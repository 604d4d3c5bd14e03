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
    int pid;                 /* any value, 0 included (rCore-Tutorial's initproc is pid 0) */
    int tgid;                /* the same as pid on an OS without threads */
    uint64_t task;           /* the OS's task structure's address (bpf_get_current_task) */
    uint64_t space;          /* its user address space, 0 if none */
    char comm[KT_COMM_LEN];  /* its program's name, NUL-terminated ("" if unknown) */
};
/* Fills t for the task running on this hart; false (and t->task 0, t->pid 0)
 * if none: "no task" is task 0, never pid 0. */
bool kt_os_current(struct kt_task *t);
/* The same, cheaply, for the paths every probe hit takes (no name copied):
 * the task's address (0 if none) and, where pid and space are not NULL,
 * its pid and space. */
uint64_t kt_os_current_task(int *pid, uint64_t *space);

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

/* ==== bpf(), the eBPF helpers and the stack walker (kernel/ktrace_os_bpf.c) ==== */

/* Pages as the MMU sees them (Sv39, RISC-V privileged spec 4.3). */
#define KT_PAGE_SIZE 4096

/* ---- memory ------------------------------------------------------------------ */

/* User memory: kt_os_user_read and kt_os_user_write (declared with the
 * probes' functions below) serve bpf() too: its attributes are read from
 * and its results written to the current task's space (kt_task.space),
 * and the helpers and the stack walker read the current task's space from
 * a probe, with interrupts off.  The C kernel defines them in
 * ktrace_os_bpf.c (copyin/copyout through the space's page table), with
 * kt_os_user_addr. */

/* Can every byte of [addr, addr + n) be read by the kernel with no fault
 * and no effect?  Mapped RAM only: never a device register (a UART read
 * takes a byte), never an unmapped page.  bpf_probe_read_kernel and the
 * stack walker read only what this allows.  The C kernel: at or above
 * KERNBASE, and a valid readable leaf in the kernel page table. */
bool kt_os_kernel_readable(uint64_t addr, size_t n);

/* The kernel's code: [*lo, *hi), fixed from boot.  Kernel return addresses
 * lie there; a probe whose pc is not there is in user code.  Below lo the
 * kernel maps no RAM a helper reads (so the legacy bpf_probe_read reads
 * user memory there).  The C kernel: KERNBASE .. etext. */
void kt_os_kernel_text(uint64_t *lo, uint64_t *hi);

/* ---- stacks (bpf_get_stack, bpf_get_stackid) -------------------------------- */

/* Bounds [*lo, *hi) around the kernel stack that sp points into, for a
 * frame-pointer walk from a kprobe: generous is fine (every word is read
 * through kt_os_kernel_readable, frames must go up).  False if none.
 * The C kernel: sp .. sp + BOOT_STACK_SIZE (its deepest stack). */
bool kt_os_kernel_stack(uint64_t sp, uint64_t *lo, uint64_t *hi);

/* The current task's user side, for a walk of its user stack. */
struct kt_user_stack {
    uint64_t space;              /* its address space (kt_task.space) */
    uint64_t stack_lo, stack_hi; /* its user stack: frame pointers lie in (lo, hi] */
    uint64_t text_lo, text_hi;   /* its code: return addresses lie in [lo, hi) */
    uint64_t regs[32];           /* the user registers it entered the kernel with,
                                    pt_regs order: pc, then x1..x31 */
};
/* False if the current task has no user side (a kernel task, idle).  The
 * C kernel: its trap frame, USTACK_BOTTOM .. USTACK_TOP, USER_BASE .. p->sz. */
bool kt_os_user_stack(struct kt_user_stack *u);

/* ---- descriptors: bpf() objects in the current process's table --------------- */

/* What a bpf() descriptor refers to; id is ktrace's number for it. */
enum kt_fd_kind { KT_FD_MAP = 1, KT_FD_PROG = 2, KT_FD_LINK = 3 };

/* A new descriptor of the current process for object (kind, id): the fd,
 * or -EMFILE / -ENFILE.  The OS keeps (kind, id) with it, shares it on fork
 * as any file, and calls kt_bpf_file_closed(kind, id) (ktrace.h) when its
 * last reference goes (close, exit).  The C kernel: a struct file of type
 * FILE_BPF_MAP / _PROG / _LINK in p->ofile. */
long kt_os_fd_install(int kind, int id);
/* The id of the object the current process's descriptor fd refers to if
 * it is one of kind, else -EBADF. */
int kt_os_fd_lookup(int fd, int kind);

/* ---- the JIT's pages ------------------------------------------------------------ */

/* A page (KT_PAGE_SIZE, aligned) of kernel memory, readable and writable,
 * for compiled code; 0 if none.  The C kernel: kalloc(). */
void *kt_os_code_page_alloc(void);
/* Make it executable and read-only in the kernel's address space on every
 * hart (the TLBs: SBI remote sfence.vma) and fence instruction fetch on
 * every hart (remote fence.i), so any hart may run the code at once. */
void kt_os_code_page_seal(void *page);
/* Make a sealed page writable and not executable again on every hart,
 * then free it.  No hart runs its code any more (ktrace waits for that). */
void kt_os_code_page_free(void *page);

/* ---- waiting ---------------------------------------------------------------------- */

/* From a system call (kt_sys_bpf, kt_bpf_file_closed), interrupts on: let
 * other tasks run for a while.  bpf() commands run one at a time, and a
 * second one yields until the first is done.  The C kernel: yield(). */
void kt_os_yield(void);

/* ---- probes and the side-stub (kprobe.c, uprobe.c, sidestub_server.c) ---- */

/* Kernel text, for kprobes.  ktrace's out-of-line slots and its kretprobe
 * trampoline are its own assembly (kprobe_text.S), in the section
 * .text.ktrace_slots: the OS's linker script keeps that section in its text
 * and inside what kt_os_kprobe_forbidden refuses (the C kernel's kernel.ld
 * puts it between noprobe_start and noprobe_end). */

/* ktrace reads kernel instructions with plain loads where
 * kt_os_kernel_readable (above) allows. */
/* Write n (2 to 8) bytes of instructions at addr, in kernel text that other
 * harts may be executing: a hart fetching there meanwhile sees the old
 * instruction or the new one, never a mix, and when it returns every hart
 * fetches the new bytes.  0, or -EFAULT.  (The C kernel: PTE_W on the text
 * pages, text_patch - one aligned store, or a c.ebreak first, fence.i on
 * every hart between steps - PTE_W off, sfence.vma on every hart.) */
int kt_os_kernel_write_text(uint64_t addr, const void *bytes, size_t n);
/* Why a probe must never go at addr in the kernel, or NULL if it may: the
 * trap path, and whatever a probe hit runs (ktrace itself and the libraries
 * it links, locks, the console, the debug channel).  A probe there traps
 * inside its own handling.  (The C kernel: kernel.ld gathers them between
 * noprobe_start and noprobe_end; the trampoline page too.) */
const char *kt_os_kprobe_forbidden(uint64_t addr);

/* User spaces, for uprobes.  Called with the spaces lock held
 * (kt_uprobe_spaces_lock, ktrace.h) unless said otherwise: the OS takes
 * that lock around every change of a task's space or name, so a space seen
 * here is not freed meanwhile. */

/* fn(t, arg) for every live task that has a user space (none being created
 * or exiting), with its pid, task, space and program name.  No lock needed
 * by ktrace beyond the spaces lock; fn may call the other user functions.
 * (The C kernel: the process table walked without its lock.) */
void kt_os_each_task(void (*fn)(const struct kt_task *t, void *arg), void *arg);
/* Copy n bytes from / to user memory of a space, through its page table
 * (never a raw user pointer).  kt_os_user_write writes only what the
 * program itself could write (its data and stack).  0, or -EFAULT if a
 * page is not mapped (user-accessible).  Also called without the lock, on
 * the space of the task running on this hart. */
int kt_os_user_read(uint64_t space, uint64_t addr, void *buf, size_t n);
int kt_os_user_write(uint64_t space, uint64_t addr, const void *buf, size_t n);
/* Write n (2 to 8) bytes of instructions at addr in a space's text, mapped
 * user R-X: the same promise as kt_os_kernel_write_text (the task may be
 * running that code on another hart).  0, or -EFAULT.  (The C kernel:
 * text_patch through the frames' kernel addresses.) */
int kt_os_user_write_text(uint64_t space, uint64_t addr, const void *bytes, size_t n);
/* The space's uprobe slot page: one page mapped user R-X, filled with
 * zeros, at an address the OS chooses (the same in every space: debuggers
 * read it from uretprobe_trampoline), mapped on the first call and kept
 * until the space is freed.  Its address in *addr; 0 or -ENOMEM.  (The C
 * kernel: UPROBE_SLOTS, below the user stack; freed with the page table.) */
int kt_os_uprobe_slot_page(uint64_t space, uint64_t *addr);
/* The user pc at which the space's task is stopped (in a trap, or not
 * scheduled): 0.  -EBUSY if it may be running user code on another hart
 * right now.  (The C kernel: trapframe->epc, unless RUNNING elsewhere.) */
int kt_os_user_pc(uint64_t space, uint64_t *pc);
/* Could addr be a user program's address at all?  (The C kernel:
 * USER_BASE <= addr < MAXVA.) */
bool kt_os_user_addr(uint64_t addr);
/* Is addr the start of an instruction of the program `program`'s code
 * (its file, whether or not a task runs it)?  Its length and the start of
 * the function holding it in *func_start, or a negative RVPROBE_E* code:
 * EINVAL no such program, ERANGE not in its code, ENOTBOUNDARY inside an
 * instruction, EREFUSED cannot be decoded.  Called without the lock.
 * (The C kernel: kernel/utext.c, the ELF's symbols and
 * rvprobe_check_boundary.) */
int kt_os_uprobe_check_insn(const char *program, uint64_t addr, uint64_t *func_start);

/* The side-stub's debug channel (the C kernel: a virtio console port,
 * kernel/virtio_console.c).  The OS hands received bytes to
 * kt_sidestub_input (ktrace.h). */

/* Queue bytes for the host; returns how many were taken (0 if there is no
 * channel).  Never waits for the host.  Called with ktrace's lock held and
 * interrupts off. */
size_t kt_os_chan_send(const void *data, size_t n);
/* Bytes kt_os_chan_send can take now without waiting for the host. */
size_t kt_os_chan_room(void);
/* Bytes it could not queue so far (reported to the host in vTStat). */
uint64_t kt_os_chan_dropped(void);
/* At boot only (kt_sidestub_wait): let interrupts in until at least one
 * has been handled, then turn them off again.  (The C kernel: intr_on,
 * wfi, intr_off.) */
void kt_os_wait_interrupt(void);


#endif
