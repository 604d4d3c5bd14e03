/*
 * vbounds.c - the verifier's arithmetic: ranges of scalars through ALU
 * instructions, pointer arithmetic, and what a conditional jump tells about
 * its operands.
 *
 * A scalar is described by an unsigned range [umin, umax] and a signed
 * range [smin, smax] that both hold; ebpfV_sync() tightens each from the
 * other.  Every rule below must over-approximate: when unsure, widen.
 */
#include "verifier.h"

#define U32_MAX 0xffffffffull
#define U64_MAX 0xffffffffffffffffull
#define S64_MAX 0x7fffffffffffffffll
#define S64_MIN (-S64_MAX - 1)
#define S32_MAX 0x7fffffffll
/* Variable pointer offsets beyond this are "unbounded". */
#define VAR_LIMIT (1ll << 29)
#define VAR_WIDE  (1ll << 40)

static uint64_t umin64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}
static uint64_t umax64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}
static int64_t smin64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}
static int64_t smax64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

void ebpfV_mark_unknown(struct vreg *r)
{
    static const struct vreg unknown = {.type = T_SCALAR,
                                        .u32max = (uint32_t)U32_MAX,
                                        .umax = U64_MAX,
                                        .smin = S64_MIN,
                                        .smax = S64_MAX};
    *r = unknown;
}

void ebpfV_mark_const(struct vreg *r, uint64_t v)
{
    static const struct vreg zero;
    *r = zero;
    r->type = T_SCALAR;
    r->umin = r->umax = v;
    r->smin = r->smax = (int64_t)v;
    r->u32min = r->u32max = (uint32_t)v;
}

/* Unsigned range; the signed one follows from it. */
void ebpfV_mark_range(struct vreg *r, uint64_t umin, uint64_t umax)
{
    ebpfV_mark_unknown(r);
    r->umin = umin;
    r->umax = umax;
    ebpfV_sync(NULL, r);
}

bool ebpfV_is_const(const struct vreg *r)
{
    return r->type == T_SCALAR && r->umin == r->umax;
}

/* Tightens each range from the other; an empty range means the path that
 * led here cannot happen. */
void ebpfV_sync(struct verifier *v, struct vreg *r)
{
    for (int round = 0; round < 2; round++) {
        if (r->smin >= 0) {
            r->umin = umax64(r->umin, (uint64_t)r->smin);
            r->umax = umin64(r->umax, (uint64_t)r->smax);
        } else if (r->smax < 0) {
            r->umin = umax64(r->umin, (uint64_t)r->smin);
            r->umax = umin64(r->umax, (uint64_t)r->smax);
        }
        if (r->umax <= (uint64_t)S64_MAX || r->umin > (uint64_t)S64_MAX) {
            r->smin = smax64(r->smin, (int64_t)r->umin);
            r->smax = smin64(r->smax, (int64_t)r->umax);
        }
    }
    /* The low 32 bits: known from the 64-bit range when it stays inside
     * one 2^32 block; and they are the value when it fits in 32 bits. */
    if (r->umin >> 32 == r->umax >> 32) {
        r->u32min = (uint32_t)umax64(r->u32min, (uint32_t)r->umin);
        r->u32max = (uint32_t)umin64(r->u32max, (uint32_t)r->umax);
    }
    if (r->umax <= U32_MAX) {
        r->umin = umax64(r->umin, r->u32min);
        r->umax = umin64(r->umax, r->u32max);
        r->smin = smax64(r->smin, (int64_t)r->umin);
        r->smax = smin64(r->smax, (int64_t)r->umax);
    }
    if (r->umin > r->umax || r->smin > r->smax || r->u32min > r->u32max) {
        if (v)
            v->infeasible = true;
        ebpfV_mark_unknown(r);
    }
}

static uint64_t mask_for(uint64_t max)
{
    uint64_t m = max;
    m |= m >> 1;
    m |= m >> 2;
    m |= m >> 4;
    m |= m >> 8;
    m |= m >> 16;
    m |= m >> 32;
    return m;
}

static uint64_t bswap(uint64_t v, int bits)
{
    uint64_t r = 0;
    for (int i = 0; i < bits / 8; i++)
        r = r << 8 | ((v >> (8 * i)) & 0xff);
    return r;
}

