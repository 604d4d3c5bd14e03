/*
 * vcfg.c - the verifier's passes over the control-flow graph, before the
 * path walk: reachability (unreachable code is an error), prune points
 * (branch targets and fall-throughs), register and stack-slot liveness, and
 * which scalars' ranges can matter (precision).
 */
#include "verifier.h"

/* ---- control flow pass ------------------------------------------------- */

bool ebpfV_is_cond_jump(uint8_t c)
{
    uint8_t cls = BPF_CLASS(c), op = BPF_OP(c);
    return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_JA && op != BPF_CALL && op != BPF_EXIT;
}

uint32_t ebpfV_target(const struct ebpf_insn *in, uint32_t pc)
{
    if (in->code == (BPF_JMP32 | BPF_JA))
        return pc + (uint32_t)in->imm + 1;
    if (in->code == (BPF_JMP | BPF_CALL))
        return pc + (uint32_t)in->imm + 1;
    return pc + (uint32_t)(int32_t)in->off + 1;
}

int ebpfV_check_cfg(struct verifier *v)
{
    const struct ebpf_insn *p = v->insns;
    uint32_t *stack = ebpfV_scratch(v, v->n * sizeof(uint32_t) * 2 + 8);
    uint32_t sp = 0;
    if (!stack)
        return ebpfV_nomem(v, "control-flow check");
    for (uint32_t pc = 0; pc < v->n; pc++)
        if (ebpfL_is_lddw(&p[pc]))
            v->flags[++pc] |= F_SECOND;
    stack[sp++] = 0;
    v->flags[0] |= F_SEEN;
    while (sp) {
        uint32_t pc = stack[--sp], next[2], nn = 0;
        const struct ebpf_insn *in = &p[pc];
        uint8_t c = in->code;
        if (c == (BPF_JMP | BPF_EXIT)) {
            continue;
        } else if (c == (BPF_JMP | BPF_JA) || c == (BPF_JMP32 | BPF_JA)) {
            next[nn++] = ebpfV_target(in, pc);
        } else if (ebpfV_is_cond_jump(c)) {
            next[nn++] = pc + 1;
            next[nn++] = ebpfV_target(in, pc);
            v->flags[pc + 1] |= F_PRUNE;
        } else if (c == (BPF_JMP | BPF_CALL) && in->src == BPF_PSEUDO_CALL) {
            next[nn++] = pc + 1;
            next[nn++] = ebpfV_target(in, pc);
            v->flags[pc + 1] |= F_PRUNE;
        } else {
            next[nn++] = pc + (ebpfL_is_lddw(in) ? 2 : 1);
        }
        for (uint32_t i = 0; i < nn; i++) {
            uint32_t t = next[i];
            if (t >= v->n) /* the loader forbids it; be safe */
                return ebpfV_err(v, "jump out of range from insn %u to %u", pc, t);
            if (i == 1 || c == (BPF_JMP | BPF_JA) || c == (BPF_JMP32 | BPF_JA)) {
                v->flags[t] |= F_PRUNE;
                if (t <= pc && !(c == (BPF_JMP | BPF_CALL)))
                    v->flags[t] |= F_LOOP;
            }
            if (!(v->flags[t] & F_SEEN)) {
                v->flags[t] |= F_SEEN;
                stack[sp++] = t;
            }
        }
    }
    for (uint32_t pc = 0; pc < v->n; pc++) {
        if (!(v->flags[pc] & (F_SEEN | F_SECOND))) {
            v->pc = pc;
            return ebpfV_err(v, "unreachable insn %u", pc);
        }
    }
    v->lo = (uint8_t *)stack; /* give the DFS stack back */
    return 0;
}

/* ---- register liveness ----------------------------------------------------
 *
 * live[pc] = registers whose value at pc may be read before being written.
 * Remembered states forget dead registers, so states that differ only in
 * values nobody reads still prune each other (Linux does the same with its
 * read marks).  Backward dataflow inside each function: a local call reads
 * r1-r5 and writes r0-r5; r6-r9 flow through it.
 */
#define R(i) (1u << (i))
#define ARGS (R(1) | R(2) | R(3) | R(4) | R(5))

