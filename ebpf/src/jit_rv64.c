/*
 * jit_rv64.c - translate a loaded program into RV64IMAC machine code
 * (arithmetic is in jit_rv64_alu.c, 16-bit RVC forms in rv64_rvc.c).
 *
 * Register map (BPF -> RISC-V, LP64 calling convention):
 *   r0 a5   r1-r5 a0-a4 (helper arguments stay in place)
 *   r6-r9 s1-s4   r10 s5 (frame pointer)   s6 = the ebpf_vm *
 *   t0-t3 scratch
 * Every BPF function gets a native frame: 64 bytes of saved registers
 * (ra, s1-s6) under its 512-byte BPF stack, so r10 = sp + 576, unless it
 * calls nothing and never names r6-r10 (frameless(): no frame at all).
 * Local calls are `jal ra`; exits jump to the function's epilogue.
 *
 * RISC-V differs from BPF in ways the code below compensates for (RISC-V
 * unprivileged spec, M extension 7.2; RV64I 5.2-5.3):
 *   - divu/div by zero give all ones: guard and produce 0 (BPF);
 *     remu/rem by zero give the dividend, as BPF wants;
 *   - *w instructions sign-extend their 32-bit result: BPF zero-extends;
 *   - branches reach +-4 KiB: farther targets use an inverted branch over
 *     auipc+jalr.  Sizes are settled in three passes (all long, then short
 *     where the long layout proves it fits, then the final emission).
 * Code is counted in halfwords: instructions with a 16-bit RVC form use it,
 * except where a size must not change (branches, pc-relative pairs, the
 * fixed-offset sequences), which are always 32-bit.
 * Like ubpf's JIT, an error is sticky: once set nothing more is emitted.
 */
#include "jit_rv64.h"

const uint8_t ebpfJ_regmap[BPF_NREGS] = {A5, A0, 11, 12, 13, 14, S1, S2, S3, S4, S5};

/* Appends one halfword (code is counted in 2-byte units because of RVC). */
static void put16(struct jit *j, uint16_t h)
{
    if (j->err)
        return;
    if (j->buf) {
        if (j->n >= j->cap) {
            j->err = ebpfA_fail(j->vm, EBPF_E2BIG, -1, "JIT buffer of %zu bytes is too small",
                                j->cap * 2);
            return;
        }
        j->buf[j->n] = h;
    }
    j->n++;
}

/* A 32-bit instruction exactly as given: for branches, jumps, pc-relative
 * pairs, data and the fixed-offset sequences, whose sizes must not change. */
void ebpfJ_emit_raw(struct jit *j, uint32_t insn)
{
    put16(j, (uint16_t)insn);
    put16(j, (uint16_t)(insn >> 16));
}

/* A 32-bit instruction, in its 16-bit RVC form when it has one. */
void ebpfJ_emit(struct jit *j, uint32_t insn)
{
    uint16_t c = j->rvc ? ebpfJ_compress(insn) : 0;
    if (c)
        put16(j, c);
    else
        ebpfJ_emit_raw(j, insn);
}

void ebpfJ_addi(struct jit *j, int rd, int rs, int32_t imm)
{
    ebpfJ_emit(j, i_type(imm, rs, 0, rd, OPI));
}
void ebpfJ_mv(struct jit *j, int rd, int rs)
{
    if (rd != rs)
        ebpfJ_addi(j, rd, rs, 0);
}
void ebpfJ_slli(struct jit *j, int rd, int rs, int sh)
{
    ebpfJ_emit(j, i_type(sh & 63, rs, 1, rd, OPI));
}
void ebpfJ_srli(struct jit *j, int rd, int rs, int sh)
{
    ebpfJ_emit(j, i_type(sh & 63, rs, 5, rd, OPI));
}
void ebpfJ_srai(struct jit *j, int rd, int rs, int sh)
{
    ebpfJ_emit(j, i_type(0x400 | (sh & 63), rs, 5, rd, OPI));
}
void ebpfJ_zext32(struct jit *j, int rd)
{
    ebpfJ_slli(j, rd, rd, 32);
    ebpfJ_srli(j, rd, rd, 32);
}
void ebpfJ_sext32(struct jit *j, int rd, int rs)
{
    ebpfJ_emit(j, i_type(0, rs, 0, rd, OPI32)); /* addiw rd, rs, 0 */
}

