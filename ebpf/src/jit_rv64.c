/*
 * jit_rv64.c - translate a loaded program into RV64IMA machine code.
 *
 * Register map (BPF -> RISC-V, LP64 calling convention):
 *   r0 a5   r1-r5 a0-a4 (helper arguments stay in place)
 *   r6-r9 s1-s4   r10 s5 (frame pointer)   s6 = the ebpf_vm *
 *   t0-t3 scratch
 * Every BPF function gets a native frame: 64 bytes of saved registers
 * (ra, s1-s6) under its 512-byte BPF stack, so r10 = sp + 576.  Local calls
 * are `jal ra`; exits jump to the function's epilogue.
 *
 * RISC-V differs from BPF in ways the code below compensates for (RISC-V
 * unprivileged spec, M extension 7.2; RV64I 5.2-5.3):
 *   - divu/div by zero give all ones: guard and produce 0 (BPF);
 *     remu/rem by zero give the dividend, as BPF wants;
 *   - *w instructions sign-extend their 32-bit result: BPF zero-extends;
 *   - branches reach +-4 KiB: farther targets use an inverted branch over
 *     auipc+jalr.  Sizes are settled in three passes (all long, then short
 *     where the long layout proves it fits, then the final emission).
 * Like ubpf's JIT, an error is sticky: once set nothing more is emitted.
 */
#include "ebpf_int.h"

enum {
    ZERO = 0,
    RA = 1,
    SP = 2,
    T0 = 5,
    T1 = 6,
    T2 = 7,
    S1 = 9,
    A0 = 10,
    A2 = 12,
    A5 = 15,
    S2 = 18,
    S3 = 19,
    S4 = 20,
    S5 = 21,
    S6 = 22,
    T3 = 28
};

static const uint8_t regmap[BPF_NREGS] = {A5, A0, 11, 12, 13, 14, S1, S2, S3, S4, S5};

#define FRAME     (64 + BPF_STACK_SIZE)
#define NEAR_JUMP 3500 /* bytes: safely inside a B-type branch's +-4096 */

struct jit {
    ebpf_vm *vm;
    uint32_t *buf; /* NULL while sizing */
    size_t cap;    /* in instructions */
    size_t n;      /* instructions emitted so far */
    int err;
    uint32_t *off;   /* native offset (in instructions) of each BPF insn */
    uint32_t *epi;   /* epilogue offset of each function */
    uint8_t *far;    /* per BPF insn: its jump uses the long form */
    uint8_t *target; /* per BPF insn: something jumps or calls to it */
    int pass;        /* 0: all long, 1: choose, 2: emit */
    /* 64-bit constants too costly to build inline live in a pool after the
     * code, loaded with auipc + ld (always two instructions, so the pool
     * never changes the layout) */
    uint64_t *pool;
    uint32_t npool;
    uint32_t pool_off; /* where the pool starts (previous pass's layout) */
};

static void emit(struct jit *j, uint32_t insn)
{
    if (j->err)
        return;
    if (j->buf) {
        if (j->n >= j->cap) {
            j->err = ebpfA_fail(j->vm, EBPF_E2BIG, -1, "JIT buffer of %zu bytes is too small",
                                j->cap * 4);
            return;
        }
        j->buf[j->n] = insn;
    }
    j->n++;
}

/* ---- encoders ---------------------------------------------------------- */

static uint32_t r_type(uint32_t f7, int rs2, int rs1, uint32_t f3, int rd, uint32_t op)
{
    return f7 << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | f3 << 12 | (uint32_t)rd << 7 | op;
}
static uint32_t i_type(int32_t imm, int rs1, uint32_t f3, int rd, uint32_t op)
{
    return ((uint32_t)imm & 0xfff) << 20 | (uint32_t)rs1 << 15 | f3 << 12 | (uint32_t)rd << 7 | op;
}
static uint32_t s_type(int32_t imm, int rs2, int rs1, uint32_t f3)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) & 0x7f) << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | f3 << 12 |
           (u & 0x1f) << 7 | 0x23;
}
static uint32_t b_type(int32_t imm, int rs2, int rs1, uint32_t f3)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | (uint32_t)rs2 << 20 |
           (uint32_t)rs1 << 15 | f3 << 12 | ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}
static uint32_t j_type(int32_t imm, int rd)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
           ((u >> 12) & 0xff) << 12 | (uint32_t)rd << 7 | 0x6f;
}

