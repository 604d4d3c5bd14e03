/*
 * disasm.c - Linux-style text for one instruction, as printed in verifier
 * logs ("r0 = *(u32 *)(r1 +4)", "if w1 s> 0x5 goto pc+2").
 */
#include "ebpf_int.h"

static const char *const alu_ops[16] = {"+=",  "-=", "*=", "/=", "|=",   "&=",  "<<=", ">>=",
                                        "neg", "%=", "^=", "=",  "s>>=", "end", "?",   "?"};
static const char *const jmp_ops[16] = {"goto", "==",   ">", ">=", "&",  "!=",  "s>", "s>=",
                                        "call", "exit", "<", "<=", "s<", "s<=", "?",  "?"};
static const char *const size_names[4] = {"u32", "u16", "u8", "u64"};
static const char *const ssize_names[4] = {"s32", "s16", "s8", "s64"};

static const char *atomic_name(int32_t imm)
{
    switch (imm & ~BPF_FETCH) {
    case BPF_ADD:
        return "add";
    case BPF_OR:
        return "or";
    case BPF_AND:
        return "and";
    case BPF_XOR:
        return "xor";
    }
    return "?";
}

int ebpf_disasm(const struct ebpf_insn *insns, uint32_t count, uint32_t pc, char *buf, size_t len)
{
    if (pc >= count)
        return ebpf_snprintf(buf, len, "(pc %u out of range)", pc);
    const struct ebpf_insn *in = &insns[pc];
    uint8_t c = in->code, cls = BPF_CLASS(c), op = BPF_OP(c);
    int d = in->dst, s = in->src;
    char r = 'r';
    switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
        r = cls == BPF_ALU ? 'w' : 'r';
        if (op == BPF_END) {
            const char *kind = cls == BPF_ALU64 ? "bswap" : BPF_SRC(c) ? "be" : "le";
            return ebpf_snprintf(buf, len, "r%d = %s%d r%d", d, kind, in->imm, d);
        }
        if (op == BPF_NEG)
            return ebpf_snprintf(buf, len, "%c%d = -%c%d", r, d, r, d);
        if (op == BPF_MOV && BPF_SRC(c) == BPF_X && in->off)
            return ebpf_snprintf(buf, len, "%c%d = (s%d)%c%d", r, d, in->off, r, s);
        {
            const char *sign = (op == BPF_DIV || op == BPF_MOD) && in->off ? "s" : "";
            if (BPF_SRC(c) == BPF_X)
                return ebpf_snprintf(buf, len, "%c%d %s%s %c%d", r, d, sign, alu_ops[op >> 4], r,
                                     s);
            return ebpf_snprintf(buf, len, "%c%d %s%s %d", r, d, sign, alu_ops[op >> 4], in->imm);
        }
    case BPF_JMP:
    case BPF_JMP32:
        r = cls == BPF_JMP32 ? 'w' : 'r';
        if (op == BPF_EXIT)
            return ebpf_snprintf(buf, len, "exit");
        if (op == BPF_CALL) {
            if (BPF_SRC(c) == BPF_X)
                return ebpf_snprintf(buf, len, "callx r%d", d);
            if (s == BPF_PSEUDO_CALL)
                return ebpf_snprintf(buf, len, "call pc%s%d", in->imm >= 0 ? "+" : "", in->imm);
            return ebpf_snprintf(buf, len, "call %d", in->imm);
        }
        if (op == BPF_JA) {
            int32_t o = cls == BPF_JMP32 ? in->imm : in->off;
            return ebpf_snprintf(buf, len, "%s pc%s%d", cls == BPF_JMP32 ? "gotol" : "goto",
                                 o >= 0 ? "+" : "", o);
        }
        if (BPF_SRC(c) == BPF_X)
            return ebpf_snprintf(buf, len, "if %c%d %s %c%d goto pc%s%d", r, d, jmp_ops[op >> 4], r,
                                 s, in->off >= 0 ? "+" : "", in->off);
        return ebpf_snprintf(buf, len, "if %c%d %s 0x%x goto pc%s%d", r, d, jmp_ops[op >> 4],
                             (uint32_t)in->imm, in->off >= 0 ? "+" : "", in->off);
    case BPF_LD:
        if (ebpfL_is_lddw(in) && pc + 1 < count) {
            uint64_t v = (uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32;
            if (s == BPF_PSEUDO_MAP_FD || s == BPF_PSEUDO_MAP_IDX)
                return ebpf_snprintf(buf, len, "r%d = map[fd:%d] ll", d, in->imm);
            if (s == BPF_PSEUDO_MAP_VALUE || s == BPF_PSEUDO_MAP_IDX_VALUE)
                return ebpf_snprintf(buf, len, "r%d = map[fd:%d]+%d ll", d, in->imm, in[1].imm);
            return ebpf_snprintf(buf, len, "r%d = 0x%llx ll", d, (unsigned long long)v);
        }
        break;
    case BPF_LDX:
        return ebpf_snprintf(
            buf, len, "r%d = *(%s *)(r%d %s%d)", d,
            (BPF_MODE(c) == BPF_MEMSX ? ssize_names : size_names)[BPF_SIZE(c) >> 3], s,
            in->off >= 0 ? "+" : "", in->off);
    case BPF_ST:
        return ebpf_snprintf(buf, len, "*(%s *)(r%d %s%d) = %d", size_names[BPF_SIZE(c) >> 3], d,
                             in->off >= 0 ? "+" : "", in->off, in->imm);
    case BPF_STX:
        if (BPF_MODE(c) == BPF_ATOMIC) {
            const char *sz = BPF_SIZE(c) == BPF_DW ? "u64" : "u32";
            int w = BPF_SIZE(c) == BPF_DW ? 64 : 32;
            const char *sg = in->off >= 0 ? "+" : "";
            if (in->imm == BPF_CMPXCHG)
                return ebpf_snprintf(buf, len, "r0 = atomic%d_cmpxchg((%s *)(r%d %s%d), r0, r%d)",
                                     w, sz, d, sg, in->off, s);
            if (in->imm == BPF_XCHG)
                return ebpf_snprintf(buf, len, "r%d = atomic%d_xchg((%s *)(r%d %s%d), r%d)", s, w,
                                     sz, d, sg, in->off, s);
            if (in->imm & BPF_FETCH)
                return ebpf_snprintf(buf, len, "r%d = atomic%d_fetch_%s((%s *)(r%d %s%d), r%d)", s,
                                     w, atomic_name(in->imm), sz, d, sg, in->off, s);
            return ebpf_snprintf(buf, len, "lock *(%s *)(r%d %s%d) %s r%d", sz, d, sg, in->off,
                                 alu_ops[(in->imm & 0xf0) >> 4], s);
        }
        return ebpf_snprintf(buf, len, "*(%s *)(r%d %s%d) = r%d", size_names[BPF_SIZE(c) >> 3], d,
                             in->off >= 0 ? "+" : "", in->off, s);
    }
    return ebpf_snprintf(buf, len, "(bad opcode 0x%02x)", c);
}
