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
#define KPROBE_SLOT_SHIFT 3 /* log2 KPROBE_SLOT_SIZE */
#define KPROBE_MAX       48
/* struct rvprobe_hart (probes/include/rvprobe.h): its size's log2 and its
 * depth field, for the fast path below (kprobe.c asserts both). */
#define KPROBE_HART_SHIFT      6
#define KPROBE_HART_DEPTH_BITS 16

#ifdef __ASSEMBLER__
/*
 * The break that ends a kernel slot, at the top of an S-mode trap vector
 * (issue 21; docs/probes.md, "Several harts": "Leaving a slot without the
 * engine"): a stepped kprobe's second trap needs no register frame and no
 * C.  Expand it once scause is known
 * to be a breakpoint (RISC-V privileged spec 4.1.9, exception code 3),
 * with t0, t1 and t2 saved (it uses them), `hart` a register holding this
 * hart's index (read only).  If sepc is the break of one of kprobe_slots,
 * it does what the engine's RVPROBE_HIT_SLOT_RETURN and kt_kprobe_on_break
 * would: sepc = the probed instruction's address + its length (stored per
 * slot by the STEP hit), sstatus.SPIE back as it was before the slot
 * (kt_kprobe_on_break cleared it: a kernel slot runs with interrupts off),
 * and this hart leaves the engine (its rvprobe_hart word, as table.c's
 * hart_leave), then jumps to `ours`, where the vector restores t0-t2 and
 * returns with sret.  Anything else falls through, sepc untouched.
 * No slot is freed while a hart may be in it (rvprobe_release waits for
 * the hart's word), so the slot's resume address is still its own.
 */
.macro KT_KPROBE_SLOT_RETURN hart, ours
        csrr t0, sepc
        lla t1, kprobe_slots
        sub t0, t0, t1
        li t1, KPROBE_NSLOTS * KPROBE_SLOT_SIZE
        bgeu t0, t1, 9f
        srli t0, t0, KPROBE_SLOT_SHIFT
        slli t0, t0, 3
        lla t1, kt_kprobe_slot_resume
        add t1, t1, t0
        ld t0, 0(t1)
        csrw sepc, t0
        slli t2, \hart, 3
        lla t1, kt_kprobe_slot_spie
        add t1, t1, t2
        ld t0, 0(t1)
        csrs sstatus, t0
        slli t2, \hart, KPROBE_HART_SHIFT
        lla t1, kt_kprobe_harts
        add t1, t1, t2
        ld t0, 0(t1)
        addi t0, t0, -1
        slli t2, t0, 64 - KPROBE_HART_DEPTH_BITS
        bnez t2, 8f
        li t2, 1 << KPROBE_HART_DEPTH_BITS /* back at depth 0: one more pass */
        add t0, t0, t2
8:      fence rw, w /* a release store: the slot's reads are done */
        sd t0, 0(t1)
        j \ours
9:
.endm
#endif

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