static uint64_t sext(uint64_t v, int bits)
{
    return bits == 8    ? (uint64_t)(int64_t)(int8_t)v
           : bits == 16 ? (uint64_t)(int64_t)(int16_t)v
                        : (uint64_t)(int64_t)(int32_t)v;
}

/* RFC 9669 4.1 on constants: same rules as the interpreter. */
uint64_t ebpfV_eval_alu(uint8_t code, int16_t off, uint64_t a, uint64_t b)
{
    bool is64 = BPF_CLASS(code) == BPF_ALU64;
    if (!is64) {
        a = (uint32_t)a;
        b = (uint32_t)b;
    }
    uint64_t r;
    int sh = is64 ? 63 : 31;
    switch (BPF_OP(code)) {
    case BPF_ADD:
        r = a + b;
        break;
    case BPF_SUB:
        r = a - b;
        break;
    case BPF_MUL:
        r = a * b;
        break;
    case BPF_DIV:
        if (!b)
            r = 0;
        else if (!off)
            r = a / b;
        else if (is64)
            r = (int64_t)b == -1 ? 0 - a : (uint64_t)((int64_t)a / (int64_t)b);
        else
            r = (int32_t)b == -1 ? 0 - a : (uint64_t)(int64_t)((int32_t)a / (int32_t)b);
        break;
    case BPF_MOD:
        if (!b)
            r = a;
        else if (!off)
            r = a % b;
        else if (is64)
            r = (int64_t)b == -1 ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
        else
            r = (int32_t)b == -1 ? 0 : (uint64_t)(int64_t)((int32_t)a % (int32_t)b);
        break;
    case BPF_OR:
        r = a | b;
        break;
    case BPF_AND:
        r = a & b;
        break;
    case BPF_XOR:
        r = a ^ b;
        break;
    case BPF_LSH:
        r = a << (b & (uint64_t)sh);
        break;
    case BPF_RSH:
        r = a >> (b & (uint64_t)sh);
        break;
    case BPF_ARSH:
        r = is64 ? (uint64_t)((int64_t)a >> (b & 63))
                 : (uint64_t)(uint32_t)((int32_t)a >> (b & 31));
        break;
    case BPF_NEG:
        r = 0 - a;
        break;
    case BPF_MOV:
        r = off ? sext(b, off) : b;
        break;
    default:
        r = 0;
    }
    return is64 ? r : (uint32_t)r;
}

/* Range of an unsigned 64-bit result from the operands' ranges. */
static void range_op(uint8_t op, int16_t off, const struct vreg *a, const struct vreg *b,
                     struct vreg *out)
{
    uint64_t lo = 0, hi = U64_MAX;
    switch (op) {
    case BPF_ADD:
        if (a->umax + b->umax >= a->umax) {
            lo = a->umin + b->umin;
            hi = a->umax + b->umax;
        }
        break;
    case BPF_SUB:
        if (a->umin >= b->umax) {
            lo = a->umin - b->umax;
            hi = a->umax - b->umin;
        }
        break;
    case BPF_MUL:
        if (a->umax <= U32_MAX && b->umax <= U32_MAX) {
            lo = a->umin * b->umin;
            hi = a->umax * b->umax;
        }
        break;
    case BPF_AND:
        hi = umin64(a->umax, b->umax);
        break;
    case BPF_OR:
        lo = umax64(a->umin, b->umin);
        hi = mask_for(umax64(a->umax, b->umax));
        break;
    case BPF_XOR:
        hi = mask_for(umax64(a->umax, b->umax));
        break;
    case BPF_LSH:
        if (b->umin == b->umax && b->umin < 64 && a->umax <= (U64_MAX >> b->umin)) {
            lo = a->umin << b->umin;
            hi = a->umax << b->umin;
        }
        break;
    case BPF_RSH:
        if (b->umin == b->umax && b->umin < 64) {
            lo = a->umin >> b->umin;
            hi = a->umax >> b->umin;
        } else {
            hi = a->umax;
        }
        break;
    case BPF_DIV:
        if (off)
            break;
        if (b->umin == b->umax && b->umin) {
            lo = a->umin / b->umin;
            hi = a->umax / b->umin;
        } else {
            hi = a->umax; /* x / y <= x, and / 0 gives 0 */
        }
        break;
    case BPF_MOD:
        if (off)
            break;
        hi = b->umin ? umin64(a->umax, b->umax - 1) : a->umax;
        break;
    }
    ebpfV_mark_range(out, lo, hi);
    /* Signed view of add/sub when it cannot overflow. */
    if (op == BPF_ADD || op == BPF_SUB) {
        int64_t slo, shi;
        bool ovf = op == BPF_ADD ? __builtin_add_overflow(a->smin, b->smin, &slo) ||
                                       __builtin_add_overflow(a->smax, b->smax, &shi)
                                 : __builtin_sub_overflow(a->smin, b->smax, &slo) ||
                                       __builtin_sub_overflow(a->smax, b->smin, &shi);
        if (!ovf && out->umin == 0 && out->umax == U64_MAX) {
            out->smin = slo;
            out->smax = shi;
            ebpfV_sync(NULL, out);
        }
    }
    if (op == BPF_ARSH && b->umin == b->umax && b->umin < 64) {
        ebpfV_mark_unknown(out);
        out->smin = a->smin >> b->umin;
        out->smax = a->smax >> b->umin;
        ebpfV_sync(NULL, out);
    }
}