static void use_def(const struct ebpf_insn *in, uint16_t *use, uint16_t *def)
{
    uint8_t c = in->code, cls = BPF_CLASS(c), op = BPF_OP(c);
    *use = *def = 0;
    switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
        *def = (uint16_t)R(in->dst);
        if (op != BPF_MOV)
            *use |= (uint16_t)R(in->dst);
        if (BPF_SRC(c) == BPF_X && op != BPF_END && op != BPF_NEG)
            *use |= (uint16_t)R(in->src);
        return;
    case BPF_LD:
        *def = (uint16_t)R(in->dst);
        return;
    case BPF_LDX:
        *use = (uint16_t)R(in->src);
        *def = (uint16_t)R(in->dst);
        return;
    case BPF_ST:
        *use = (uint16_t)R(in->dst);
        return;
    case BPF_STX:
        *use = (uint16_t)(R(in->dst) | R(in->src));
        if (BPF_MODE(c) == BPF_ATOMIC) {
            if (in->imm == BPF_CMPXCHG) {
                *use |= R(0);
                *def = R(0);
            } else if (in->imm & BPF_FETCH) {
                *def = (uint16_t)R(in->src);
            }
        }
        return;
    }
    if (op == BPF_EXIT) {
        *use = R(0);
    } else if (op == BPF_CALL) {
        *use = ARGS;
        if (BPF_SRC(c) == BPF_X) /* callx reads the helper id from dst */
            *use |= (uint16_t)R(in->dst);
        *def = R(0) | ARGS;
    } else if (op != BPF_JA) {
        *use = (uint16_t)R(in->dst);
        if (BPF_SRC(c) == BPF_X)
            *use |= (uint16_t)R(in->src);
    }
}

/* Stack slots (bit s = bytes [8s, 8s+8) of the frame, slot 63 at fp-8) an
 * instruction reads and fully overwrites.  Only fp-relative accesses are
 * understood; a load through any other pointer, an atomic, or a call (its
 * arguments may point into the stack) counts as reading every slot. */
#define ALL_SLOTS (~0ull)

static uint64_t slot_bits(int32_t off, uint32_t size)
{
    int64_t lo = (int64_t)BPF_STACK_SIZE + off, hi = lo + size - 1;
    if (lo < 0 || hi >= BPF_STACK_SIZE)
        return 0; /* the walk rejects it */
    uint64_t bits = 0;
    for (int64_t s = lo / 8; s <= hi / 8; s++)
        bits |= 1ull << s;
    return bits;
}

static void stack_use_def(const struct ebpf_insn *in, uint64_t *use, uint64_t *def)
{
    static const uint32_t sizes[4] = {4, 2, 1, 8};
    uint8_t c = in->code, cls = BPF_CLASS(c);
    uint32_t size = sizes[BPF_SIZE(c) >> 3];
    *use = *def = 0;
    if (cls == BPF_LDX) {
        *use = in->src == BPF_REG_FP ? slot_bits(in->off, size) : ALL_SLOTS;
    } else if (cls == BPF_STX && BPF_MODE(c) == BPF_ATOMIC) {
        *use = in->dst == BPF_REG_FP ? slot_bits(in->off, size) : ALL_SLOTS;
    } else if ((cls == BPF_ST || cls == BPF_STX) && in->dst == BPF_REG_FP && size == 8 &&
               ((BPF_STACK_SIZE + in->off) & 7) == 0) {
        *def = slot_bits(in->off, 8);
    } else if (c == (BPF_JMP | BPF_CALL) || c == (BPF_JMP | BPF_CALL | BPF_X)) {
        *use = ALL_SLOTS;
    }
}

static bool precise_at(struct verifier *v, uint32_t k, bool main_fn);

