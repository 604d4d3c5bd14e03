/*
 * insn_asm.h - writing eBPF programs as C initialisers in tests.
 * Encodings follow RFC 9669 section 3 (opcode, dst, src, offset, imm).
 */
#ifndef TESTS_EBPF_INSN_ASM_H
#define TESTS_EBPF_INSN_ASM_H

#include <stdint.h>

#include "ebpf.h"

#define INSN(c, d, s, o, i)                                                                        \
    {                                                                                              \
        .code = (uint8_t)(c), .dst = (d), .src = (s), .off = (int16_t)(o), .imm = (int32_t)(i)     \
    }
#define MOV64_IMM(d, i)     INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV32_IMM(d, i)     INSN(BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s)     INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV32_REG(d, s)     INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOVSX64(d, s, bits) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, bits, 0)
#define MOVSX32(d, s, bits) INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, bits, 0)
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define ALU32_REG(op, d, s) INSN(BPF_ALU | (op) | BPF_X, d, s, 0, 0)
/* signed div/mod: offset 1 */
#define SALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 1, i)
#define SALU64_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 1, 0)
#define SALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 1, i)
#define SALU32_REG(op, d, s) INSN(BPF_ALU | (op) | BPF_X, d, s, 1, 0)
#define NEG64(d)             INSN(BPF_ALU64 | BPF_NEG, d, 0, 0, 0)
#define NEG32(d)             INSN(BPF_ALU | BPF_NEG, d, 0, 0, 0)
#define TO_LE(d, w)          INSN(BPF_ALU | BPF_END | BPF_TO_LE, d, 0, 0, w)
#define TO_BE(d, w)          INSN(BPF_ALU | BPF_END | BPF_TO_BE, d, 0, 0, w)
#define BSWAP(d, w)          INSN(BPF_ALU64 | BPF_END, d, 0, 0, w)
#define LD64(d, v)                                                                                 \
    INSN(BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, (uint32_t)((uint64_t)(v))),                           \
        INSN(0, 0, 0, 0, (uint32_t)((uint64_t)(v) >> 32))
#define LD_MAP(d, fd)                                                                              \
    INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)
#define LD_MAP_VALUE(d, fd, off)                                                                   \
    INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_VALUE, 0, fd), INSN(0, 0, 0, 0, off)
#define LDX(sz, d, s, o)        INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define LDXSX(sz, d, s, o)      INSN(BPF_LDX | BPF_MEMSX | (sz), d, s, o, 0)
#define ST(sz, d, o, i)         INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define STX(sz, d, s, o)        INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ATOMIC(sz, d, s, o, op) INSN(BPF_STX | BPF_ATOMIC | (sz), d, s, o, op)
#define JMP_IMM(op, d, i, o)    INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JMP_REG(op, d, s, o)    INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define JMP32_IMM(op, d, i, o)  INSN(BPF_JMP32 | (op) | BPF_K, d, 0, o, i)
#define JMP32_REG(op, d, s, o)  INSN(BPF_JMP32 | (op) | BPF_X, d, s, o, 0)
#define JA(o)                   INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define JA32(i)                 INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, i)
#define CALL(id)                INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define CALL_LOCAL(rel)         INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, rel)
/* bpf_conformance's callx: the helper id in register dst */
#define CALLX(d) INSN(BPF_JMP | BPF_CALL | BPF_X, d, 0, 0, 0)
#define EXIT     INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define PROG(...)                                                                                  \
    .prog = {__VA_ARGS__}, .n = sizeof((struct ebpf_insn[]){__VA_ARGS__}) / sizeof(struct ebpf_insn)

#endif