/* The low 32 bits of r as a 64-bit range (exact when r fits; else the
 * range of its low half, which a JMP32 compare may have narrowed). */
static void low32(const struct vreg *r, struct vreg *out)
{
    if (r->umax <= U32_MAX)
        *out = *r;
    else if (r->umin == r->umax)
        ebpfV_mark_const(out, (uint32_t)r->umin);
    else
        ebpfV_mark_range(out, r->u32min, r->u32max);
}

static void scalar_alu(const struct ebpf_insn *in, struct vreg *d, const struct vreg *s)
{
    uint8_t op = BPF_OP(in->code);
    bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
    struct vreg a, b, out;
    if (is64) {
        a = *d;
        b = *s;
    } else {
        low32(d, &a);
        low32(s, &b);
    }
    if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && ebpfV_is_const(&b))
        ebpfV_mark_const(&b, b.umin & (is64 ? 63 : 31)); /* counts are masked */
    if ((ebpfV_is_const(&a) || op == BPF_MOV) && ebpfV_is_const(&b)) {
        ebpfV_mark_const(d, ebpfV_eval_alu(in->code, in->off, a.umin, b.umin));
        return;
    }
    if (op == BPF_NEG && ebpfV_is_const(&a)) {
        ebpfV_mark_const(d, ebpfV_eval_alu(in->code, 0, a.umin, 0));
        return;
    }
    if (op == BPF_MOV && !in->off) {
        out = b;
    } else if (op == BPF_MOV) { /* movsx of a non-constant */
        int64_t half = 1ll << (in->off - 1);
        if (b.umax < (uint64_t)half)
            out = b;
        else if (is64) {
            ebpfV_mark_unknown(&out);
            out.smin = -half;
            out.smax = half - 1;
            ebpfV_sync(NULL, &out);
        } else
            ebpfV_mark_range(&out, 0, U32_MAX);
    } else if (op == BPF_NEG || (op == BPF_ARSH && !is64) ||
               ((op == BPF_DIV || op == BPF_MOD) && in->off)) {
        ebpfV_mark_unknown(&out);
    } else {
        range_op(op, in->off, &a, &b, &out);
    }
    if (!is64 && out.umax > U32_MAX)
        ebpfV_mark_range(&out, 0, U32_MAX);
    *d = out;
}

static bool is_ptr(uint8_t t)
{
    return t != T_NOT_INIT && t != T_SCALAR;
}

/* ptr +/- scalar.  Stack and ctx offsets are folded into `off` when the
 * scalar is a constant; otherwise the variable part widens [smin, smax],
 * and the memory check decides whether that is acceptable. */