/* Liveness and precision (below) in one fixpoint. */
void ebpfV_liveness(struct verifier *v)
{
    const struct ebpf_insn *p = v->insns;
    uint32_t main_end = v->n; /* functions follow the main one */
    for (uint32_t k = 0; k < v->n; k++)
        if (p[k].code == (BPF_JMP | BPF_CALL) && p[k].src == BPF_PSEUDO_CALL &&
            ebpfV_target(&p[k], k) < main_end)
            main_end = ebpfV_target(&p[k], k);
    bool changed = true;
    while (changed) {
        changed = false;
        for (uint32_t k = v->n; k-- > 0;) {
            if (v->flags[k] & F_SECOND)
                continue;
            const struct ebpf_insn *in = &p[k];
            uint8_t c = in->code;
            uint16_t use, def, out = 0;
            uint64_t suse, sdef, sout = 0; /* exit: the frame's stack dies */
            use_def(in, &use, &def);
            stack_use_def(in, &suse, &sdef);
            if (c == (BPF_JMP | BPF_JA) || c == (BPF_JMP32 | BPF_JA)) {
                out = v->live[ebpfV_target(in, k)];
                sout = v->live_slots[ebpfV_target(in, k)];
            } else if (c != (BPF_JMP | BPF_EXIT)) {
                uint32_t next = k + (ebpfL_is_lddw(in) ? 2 : 1);
                if (next < v->n) {
                    out = v->live[next];
                    sout = v->live_slots[next];
                }
                if (ebpfV_is_cond_jump(c)) {
                    out |= v->live[ebpfV_target(in, k)];
                    sout |= v->live_slots[ebpfV_target(in, k)];
                }
            }
            uint16_t in_set = (uint16_t)(use | (out & ~def));
            uint64_t sin = suse | (sout & ~sdef);
            if (in_set != v->live[k] || sin != v->live_slots[k]) {
                v->live[k] = in_set;
                v->live_slots[k] = sin;
                changed = true;
            }
            changed |= precise_at(v, k, k < main_end);
        }
    }
}

/* Stack slots of frame fi that may still be read: the innermost frame's
 * live set at pc; callers keep every slot (their callee may read them
 * through pointer arguments). */
uint64_t ebpfV_live_slots(const struct verifier *v, const struct vstate *st, uint32_t fi,
                          uint32_t pc)
{
    return fi + 1 == st->nframes ? v->live_slots[pc] : ALL_SLOTS;
}

/* Registers of frame fi of st that may still be read, the state being at
 * pc: the innermost frame's live set at pc; a caller frame resumes after its
 * call, where r0-r5 are rewritten. */
uint16_t ebpfV_live_regs(const struct verifier *v, const struct vstate *st, uint32_t fi,
                         uint32_t pc)
{
    if (fi + 1 == st->nframes)
        return v->live[pc];
    return (uint16_t)(v->live[st->frames[fi + 1].callsite + 1] & ~(R(0) | ARGS));
}

/* ---- precision ----------------------------------------------------------------
 *
 * precise[pc] = registers (and precise_slots[pc] = spilled stack slots)
 * whose scalar *range* may still decide something from pc on: a branch (its
 * operands), a memory access or pointer argument (the pointer, and every
 * scalar added to it), a helper's size or constant argument, a callx id, a
 * subprogram's return value.  A value that only flows into stores, into
 * other such values, or into a helper's "anything" argument cannot change
 * what the walk decides, so a remembered state keeps such scalars as "any
 * scalar" and prunes states whatever their ranges (Linux reaches the same
 * end by marking precise, lazily, the scalars a decision depended on).
 * Backward dataflow, conservative where it cannot see: a load of 8 bytes
 * through a pointer other than r10 may fill any slot (a narrow load gets a
 * spilled value back only through r10: see vmem.c "Narrow spills"), a store through one
 * may spill into any, a local call may read any caller slot.
 */
static uint64_t fill_bits(const struct ebpf_insn *in, uint32_t size)
{
    if ((BPF_STACK_SIZE + in->off) % (int32_t)size)
        return 0; /* only a load aligned to its width gets a spilled value back */
    return slot_bits(in->off, size);
}

/* Slots whose spilled value a store through r10 replaces whole: only an
 * aligned 8-byte store (a narrow one may leave another narrow spill of the
 * slot in place, or not spill at all). */
static uint64_t kill_bits(const struct ebpf_insn *in, uint32_t size)
{
    return size == 8 ? fill_bits(in, 8) : 0;
}

