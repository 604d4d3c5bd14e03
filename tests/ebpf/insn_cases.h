/*
 * insn_cases.h - instruction test table, shared by the interpreter suite
 * (cmocka, host) and the JIT suite (rv64 under qemu-riscv64).
 *
 * Every expected value is worked out from the text of RFC 9669, not taken
 * from running an implementation; the comment beside a case gives the rule.
 * Each program leaves its answer in r0.  When `memlen` is set, r1 points to
 * a private copy of `mem` and r2 holds memlen.
 */
#ifndef TESTS_EBPF_INSN_CASES_H
#define TESTS_EBPF_INSN_CASES_H

#include "insn_asm.h"

#define TEST_HELPER_ID 200 /* returns r1<<32 ^ r2<<24 ^ r3<<16 ^ r4<<8 ^ r5 */

struct insn_case {
    const char *name;
    struct ebpf_insn prog[40];
    unsigned n;
    uint8_t mem[16];
    unsigned memlen;
    uint64_t expect;
};

#define R0_IS(nm, exp, ...)                                                                        \
    {                                                                                              \
        .name = nm, PROG(__VA_ARGS__), .expect = (exp)                                             \
    }
#define MEM_CASE(nm, exp, memv, ...)                                                               \
    {                                                                                              \
        .name = nm, PROG(__VA_ARGS__), .mem = memv, .memlen = 16, .expect = (exp)                  \
    }
/* r0 = 1 if the jump (which must use r1/r2, offset +1) is taken, else 0. */
#define JCASE(nm, a, b, jinsn, taken)                                                              \
    R0_IS(nm, taken, MOV64_IMM(0, 0), LD64(1, a), LD64(2, b), jinsn, EXIT, MOV64_IMM(0, 1), EXIT)

#define M0                                                                                         \
    {                                                                                              \
        0                                                                                          \
    }
#define M_SEQ                                                                                      \
    {                                                                                              \
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16                                      \
    }
#define M_SIGN                                                                                     \
    {                                                                                              \
        0x80, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80, 0x7f, 0xff                                 \
    }
#define M_TEN                                                                                      \
    {                                                                                              \
        10, 0, 0, 0, 0, 0, 0, 0                                                                    \
    }
#define M_W32                                                                                      \
    {                                                                                              \
        0xff, 0xff, 0xff, 0xff, 0x11, 0, 0, 0                                                      \
    }