#define OP    0x33
#define OP32  0x3b
#define OPI   0x13
#define OPI32 0x1b
#define LOAD  0x03
#define AMO   0x2f

static bool fits12(int64_t v)
{
    return v >= -2048 && v <= 2047;
}

static void addi(struct jit *j, int rd, int rs, int32_t imm)
{
    emit(j, i_type(imm, rs, 0, rd, OPI));
}
static void mv(struct jit *j, int rd, int rs)
{
    if (rd != rs)
        addi(j, rd, rs, 0);
}
static void slli(struct jit *j, int rd, int rs, int sh)
{
    emit(j, i_type(sh & 63, rs, 1, rd, OPI));
}
static void srli(struct jit *j, int rd, int rs, int sh)
{
    emit(j, i_type(sh & 63, rs, 5, rd, OPI));
}
static void srai(struct jit *j, int rd, int rs, int sh)
{
    emit(j, i_type(0x400 | (sh & 63), rs, 5, rd, OPI));
}
static void zext32(struct jit *j, int rd)
{
    slli(j, rd, rd, 32);
    srli(j, rd, rd, 32);
}
static void sext32(struct jit *j, int rd, int rs)
{
    emit(j, i_type(0, rs, 0, rd, OPI32)); /* addiw rd, rs, 0 */
}

/* Loads any 64-bit constant (the usual lui/addiw, then shifts). */
static void li(struct jit *j, int rd, int64_t v)
{
    if (fits12(v)) {
        addi(j, rd, ZERO, (int32_t)v);
        return;
    }
    if (v == (int32_t)v) {
        int32_t lo = (int32_t)((uint32_t)v << 20) >> 20;
        uint32_t hi = (uint32_t)(((uint64_t)v - (uint64_t)(int64_t)lo) >> 12) & 0xfffff;
        emit(j, hi << 12 | (uint32_t)rd << 7 | 0x37); /* lui */
        if (lo)
            emit(j, i_type(lo, rd, 0, rd, OPI32)); /* addiw */
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
    li(j, rd, hi);
    slli(j, rd, rd, shift);
    if (lo)
        addi(j, rd, rd, lo);
}

/* Instructions li() needs for v (mirrors its recursion). */
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
        li(j, rd, v);
        return;
    }
    uint32_t idx = j->npool++;
    j->pool[idx] = (uint64_t)v;
    int64_t d = ((int64_t)(j->pool_off + 2 * idx) - (int64_t)j->n) * 4;
    int32_t lo = (int32_t)((uint32_t)d << 20) >> 20;
    uint32_t hi = (uint32_t)((d - lo) >> 12) & 0xfffff;
    emit(j, hi << 12 | (uint32_t)rd << 7 | 0x17); /* auipc rd, hi */
    emit(j, i_type(lo, rd, 3, rd, LOAD));         /* ld rd, lo(rd) */
}

/* ---- control flow ------------------------------------------------------ */

/* Distance in bytes from the current position to native offset `to`. */
static int64_t dist(struct jit *j, uint32_t to)
{
    return ((int64_t)to - (int64_t)j->n) * 4;
}

/* auipc rd, hi; jalr link, lo(rd) to native offset `to`. */
static void far_jump(struct jit *j, int link, uint32_t to)
{
    int64_t d = dist(j, to);
    int32_t lo = (int32_t)((uint32_t)d << 20) >> 20;
    uint32_t hi = (uint32_t)((d - lo) >> 12) & 0xfffff;
    emit(j, hi << 12 | (uint32_t)T3 << 7 | 0x17);
    emit(j, i_type(lo, T3, 0, link, 0x67));
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
        emit(j, j_type((int32_t)d, link));
    }
}

/* Conditional branch: if (rs1 <f3> rs2) goto `to`. */
static void branch(struct jit *j, uint32_t pc, uint32_t f3, int rs1, int rs2, uint32_t to)
{
    int64_t d = dist(j, to);
    if (j->pass == 1)
        j->far[pc] = d < -NEAR_JUMP || d > NEAR_JUMP;
    if (j->pass == 0 || j->far[pc]) {
        emit(j, b_type(12, rs2, rs1, f3 ^ 1)); /* inverted: skip the far jump */
        far_jump(j, ZERO, to);
    } else {
        emit(j, b_type((int32_t)d, rs2, rs1, f3));
    }
}

/* ---- instructions ------------------------------------------------------- */