/* Loads any 64-bit constant (the usual lui/addiw, then shifts). */
void ebpfJ_li(struct jit *j, int rd, int64_t v)
{
    if (fits12(v)) {
        ebpfJ_addi(j, rd, ZERO, (int32_t)v);
        return;
    }
    if (v == (int32_t)v) {
        int32_t lo = (int32_t)((uint32_t)v << 20) >> 20;
        uint32_t hi = (uint32_t)(((uint64_t)v - (uint64_t)(int64_t)lo) >> 12) & 0xfffff;
        ebpfJ_emit(j, hi << 12 | (uint32_t)rd << 7 | 0x37); /* lui */
        if (lo)
            ebpfJ_emit(j, i_type(lo, rd, 0, rd, OPI32)); /* addiw */
        return;
    }
    int32_t lo = (int32_t)((uint64_t)v << 52 >> 52);
    if (lo & 0x800)
        lo -= 0x1000;
    int64_t hi = (int64_t)((uint64_t)v - (uint64_t)(int64_t)lo) >> 12;
    int shift = 12;
    while (!(hi & 1)) {
        hi >>= 1;
        shift++;
    }
    ebpfJ_li(j, rd, hi);
    ebpfJ_slli(j, rd, rd, shift);
    if (lo)
        ebpfJ_addi(j, rd, rd, lo);
}

/* Instructions ebpfJ_li() needs for v (mirrors its recursion). */
static int li_len(int64_t v)
{
    if (fits12(v))
        return 1;
    if (v == (int32_t)v) {
        int32_t lo = (int32_t)((uint32_t)v << 20) >> 20;
        return lo ? 2 : 1;
    }
    int32_t lo = (int32_t)((uint64_t)v << 52 >> 52);
    if (lo & 0x800)
        lo -= 0x1000;
    int64_t hi = (int64_t)((uint64_t)v - (uint64_t)(int64_t)lo) >> 12;
    while (!(hi & 1))
        hi >>= 1;
    return li_len(hi) + 1 + (lo != 0);
}

/* rd = v: inline when short, else from the constant pool. */
static void load_const(struct jit *j, int rd, int64_t v)
{
    if (li_len(v) <= 3) {
        ebpfJ_li(j, rd, v);
        return;
    }
    uint32_t idx = j->npool++;
    j->pool[idx] = (uint64_t)v;
    int64_t d = ((int64_t)(j->pool_off + 4 * idx) - (int64_t)j->n) * 2;
    int32_t lo = (int32_t)((uint32_t)d << 20) >> 20;
    uint32_t hi = (uint32_t)((d - lo) >> 12) & 0xfffff;
    ebpfJ_emit_raw(j, hi << 12 | (uint32_t)rd << 7 | 0x17); /* auipc rd, hi */
    ebpfJ_emit_raw(j, i_type(lo, rd, 3, rd, LOAD));         /* ld rd, lo(rd) */
}

/* ---- control flow ------------------------------------------------------ */

/* Distance in bytes from the current position to native offset `to`. */
static int64_t dist(struct jit *j, uint32_t to)
{
    return ((int64_t)to - (int64_t)j->n) * 2;
}

/* auipc rd, hi; jalr link, lo(rd) to native offset `to`. */
static void far_jump(struct jit *j, int link, uint32_t to)
{
    int64_t d = dist(j, to);
    int32_t lo = (int32_t)((uint32_t)d << 20) >> 20;
    uint32_t hi = (uint32_t)((d - lo) >> 12) & 0xfffff;
    ebpfJ_emit_raw(j, hi << 12 | (uint32_t)T3 << 7 | 0x17);
    ebpfJ_emit_raw(j, i_type(lo, T3, 0, link, 0x67));
}

/* Unconditional jump (link = RA for calls) to native offset `to`. */
static void jump(struct jit *j, uint32_t pc, int link, uint32_t to)
{
    int64_t d = dist(j, to);
    if (j->pass == 0 || j->far[pc] || d < -(1 << 20) || d >= (1 << 20)) {
        if (j->pass == 1)
            j->far[pc] = 1;
        far_jump(j, link, to);
    } else {
        ebpfJ_emit_raw(j, j_type((int32_t)d, link));
    }
}

