/*
 * Kernel probes: the OS-independent probe engine (probes/, rvprobe_*) on
 * the kernel's text, through the OS's port (ktrace_os.h).  A kprobe runs a
 * handler when a kernel instruction executes; a kretprobe when a kernel
 * function returns.
 * Neither stops the kernel.
 */
#ifndef KTRACE_KPROBE_H
#define KTRACE_KPROBE_H

#define KPROBE_NSLOTS    32
#define KPROBE_SLOT_SIZE 8 /* RVPROBE_SLOT_SIZE */
#define KPROBE_MAX       48

#ifndef __ASSEMBLER__
#include "ktrace.h"
#include <rvprobe.h>

/* kt_kprobe_init and kt_kprobe_on_break are in ktrace.h. */
/* Arm a probe (kind RVPROBE_KPROBE or RVPROBE_KRETPROBE) at addr, an
 * instruction of the kernel function starting at func.  Returns the probe
 * id, or a negative error with the reason in *why. */
int kprobe_arm(int kind, uint64_t func, uint64_t addr, rvprobe_pre_fn pre, rvprobe_ret_fn ret,
               void *arg, const char **why);
/* Restore the original instruction exactly and free the probe, once no
 * hart is inside its handler or slot any more (it waits for them).  A
 * kretprobe with returns in flight is freed after its last return; its
 * handlers no longer run from the moment this returns.  Call with no
 * spinlock held that a probe handler could need (none takes one). */
int kprobe_disarm(int id);
const struct rvprobe *kprobe_get(int id);
/* The id of a kprobe entry (a handler's first argument), or -1. */
int kprobe_id(const struct rvprobe *p);
#endif

#endif
