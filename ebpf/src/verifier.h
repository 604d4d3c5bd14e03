/*
 * verifier.h - private types of the verifier (verifier.c drives the walk,
 * prunes, and walks loops iteration by iteration; vcfg.c the control-flow
 * passes: reachability, liveness, precision; vbounds.c does scalar range
 * arithmetic and linked scalars; vmem.c checks memory accesses and pointer
 * leaks).
 *
 * The verifier walks every path of the program with an abstract state: for
 * each register a type and, for scalars, unsigned and signed ranges (and
 * the range of the low 32 bits); for each stack byte whether it is
 * uninitialised, initialised data, or part of a spilled register.  States
 * seen at branch targets are remembered, without dead registers and slots
 * and without the ranges no later decision reads; a new state that is
 * covered by a remembered one ("state pruning") need not be walked again.
 * Being covered by a state on the current path means the path can repeat
 * itself: an infinite loop.  docs/ebpf.md "Verifier" says why the loop
 * machinery (deferred loop walks, collapsed iterations) is sound.
 */
#ifndef EBPF_VERIFIER_H
#define EBPF_VERIFIER_H

#include "ebpf_int.h"

enum vtype {
    T_NOT_INIT = 0,
    T_SCALAR,
    T_CTX,
    T_STACK,
    T_MAP_PTR,
    T_MAP_VALUE,
    T_MAP_VALUE_OR_NULL,
    T_MEM,
    T_MEM_OR_NULL,
};

/* Pointers keep a fixed offset `off` plus, for map values and memory, a
 * variable part whose signed range is [smin, smax] (umin/umax unused).
 * Scalars keep an unsigned and a signed 64-bit range, and the unsigned
 * range [u32min, u32max] of their low 32 bits (what a JMP32 compare
 * learns, and what a 32-bit move keeps). */
struct vreg {
    uint8_t type;
    uint8_t frame; /* T_STACK: which frame's stack */
    uint16_t map;  /* T_MAP_*: map fd */
    /* *_OR_NULL and T_MEM: identity for null checks / release.  Scalars:
     * registers (and spills) with the same nonzero id hold the same value
     * (copied from one another), so a bound found on one holds for all. */
    uint32_t id;
    union {
        struct {
            int32_t off;   /* pointer: fixed offset */
            uint32_t size; /* T_MEM: bytes */
        };
        struct {
            uint32_t u32min, u32max; /* scalar */
        };
    };
    uint64_t umin, umax;
    int64_t smin, smax;
};

enum { S_INVALID = 0, S_MISC, S_SPILL };

/* Does the 8-byte stack slot whose byte types start at t hold a spilled
 * register?  An 8-byte spill marks all its bytes S_SPILL, a narrow (1, 2
 * or 4-byte) scalar spill only its own (vmem.c "Narrow spills"), so any
 * byte may tell.  S_SPILL is the only type with bit 1 set. */
_Static_assert(S_MISC == 1 && S_SPILL == 2, "ebpfV_slot_spilled tests bit 1 of each byte");
static inline bool ebpfV_slot_spilled(const uint8_t *t)
{
    return ((t[0] | t[1] | t[2] | t[3] | t[4] | t[5] | t[6] | t[7]) & S_SPILL) != 0;
}

#define VSLOTS (BPF_STACK_SIZE / 8)

struct vframe {
    uint32_t callsite; /* pc of the call that made this frame */
    uint32_t written;  /* slots below the deepest ever written (fp-8 is 1) */
    struct vreg regs[BPF_NREGS];
    uint8_t stype[BPF_STACK_SIZE]; /* index 0 = byte at fp-512 */
    struct vreg spill[VSLOTS];
};

#define VMAX_REFS 8

struct vstate {
    uint32_t nframes;
    uint32_t nrefs;
    uint32_t refs[VMAX_REFS]; /* ring buffer records not yet submitted */
    struct vframe frames[BPF_MAX_FRAMES];
};

/* Size of a state holding n frames (states are stored truncated). */
#define VSTATE_SIZE(n) (offsetof(struct vstate, frames) + (size_t)(n) * sizeof(struct vframe))

/*
 * A remembered state at a prune point, packed: only what can matter is
 * kept.  Each frame stores its live registers (dead ones as NOT_INIT) and
 * only the `depth` 8-byte stack slots nearest the frame pointer that were
 * ever written (deeper ones are all uninitialised, which covers anything).
 * Remembered states are only compared against, never resumed.
 */
struct vpframe {
    uint32_t callsite;
    uint32_t depth; /* stack slots stored, counted from fp-8 downwards */
    struct vreg regs[BPF_NREGS];
    /* then uint8_t stype[depth * 8] (slot VSLOTS-depth first), then
     * struct vreg spill[depth] */
};

struct vsaved {
    struct vsaved *next;       /* other states at the same instruction */
    struct vsaved *parent;     /* the state remembered before it on its path */
    struct vsaved *phase_next; /* VS_SIBLING: the other states of the phase */
    uint32_t pathpos;          /* its index in v->path, UINT32_MAX if it did not fit */
    uint32_t pc;
    uint32_t bytes; /* allocation size, for the free lists */
    uint16_t hits, misses;
    uint8_t flags; /* VS_* */
    uint32_t nframes, nrefs;
    uint32_t refs[VMAX_REFS];
    /* then nframes packed frames */
};

/* vsaved.flags: see "Loops" in verifier.c. */
#define VS_SEGMENT 1 /* on a deferred loop walk's path, after its anchor */
#define VS_SIBLING 2 /* remembered by a sibling walk: freed when its phase closes */