static int ptr_arith(struct verifier *v, int dregno, struct vreg *d, const struct vreg *p,
                     const struct vreg *s, int sign)
{
    if (p->type == T_MAP_VALUE_OR_NULL || p->type == T_MEM_OR_NULL)
        return ebpfV_err(v, "R%d pointer arithmetic on %s prohibited, null-check it first", dregno,
                         ebpfV_type_name(p->type));
    if (p->type == T_MAP_PTR)
        return ebpfV_err(v, "R%d pointer arithmetic on map_ptr prohibited", dregno);
    struct vreg r = *p;
    if (ebpfV_is_const(s)) {
        int64_t c = (int64_t)s->umin;
        int64_t off = (int64_t)r.off + (sign > 0 ? c : -c);
        if (c > VAR_LIMIT || c < -VAR_LIMIT || off > VAR_LIMIT || off < -VAR_LIMIT)
            return ebpfV_err(v, "R%d pointer offset %lld is out of range", dregno, (long long)off);
        r.off = (int32_t)off;
    } else if (s->smin >= -VAR_LIMIT && s->smax <= VAR_LIMIT && r.smin > -VAR_WIDE &&
               r.smax < VAR_WIDE) {
        r.smin += sign > 0 ? s->smin : -s->smax;
        r.smax += sign > 0 ? s->smax : -s->smin;
    } else {
        r.smin = -VAR_WIDE;
        r.smax = VAR_WIDE;
    }
    *d = r;
    return 0;
}

/* "rd = rs" (or "wd = ws" of a value that fits in 32 bits, or a sign
 * extension that changes nothing) copies the value: both registers get the
 * same id, so that a bound a later jump finds on either applies to both
 * (Linux links such scalars the same way).  Any other write to a register
 * gives it a new value without an id, which breaks the link. */
static void link_copy(struct verifier *v, const struct ebpf_insn *in, struct vframe *f,
                      struct vreg *srcv)
{
    if (BPF_SRC(in->code) != BPF_X || ebpfV_is_const(srcv))
        return;
    bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
    uint64_t lim = in->off ? (1ull << (in->off - 1)) - 1 : is64 ? U64_MAX : U32_MAX;
    if (srcv->umax > lim)
        return;
    struct vreg *s = &f->regs[in->src];
    if (!s->id)
        s->id = ++v->id_gen;
    srcv->id = s->id;
}

int ebpfV_alu(struct verifier *v, const struct ebpf_insn *in)
{
    struct vframe *f = ebpfV_frame(v);
    uint8_t op = BPF_OP(in->code);
    bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
    struct vreg *d = &f->regs[in->dst], srcv;
    if (in->dst == BPF_REG_FP)
        return ebpfV_err(v, "frame pointer is read only");
    if (BPF_SRC(in->code) == BPF_X && op != BPF_END && op != BPF_NEG) {
        if (f->regs[in->src].type == T_NOT_INIT)
            return ebpfV_err(v, "R%d !read_ok", in->src);
        srcv = f->regs[in->src];
    } else {
        ebpfV_mark_const(&srcv, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
    }
    if (op != BPF_MOV && d->type == T_NOT_INIT)
        return ebpfV_err(v, "R%d !read_ok", in->dst);

    if (op == BPF_END) {
        if (d->type != T_SCALAR) {
            return ebpfV_err(v, "R%d byte swap of a pointer prohibited (leaks addr)", in->dst);
        } else if (ebpfV_is_const(d)) {
            uint64_t x = d->umin;
            bool swap = is64 || BPF_SRC(in->code) == BPF_TO_BE;
            x = in->imm == 16 ? (uint16_t)x : in->imm == 32 ? (uint32_t)x : x;
            ebpfV_mark_const(d, swap ? bswap(x, in->imm) : x);
        } else if (in->imm < 64) {
            ebpfV_mark_range(d, 0, in->imm == 16 ? 0xffff : U32_MAX);
        } else {
            ebpfV_mark_unknown(d);
        }
        return 0;
    }
    if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && BPF_SRC(in->code) == BPF_K &&
        (uint32_t)in->imm >= (is64 ? 64u : 32u))
        return ebpfV_err(v, "invalid shift %d", in->imm);
    if (op == BPF_MOV) {
        if (srcv.type == T_SCALAR) {
            link_copy(v, in, f, &srcv);
            scalar_alu(in, d, &srcv);
        } else if (is64 && !in->off) {
            *d = srcv; /* pointers copy whole, with their identity */
        } else {
            return ebpfV_err(v, "R%d partial copy of pointer (leaks addr)", in->src);
        }
        return 0;
    }
    if (is_ptr(d->type) || is_ptr(srcv.type)) {
        if (is64 && op == BPF_ADD && is_ptr(d->type) && srcv.type == T_SCALAR)
            return ptr_arith(v, in->dst, d, d, &srcv, 1);
        if (is64 && op == BPF_ADD && d->type == T_SCALAR)
            return ptr_arith(v, in->dst, d, &srcv, d, 1);
        if (is64 && op == BPF_SUB && is_ptr(d->type) && srcv.type == T_SCALAR)
            return ptr_arith(v, in->dst, d, d, &srcv, -1);
        uint8_t t = is_ptr(d->type) ? d->type : srcv.type;
        if (t == T_MAP_VALUE_OR_NULL || t == T_MEM_OR_NULL)
            return ebpfV_err(v, "R%d pointer arithmetic on %s prohibited, null-check it first",
                             in->dst, ebpfV_type_name(t));
        /* Anything else would turn the address into a plain number, which
         * could then be stored into a map: a pointer leak, refused as
         * Linux refuses it to unprivileged loaders. */
        if (!is64)
            return ebpfV_err(v, "R%d 32-bit pointer arithmetic prohibited (leaks addr)",
                             in->dst);
        return ebpfV_err(v, "R%d pointer arithmetic with this operator prohibited (leaks addr)",
                         in->dst);
    }
    scalar_alu(in, d, &srcv);
    return 0;
}