/* Conditional branch: if (rs1 <f3> rs2) goto `to`. */
static void branch(struct jit *j, uint32_t pc, uint32_t f3, int rs1, int rs2, uint32_t to)
{
    int64_t d = dist(j, to);
    if (j->pass == 1)
        j->far[pc] = d < -NEAR_JUMP || d > NEAR_JUMP;
    if (j->pass == 0 || j->far[pc]) {
        ebpfJ_emit_raw(j, b_type(12, rs2, rs1, f3 ^ 1)); /* inverted: skip the far jump */
        far_jump(j, ZERO, to);
    } else {
        ebpfJ_emit_raw(j, b_type((int32_t)d, rs2, rs1, f3));
    }
}

/* ---- instructions ------------------------------------------------------- */

static const uint32_t load_f3[4] = {6, 5, 4, 3};   /* lwu lhu lbu ld by BPF size */
static const uint32_t loadsx_f3[4] = {2, 1, 0, 3}; /* lw lh lb */
static const uint32_t store_f3[4] = {2, 1, 0, 3};  /* sw sh sb sd */

/* Base register for [reg + off]: reg itself or t0 = reg + off. */
static int address(struct jit *j, int reg, int32_t *off)
{
    if (fits12(*off))
        return reg;
    /* lui t0, hi; add t0, t0, reg; the low 12 bits go in the access */
    int32_t lo = (int32_t)((uint32_t)*off << 20) >> 20;
    uint32_t hi = (uint32_t)((*off - lo) >> 12) & 0xfffff;
    ebpfJ_emit(j, hi << 12 | (uint32_t)T0 << 7 | 0x37);
    ebpfJ_emit(j, r_type(0, reg, T0, 0, T0, OP));
    *off = lo;
    return T0;
}

static void mem(struct jit *j, const struct ebpf_dinsn *in)
{
    uint8_t cls = BPF_CLASS(in->code);
    int sz = BPF_SIZE(in->code) >> 3;
    int32_t off = in->off;
    if (cls == BPF_LDX) {
        int base = address(j, ebpfJ_regmap[in->src], &off);
        uint32_t f3 = BPF_MODE(in->code) == BPF_MEMSX ? loadsx_f3[sz] : load_f3[sz];
        ebpfJ_emit(j, i_type(off, base, f3, ebpfJ_regmap[in->dst], LOAD));
        return;
    }
    int val;
    if (cls == BPF_ST) {
        ebpfJ_li(j, T1, (int64_t)in->imm);
        val = T1;
    } else {
        val = ebpfJ_regmap[in->src];
    }
    int base = address(j, ebpfJ_regmap[in->dst], &off);
    ebpfJ_emit(j, s_type(off, val, base, store_f3[sz]));
}

static void atomic(struct jit *j, const struct ebpf_dinsn *in)
{
    bool dw = BPF_SIZE(in->code) == BPF_DW;
    uint32_t f3 = dw ? 3 : 2, aqrl = 3u << 25;
    int s = ebpfJ_regmap[in->src];
    ebpfJ_li(j, T0, in->off);
    ebpfJ_emit(j, r_type(0, ebpfJ_regmap[in->dst], T0, 0, T0, OP)); /* t0 = address */
    if (in->aux == BPF_CMPXCHG) {
        /* loop: lr t1; bne t1, expected, out; sc t3, src; bnez t3, loop */
        if (dw)
            ebpfJ_mv(j, T2, A5);
        else
            ebpfJ_sext32(j, T2, A5); /* lr.w sign-extends what it loads */
        ebpfJ_emit_raw(j, 0x02u << 27 | aqrl | (uint32_t)T0 << 15 | f3 << 12 | (uint32_t)T1 << 7 |
                              AMO);
        ebpfJ_emit_raw(j, b_type(12, T2, T1, 1));
        ebpfJ_emit_raw(j, 0x03u << 27 | aqrl | (uint32_t)s << 20 | (uint32_t)T0 << 15 | f3 << 12 |
                              (uint32_t)T3 << 7 | AMO);
        ebpfJ_emit_raw(j, b_type(-12, ZERO, T3, 1));
        ebpfJ_mv(j, A5, T1);
        if (!dw)
            ebpfJ_zext32(j, A5);
        return;
    }
    uint32_t f5;
    switch (in->aux & ~BPF_FETCH) {
    case BPF_ADD:
        f5 = 0x00;
        break;
    case BPF_OR:
        f5 = 0x08;
        break;
    case BPF_AND:
        f5 = 0x0c;
        break;
    case BPF_XOR:
        f5 = 0x04;
        break;
    default: /* BPF_XCHG */
        f5 = 0x01;
    }
    int rd = in->aux & BPF_FETCH ? s : ZERO;
    ebpfJ_emit(j, f5 << 27 | aqrl | (uint32_t)s << 20 | (uint32_t)T0 << 15 | f3 << 12 |
                      (uint32_t)rd << 7 | AMO);
    if (rd != ZERO && !dw)
        ebpfJ_zext32(j, rd);
}