/* A branch still to walk, on the pending stack. */
enum { P_NORMAL = 0, P_SIBLING, P_DEFERRED };
struct vpending {
    uint32_t pc;
    uint32_t size;      /* bytes of this record */
    struct vsaved *tip; /* the path's newest remembered state */
    struct vsaved *anchor; /* P_DEFERRED: the previous iteration's loop-head state */
    uint32_t pathlen;
    uint32_t from;    /* the branch that pushed it (for the log) */
    uint8_t kind;     /* P_* */
    uint8_t backedge; /* it resumes at the target of a backward jump */
    uint8_t refine;   /* on resuming, apply "the branch at `from` was taken" */
    uint32_t nframes, nrefs;
    uint32_t refs[VMAX_REFS];
    /* then nframes packed frames (struct vpframe, stack bytes, spills), all
     * written stack slots kept */
};

/* Free lists of remembered states by size (16-byte steps); bigger ones
 * share the last list. */
#define VFREE_CLASSES 288

struct verifier {
    ebpf_vm *vm;
    const struct ebpf_insn *insns;
    uint32_t n;
    const struct ebpf_verify_opts *opts;
    /* scratch: [lo, hi) of the arena; saved states grow up, pending down */
    uint8_t *lo, *hi;
    uint8_t *pend_top;     /* start of the newest pending record, == hi if none */
    size_t pend_peak;      /* most bytes the pending stack ever held */
    struct vsaved **saved; /* per instruction */
    uint8_t *flags;        /* per instruction: F_* */
    uint16_t *live;        /* per instruction: registers live on entry (bit i = ri) */
    uint64_t *live_slots;  /* per instruction: stack slots live on entry (bit s = slot s) */
    uint16_t *precise;     /* per instruction: registers whose scalar range may matter */
    uint64_t *precise_slots; /* per instruction: stack slots whose spilled range may matter */
    struct vsaved *tip;    /* newest remembered state on the current path */
    struct vsaved **path;  /* the current path's remembered states, in order */
    uint32_t pathlen, pathcap;
    struct vstate *cur;
    uint32_t pc;
    uint32_t id_gen;
    uint32_t processed, limit, total_states, max_states;
    char *log;
    size_t logsz, logpos;
    int level;
    bool infeasible; /* set by range refinement when a branch cannot happen */
    uint32_t from;   /* branch the current path was resumed from */
    bool backedge;   /* the walk arrived at pc by a backward jump */
    bool sibling;    /* the walk is a sibling of a deferred loop walk */
    bool noprune;    /* a deferred walk resumes where its state is remembered */
    struct vsaved *phase; /* states the siblings remembered */
    struct vsaved *freel[VFREE_CLASSES];
    uint32_t live_states, peak_states, evicted;
};

#define F_PRUNE  1 /* prune point: branch target or after a branch */
#define F_LOOP   2 /* target of a backward jump: always remember states */
#define F_SEEN   4 /* reached by the CFG walk */
#define F_SECOND 8 /* second slot of lddw */

/* verifier.c */
int ebpfV_err(struct verifier *v, const char *fmt, ...);
/* The verifier's scratch ran out: EBPF_ENOMEM, not a rejection (Linux's
 * verifier says ENOMEM too), so an embedder can retry with a bigger arena. */
int ebpfV_nomem(struct verifier *v, const char *what);
void ebpfV_log(struct verifier *v, const char *fmt, ...);
struct vframe *ebpfV_frame(struct verifier *v);

/* verifier.c */
void *ebpfV_scratch(struct verifier *v, size_t size);

/* vcfg.c */
bool ebpfV_is_cond_jump(uint8_t code);
uint32_t ebpfV_target(const struct ebpf_insn *in, uint32_t pc);
int ebpfV_check_cfg(struct verifier *v);
void ebpfV_liveness(struct verifier *v);
uint16_t ebpfV_live_regs(const struct verifier *v, const struct vstate *st, uint32_t fi,
                         uint32_t pc);
uint64_t ebpfV_live_slots(const struct verifier *v, const struct vstate *st, uint32_t fi,
                          uint32_t pc);
uint16_t ebpfV_precise_regs(const struct verifier *v, const struct vstate *st, uint32_t fi,
                            uint32_t pc);
uint64_t ebpfV_precise_slots(const struct verifier *v, const struct vstate *st, uint32_t fi,
                             uint32_t pc);

/* vbounds.c */
void ebpfV_mark_unknown(struct vreg *r);
void ebpfV_mark_const(struct vreg *r, uint64_t v);
void ebpfV_mark_range(struct vreg *r, uint64_t umin, uint64_t umax);
bool ebpfV_is_const(const struct vreg *r);
void ebpfV_sync(struct verifier *v, struct vreg *r);
int ebpfV_alu(struct verifier *v, const struct ebpf_insn *in);
/* Decides a conditional jump: 1 taken, 0 not taken, -1 unknown; refines
 * the registers of the taken (tr) and fall-through (fa) states. */
int ebpfV_branch(struct verifier *v, const struct ebpf_insn *in, struct vstate *tr,
                 struct vstate *fa);
uint64_t ebpfV_eval_alu(uint8_t code, int16_t off, uint64_t a, uint64_t b);

/* vmem.c */
int ebpfV_mem(struct verifier *v, const struct ebpf_insn *in);
int ebpfV_check_region(struct verifier *v, int regno, uint64_t size, bool write, bool zero_ok);
void ebpfV_mark_stack_written(struct verifier *v, const struct vreg *ptr, uint64_t size);
const char *ebpfV_type_name(uint8_t t);

#endif /* EBPF_VERIFIER_H */