static const struct insn_case insn_cases[] = {
    /* ---- 4.1 arithmetic: 64-bit uses the sign-extended imm, 32-bit
     * operates on the low halves and zero-extends the result ---- */
    R0_IS("mov64 imm -1 sign-extends", 0xffffffffffffffffull, MOV64_IMM(0, -1), EXIT),
    R0_IS("mov32 imm -1 zero-extends", 0xffffffffull, MOV32_IMM(0, -1), EXIT),
    R0_IS("mov32 reg drops upper half", 0xffffffffull, MOV64_IMM(1, -1), MOV32_REG(0, 1), EXIT),
    R0_IS("mov64 reg", 0x123456789ull, LD64(1, 0x123456789ull), MOV64_REG(0, 1), EXIT),
    R0_IS("add64 imm", 3, MOV64_IMM(0, 1), ALU64_IMM(BPF_ADD, 0, 2), EXIT),
    R0_IS("add64 carries into bit 32", 0x80000000ull, MOV64_IMM(0, 0x7fffffff),
          ALU64_IMM(BPF_ADD, 0, 1), EXIT),
    R0_IS("add64 imm -1 from 0", 0xffffffffffffffffull, MOV64_IMM(0, 0), ALU64_IMM(BPF_ADD, 0, -1),
          EXIT),
    R0_IS("add32 wraps to 0", 0, MOV32_IMM(0, -1), ALU32_IMM(BPF_ADD, 0, 1), EXIT),
    R0_IS("add32 reg ignores upper halves", 3, LD64(0, 0x500000001ull), LD64(1, 0x700000002ull),
          ALU32_REG(BPF_ADD, 0, 1), EXIT),
    R0_IS("add64 reg", 0xc00000003ull, LD64(0, 0x500000001ull), LD64(1, 0x700000002ull),
          ALU64_REG(BPF_ADD, 0, 1), EXIT),
    R0_IS("sub64 underflow", 0xfffffffffffffffeull, MOV64_IMM(0, 3), ALU64_IMM(BPF_SUB, 0, 5),
          EXIT),
    R0_IS("sub32 underflow", 0xfffffffeull, MOV64_IMM(0, 3), ALU32_IMM(BPF_SUB, 0, 5), EXIT),
    R0_IS("sub64 reg", 0x100000000ull, LD64(0, 0x100000005ull), MOV64_IMM(1, 5),
          ALU64_REG(BPF_SUB, 0, 1), EXIT),
    R0_IS("sub32 reg", 0xfffffffeull, LD64(0, 0x100000005ull), MOV64_IMM(1, 7),
          ALU32_REG(BPF_SUB, 0, 1), EXIT),
    R0_IS("mul64 reg wraps", 0x200000001ull, LD64(0, 0x100000001ull), LD64(1, 0x100000001ull),
          ALU64_REG(BPF_MUL, 0, 1), EXIT),
    R0_IS("or32 reg", 0xfffull, LD64(0, 0xffffffff00000f00ull), LD64(1, 0x12345678000000ffull),
          ALU32_REG(BPF_OR, 0, 1), EXIT),
    R0_IS("and32 reg", 0xff00ull, LD64(0, 0xffffffff0000ffffull), LD64(1, 0xff00ff00ull),
          ALU32_REG(BPF_AND, 0, 1), EXIT),
    R0_IS("xor32 imm", 0xf0ull, LD64(0, 0x10000000full), ALU32_IMM(BPF_XOR, 0, 0xff), EXIT),
    R0_IS("xor64 reg", 0xf0f0f0f0f0f0f0f0ull, LD64(0, 0xff00ff00ff00ff00ull),
          LD64(1, 0x0ff00ff00ff00ff0ull), ALU64_REG(BPF_XOR, 0, 1), EXIT),
    R0_IS("mul64", 0x300000000ull, LD64(0, 0x100000000ull), ALU64_IMM(BPF_MUL, 0, 3), EXIT),
    R0_IS("mul64 imm -1", 0xfffffffffffffffbull, MOV64_IMM(0, 5), ALU64_IMM(BPF_MUL, 0, -1), EXIT),
    R0_IS("mul32 truncates", 0, MOV64_IMM(0, 0x10000), MOV64_IMM(1, 0x10000),
          ALU32_REG(BPF_MUL, 0, 1), EXIT),
    R0_IS("mul32 uses low halves", 6, LD64(0, 0x100000003ull), ALU32_IMM(BPF_MUL, 0, 2), EXIT),
    R0_IS("div64", 3, MOV64_IMM(0, 10), ALU64_IMM(BPF_DIV, 0, 3), EXIT),
    R0_IS("div64 by imm 0 gives 0", 0, MOV64_IMM(0, 10), ALU64_IMM(BPF_DIV, 0, 0), EXIT),
    R0_IS("div64 by reg 0 gives 0", 0, MOV64_IMM(0, 10), MOV64_IMM(1, 0), ALU64_REG(BPF_DIV, 0, 1),
          EXIT),
    R0_IS("div64 imm -1 is unsigned 2^64-1", 0, MOV64_IMM(0, 10), ALU64_IMM(BPF_DIV, 0, -1), EXIT),
    R0_IS("div64 unsigned of -1", 0x7fffffffffffffffull, MOV64_IMM(0, -1), ALU64_IMM(BPF_DIV, 0, 2),
          EXIT),
    R0_IS("div32 uses low half", 5, LD64(0, 0x100000010ull), ALU32_IMM(BPF_DIV, 0, 3), EXIT),
    R0_IS("div32 imm -1 is 0xffffffff", 0, MOV32_IMM(0, -2), ALU32_IMM(BPF_DIV, 0, -1), EXIT),
    R0_IS("div32 by reg 0 gives 0", 0, MOV32_IMM(0, 7), LD64(1, 0x100000000ull),
          ALU32_REG(BPF_DIV, 0, 1), EXIT),
    R0_IS("sdiv64 rounds toward zero", 0xfffffffffffffffdull, MOV64_IMM(0, -7),
          SALU64_IMM(BPF_DIV, 0, 2), EXIT),
    R0_IS("sdiv64 neg by neg", 3, MOV64_IMM(0, -7), MOV64_IMM(1, -2), SALU64_REG(BPF_DIV, 0, 1),
          EXIT),
    R0_IS("sdiv64 INT64_MIN / -1 wraps", 0x8000000000000000ull, LD64(0, 0x8000000000000000ull),
          SALU64_IMM(BPF_DIV, 0, -1), EXIT),
    R0_IS("sdiv64 by 0 gives 0", 0, MOV64_IMM(0, -7), MOV64_IMM(1, 0), SALU64_REG(BPF_DIV, 0, 1),
          EXIT),
    R0_IS("sdiv32 rounds toward zero", 0xfffffffdull, MOV32_IMM(0, -7), SALU32_IMM(BPF_DIV, 0, 2),
          EXIT),
    R0_IS("sdiv32 INT_MIN / -1 wraps", 0x80000000ull, MOV32_IMM(0, 0x80000000),
          SALU32_IMM(BPF_DIV, 0, -1), EXIT),
    R0_IS("sdiv32 by 0 gives 0", 0, MOV32_IMM(0, -7), MOV64_IMM(1, 0), SALU32_REG(BPF_DIV, 0, 1),
          EXIT),
    R0_IS("mod64", 1, MOV64_IMM(0, 10), ALU64_IMM(BPF_MOD, 0, 3), EXIT),
    R0_IS("mod64 by 0 keeps dst", 0x100000007ull, LD64(0, 0x100000007ull), MOV64_IMM(1, 0),
          ALU64_REG(BPF_MOD, 0, 1), EXIT),
    R0_IS("mod32 by 0 keeps low half", 7, LD64(0, 0x100000007ull), ALU32_IMM(BPF_MOD, 0, 0), EXIT),
    R0_IS("mod32 uses low half", 1, LD64(0, 0x10000000aull), ALU32_IMM(BPF_MOD, 0, 3), EXIT),
    R0_IS("smod64 sign follows dividend", 0xffffffffffffffffull, MOV64_IMM(0, -7),
          SALU64_IMM(BPF_MOD, 0, 2), EXIT),
    R0_IS("smod64 positive by negative", 1, MOV64_IMM(0, 7), SALU64_IMM(BPF_MOD, 0, -2), EXIT),
    R0_IS("smod64 INT64_MIN % -1 is 0", 0, LD64(0, 0x8000000000000000ull), MOV64_IMM(1, -1),
          SALU64_REG(BPF_MOD, 0, 1), EXIT),
    R0_IS("smod64 by 0 keeps dst", 0xfffffffffffffff9ull, MOV64_IMM(0, -7),
          SALU64_IMM(BPF_MOD, 0, 0), EXIT),
    R0_IS("smod32 sign follows dividend", 0xffffffffull, MOV32_IMM(0, -7),
          SALU32_IMM(BPF_MOD, 0, 2), EXIT),
    R0_IS("smod32 INT_MIN % -1 is 0", 0, MOV32_IMM(0, 0x80000000), SALU32_IMM(BPF_MOD, 0, -1),
          EXIT),
    R0_IS("smod32 by 0 keeps low half", 0xfffffff9ull, MOV64_IMM(0, -7), MOV64_IMM(1, 0),
          SALU32_REG(BPF_MOD, 0, 1), EXIT),
    R0_IS("or64 imm sign-extends", 0xffffffff80000000ull, MOV64_IMM(0, 0),
          ALU64_IMM(BPF_OR, 0, 0x80000000), EXIT),
    R0_IS("or32 imm", 0x80000000ull, MOV64_IMM(0, 0), ALU32_IMM(BPF_OR, 0, 0x80000000), EXIT),
    R0_IS("or64 reg", 0x1000000ffull, LD64(0, 0x100000000ull), MOV64_IMM(1, 0xff),
          ALU64_REG(BPF_OR, 0, 1), EXIT),
    R0_IS("and64", 0x0f0f0f0full, MOV64_IMM(0, -1), ALU64_IMM(BPF_AND, 0, 0x0f0f0f0f), EXIT),
    R0_IS("and64 imm -65536 keeps upper", 0xffffffffffff0000ull, MOV64_IMM(0, -1),
          ALU64_IMM(BPF_AND, 0, 0xffff0000), EXIT),
    R0_IS("and32 zero-extends", 0xffff0000ull, MOV64_IMM(0, -1), ALU32_IMM(BPF_AND, 0, 0xffff0000),
          EXIT),
    R0_IS("and64 reg", 0x100000000ull, LD64(0, 0x1000000ffull), LD64(1, 0xffffff01ffffff00ull),
          ALU64_REG(BPF_AND, 0, 1), EXIT),
    R0_IS("xor64", 0x0f, MOV64_IMM(0, 0xff), ALU64_IMM(BPF_XOR, 0, 0xf0), EXIT),
    R0_IS("xor64 imm -1 is not", 0xfffffffeffffffffull, LD64(0, 0x100000000ull),
          ALU64_IMM(BPF_XOR, 0, -1), EXIT),
    R0_IS("xor32 reg", 0xfffffffeull, LD64(0, 0x100000001ull), MOV64_IMM(1, -1),
          ALU32_REG(BPF_XOR, 0, 1), EXIT),
    R0_IS("lsh64 by 63", 0x8000000000000000ull, MOV64_IMM(0, 1), ALU64_IMM(BPF_LSH, 0, 63), EXIT),
    R0_IS("lsh64 reg count masked to 6 bits", 1, MOV64_IMM(0, 1), MOV64_IMM(1, 64),
          ALU64_REG(BPF_LSH, 0, 1), EXIT),
    R0_IS("lsh64 reg count 65 -> 1", 2, MOV64_IMM(0, 1), MOV64_IMM(1, 65), ALU64_REG(BPF_LSH, 0, 1),
          EXIT),
    R0_IS("lsh32 by 31", 0x80000000ull, MOV64_IMM(0, 1), ALU32_IMM(BPF_LSH, 0, 31), EXIT),
    R0_IS("lsh32 reg count masked to 5 bits", 1, MOV64_IMM(0, 1), MOV64_IMM(1, 32),
          ALU32_REG(BPF_LSH, 0, 1), EXIT),
    R0_IS("lsh32 drops bits past 31", 2, LD64(0, 0x180000001ull), ALU32_IMM(BPF_LSH, 0, 1), EXIT),
    R0_IS("rsh64 logical", 1, LD64(0, 0x8000000000000000ull), ALU64_IMM(BPF_RSH, 0, 63), EXIT),
    R0_IS("rsh64 reg count masked", 0x0800000000000000ull, LD64(0, 0x8000000000000000ull),
          MOV64_IMM(1, 68), ALU64_REG(BPF_RSH, 0, 1), EXIT),
    R0_IS("rsh32 uses low half", 1, LD64(0, 0xffffffff80000000ull), ALU32_IMM(BPF_RSH, 0, 31),
          EXIT),
    R0_IS("rsh32 reg count masked", 0x08000000ull, MOV32_IMM(0, 0x80000000), MOV64_IMM(1, 36),
          ALU32_REG(BPF_RSH, 0, 1), EXIT),
    R0_IS("arsh64 fills sign", 0xffffffffffffffffull, LD64(0, 0x8000000000000000ull),
          ALU64_IMM(BPF_ARSH, 0, 63), EXIT),
    R0_IS("arsh64 positive", 0x0400000000000000ull, LD64(0, 0x4000000000000000ull), MOV64_IMM(1, 4),
          ALU64_REG(BPF_ARSH, 0, 1), EXIT),
    R0_IS("arsh32 sign of bit 31, zero-extended", 0xffffffffull, MOV32_IMM(0, 0x80000000),
          ALU32_IMM(BPF_ARSH, 0, 31), EXIT),
    R0_IS("arsh32 by 4", 0xf8000000ull, LD64(0, 0x80000000ull), ALU32_IMM(BPF_ARSH, 0, 4), EXIT),
    R0_IS("arsh32 reg count masked", 0xf8000000ull, MOV32_IMM(0, 0x80000000), MOV64_IMM(1, 36),
          ALU32_REG(BPF_ARSH, 0, 1), EXIT),
    R0_IS("neg64", 0xfffffffffffffffbull, MOV64_IMM(0, 5), NEG64(0), EXIT),
    R0_IS("neg32 zero-extends", 0xfffffffbull, MOV64_IMM(0, 5), NEG32(0), EXIT),
    R0_IS("neg32 INT_MIN", 0x80000000ull, MOV32_IMM(0, 0x80000000), NEG32(0), EXIT),
    R0_IS("neg64 INT64_MIN", 0x8000000000000000ull, LD64(0, 0x8000000000000000ull), NEG64(0), EXIT),
    /* movsx (4.1: MOVSX, offset 8/16/32) */
    R0_IS("movsx64 8", 0xffffffffffffff80ull, MOV64_IMM(1, 0x180), MOVSX64(0, 1, 8), EXIT),
    R0_IS("movsx64 8 positive", 0x7f, MOV64_IMM(1, 0x17f), MOVSX64(0, 1, 8), EXIT),
    R0_IS("movsx64 16", 0xffffffffffff8000ull, MOV64_IMM(1, 0x8000), MOVSX64(0, 1, 16), EXIT),
    R0_IS("movsx64 32", 0xffffffff80000000ull, LD64(1, 0x180000000ull), MOVSX64(0, 1, 32), EXIT),
    R0_IS("movsx32 8 zero-extends", 0xffffff80ull, MOV64_IMM(1, 0x80), MOVSX32(0, 1, 8), EXIT),
    R0_IS("movsx32 16 zero-extends", 0xffff8000ull, MOV64_IMM(1, 0x8000), MOVSX32(0, 1, 16), EXIT),
    /* 4.2 byte swaps on a little-endian machine: to-le truncates */
    R0_IS("le16", 0xcdef, LD64(0, 0x0123456789abcdefull), TO_LE(0, 16), EXIT),
    R0_IS("le32", 0x89abcdefull, LD64(0, 0x0123456789abcdefull), TO_LE(0, 32), EXIT),
    R0_IS("le64", 0x0123456789abcdefull, LD64(0, 0x0123456789abcdefull), TO_LE(0, 64), EXIT),
    R0_IS("be16", 0xefcd, LD64(0, 0x0123456789abcdefull), TO_BE(0, 16), EXIT),
    R0_IS("be32", 0xefcdab89ull, LD64(0, 0x0123456789abcdefull), TO_BE(0, 32), EXIT),
    R0_IS("be64", 0xefcdab8967452301ull, LD64(0, 0x0123456789abcdefull), TO_BE(0, 64), EXIT),
    R0_IS("bswap16", 0xefcd, LD64(0, 0x0123456789abcdefull), BSWAP(0, 16), EXIT),
    R0_IS("bswap32", 0xefcdab89ull, LD64(0, 0x0123456789abcdefull), BSWAP(0, 32), EXIT),
    R0_IS("bswap64", 0xefcdab8967452301ull, LD64(0, 0x0123456789abcdefull), BSWAP(0, 64), EXIT),
    /* 5.4 lddw: imm64 = next_imm << 32 | (u32)imm, no sign extension */
    R0_IS("lddw 0x80000000", 0x80000000ull, LD64(0, 0x80000000ull), EXIT),
    R0_IS("lddw 0xffffffff", 0xffffffffull, LD64(0, 0xffffffffull), EXIT),
    R0_IS("lddw 0xffffffff80000000", 0xffffffff80000000ull, LD64(0, 0xffffffff80000000ull), EXIT),
    R0_IS("lddw 0x8000000000000000", 0x8000000000000000ull, LD64(0, 0x8000000000000000ull), EXIT),
    R0_IS("lddw 0x100000000", 0x100000000ull, LD64(0, 0x100000000ull), EXIT),
    R0_IS("lddw 0xdeadbeefcafebabe", 0xdeadbeefcafebabeull, LD64(0, 0xdeadbeefcafebabeull), EXIT),
    R0_IS("lddw into r9", 0xfedcba9876543210ull, LD64(9, 0xfedcba9876543210ull), MOV64_REG(0, 9),
          EXIT),
    /* 5.1 loads zero-extend; 5.2 sign-extending loads */
    MEM_CASE("ldxb", 1, M_SEQ, LDX(BPF_B, 0, 1, 0), EXIT),
    MEM_CASE("ldxh", 0x0201, M_SEQ, LDX(BPF_H, 0, 1, 0), EXIT),
    MEM_CASE("ldxw", 0x04030201, M_SEQ, LDX(BPF_W, 0, 1, 0), EXIT),
    MEM_CASE("ldxdw", 0x0807060504030201ull, M_SEQ, LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("ldxdw offset 8", 0x100f0e0d0c0b0a09ull, M_SEQ, LDX(BPF_DW, 0, 1, 8), EXIT),
    MEM_CASE("ldxw unaligned", 0x05040302, M_SEQ, LDX(BPF_W, 0, 1, 1), EXIT),
    MEM_CASE("ldx negative offset", 4, M_SEQ, ALU64_IMM(BPF_ADD, 1, 4), LDX(BPF_B, 0, 1, -1), EXIT),
    MEM_CASE("ldxb zero-extends", 0x80, M_SIGN, LDX(BPF_B, 0, 1, 0), EXIT),
    MEM_CASE("ldxsb", 0xffffffffffffff80ull, M_SIGN, LDXSX(BPF_B, 0, 1, 0), EXIT),
    MEM_CASE("ldxsb positive", 0x7f, M_SIGN, LDXSX(BPF_B, 0, 1, 8), EXIT),
    MEM_CASE("ldxsh", 0xffffffffffff8080ull, M_SIGN, LDXSX(BPF_H, 0, 1, 0), EXIT),
    MEM_CASE("ldxsh 0xff7f", 0xffffffffffffff7full, M_SIGN, LDXSX(BPF_H, 0, 1, 8), EXIT),
    MEM_CASE("ldxsw", 0xffffffff80008080ull, M_SIGN, LDXSX(BPF_W, 0, 1, 0), EXIT),
    MEM_CASE("ldxsw at 4", 0xffffffff80000000ull, M_SIGN, LDXSX(BPF_W, 0, 1, 4), EXIT),
    MEM_CASE("ldxh zero-extends", 0x8080, M_SIGN, LDX(BPF_H, 0, 1, 0), EXIT),
    /* stores: ST stores the (sign-extended) imm truncated to the size */
    MEM_CASE("stb imm", 0x11, M0, ST(BPF_B, 1, 0, 0x11), LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("sth imm", 0xbeef, M0, ST(BPF_H, 1, 0, 0xbeef), LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("stw imm", 0x80000000ull, M0, ST(BPF_W, 1, 0, 0x80000000), LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("stdw imm -1 sign-extends", 0xffffffffffffffffull, M0, ST(BPF_DW, 1, 0, -1),
             LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("stdw imm 0x80000000 sign-extends", 0xffffffff80000000ull, M0,
             ST(BPF_DW, 1, 8, 0x80000000), LDX(BPF_DW, 0, 1, 8), EXIT),
    MEM_CASE("stxb", 0x88, M0, LD64(2, 0x1122334455667788ull), STX(BPF_B, 1, 2, 0),
             LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("stxh", 0x7788, M0, LD64(2, 0x1122334455667788ull), STX(BPF_H, 1, 2, 0),
             LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("stxw", 0x55667788, M0, LD64(2, 0x1122334455667788ull), STX(BPF_W, 1, 2, 0),
             LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("stxdw", 0x1122334455667788ull, M0, LD64(2, 0x1122334455667788ull),
             STX(BPF_DW, 1, 2, 3), LDX(BPF_DW, 0, 1, 3), EXIT),
    MEM_CASE("stxw keeps neighbours", 0x0807060555667788ull, M_SEQ, LD64(2, 0x1122334455667788ull),
             STX(BPF_W, 1, 2, 0), LDX(BPF_DW, 0, 1, 0), EXIT),
    R0_IS("stack store and load", 0x1122334455667788ull, LD64(1, 0x1122334455667788ull),
          STX(BPF_DW, 10, 1, -8), LDX(BPF_DW, 0, 10, -8), EXIT),
    R0_IS("stack bottom byte", 0x5a, ST(BPF_B, 10, -512, 0x5a), LDX(BPF_B, 0, 10, -512), EXIT),
    /* 5.3 atomics */
    MEM_CASE("atomic add64", 15, M_TEN, MOV64_IMM(2, 5), ATOMIC(BPF_DW, 1, 2, 0, BPF_ADD),
             LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("atomic add64 without fetch keeps src", 5, M_TEN, MOV64_IMM(2, 5),
             ATOMIC(BPF_DW, 1, 2, 0, BPF_ADD), MOV64_REG(0, 2), EXIT),
    MEM_CASE("atomic fetch_add64 returns old", 1015, M_TEN, MOV64_IMM(2, 5),
             ATOMIC(BPF_DW, 1, 2, 0, BPF_ADD | BPF_FETCH), LDX(BPF_DW, 0, 1, 0),
             ALU64_IMM(BPF_MUL, 2, 100), ALU64_REG(BPF_ADD, 0, 2), EXIT),
    MEM_CASE("atomic or64", 0x0e, M_TEN, MOV64_IMM(2, 4), ATOMIC(BPF_DW, 1, 2, 0, BPF_OR),
             LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("atomic fetch_or64", 0x0a0e, M_TEN, MOV64_IMM(2, 4),
             ATOMIC(BPF_DW, 1, 2, 0, BPF_OR | BPF_FETCH), LDX(BPF_DW, 0, 1, 0),
             ALU64_IMM(BPF_LSH, 2, 8), ALU64_REG(BPF_OR, 0, 2), EXIT),
    MEM_CASE("atomic and64", 2, M_TEN, MOV64_IMM(2, 3), ATOMIC(BPF_DW, 1, 2, 0, BPF_AND),
             LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("atomic fetch_and64", 0x0a02, M_TEN, MOV64_IMM(2, 3),
             ATOMIC(BPF_DW, 1, 2, 0, BPF_AND | BPF_FETCH), LDX(BPF_DW, 0, 1, 0),
             ALU64_IMM(BPF_LSH, 2, 8), ALU64_REG(BPF_OR, 0, 2), EXIT),
    MEM_CASE("atomic xor64", 9, M_TEN, MOV64_IMM(2, 3), ATOMIC(BPF_DW, 1, 2, 0, BPF_XOR),
             LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("atomic fetch_xor64", 0x0a09, M_TEN, MOV64_IMM(2, 3),
             ATOMIC(BPF_DW, 1, 2, 0, BPF_XOR | BPF_FETCH), LDX(BPF_DW, 0, 1, 0),
             ALU64_IMM(BPF_LSH, 2, 8), ALU64_REG(BPF_OR, 0, 2), EXIT),
    MEM_CASE("atomic xchg64", 1005, M_TEN, MOV64_IMM(2, 5), ATOMIC(BPF_DW, 1, 2, 0, BPF_XCHG),
             LDX(BPF_DW, 0, 1, 0), ALU64_IMM(BPF_MUL, 2, 100), ALU64_REG(BPF_ADD, 0, 2), EXIT),
    MEM_CASE("atomic cmpxchg64 match stores", 1007, M_TEN, MOV64_IMM(0, 10), MOV64_IMM(2, 7),
             ATOMIC(BPF_DW, 1, 2, 0, BPF_CMPXCHG), LDX(BPF_DW, 3, 1, 0), ALU64_IMM(BPF_MUL, 0, 100),
             ALU64_REG(BPF_ADD, 0, 3), EXIT),
    MEM_CASE("atomic cmpxchg64 mismatch loads r0", 1010, M_TEN, MOV64_IMM(0, 3), MOV64_IMM(2, 7),
             ATOMIC(BPF_DW, 1, 2, 0, BPF_CMPXCHG), LDX(BPF_DW, 3, 1, 0), ALU64_IMM(BPF_MUL, 0, 100),
             ALU64_REG(BPF_ADD, 0, 3), EXIT),
    MEM_CASE("atomic add32 wraps, upper word untouched", 0x1100000000ull, M_W32, MOV64_IMM(2, 1),
             ATOMIC(BPF_W, 1, 2, 0, BPF_ADD), LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("atomic fetch_add32 zero-extends old", 0xffffffffull, M_W32,
             LD64(2, 0xabcd00000001ull), ATOMIC(BPF_W, 1, 2, 0, BPF_ADD | BPF_FETCH),
             MOV64_REG(0, 2), EXIT),
    MEM_CASE("atomic xchg32", 0xffffffffull, M_W32, LD64(2, 0x700000007ull),
             ATOMIC(BPF_W, 1, 2, 0, BPF_XCHG), LDX(BPF_W, 3, 1, 0), JMP_IMM(BPF_JNE, 3, 7, 1),
             MOV64_REG(0, 2), EXIT),
    MEM_CASE("atomic fetch_xor32", 0x1100000000ull, M_W32, MOV32_IMM(2, -1),
             ATOMIC(BPF_W, 1, 2, 0, BPF_XOR | BPF_FETCH), LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("atomic cmpxchg32 compares low half", 0x0000001100000007ull, M_TEN,
             LD64(0, 0xffffffff0000000aull), MOV64_IMM(2, 7), ST(BPF_W, 1, 4, 0x11),
             ATOMIC(BPF_W, 1, 2, 0, BPF_CMPXCHG), LDX(BPF_DW, 0, 1, 0), EXIT),
    MEM_CASE("atomic cmpxchg32 expected value with bit 31 set", 7, M_W32, MOV32_IMM(0, -1),
             MOV64_IMM(2, 7), ATOMIC(BPF_W, 1, 2, 0, BPF_CMPXCHG), LDX(BPF_W, 0, 1, 0), EXIT),
    MEM_CASE("atomic cmpxchg32 r0 zero-extended", 10, M_TEN, LD64(0, 0xffffffff0000000aull),
             MOV64_IMM(2, 7), ATOMIC(BPF_W, 1, 2, 0, BPF_CMPXCHG), EXIT),
    /* 4.3 jumps: 64-bit compare with sign-extended imm; JMP32 compares the
     * low 32 bits (signed compares as s32) */
    JCASE("jeq taken", 5, 5, JMP_REG(BPF_JEQ, 1, 2, 1), 1),
    JCASE("jeq not taken", 5, 6, JMP_REG(BPF_JEQ, 1, 2, 1), 0),
    JCASE("jeq imm -1 sign-extended", -1, 0, JMP_IMM(BPF_JEQ, 1, -1, 1), 1),
    JCASE("jeq imm -1 vs 0xffffffff", 0xffffffffull, 0, JMP_IMM(BPF_JEQ, 1, -1, 1), 0),
    JCASE("jeq32 imm -1 vs 0xffffffff", 0xffffffffull, 0, JMP32_IMM(BPF_JEQ, 1, -1, 1), 1),
    JCASE("jeq32 ignores upper half", 0x100000000ull, 0, JMP32_REG(BPF_JEQ, 1, 2, 1), 1),
    JCASE("jeq64 sees upper half", 0x100000000ull, 0, JMP_REG(BPF_JEQ, 1, 2, 1), 0),
    JCASE("jne taken", 1, 2, JMP_REG(BPF_JNE, 1, 2, 1), 1),
    JCASE("jne not taken", 2, 2, JMP_IMM(BPF_JNE, 1, 2, 1), 0),
    JCASE("jne32 not taken on equal low halves", 0x300000002ull, 2, JMP32_REG(BPF_JNE, 1, 2, 1), 0),
    JCASE("jgt unsigned -1 > 1", -1, 1, JMP_REG(BPF_JGT, 1, 2, 1), 1),
    JCASE("jgt equal not taken", 7, 7, JMP_IMM(BPF_JGT, 1, 7, 1), 0),
    JCASE("jgt32 low halves", 0x100000001ull, 2, JMP32_REG(BPF_JGT, 1, 2, 1), 0),
    JCASE("jge equal taken", 7, 7, JMP_IMM(BPF_JGE, 1, 7, 1), 1),
    JCASE("jge less not taken", 6, 7, JMP_REG(BPF_JGE, 1, 2, 1), 0),
    JCASE("jge32 imm", 0xffffffff00000007ull, 0, JMP32_IMM(BPF_JGE, 1, 7, 1), 1),
    JCASE("jlt unsigned 1 < -1", 1, -1, JMP_REG(BPF_JLT, 1, 2, 1), 1),
    JCASE("jlt equal not taken", 3, 3, JMP_IMM(BPF_JLT, 1, 3, 1), 0),
    JCASE("jlt32 imm", 0x500000001ull, 0, JMP32_IMM(BPF_JLT, 1, 2, 1), 1),
    JCASE("jle equal taken", 3, 3, JMP_IMM(BPF_JLE, 1, 3, 1), 1),
    JCASE("jle greater not taken", 4, 3, JMP_REG(BPF_JLE, 1, 2, 1), 0),
    JCASE("jle32 reg", 0x900000003ull, 3, JMP32_REG(BPF_JLE, 1, 2, 1), 1),
    JCASE("jsgt signed -1 > 1 false", -1, 1, JMP_REG(BPF_JSGT, 1, 2, 1), 0),
    JCASE("jsgt 1 > -1", 1, -1, JMP_IMM(BPF_JSGT, 1, -1, 1), 1),
    JCASE("jsgt32 0xffffffff is -1", 0xffffffffull, 0, JMP32_IMM(BPF_JSGT, 1, 0, 1), 0),
    JCASE("jsgt64 0xffffffff is positive", 0xffffffffull, 0, JMP_IMM(BPF_JSGT, 1, 0, 1), 1),
    JCASE("jsge equal", -5, -5, JMP_REG(BPF_JSGE, 1, 2, 1), 1),
    JCASE("jsge less", -6, -5, JMP_IMM(BPF_JSGE, 1, -5, 1), 0),
    JCASE("jsge32", 0x80000000ull, 0, JMP32_REG(BPF_JSGE, 1, 2, 1), 0),
    JCASE("jslt -1 < 0", -1, 0, JMP_IMM(BPF_JSLT, 1, 0, 1), 1),
    JCASE("jslt not taken", 0, -1, JMP_REG(BPF_JSLT, 1, 2, 1), 0),
    JCASE("jslt32 0xffffffff < 0", 0xffffffffull, 0, JMP32_IMM(BPF_JSLT, 1, 0, 1), 1),
    JCASE("jslt64 0xffffffff not < 0", 0xffffffffull, 0, JMP_IMM(BPF_JSLT, 1, 0, 1), 0),
    JCASE("jsle equal", -3, -3, JMP_IMM(BPF_JSLE, 1, -3, 1), 1),
    JCASE("jsle greater", 4, -3, JMP_REG(BPF_JSLE, 1, 2, 1), 0),
    JCASE("jsle32 reg", 0x7fffffffull, 0x80000000ull, JMP32_REG(BPF_JSLE, 1, 2, 1), 0),
    JCASE("jset taken", 6, 2, JMP_REG(BPF_JSET, 1, 2, 1), 1),
    JCASE("jset not taken", 5, 2, JMP_IMM(BPF_JSET, 1, 2, 1), 0),
    JCASE("jset imm sign-extended", 0x8000000000000000ull, 0, JMP_IMM(BPF_JSET, 1, -1, 1), 1),
    JCASE("jset32 ignores upper half", 0x8000000000000000ull, 0, JMP32_IMM(BPF_JSET, 1, -1, 1), 0),
    JCASE("jgt32 imm low halves", 0x100000003ull, 0, JMP32_IMM(BPF_JGT, 1, 4, 1), 0),
    JCASE("jge32 reg low halves", 0xffffffff00000002ull, 0x100000002ull,
          JMP32_REG(BPF_JGE, 1, 2, 1), 1),
    JCASE("jset32 reg low halves", 0x100000000ull, 0x100000000ull, JMP32_REG(BPF_JSET, 1, 2, 1), 0),
    JCASE("jne32 imm low halves equal", 0x100000007ull, 0, JMP32_IMM(BPF_JNE, 1, 7, 1), 0),
    JCASE("jsgt32 reg 1 > -1", 1, 0xffffffffull, JMP32_REG(BPF_JSGT, 1, 2, 1), 1),
    JCASE("jsge32 imm INT_MIN >= -1", 0x80000000ull, 0, JMP32_IMM(BPF_JSGE, 1, -1, 1), 0),
    JCASE("jlt32 reg low halves", 0x500000001ull, 2, JMP32_REG(BPF_JLT, 1, 2, 1), 1),
    JCASE("jle32 imm equal", 0x300000005ull, 0, JMP32_IMM(BPF_JLE, 1, 5, 1), 1),
    JCASE("jslt32 reg -2 < 1", 0xfffffffeull, 1, JMP32_REG(BPF_JSLT, 1, 2, 1), 1),
    JCASE("jsle32 imm INT_MAX <= -1", 0x7fffffffull, 0, JMP32_IMM(BPF_JSLE, 1, -1, 1), 0),
    R0_IS("ja skips", 2, MOV64_IMM(0, 2), JA(1), MOV64_IMM(0, 3), EXIT),
    R0_IS("ja32 uses imm", 2, MOV64_IMM(0, 2), JA32(1), MOV64_IMM(0, 3), EXIT),
    R0_IS("ja32 backward", 7, MOV64_IMM(0, 0), JA(2), MOV64_IMM(0, 7), EXIT, JA32(-3)),
    R0_IS("ja over lddw", 1, MOV64_IMM(0, 1), JA(2), LD64(0, 5), EXIT),
    R0_IS("loop sums 1..10", 55, MOV64_IMM(0, 0), MOV64_IMM(1, 10), ALU64_REG(BPF_ADD, 0, 1),
          ALU64_IMM(BPF_SUB, 1, 1), JMP_IMM(BPF_JNE, 1, 0, -3), EXIT),
    /* 4.3.1 helper call by id; 4.3.2 local calls */
    R0_IS("helper call passes r1-r5", 0x102030405ull, MOV64_IMM(1, 1), MOV64_IMM(2, 2),
          MOV64_IMM(3, 3), MOV64_IMM(4, 4), MOV64_IMM(5, 5), CALL(TEST_HELPER_ID), EXIT),
    R0_IS("helper call keeps r6-r9", 0x10, MOV64_IMM(6, 0x10), MOV64_IMM(1, 0), MOV64_IMM(2, 0),
          MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, 0), CALL(TEST_HELPER_ID), MOV64_REG(0, 6),
          EXIT),
    /* callx (bpf_conformance callx group): the helper id is in dst; as
     * "call id" otherwise.  Through r0, whose old value is the id. */
    R0_IS("callx through r0 passes r1-r5", 0x102030405ull, MOV64_IMM(1, 1), MOV64_IMM(2, 2),
          MOV64_IMM(3, 3), MOV64_IMM(4, 4), MOV64_IMM(5, 5), MOV64_IMM(0, TEST_HELPER_ID), CALLX(0),
          EXIT),
    R0_IS("callx through r6 keeps r6", TEST_HELPER_ID, MOV64_IMM(6, TEST_HELPER_ID),
          MOV64_IMM(1, 0), MOV64_IMM(2, 0), MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, 0),
          CALLX(6), MOV64_REG(0, 6), EXIT),
    R0_IS("callx through an argument register", 0x300000000ull, MOV64_IMM(1, 3), MOV64_IMM(2, 0),
          MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, TEST_HELPER_ID), CALLX(5),
          ALU64_IMM(BPF_XOR, 0, TEST_HELPER_ID), EXIT),
    R0_IS("local call returns r0", 42, MOV64_IMM(1, 40), CALL_LOCAL(1), EXIT, MOV64_REG(0, 1),
          ALU64_IMM(BPF_ADD, 0, 2), EXIT),
    R0_IS("local call preserves r6-r9", 0x1234 + 1, MOV64_IMM(6, 0x1000), MOV64_IMM(7, 0x200),
          MOV64_IMM(8, 0x30), MOV64_IMM(9, 4), CALL_LOCAL(5), ALU64_REG(BPF_ADD, 0, 6),
          ALU64_REG(BPF_ADD, 0, 7), ALU64_REG(BPF_ADD, 0, 8), ALU64_REG(BPF_ADD, 0, 9), EXIT,
          MOV64_IMM(6, 0), MOV64_IMM(7, 0), MOV64_IMM(8, 0), MOV64_IMM(9, 0), MOV64_IMM(0, 1),
          EXIT),
    R0_IS("local call has its own stack frame", 0x55, ST(BPF_DW, 10, -8, 0x55), CALL_LOCAL(2),
          LDX(BPF_DW, 0, 10, -8), EXIT, ST(BPF_DW, 10, -8, 0x66), MOV64_IMM(0, 0), EXIT),
    R0_IS("callee reads caller stack via pointer", 0x77, ST(BPF_DW, 10, -8, 0x77), MOV64_REG(1, 10),
          ALU64_IMM(BPF_ADD, 1, -8), CALL_LOCAL(1), EXIT, LDX(BPF_DW, 0, 1, 0), EXIT),
    /* A callee that calls nothing and names no r6-r10 gets no native frame
     * in the JIT (issue 21): the caller's r6 and stack outlive the call. */
    R0_IS("a frameless callee leaves its caller's r6 and stack", 0x1234 + 0x55 + 7,
          MOV64_IMM(6, 0x1234), ST(BPF_DW, 10, -8, 0x55), MOV64_IMM(1, 3), CALL_LOCAL(4),
          ALU64_REG(BPF_ADD, 0, 6), LDX(BPF_DW, 2, 10, -8), ALU64_REG(BPF_ADD, 0, 2), EXIT,
          MOV64_REG(0, 1), ALU64_IMM(BPF_ADD, 0, 4), MOV64_IMM(2, 99), MOV64_IMM(3, 99), EXIT),
    R0_IS("nested local calls", 6, MOV64_IMM(1, 1), CALL_LOCAL(1), EXIT, ALU64_IMM(BPF_ADD, 1, 2),
          CALL_LOCAL(1), EXIT, MOV64_REG(0, 1), ALU64_IMM(BPF_ADD, 0, 3), EXIT),
    R0_IS("recursion depth 5", 5, MOV64_IMM(1, 5), CALL_LOCAL(1), EXIT, MOV64_IMM(0, 0),
          JMP_IMM(BPF_JEQ, 1, 0, 3), ALU64_IMM(BPF_SUB, 1, 1), CALL_LOCAL(-4),
          ALU64_IMM(BPF_ADD, 0, 1), EXIT),
};

#define N_INSN_CASES (sizeof(insn_cases) / sizeof(insn_cases[0]))

#endif