/* branch funct3: beq 0, bne 1, blt 4, bge 5, bltu 6, bgeu 7 */
/* if (cond) goto `to`; with invert, if (!cond). */
static void cond(struct jit *j, uint32_t pc, const struct ebpf_dinsn *in, bool invert, uint32_t to)
{
    bool is32 = BPF_CLASS(in->code) == BPF_JMP32;
    uint8_t op = invert ? ebpf_jmp_negate(BPF_OP(in->code)) : BPF_OP(in->code);
    bool sgn = op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE;
    int a = ebpfJ_regmap[in->dst], b;
    if (BPF_SRC(in->code) == BPF_X) {
        b = ebpfJ_regmap[in->src];
    } else if (in->imm == 0) {
        b = ZERO;
    } else {
        b = T1;
        ebpfJ_li(j, T1,
                 is32 ? (sgn ? (int64_t)(int32_t)in->imm : (int64_t)(uint32_t)in->imm)
                      : (int64_t)in->imm);
    }
    if (is32) {
        /* compare 32-bit values, extended the way the comparison reads them */
        if (sgn) {
            ebpfJ_sext32(j, T2, a);
            if (b != ZERO && b != T1) {
                ebpfJ_sext32(j, T3, b);
                b = T3;
            }
        } else {
            ebpfJ_mv(j, T2, a);
            ebpfJ_zext32(j, T2);
            if (b != ZERO && b != T1) {
                ebpfJ_mv(j, T3, b);
                ebpfJ_zext32(j, T3);
                b = T3;
            }
        }
        a = T2;
    }
    switch (op) {
    case BPF_JEQ:
        branch(j, pc, 0, a, b, to);
        break;
    case BPF_JNE:
        branch(j, pc, 1, a, b, to);
        break;
    case BPF_JGT:
        branch(j, pc, 6, b, a, to);
        break;
    case BPF_JGE:
        branch(j, pc, 7, a, b, to);
        break;
    case BPF_JLT:
        branch(j, pc, 6, a, b, to);
        break;
    case BPF_JLE:
        branch(j, pc, 7, b, a, to);
        break;
    case BPF_JSGT:
        branch(j, pc, 4, b, a, to);
        break;
    case BPF_JSGE:
        branch(j, pc, 5, a, b, to);
        break;
    case BPF_JSLT:
        branch(j, pc, 4, a, b, to);
        break;
    case BPF_JSLE:
        branch(j, pc, 5, b, a, to);
        break;
    case BPF_JSET:
        ebpfJ_emit(j, r_type(0, b, a, 7, T1, OP)); /* and t1, a, b */
        branch(j, pc, 1, T1, ZERO, to);
        break;
    }
}

static const int saved[7] = {RA, S1, S2, S3, S4, S5, S6};

/* A function that calls nothing (no helper, local, indirect or tail call)
 * and never names r6-r10 writes none of the registers the frame saves
 * (ra, s1-s6) and has no BPF stack (r10): it needs no frame.  Issue 21:
 * for an empty kprobe program the frame was 16 of the 26 instructions run.
 * Conservative: a src field of 6 or more that is not a register (a pseudo
 * source) also keeps the frame. */
static bool frameless(const ebpf_vm *vm, uint32_t f)
{
    for (uint32_t pc = vm->funcs[f].start; pc < vm->funcs[f].end; pc++) {
        const struct ebpf_dinsn *in = &vm->code[pc];
        unsigned cls = BPF_CLASS(in->code);
        if (in->dst >= 6 || in->src >= 6)
            return false;
        if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(in->code) == BPF_CALL)
            return false;
    }
    return true;
}

static void prologue(struct jit *j, bool main, bool leaf)
{
    if (!leaf) {
        ebpfJ_addi(j, SP, SP, -FRAME);
        for (int i = 0; i < 7; i++)
            ebpfJ_emit(j, s_type(8 * i, saved[i], SP, 3));
        ebpfJ_addi(j, S5, SP, FRAME);
    }
    if (main) {
        if (!leaf)
            ebpfJ_mv(j, S6, A2); /* the vm */
        ebpfJ_addi(j, A2, ZERO, 0);
        ebpfJ_addi(j, 13, ZERO, 0);
        ebpfJ_addi(j, 14, ZERO, 0);
        ebpfJ_addi(j, A5, ZERO, 0);
    }
}

