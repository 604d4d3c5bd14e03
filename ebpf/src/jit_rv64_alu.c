/*
 * jit_rv64_alu.c - the JIT's arithmetic: ALU and ALU64 instructions,
 * immediate forms, the mov+op fusion, byte swaps.  RISC-V divides by zero
 * to all ones while BPF wants 0, hence the guard; *w instructions
 * sign-extend their result while BPF zero-extends, hence zext32 after
 * every 32-bit operation.
 */
#include "jit_rv64.h"

static void bswap(struct jit *j, int d, int bits)
{
    ebpfJ_addi(j, T2, ZERO, 0);
    for (int i = 0; i < bits / 8; i++) {
        ebpfJ_srli(j, T1, d, 8 * i);
        ebpfJ_emit(j, i_type(0xff, T1, 7, T1, OPI)); /* andi */
        ebpfJ_slli(j, T1, T1, bits - 8 - 8 * i);
        ebpfJ_emit(j, r_type(0, T1, T2, 6, T2, OP)); /* or */
    }
    ebpfJ_mv(j, d, T2);
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
        ebpfJ_emit(j, i_type((int32_t)imm, d, 0, d, opi));
        break;
    case BPF_SUB:
        if (!fits12(-imm))
            return false;
        ebpfJ_emit(j, i_type((int32_t)-imm, d, 0, d, opi));
        break;
    case BPF_AND:
    case BPF_OR:
    case BPF_XOR:
        /* the 12-bit immediate is sign-extended like BPF's: exact for
         * ALU64, and the low 32 bits are right for ALU (zero-extended below) */
        if (!fits12(imm))
            return false;
        ebpfJ_emit(j, i_type((int32_t)imm, d,
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
        ebpfJ_emit(j, i_type(hi | sh, d, f3, d, opi));
        break;
    }
    default:
        return false;
    }
    if (!is64)
        ebpfJ_zext32(j, d);
    return true;
}

void ebpfJ_alu(struct jit *j, const struct ebpf_dinsn *in)
{
    bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
    uint8_t op = BPF_OP(in->code);
    int d = ebpfJ_regmap[in->dst], s;
    int64_t imm = is64 ? (int64_t)in->imm : (int64_t)(uint32_t)in->imm;
    uint32_t opc = is64 ? OP : OP32;

    if (BPF_SRC(in->code) == BPF_K && alu_imm(j, in, is64, d))
        return;
    if (BPF_SRC(in->code) == BPF_X) {
        s = ebpfJ_regmap[in->src];
    } else {
        s = T1;
        if (op != BPF_MOV && op != BPF_NEG && op != BPF_END)
            ebpfJ_li(j, T1, is64 ? imm : (int64_t)(int32_t)in->imm);
    }
    switch (op) {
    case BPF_ADD:
        ebpfJ_emit(j, r_type(0, s, d, 0, d, opc));
        break;
    case BPF_SUB:
        ebpfJ_emit(j, r_type(0x20, s, d, 0, d, opc));
        break;
    case BPF_MUL:
        ebpfJ_emit(j, r_type(1, s, d, 0, d, opc));
        break;
    case BPF_DIV:
        /* divisor into t2 (32-bit: its low half, extended as the op reads
         * it); zero divisor -> 0 */
        ebpfJ_mv(j, T2, s);
        if (!is64) {
            if (in->aux)
                ebpfJ_sext32(j, T2, T2);
            else
                ebpfJ_zext32(j, T2);
        }
        /* fixed offsets: all four uncompressed */
        ebpfJ_emit_raw(j, b_type(12, ZERO, T2, 0));                   /* beqz t2, +12 */
        ebpfJ_emit_raw(j, r_type(1, T2, d, in->aux ? 4 : 5, d, opc)); /* div[u][w] */
        ebpfJ_emit_raw(j, j_type(8, ZERO));                           /* j +8 */
        ebpfJ_emit_raw(j, i_type(0, ZERO, 0, d, OPI));                /* li d, 0 */
        break;
    case BPF_MOD:
        /* rem[u][w] by zero yields the dividend, as BPF requires */
        ebpfJ_emit(j, r_type(1, s, d, in->aux ? 6 : 7, d, opc));
        break;
    case BPF_OR:
        ebpfJ_emit(j, r_type(0, s, d, 6, d, OP));
        break;
    case BPF_AND:
        ebpfJ_emit(j, r_type(0, s, d, 7, d, OP));
        break;
    case BPF_XOR:
        ebpfJ_emit(j, r_type(0, s, d, 4, d, OP));
        break;
    case BPF_LSH:
        ebpfJ_emit(j, r_type(0, s, d, 1, d, opc));
        break;
    case BPF_RSH:
        ebpfJ_emit(j, r_type(0, s, d, 5, d, opc));
        break;
    case BPF_ARSH:
        ebpfJ_emit(j, r_type(0x20, s, d, 5, d, opc));
        break;
    case BPF_NEG:
        ebpfJ_emit(j, r_type(0x20, d, ZERO, 0, d, opc));
        break;
    case BPF_MOV:
        if (BPF_SRC(in->code) == BPF_K) {
            ebpfJ_li(j, d, imm);
            return; /* already exact, 32-bit form zero-extended by li */
        }
        if (in->aux == 32) {
            ebpfJ_sext32(j, d, s);
        } else if (in->aux) {
            ebpfJ_slli(j, d, s, 64 - in->aux);
            ebpfJ_srai(j, d, d, 64 - in->aux);
        } else {
            ebpfJ_mv(j, d, s);
        }
        break;
    case BPF_END:
        if (is64 || BPF_SRC(in->code) == BPF_TO_BE) {
            bswap(j, d, (int)in->imm);
        } else if (in->imm < 64) {
            ebpfJ_slli(j, d, d, 64 - (int)in->imm);
            ebpfJ_srli(j, d, d, 64 - (int)in->imm);
        }
        return;
    }
    if (!is64)
        ebpfJ_zext32(j, d);
}

