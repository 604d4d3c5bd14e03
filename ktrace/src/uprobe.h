/*
 * User-space probes: the probe engine (probes/) with a process's address
 * space as its space.  A uprobe names a program and an instruction address;
 * it is armed in every process running that program now and in every later
 * exec of it, and in children forked from them.  The kernel touches the
 * process's memory only through its page table.
 */
#ifndef KERNEL_UPROBE_H
#define KERNEL_UPROBE_H

#include "types.h"
#include <rvprobe.h>

struct proc;

#define UPROBE_MAX_SPECS 32

/* Trace `addr` in every process of `program`.  The handler gets arg.
 * Returns a uprobe id (>= 0) or a negative RVPROBE_* error. */
int uprobe_attach(const char *program, uint64_t addr, rvprobe_pre_fn pre, void *arg);
/* The same for a uretprobe too: kind RVPROBE_KRETPROBE at a function's first
 * instruction; pre (may be null) runs at its entry, ret at each return. */
int uprobe_attach_kind(const char *program, uint64_t addr, int kind, rvprobe_pre_fn pre,
                       rvprobe_ret_fn ret, void *arg);
/* For debuggers (see uprobe.c). */
#define URETPROBE_INSTANCES 16 /* calls of one probed function in flight per process */
extern struct rvprobe_ri uretprobe_instances[][URETPROBE_INSTANCES];
extern const uint64_t uretprobe_trampoline;

void uprobe_init(void);
/* Held by exec and fork around the moment a process's page table or name
 * changes, so that attaching never arms a page table being freed. */
void uprobe_spaces_lock(void);
void uprobe_spaces_unlock(void);
/* The uprobe id a handler's probe entry belongs to (its first argument), or -1. */
int uprobe_id_of(const struct rvprobe *p);
/* RVPROBE_KPROBE or RVPROBE_KRETPROBE, for listings. */
int uprobe_kind(int id);
/* Disarm in every process; when it returns, no hart runs its handler. */
int uprobe_detach(int id);
/* Hits so far, for listings; and the probe's program and address. */
uint64_t uprobe_hits(int id);
bool uprobe_info(int id, const char **program, uint64_t *addr);

/* Process life: exec has committed a new image (old space gone, arm for the
 * new program); fork has copied the parent (arm in the child); the process
 * is freed. */
void uprobe_exec(struct proc *p);
void uprobe_fork(struct proc *parent, struct proc *child);
void uprobe_free(struct proc *p);
/* A breakpoint trap from user mode: 1 if it was a uprobe's (the trap frame
 * now holds where to continue). */
int uprobe_on_break(struct proc *p);

#endif