static void epilogue(struct jit *j, bool leaf)
{
    ebpfJ_mv(j, A0, A5);
    if (!leaf) {
        for (int i = 0; i < 7; i++)
            ebpfJ_emit(j, i_type(8 * i, SP, 3, saved[i], LOAD));
        ebpfJ_addi(j, SP, SP, FRAME);
    }
    ebpfJ_emit(j, i_type(0, RA, 0, ZERO, 0x67)); /* ret */
}

/* callx in compiled code: the helper is picked at run time, by the id in a
 * register.  A verified program only passes ids the verifier checked; for an
 * unverified one, an unknown id returns 0 and fails the run (ebpf_jit_exec). */
static uint64_t jit_callx(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                          ebpf_vm *vm, uint64_t id)
{
    if (id < BPF_FUNC_MAX_ID && vm->helpers[id].fn)
        return vm->helpers[id].fn(r1, r2, r3, r4, r5, vm);
    if (!vm->jit_bad_callx)
        vm->jit_bad_callx = id + 1;
    return 0;
}

/* bpf_tail_call in compiled code, step 1 (a call): the target's compiled
 * code, or 0 to fall through (no target, not compiled, or the run's
 * EBPF_MAX_TAIL_CALLS used up).  vm is the running VM (its run state). */
static uint64_t jit_tail_target(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                ebpf_vm *vm)
{
    (void)r1, (void)r4, (void)r5;
    const ebpf_vm *t = ebpfM_tail_target((ebpf_map *)(uintptr_t)r2, r3);
    if (!t || !t->jit_code || vm->tail_calls >= EBPF_MAX_TAIL_CALLS)
        return 0;
    vm->tail_calls++;
    return (uint64_t)(uintptr_t)t->jit_code;
}

/* Step 2: leave this program's frame as its exit would (saved registers
 * back, sp up) and jump to the target's entry with the entry's arguments
 * (ctx, ctx_len from the run context, the vm), so the target returns
 * straight to whoever called this program.  Only the main function does
 * it (the verifier refuses tail calls in subprograms; there the call
 * falls through).  The branch over it is patched once its length is known. */
static void tail_call(struct jit *j, bool main)
{
    ebpfJ_mv(j, A5, S6);
    ebpfJ_li(j, T1, (int64_t)(uintptr_t)jit_tail_target);
    ebpfJ_emit(j, i_type(0, T1, 0, RA, 0x67)); /* jalr ra, 0(t1) */
    if (main) {
        size_t at = j->n;
        ebpfJ_emit_raw(j, 0); /* beqz a0, fall through (patched below) */
        ebpfJ_mv(j, T1, A0);
        ebpfJ_li(j, T0, (int64_t)offsetof(ebpf_vm, run_ctx));
        ebpfJ_emit(j, r_type(0, T0, S6, 0, T0, OP)); /* add t0, s6, t0 */
        ebpfJ_emit(j, i_type(0, T0, 3, A0, LOAD));   /* ctx */
        ebpfJ_emit(j, i_type((int32_t)(offsetof(ebpf_vm, run_ctx_len) - offsetof(ebpf_vm, run_ctx)),
                             T0, 3, 11, LOAD)); /* ctx_len */
        ebpfJ_mv(j, A2, S6);
        for (int i = 0; i < 7; i++)
            ebpfJ_emit(j, i_type(8 * i, SP, 3, saved[i], LOAD));
        ebpfJ_addi(j, SP, SP, FRAME);
        ebpfJ_emit(j, i_type(0, T1, 0, ZERO, 0x67)); /* jr t1 */
        if (j->buf && !j->err) {
            uint32_t b = b_type((int32_t)(2 * (j->n - at)), ZERO, A0, 0);
            j->buf[at] = (uint16_t)b;
            j->buf[at + 1] = (uint16_t)(b >> 16);
        }
    }
    ebpfJ_li(j, A5, -2); /* fell through: r0 = -ENOENT */
}