/* ---- conditional jumps ----------------------------------------------- */

static bool is_signed(uint8_t op)
{
    return op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE;
}

/* Operand b of the jump as a register state. */
static void jump_src(struct vstate *st, const struct ebpf_insn *in, struct vreg *b)
{
    if (BPF_SRC(in->code) == BPF_X)
        *b = st->frames[st->nframes - 1].regs[in->src];
    else if (BPF_CLASS(in->code) == BPF_JMP32)
        ebpfV_mark_const(b, (uint32_t)in->imm);
    else
        ebpfV_mark_const(b, (uint64_t)(int64_t)in->imm);
}

/* For JMP32, a 32-bit compare equals the 64-bit one only when both values
 * lie in [0, U32_MAX] (unsigned) or [0, S32_MAX] (signed). */
static bool fits32(const struct vreg *r, bool sgn)
{
    return r->type == T_SCALAR && r->umax <= (sgn ? (uint64_t)S32_MAX : U32_MAX);
}

static int decide(uint8_t op, const struct vreg *a, const struct vreg *b)
{
    switch (op) {
    case BPF_JEQ:
        if (ebpfV_is_const(a) && ebpfV_is_const(b))
            return a->umin == b->umin;
        if (a->umax < b->umin || b->umax < a->umin || a->smax < b->smin || b->smax < a->smin)
            return 0;
        return -1;
    case BPF_JNE: {
        int r = decide(BPF_JEQ, a, b);
        return r < 0 ? r : !r;
    }
    case BPF_JGT:
        return a->umin > b->umax ? 1 : a->umax <= b->umin ? 0 : -1;
    case BPF_JGE:
        return a->umin >= b->umax ? 1 : a->umax < b->umin ? 0 : -1;
    case BPF_JLT:
        return a->umax < b->umin ? 1 : a->umin >= b->umax ? 0 : -1;
    case BPF_JLE:
        return a->umax <= b->umin ? 1 : a->umin > b->umax ? 0 : -1;
    case BPF_JSGT:
        return a->smin > b->smax ? 1 : a->smax <= b->smin ? 0 : -1;
    case BPF_JSGE:
        return a->smin >= b->smax ? 1 : a->smax < b->smin ? 0 : -1;
    case BPF_JSLT:
        return a->smax < b->smin ? 1 : a->smin >= b->smax ? 0 : -1;
    case BPF_JSLE:
        return a->smax <= b->smin ? 1 : a->smin > b->smax ? 0 : -1;
    case BPF_JSET:
        if (ebpfV_is_const(a) && ebpfV_is_const(b))
            return (a->umin & b->umin) != 0;
        if (ebpfV_is_const(a) && a->umin == 0)
            return 0;
        if (ebpfV_is_const(b) && b->umin == 0)
            return 0;
        return -1;
    }
    return -1;
}