static void bswap(struct jit *j, int d, int bits)
{
    addi(j, T2, ZERO, 0);
    for (int i = 0; i < bits / 8; i++) {
        srli(j, T1, d, 8 * i);
        emit(j, i_type(0xff, T1, 7, T1, OPI)); /* andi */
        slli(j, T1, T1, bits - 8 - 8 * i);
        emit(j, r_type(0, T1, T2, 6, T2, OP)); /* or */
    }
    mv(j, d, T2);
}

/* Immediate forms (addi, andi, slli, ...) when the constant fits: one
 * instruction instead of li + op.  Returns false to take the general path. */
static bool alu_imm(struct jit *j, const struct ebpf_dinsn *in, bool is64, int d)
{
    int64_t imm = (int64_t)in->imm; /* sign-extended, as ALU64 uses it */
    uint32_t opi = is64 ? OPI : OPI32;
    switch (BPF_OP(in->code)) {
    case BPF_ADD:
        if (!fits12(imm))
            return false;
        emit(j, i_type((int32_t)imm, d, 0, d, opi));
        break;
    case BPF_SUB:
        if (!fits12(-imm))
            return false;
        emit(j, i_type((int32_t)-imm, d, 0, d, opi));
        break;
    case BPF_AND:
    case BPF_OR:
    case BPF_XOR:
        /* the 12-bit immediate is sign-extended like BPF's: exact for
         * ALU64, and the low 32 bits are right for ALU (zero-extended below) */
        if (!fits12(imm))
            return false;
        emit(j, i_type((int32_t)imm, d,
                       BPF_OP(in->code) == BPF_AND  ? 7
                       : BPF_OP(in->code) == BPF_OR ? 6
                                                    : 4,
                       d, OPI));
        break;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH: {
        int sh = (int)(in->imm & (is64 ? 63 : 31)); /* RFC 9669: counts are masked */
        uint32_t f3 = BPF_OP(in->code) == BPF_LSH ? 1 : 5;
        int32_t hi = BPF_OP(in->code) == BPF_ARSH ? 0x400 : 0;
        emit(j, i_type(hi | sh, d, f3, d, opi));
        break;
    }
    default:
        return false;
    }
    if (!is64)
        zext32(j, d);
    return true;
}

static void alu(struct jit *j, const struct ebpf_dinsn *in)
{
    bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
    uint8_t op = BPF_OP(in->code);
    int d = regmap[in->dst], s;
    int64_t imm = is64 ? (int64_t)in->imm : (int64_t)(uint32_t)in->imm;
    uint32_t opc = is64 ? OP : OP32;

    if (BPF_SRC(in->code) == BPF_K && alu_imm(j, in, is64, d))
        return;
    if (BPF_SRC(in->code) == BPF_X) {
        s = regmap[in->src];
    } else {
        s = T1;
        if (op != BPF_MOV && op != BPF_NEG && op != BPF_END)
            li(j, T1, is64 ? imm : (int64_t)(int32_t)in->imm);
    }
    switch (op) {
    case BPF_ADD:
        emit(j, r_type(0, s, d, 0, d, opc));
        break;
    case BPF_SUB:
        emit(j, r_type(0x20, s, d, 0, d, opc));
        break;
    case BPF_MUL:
        emit(j, r_type(1, s, d, 0, d, opc));
        break;
    case BPF_DIV:
        /* divisor into t2 (32-bit: its low half, extended as the op reads
         * it); zero divisor -> 0 */
        mv(j, T2, s);
        if (!is64) {
            if (in->aux)
                sext32(j, T2, T2);
            else
                zext32(j, T2);
        }
        emit(j, b_type(12, ZERO, T2, 0));                   /* beqz t2, +12 */
        emit(j, r_type(1, T2, d, in->aux ? 4 : 5, d, opc)); /* div[u][w] */
        emit(j, j_type(8, ZERO));                           /* j +8 */
        addi(j, d, ZERO, 0);                                /* li d, 0 */
        break;
    case BPF_MOD:
        /* rem[u][w] by zero yields the dividend, as BPF requires */
        emit(j, r_type(1, s, d, in->aux ? 6 : 7, d, opc));
        break;
    case BPF_OR:
        emit(j, r_type(0, s, d, 6, d, OP));
        break;
    case BPF_AND:
        emit(j, r_type(0, s, d, 7, d, OP));
        break;
    case BPF_XOR:
        emit(j, r_type(0, s, d, 4, d, OP));
        break;
    case BPF_LSH:
        emit(j, r_type(0, s, d, 1, d, opc));
        break;
    case BPF_RSH:
        emit(j, r_type(0, s, d, 5, d, opc));
        break;
    case BPF_ARSH:
        emit(j, r_type(0x20, s, d, 5, d, opc));
        break;
    case BPF_NEG:
        emit(j, r_type(0x20, d, ZERO, 0, d, opc));
        break;
    case BPF_MOV:
        if (BPF_SRC(in->code) == BPF_K) {
            li(j, d, imm);
            return; /* already exact, 32-bit form zero-extended by li */
        }
        if (in->aux == 32) {
            sext32(j, d, s);
        } else if (in->aux) {
            slli(j, d, s, 64 - in->aux);
            srai(j, d, d, 64 - in->aux);
        } else {
            mv(j, d, s);
        }
        break;
    case BPF_END:
        if (is64 || BPF_SRC(in->code) == BPF_TO_BE) {
            bswap(j, d, (int)in->imm);
        } else if (in->imm < 64) {
            slli(j, d, d, 64 - (int)in->imm);
            srli(j, d, d, 64 - (int)in->imm);
        }
        return;
    }
    if (!is64)
        zext32(j, d);
}