static void one_pass(struct jit *j)
{
    ebpf_vm *vm = j->vm;
    j->n = 0;
    j->npool = 0;
    for (uint32_t f = 0; f < vm->nfuncs; f++) {
        bool leaf = frameless(vm, f);
        for (uint32_t pc = vm->funcs[f].start; pc < vm->funcs[f].end; pc++) {
            const struct ebpf_dinsn *in = &vm->code[pc];
            j->off[pc] = (uint32_t)j->n;
            if (pc == vm->funcs[f].start)
                prologue(j, f == 0, leaf);
            const struct ebpf_dinsn *next = pc + 1 < vm->funcs[f].end ? in + 1 : NULL;
            /* peepholes over a pair whose second instruction nothing jumps to */
            bool pair = next && !j->target[pc + 1];
            switch (BPF_CLASS(in->code)) {
            case BPF_ALU:
            case BPF_ALU64:
                if (pair && in->code == (BPF_ALU64 | BPF_MOV | BPF_X) && !in->aux &&
                    ebpfJ_fused_alu(j, in, next)) {
                    j->off[++pc] = (uint32_t)j->n;
                    break;
                }
                ebpfJ_alu(j, in);
                break;
            case BPF_LDX:
            case BPF_ST:
                mem(j, in);
                break;
            case BPF_STX:
                if (BPF_MODE(in->code) == BPF_ATOMIC)
                    atomic(j, in);
                else
                    mem(j, in);
                break;
            case BPF_LD:
                load_const(j, ebpfJ_regmap[in->dst], (int64_t)in->imm);
                j->off[++pc] = (uint32_t)j->n;
                break;
            default:
                if (BPF_OP(in->code) == BPF_JA) {
                    jump(j, pc, ZERO, j->off[in->off]);
                } else if (in->code == (BPF_JMP | BPF_EXIT)) {
                    jump(j, pc, ZERO, j->epi[f]);
                } else if (in->code == (BPF_JMP | BPF_CALL) && in->src == BPF_PSEUDO_CALL) {
                    jump(j, pc, RA, j->off[in->off]);
                } else if (in->code == (BPF_JMP | BPF_CALL)) {
                    const struct ebpf_helper_slot *h =
                        in->imm < BPF_FUNC_MAX_ID ? &vm->helpers[in->imm] : NULL;
                    if (!h || !h->fn) {
                        j->err = ebpfA_fail(vm, EBPF_ENOENT, (int)pc, "unknown helper %u",
                                            (uint32_t)in->imm);
                        return;
                    }
                    if (in->imm == BPF_FUNC_tail_call && h->fn == ebpfH_tail_call) {
                        tail_call(j, f == 0);
                        break;
                    }
                    ebpfJ_mv(j, A5, S6); /* 6th argument: the vm */
                    ebpfJ_li(j, T1, (int64_t)(uintptr_t)h->fn);
                    ebpfJ_emit(j, i_type(0, T1, 0, RA, 0x67)); /* jalr ra, 0(t1) */
                    ebpfJ_mv(j, A5, A0);
                } else if (in->code == (BPF_JMP | BPF_CALL | BPF_X)) {
                    ebpfJ_mv(j, A6, ebpfJ_regmap[in->dst]); /* 7th argument: the id */
                    ebpfJ_mv(j, A5, S6);
                    ebpfJ_li(j, T1, (int64_t)(uintptr_t)jit_callx);
                    ebpfJ_emit(j, i_type(0, T1, 0, RA, 0x67)); /* jalr ra, 0(t1) */
                    ebpfJ_mv(j, A5, A0);
                } else if (pair && (uint32_t)in->off == pc + 2 &&
                           ebpf_jmp_negate(BPF_OP(in->code)) &&
                           (next->code == (BPF_JMP | BPF_JA) ||
                            next->code == (BPF_JMP32 | BPF_JA))) {
                    /* "if c goto +1; goto L" becomes "if !c goto L" */
                    cond(j, pc, in, true, j->off[next->off]);
                    j->off[++pc] = (uint32_t)j->n;
                } else {
                    cond(j, pc, in, false, j->off[in->off]);
                }
            }
        }
        j->epi[f] = (uint32_t)j->n;
        epilogue(j, leaf);
    }
    /* the pool: 8-byte aligned (the code buffer is), after a padding nop */
    if (j->npool) {
        while (j->n & 3) /* to 8 bytes; never executed */
            put16(j, 0);
        j->pool_off = (uint32_t)j->n;
        for (uint32_t i = 0; i < j->npool; i++) {
            ebpfJ_emit_raw(j, (uint32_t)j->pool[i]);
            ebpfJ_emit_raw(j, (uint32_t)(j->pool[i] >> 32));
        }
    }
}

