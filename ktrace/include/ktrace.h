/*
 * ktrace: the kernel side of osdbg's tracing, for any RISC-V teaching OS
 * (docs/porting.md).  These are the functions the OS calls; what ktrace
 * needs from the OS in return is in ktrace_os.h.
 */
#ifndef KTRACE_H
#define KTRACE_H

#include "ktrace_os.h"

/* ---- bpf(), eBPF programs and helpers (bpf.c, bpf_helpers.c, bpf_stack.c) ---- */

/* At boot, before the first bpf() and before the probes and the side-stub. */
void kt_bpf_init(void);
/* The bpf(cmd, attr, size) system call (Linux's numbers and union
 * bpf_attr, include/osdbg/bpf_attr.h) of the current task, with its three
 * arguments: the result for a0, >= 0 or -errno.  May yield (kt_os_yield). */
long kt_sys_bpf(int cmd, uint64_t uattr, uint64_t size);
/* The last reference to a descriptor kt_os_fd_install made went away: a
 * link detaches its probes, a program or a map is freed once nothing uses
 * it.  From process context (close, exit); may yield. */
void kt_bpf_file_closed(int kind, int id);

/* ---- probes and the side-stub (kprobe.c, uprobe.c, sidestub_server.c) ---- */

/* Registers at a breakpoint: Linux riscv's struct pt_regs order (pc, then
 * x1..x31; <rvprobe.h>), what eBPF programs read through PT_REGS_*. */
struct rvprobe_regs;

/* At boot, before the first task runs and before kt_sidestub_init, on one
 * hart (the others wait or are not started yet). */
void kt_kprobe_init(void);
void kt_uprobe_init(void);

/* The kernel's breakpoint trap (scause 3 from S-mode): 1 if it was a
 * kprobe's, and then regs (which the OS's trap vector saved, and restores
 * on its way out) says where to go on.  *sstatus is the trap's saved
 * status, restored before sret: a hart goes into a probe's slot with
 * interrupts off (SPIE cleared) and gets them back after it.  0: not a
 * probe's, the OS handles it as before. */
int kt_kprobe_on_break(struct rvprobe_regs *regs, uint64_t *sstatus);

/* A breakpoint trap from user mode: regs holds the trapped task's user pc
 * and x1..x31 (from its trap frame).  1 if it was a uprobe's: the OS
 * copies regs back into the trap frame and returns to user mode.  0: not a
 * uprobe's (a real ebreak of the program). */
int kt_uprobe_on_break(struct rvprobe_regs *regs);

/* Taken by the OS around every change of a task's user space or program
 * name (exec's commit, fork's naming of the child), so that a uprobe being
 * attached on another hart never arms a space being freed.  A spinlock:
 * interrupts are off while it is held. */
void kt_uprobe_spaces_lock(void);
void kt_uprobe_spaces_unlock(void);
/* A task's life, called without the spaces lock:
 *  - exec: space is the new image's, name its program; its uprobes are
 *    armed (call kt_uprobe_free with the old space before freeing it);
 *  - fork: child_space is a copy of parent_space (breaks included),
 *    child_task its task (struct kt_task's task), child_sp its user stack
 *    pointer (the parent's at the fork); the child is armed like its
 *    parent, before it runs;
 *  - free: the space is about to be freed (before its page table goes). */
void kt_uprobe_exec(uint64_t space, const char *name);
void kt_uprobe_fork(uint64_t parent_space, uint64_t child_space, uint64_t child_task,
                    uint64_t child_sp);
void kt_uprobe_free(uint64_t space);

/* The side-stub server on the debug channel (docs/side-stub-protocol.md). */
/* At boot, if the OS has a debug channel. */
void kt_sidestub_init(void);
/* Bytes the host sent, from the channel's receive path (an interrupt, on
 * any hart).  Requests are answered from here. */
void kt_sidestub_input(const uint8_t *bytes, size_t n);
/* If the debugger asked for it (sidestub_wait_ms), wait at boot until it
 * sends vTGo or the time is up, so its probes are in place before the first
 * user program: call it just before starting that program. */
void kt_sidestub_wait(void);
/* From the timer interrupt: send queued events, retransmit unacknowledged
 * replies. */
void kt_sidestub_tick(void);
/* On the way back to user mode (interrupts off): send queued events if some
 * wait and the last send was at least a millisecond ago, so an event
 * reaches the host well before the next timer tick. */
void kt_sidestub_poll(void);
/* Send every queued event now (before power-off). */
void kt_sidestub_flush(void);

#endif