static bool nonnull_ptr(uint8_t t)
{
    return t == T_CTX || t == T_STACK || t == T_MAP_VALUE || t == T_MEM || t == T_MAP_PTR;
}

int ebpfV_branch_decide(struct verifier *v, const struct ebpf_insn *in);
int ebpfV_branch_decide(struct verifier *v, const struct ebpf_insn *in)
{
    struct vstate *st = v->cur;
    const struct vreg *a = &st->frames[st->nframes - 1].regs[in->dst];
    struct vreg b, a32, b32;
    uint8_t op = BPF_OP(in->code);
    jump_src(st, in, &b);
    if (a->type == T_SCALAR && b.type == T_SCALAR) {
        if (BPF_CLASS(in->code) == BPF_JMP32) {
            low32(a, &a32);
            low32(&b, &b32);
            if (is_signed(op)) {
                /* Signed 32-bit view is exact only within [0, S32_MAX]. */
                if (!fits32(&a32, true) || !fits32(&b32, true))
                    return -1;
            }
            return decide(op, &a32, &b32);
        }
        return decide(op, a, &b);
    }
    /* A pointer that cannot be NULL compared with 0. */
    if (nonnull_ptr(a->type) && ebpfV_is_const(&b) && b.umin == 0 &&
        BPF_CLASS(in->code) == BPF_JMP && (op == BPF_JEQ || op == BPF_JNE))
        return op == BPF_JNE;
    return -1;
}

static void mark_ptr_null(struct vstate *st, uint32_t id, bool null)
{
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        struct vframe *f = &st->frames[fi];
        for (int pass = 0; pass < 2; pass++) {
            struct vreg *regs = pass ? f->spill : f->regs;
            int n = pass ? VSLOTS : BPF_NREGS;
            for (int i = 0; i < n; i++) {
                struct vreg *r = &regs[i];
                if (r->id != id || (r->type != T_MAP_VALUE_OR_NULL && r->type != T_MEM_OR_NULL))
                    continue;
                if (null)
                    ebpfV_mark_const(r, 0);
                else
                    r->type = r->type == T_MAP_VALUE_OR_NULL ? T_MAP_VALUE : T_MEM;
            }
        }
    }
    if (null) { /* a NULL record was never reserved: nothing to release */
        for (uint32_t i = 0; i < st->nrefs; i++) {
            if (st->refs[i] == id) {
                st->refs[i] = st->refs[--st->nrefs];
                break;
            }
        }
    }
}

static void refine(struct verifier *v, uint8_t op, struct vreg *a, struct vreg *b)
{
    switch (op) {
    case BPF_JEQ:
        a->umin = b->umin = umax64(a->umin, b->umin);
        a->umax = b->umax = umin64(a->umax, b->umax);
        a->smin = b->smin = smax64(a->smin, b->smin);
        a->smax = b->smax = smin64(a->smax, b->smax);
        break;
    case BPF_JNE:
        if (ebpfV_is_const(b)) {
            if (a->umin == b->umin)
                a->umin++;
            else if (a->umax == b->umin)
                a->umax--;
            if (a->smin == b->smin)
                a->smin++;
            else if (a->smax == b->smin)
                a->smax--;
        }
        break;
    case BPF_JGT:
        if (a->umax == 0 || b->umin == U64_MAX) {
            v->infeasible = true;
            return;
        }
        a->umin = umax64(a->umin, b->umin + 1);
        b->umax = umin64(b->umax, a->umax - 1);
        break;
    case BPF_JGE:
        a->umin = umax64(a->umin, b->umin);
        b->umax = umin64(b->umax, a->umax);
        break;
    case BPF_JLT:
        refine(v, BPF_JGT, b, a);
        return;
    case BPF_JLE:
        refine(v, BPF_JGE, b, a);
        return;
    case BPF_JSGT:
        if (a->smax == S64_MIN || b->smin == S64_MAX) {
            v->infeasible = true;
            return;
        }
        a->smin = smax64(a->smin, b->smin + 1);
        b->smax = smin64(b->smax, a->smax - 1);
        break;
    case BPF_JSGE:
        a->smin = smax64(a->smin, b->smin);
        b->smax = smin64(b->smax, a->smax);
        break;
    case BPF_JSLT:
        refine(v, BPF_JSGT, b, a);
        return;
    case BPF_JSLE:
        refine(v, BPF_JSGE, b, a);
        return;
    }
    ebpfV_sync(v, a);
    ebpfV_sync(v, b);
}