int ebpf_jit_compile(ebpf_vm *vm, void *code, size_t cap, size_t *len)
{
    if (vm->origin)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "a replica only runs its original's program");
    struct jit j;
    vm->err_insn = -1;
    if (!vm->code)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "no program loaded");
    size_t mark = vm->arena_used;
    ebpfA_memset(&j, 0, sizeof(j));
    j.vm = vm;
    j.rvc = !vm->jit_no_rvc;
    j.off = ebpfA_alloc(vm, (vm->ninsns + 1) * sizeof(uint32_t));
    j.epi = ebpfA_alloc(vm, vm->nfuncs * sizeof(uint32_t));
    j.far = ebpfA_alloc(vm, vm->ninsns);
    j.pool = ebpfA_alloc(vm, (vm->ninsns / 2 + 1) * sizeof(uint64_t));
    j.target = ebpfA_alloc(vm, vm->ninsns + 1);
    if (j.target) {
        for (uint32_t pc = 0; pc < vm->ninsns; pc++) {
            const struct ebpf_dinsn *d = &vm->code[pc];
            uint8_t cls = BPF_CLASS(d->code), op = BPF_OP(d->code);
            if (ebpfL_is_lddw((const struct ebpf_insn *)&vm->insns[pc])) {
                pc++;
                continue;
            }
            if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_EXIT &&
                (op != BPF_CALL || d->src == BPF_PSEUDO_CALL) && (uint32_t)d->off < vm->ninsns)
                j.target[d->off] = 1;
        }
        for (uint32_t f = 0; f < vm->nfuncs; f++)
            j.target[vm->funcs[f].start] = 1;
    }
    if ((uintptr_t)code & 7) {
        vm->arena_used = mark;
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "JIT buffer must be 8-byte aligned");
    }
    if (!j.off || !j.epi || !j.far || !j.pool || !j.target) {
        vm->arena_used = mark;
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena too small for the JIT");
    }
    /* Pass 0 lays out with every jump long; pass 1 picks short forms that
     * fit with room to spare (code only shrinks from then on); pass 2
     * emits with the offsets of pass 1, which it reproduces exactly. */
    for (j.pass = 0; j.pass < 2 && !j.err; j.pass++)
        one_pass(&j);
    if (!j.err) {
        j.buf = code;
        j.cap = cap / 2;
        j.pass = 2;
        one_pass(&j);
    }
    vm->arena_used = mark;
    if (j.err)
        return j.err;
    vm->jit_code = code;
    vm->jit_len = j.n * 2;
    if (len)
        *len = vm->jit_len;
    if (vm->flush)
        vm->flush(code, vm->jit_len);
    return 0;
}

void ebpf_jit_set_rvc(ebpf_vm *vm, int on)
{
    vm->jit_no_rvc = !on;
}

int ebpf_jit_exec(ebpf_vm *vm, void *ctx, uint64_t ctx_len, uint64_t *ret)
{
    if (!vm->jit_code)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "program is not compiled");
#if defined(__riscv) && __riscv_xlen == 64
    typedef uint64_t (*entry_fn)(uint64_t r1, uint64_t r2, ebpf_vm * vm);
    /* Through uintptr_t: an object pointer to a function pointer (ISO C
     * leaves the direct cast undefined; GCC defines this one). */
    entry_fn fn = (entry_fn)(uintptr_t)vm->jit_code;
    vm->run_ctx = ctx;
    vm->run_ctx_len = ctx_len;
    /* Compiled code is trusted (verified): its stack is the native one, so
     * the helpers' bounds-checked-mode pointer checks must be off. */
    int checked = vm->bounds_check;
    vm->bounds_check = 0;
    vm->jit_bad_callx = 0;
    vm->tail_calls = 0;
    uint64_t r0 = fn((uint64_t)(uintptr_t)ctx, ctx_len, vm);
    vm->bounds_check = checked;
    if (vm->jit_bad_callx)
        return ebpfA_fail(vm, EBPF_ENOENT, -1, "callx: unknown helper %llu",
                          (unsigned long long)(vm->jit_bad_callx - 1));
    if (ret)
        *ret = r0;
    return 0;
#else
    (void)ctx, (void)ctx_len, (void)ret;
    return ebpfA_fail(vm, EBPF_ENOSYS, -1, "JIT code runs only on rv64");
#endif
}