static void precise_step(const struct verifier *v, const struct ebpf_insn *in, bool main_fn,
                         uint16_t *p, uint64_t *sl)
{
    static const uint32_t sizes[4] = {4, 2, 1, 8};
    uint8_t c = in->code, cls = BPF_CLASS(c), op = BPF_OP(c);
    uint32_t size = sizes[BPF_SIZE(c) >> 3];
    uint16_t P = *p;
    uint64_t S = *sl;
    bool x = BPF_SRC(c) == BPF_X;
    switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
        if (op == BPF_MOV) {
            bool m = P & R(in->dst);
            P &= (uint16_t)~R(in->dst);
            if (m && x)
                P |= (uint16_t)R(in->src);
        } else if (op != BPF_END && op != BPF_NEG && x && (P & R(in->dst))) {
            P |= (uint16_t)R(in->src); /* dst depends on itself and src */
        }
        break;
    case BPF_LD:
        P &= (uint16_t)~R(in->dst);
        break;
    case BPF_LDX: {
        bool m = P & R(in->dst);
        P &= (uint16_t)~R(in->dst);
        P |= (uint16_t)R(in->src);
        if (m) /* a narrow spill fills back only through r10 (vmem.c) */
            S |= in->src == BPF_REG_FP ? fill_bits(in, size) : size == 8 ? ALL_SLOTS : 0;
        break;
    }
    case BPF_ST:
        P |= (uint16_t)R(in->dst);
        if (in->dst == BPF_REG_FP)
            S &= ~kill_bits(in, size);
        break;
    case BPF_STX:
        P |= (uint16_t)R(in->dst);
        if (BPF_MODE(c) == BPF_ATOMIC) {
            if (in->imm == BPF_CMPXCHG)
                P &= (uint16_t)~R(0);
            else if (in->imm & BPF_FETCH)
                P &= (uint16_t)~R(in->src);
            if (in->dst == BPF_REG_FP)
                S &= ~kill_bits(in, size);
        } else if (in->dst == BPF_REG_FP) {
            if (S & fill_bits(in, size))
                P |= (uint16_t)R(in->src);
            S &= ~kill_bits(in, size);
        } else if (S) {
            P |= (uint16_t)R(in->src); /* it may be a spill through a pointer */
        }
        break;
    default: /* jumps */
        if (op == BPF_EXIT) {
            if (!main_fn)
                P |= R(0);
        } else if (op == BPF_CALL) {
            P &= (uint16_t)~(R(0) | ARGS);
            if (x) {
                P |= (uint16_t)(ARGS | R(in->dst));
            } else if (in->src == BPF_PSEUDO_CALL) {
                P |= ARGS;
                S = ALL_SLOTS;
            } else {
                const struct ebpf_helper_proto *pr =
                    (uint32_t)in->imm < BPF_FUNC_MAX_ID ? v->vm->helpers[in->imm].proto : NULL;
                for (int i = 0; i < 5; i++)
                    if (!pr || (pr->args[i] != EBPF_ARG_NONE && pr->args[i] != EBPF_ARG_ANYTHING))
                        P |= (uint16_t)R(i + 1);
            }
        } else if (op != BPF_JA) {
            P |= (uint16_t)R(in->dst);
            if (x)
                P |= (uint16_t)R(in->src);
        }
    }
    *p = P;
    *sl = S;
}

/* One step of the precision fixpoint at k; true if it changed. */
static bool precise_at(struct verifier *v, uint32_t k, bool main_fn)
{
    const struct ebpf_insn *in = &v->insns[k];
    uint8_t c = in->code;
    uint16_t out = 0;
    uint64_t sout = 0;
    if (c == (BPF_JMP | BPF_JA) || c == (BPF_JMP32 | BPF_JA)) {
        out = v->precise[ebpfV_target(in, k)];
        sout = v->precise_slots[ebpfV_target(in, k)];
    } else if (c != (BPF_JMP | BPF_EXIT)) {
        uint32_t next = k + (ebpfL_is_lddw(in) ? 2 : 1);
        if (next < v->n) {
            out = v->precise[next];
            sout = v->precise_slots[next];
        }
        if (ebpfV_is_cond_jump(c)) {
            out |= v->precise[ebpfV_target(in, k)];
            sout |= v->precise_slots[ebpfV_target(in, k)];
        }
    }
    precise_step(v, in, main_fn, &out, &sout);
    out &= (uint16_t)(v->live[k] | R(BPF_REG_FP));
    if (out == v->precise[k] && sout == v->precise_slots[k])
        return false;
    v->precise[k] = out;
    v->precise_slots[k] = sout;
    return true;
}

/* As ebpfV_live_regs/ebpfV_live_slots: a caller frame resumes after its
 * call (and its callee may use any of its slots). */
uint16_t ebpfV_precise_regs(const struct verifier *v, const struct vstate *st, uint32_t fi,
                            uint32_t pc)
{
    if (fi + 1 == st->nframes)
        return v->precise[pc];
    return (uint16_t)(v->precise[st->frames[fi + 1].callsite + 1] & ~(R(0) | ARGS));
}

uint64_t ebpfV_precise_slots(const struct verifier *v, const struct vstate *st, uint32_t fi,
                             uint32_t pc)
{
    return fi + 1 == st->nframes ? v->precise_slots[pc] : ALL_SLOTS;
}