/* `mov d, s; op d, z` as one three-operand instruction `op d, s, z` (BPF
 * is two-operand, so clang emits this pair for every a = b + c).  Returns
 * false when next is not such an op. */
static bool fused_alu(struct jit *j, const struct ebpf_dinsn *mov, const struct ebpf_dinsn *next)
{
    static const struct {
        uint8_t op, f7, f3;
    } x[] = {{BPF_ADD, 0, 0}, {BPF_SUB, 0x20, 0}, {BPF_MUL, 1, 0},
             {BPF_AND, 0, 7}, {BPF_OR, 0, 6},     {BPF_XOR, 0, 4},
             {BPF_LSH, 0, 1}, {BPF_RSH, 0, 5},    {BPF_ARSH, 0x20, 5}};
    if (BPF_CLASS(next->code) != BPF_ALU64 || next->dst != mov->dst || next->aux)
        return false;
    int d = regmap[mov->dst], src = regmap[mov->src];
    uint8_t op = BPF_OP(next->code);
    if (BPF_SRC(next->code) == BPF_X) {
        int z = next->src == mov->dst ? src : regmap[next->src];
        for (unsigned i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
            if (x[i].op == op) {
                emit(j, r_type(x[i].f7, z, src, x[i].f3, d, OP));
                return true;
            }
        }
        return false;
    }
    int64_t imm = (int64_t)next->imm;
    switch (op) {
    case BPF_ADD:
    case BPF_AND:
    case BPF_OR:
    case BPF_XOR:
        if (!fits12(imm))
            return false;
        emit(j, i_type((int32_t)imm, src,
                       op == BPF_ADD   ? 0
                       : op == BPF_AND ? 7
                       : op == BPF_OR  ? 6
                                       : 4,
                       d, OPI));
        return true;
    case BPF_SUB:
        if (!fits12(-imm))
            return false;
        emit(j, i_type((int32_t)-imm, src, 0, d, OPI));
        return true;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH:
        emit(j, i_type((op == BPF_ARSH ? 0x400 : 0) | (int32_t)(imm & 63), src,
                       op == BPF_LSH ? 1 : 5, d, OPI));
        return true;
    }
    return false;
}

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
    emit(j, hi << 12 | (uint32_t)T0 << 7 | 0x37);
    emit(j, r_type(0, reg, T0, 0, T0, OP));
    *off = lo;
    return T0;
}

static void mem(struct jit *j, const struct ebpf_dinsn *in)
{
    uint8_t cls = BPF_CLASS(in->code);
    int sz = BPF_SIZE(in->code) >> 3;
    int32_t off = in->off;
    if (cls == BPF_LDX) {
        int base = address(j, regmap[in->src], &off);
        uint32_t f3 = BPF_MODE(in->code) == BPF_MEMSX ? loadsx_f3[sz] : load_f3[sz];
        emit(j, i_type(off, base, f3, regmap[in->dst], LOAD));
        return;
    }
    int val;
    if (cls == BPF_ST) {
        li(j, T1, (int64_t)in->imm);
        val = T1;
    } else {
        val = regmap[in->src];
    }
    int base = address(j, regmap[in->dst], &off);
    emit(j, s_type(off, val, base, store_f3[sz]));
}

