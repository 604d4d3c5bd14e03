/*
 * User-space probes: the probe engine (probes/) with a process's address
 * space as its space.  A uprobe names a program and an instruction address;
 * it is armed in every process running that program now and in every later
 * exec of it, and in children forked from them.  ktrace touches the
 * process's memory only through the OS's port (its page table).
 * The OS's hooks (init, exec, fork, free, the breakpoint trap, the spaces
 * lock) are in ktrace.h.
 */
#ifndef KTRACE_UPROBE_H
#define KTRACE_UPROBE_H

#include "ktrace.h"
#include <rvprobe.h>

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
extern uint64_t uretprobe_trampoline; /* 0 until a space has a slot page */

/* The uprobe id a handler's probe entry belongs to (its first argument), or -1. */
int uprobe_id_of(const struct rvprobe *p);
/* RVPROBE_KPROBE or RVPROBE_KRETPROBE, for listings. */
int uprobe_kind(int id);
/* Disarm in every process; when it returns, no hart runs its handler. */
int uprobe_detach(int id);
/* Hits so far, for listings; and the probe's program and address. */
uint64_t uprobe_hits(int id);
bool uprobe_info(int id, const char **program, uint64_t *addr);

#endif