/* A JMP32 compare of values that do not fit in 32 bits: an unsigned
 * compare (or equality) still bounds their low halves, [u32min, u32max],
 * which a later 32-bit move or JMP32 uses.  Signed ones teach nothing here. */
static void refine_low32(struct verifier *v, uint8_t op, struct vreg *a, struct vreg *src,
                         const struct vreg *bk)
{
    if (is_signed(op) || op == BPF_JSET)
        return;
    struct vreg a32, b32;
    low32(a, &a32);
    low32(src ? src : bk, &b32);
    refine(v, op, &a32, &b32);
    if (v->infeasible)
        return;
    a->u32min = (uint32_t)umax64(a->u32min, a32.umin);
    a->u32max = (uint32_t)umin64(a->u32max, a32.umax);
    ebpfV_sync(v, a);
    if (src) {
        src->u32min = (uint32_t)umax64(src->u32min, b32.umin);
        src->u32max = (uint32_t)umin64(src->u32max, b32.umax);
        ebpfV_sync(v, src);
    }
}

/* r was narrowed: every register and spill linked to it (same id, see
 * link_copy) holds the same value, so it gets the same bounds. */
static void share_bounds(struct vstate *st, const struct vreg *r)
{
    if (r->type != T_SCALAR || !r->id)
        return;
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        struct vframe *f = &st->frames[fi];
        for (int i = 0; i < BPF_NREGS; i++)
            if (f->regs[i].id == r->id && f->regs[i].type == T_SCALAR)
                f->regs[i] = *r;
        for (uint32_t k = VSLOTS - f->written; k < VSLOTS; k++)
            if (f->spill[k].id == r->id && ebpfV_slot_spilled(&f->stype[k * 8]) &&
                f->spill[k].type == T_SCALAR)
                f->spill[k] = *r;
    }
}

/* Applies what "the jump was (not) taken" says to the registers of st. */
void ebpfV_branch_refine(struct verifier *v, const struct ebpf_insn *in, struct vstate *st,
                         bool taken);
void ebpfV_branch_refine(struct verifier *v, const struct ebpf_insn *in, struct vstate *st,
                         bool taken)
{
    struct vframe *f = &st->frames[st->nframes - 1];
    struct vreg *a = &f->regs[in->dst], b;
    uint8_t op = BPF_OP(in->code);
    bool is32 = BPF_CLASS(in->code) == BPF_JMP32;
    jump_src(st, in, &b);
    if (!taken)
        op = ebpf_jmp_negate(op);
    if (!op)
        return;
    if ((a->type == T_MAP_VALUE_OR_NULL || a->type == T_MEM_OR_NULL) && !is32 &&
        ebpfV_is_const(&b) && b.umin == 0 && (op == BPF_JEQ || op == BPF_JNE)) {
        mark_ptr_null(st, a->id, op == BPF_JEQ);
        return;
    }
    if (a->type != T_SCALAR || b.type != T_SCALAR)
        return;
    if (is32 && (!fits32(a, is_signed(op)) || !fits32(&b, is_signed(op)))) {
        refine_low32(v, op, a, BPF_SRC(in->code) == BPF_X ? &f->regs[in->src] : NULL, &b);
    } else {
        refine(v, op, a, &b);
        if (BPF_SRC(in->code) == BPF_X && !v->infeasible)
            f->regs[in->src] = b;
    }
    if (v->infeasible)
        return;
    share_bounds(st, a);
    if (BPF_SRC(in->code) == BPF_X)
        share_bounds(st, &f->regs[in->src]);
}