static void atomic(struct jit *j, const struct ebpf_dinsn *in)
{
    bool dw = BPF_SIZE(in->code) == BPF_DW;
    uint32_t f3 = dw ? 3 : 2, aqrl = 3u << 25;
    int s = regmap[in->src];
    li(j, T0, in->off);
    emit(j, r_type(0, regmap[in->dst], T0, 0, T0, OP)); /* t0 = address */
    if (in->aux == BPF_CMPXCHG) {
        /* loop: lr t1; bne t1, expected, out; sc t3, src; bnez t3, loop */
        if (dw)
            mv(j, T2, A5);
        else
            sext32(j, T2, A5); /* lr.w sign-extends what it loads */
        emit(j, 0x02u << 27 | aqrl | (uint32_t)T0 << 15 | f3 << 12 | (uint32_t)T1 << 7 | AMO);
        emit(j, b_type(12, T2, T1, 1));
        emit(j, 0x03u << 27 | aqrl | (uint32_t)s << 20 | (uint32_t)T0 << 15 | f3 << 12 |
                    (uint32_t)T3 << 7 | AMO);
        emit(j, b_type(-12, ZERO, T3, 1));
        mv(j, A5, T1);
        if (!dw)
            zext32(j, A5);
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
    emit(j, f5 << 27 | aqrl | (uint32_t)s << 20 | (uint32_t)T0 << 15 | f3 << 12 |
                (uint32_t)rd << 7 | AMO);
    if (rd != ZERO && !dw)
        zext32(j, rd);
}

/* branch funct3: beq 0, bne 1, blt 4, bge 5, bltu 6, bgeu 7 */
static uint8_t inverse(uint8_t op)
{
    switch (op) {
    case BPF_JEQ:
        return BPF_JNE;
    case BPF_JNE:
        return BPF_JEQ;
    case BPF_JGT:
        return BPF_JLE;
    case BPF_JLE:
        return BPF_JGT;
    case BPF_JGE:
        return BPF_JLT;
    case BPF_JLT:
        return BPF_JGE;
    case BPF_JSGT:
        return BPF_JSLE;
    case BPF_JSLE:
        return BPF_JSGT;
    case BPF_JSGE:
        return BPF_JSLT;
    case BPF_JSLT:
        return BPF_JSGE;
    }
    return 0; /* JSET has no inverse branch */
}

/* if (cond) goto `to`; with invert, if (!cond). */
static void cond(struct jit *j, uint32_t pc, const struct ebpf_dinsn *in, bool invert, uint32_t to)
{
    bool is32 = BPF_CLASS(in->code) == BPF_JMP32;
    uint8_t op = invert ? inverse(BPF_OP(in->code)) : BPF_OP(in->code);
    bool sgn = op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE;
    int a = regmap[in->dst], b;
    if (BPF_SRC(in->code) == BPF_X) {
        b = regmap[in->src];
    } else if (in->imm == 0) {
        b = ZERO;
    } else {
        b = T1;
        li(j, T1,
           is32 ? (sgn ? (int64_t)(int32_t)in->imm : (int64_t)(uint32_t)in->imm)
                : (int64_t)in->imm);
    }
    if (is32) {
        /* compare 32-bit values, extended the way the comparison reads them */
        if (sgn) {
            sext32(j, T2, a);
            if (b != ZERO && b != T1) {
                sext32(j, T3, b);
                b = T3;
            }
        } else {
            mv(j, T2, a);
            zext32(j, T2);
            if (b != ZERO && b != T1) {
                mv(j, T3, b);
                zext32(j, T3);
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
        emit(j, r_type(0, b, a, 7, T1, OP)); /* and t1, a, b */
        branch(j, pc, 1, T1, ZERO, to);
        break;
    }
}

static const int saved[7] = {RA, S1, S2, S3, S4, S5, S6};

static void prologue(struct jit *j, bool main)
{
    addi(j, SP, SP, -FRAME);
    for (int i = 0; i < 7; i++)
        emit(j, s_type(8 * i, saved[i], SP, 3));
    addi(j, S5, SP, FRAME);
    if (main) {
        mv(j, S6, A2); /* the vm */
        addi(j, A2, ZERO, 0);
        addi(j, 13, ZERO, 0);
        addi(j, 14, ZERO, 0);
        addi(j, A5, ZERO, 0);
    }
}

static void epilogue(struct jit *j)
{
    mv(j, A0, A5);
    for (int i = 0; i < 7; i++)
        emit(j, i_type(8 * i, SP, 3, saved[i], LOAD));
    addi(j, SP, SP, FRAME);
    emit(j, i_type(0, RA, 0, ZERO, 0x67)); /* ret */
}

static void one_pass(struct jit *j)
{
    ebpf_vm *vm = j->vm;
    j->n = 0;
    j->npool = 0;
    for (uint32_t f = 0; f < vm->nfuncs; f++) {
        for (uint32_t pc = vm->funcs[f].start; pc < vm->funcs[f].end; pc++) {
            const struct ebpf_dinsn *in = &vm->code[pc];
            j->off[pc] = (uint32_t)j->n;
            if (pc == vm->funcs[f].start)
                prologue(j, f == 0);
            const struct ebpf_dinsn *next = pc + 1 < vm->funcs[f].end ? in + 1 : NULL;
            /* peepholes over a pair whose second instruction nothing jumps to */
            bool pair = next && !j->target[pc + 1];
            switch (BPF_CLASS(in->code)) {
            case BPF_ALU:
            case BPF_ALU64:
                if (pair && in->code == (BPF_ALU64 | BPF_MOV | BPF_X) && !in->aux &&
                    fused_alu(j, in, next)) {
                    j->off[++pc] = (uint32_t)j->n;
                    break;
                }
                alu(j, in);
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
                load_const(j, regmap[in->dst], (int64_t)in->imm);
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
                    mv(j, A5, S6); /* 6th argument: the vm */
                    li(j, T1, (int64_t)(uintptr_t)h->fn);
                    emit(j, i_type(0, T1, 0, RA, 0x67)); /* jalr ra, 0(t1) */
                    mv(j, A5, A0);
                } else if (pair && (uint32_t)in->off == pc + 2 && inverse(BPF_OP(in->code)) &&
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
        epilogue(j);
    }
    /* the pool: 8-byte aligned (the code buffer is), after a padding nop */
    if (j->npool) {
        if (j->n & 1)
            addi(j, ZERO, ZERO, 0);
        j->pool_off = (uint32_t)j->n;
        for (uint32_t i = 0; i < j->npool; i++) {
            emit(j, (uint32_t)j->pool[i]);
            emit(j, (uint32_t)(j->pool[i] >> 32));
        }
    }
}

int ebpf_jit_compile(ebpf_vm *vm, void *code, size_t cap, size_t *len)
{
    struct jit j;
    vm->err_insn = -1;
    if (!vm->code)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "no program loaded");
    size_t mark = vm->arena_used;
    ebpfA_memset(&j, 0, sizeof(j));
    j.vm = vm;
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
        j.cap = cap / 4;
        j.pass = 2;
        one_pass(&j);
    }
    vm->arena_used = mark;
    if (j.err)
        return j.err;
    vm->jit_code = code;
    vm->jit_len = j.n * 4;
    if (len)
        *len = vm->jit_len;
    if (vm->flush)
        vm->flush(code, vm->jit_len);
    return 0;
}

int ebpf_jit_exec(ebpf_vm *vm, void *ctx, uint64_t ctx_len, uint64_t *ret)
{
    if (!vm->jit_code)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "program is not compiled");
#if defined(__riscv) && __riscv_xlen == 64
    typedef uint64_t (*entry_fn)(uint64_t r1, uint64_t r2, ebpf_vm * vm);
    entry_fn fn;
    void *p = vm->jit_code;
    ebpfA_memcpy(&fn, &p, sizeof(fn));
    vm->run_ctx = ctx;
    vm->run_ctx_len = ctx_len;
    /* Compiled code is trusted (verified): its stack is the native one, so
     * the helpers' bounds-checked-mode pointer checks must be off. */
    int checked = vm->bounds_check;
    vm->bounds_check = 0;
    uint64_t r0 = fn((uint64_t)(uintptr_t)ctx, ctx_len, vm);
    vm->bounds_check = checked;
    if (ret)
        *ret = r0;
    return 0;
#else
    (void)ctx, (void)ctx_len, (void)ret;
    return ebpfA_fail(vm, EBPF_ENOSYS, -1, "JIT code runs only on rv64");
#endif
}