/* `mov d, s; op d, z` as one three-operand instruction `op d, s, z` (BPF
 * is two-operand, so clang emits this pair for every a = b + c).  Returns
 * false when next is not such an op. */
bool ebpfJ_fused_alu(struct jit *j, const struct ebpf_dinsn *mov, const struct ebpf_dinsn *next)
{
    static const struct {
        uint8_t op, f7, f3;
    } x[] = {{BPF_ADD, 0, 0}, {BPF_SUB, 0x20, 0}, {BPF_MUL, 1, 0},
             {BPF_AND, 0, 7}, {BPF_OR, 0, 6},     {BPF_XOR, 0, 4},
             {BPF_LSH, 0, 1}, {BPF_RSH, 0, 5},    {BPF_ARSH, 0x20, 5}};
    if (BPF_CLASS(next->code) != BPF_ALU64 || next->dst != mov->dst || next->aux)
        return false;
    int d = ebpfJ_regmap[mov->dst], src = ebpfJ_regmap[mov->src];
    uint8_t op = BPF_OP(next->code);
    if (BPF_SRC(next->code) == BPF_X) {
        int z = next->src == mov->dst ? src : ebpfJ_regmap[next->src];
        for (unsigned i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
            if (x[i].op == op) {
                ebpfJ_emit(j, r_type(x[i].f7, z, src, x[i].f3, d, OP));
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
        ebpfJ_emit(j, i_type((int32_t)imm, src,
                             op == BPF_ADD   ? 0
                             : op == BPF_AND ? 7
                             : op == BPF_OR  ? 6
                                             : 4,
                             d, OPI));
        return true;
    case BPF_SUB:
        if (!fits12(-imm))
            return false;
        ebpfJ_emit(j, i_type((int32_t)-imm, src, 0, d, OPI));
        return true;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH:
        ebpfJ_emit(j, i_type((op == BPF_ARSH ? 0x400 : 0) | (int32_t)(imm & 63), src,
                             op == BPF_LSH ? 1 : 5, d, OPI));
        return true;
    }
    return false;
}
