/*
 * jit_rv64.h - private to the RV64 JIT (jit_rv64.c: layout, control flow,
 * memory, calls; jit_rv64_alu.c: arithmetic).
 */
#ifndef EBPF_JIT_RV64_H
#define EBPF_JIT_RV64_H

#include "ebpf_int.h"
#include "rv64_insn.h"

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
    A6 = 16,
    S2 = 18,
    S3 = 19,
    S4 = 20,
    S5 = 21,
    S6 = 22,
    T3 = 28
};

/* BPF register -> RISC-V register (see jit_rv64.c). */
extern const uint8_t ebpfJ_regmap[BPF_NREGS];

#define FRAME     (64 + BPF_STACK_SIZE)
#define NEAR_JUMP 3500 /* bytes: safely inside a B-type branch's +-4096 */

struct jit {
    ebpf_vm *vm;
    uint16_t *buf; /* NULL while sizing */
    size_t cap;    /* in halfwords */
    size_t n;      /* halfwords emitted so far */
    int rvc;       /* use 16-bit (C extension) encodings where possible */
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

#define OP    0x33
#define OP32  0x3b
#define OPI   0x13
#define OPI32 0x1b
#define LOAD  0x03
#define AMO   0x2f

static inline bool fits12(int64_t v)
{
    return v >= -2048 && v <= 2047;
}

void ebpfJ_emit(struct jit *j, uint32_t insn);
void ebpfJ_addi(struct jit *j, int rd, int rs, int32_t imm);
void ebpfJ_mv(struct jit *j, int rd, int rs);
void ebpfJ_slli(struct jit *j, int rd, int rs, int sh);
void ebpfJ_srli(struct jit *j, int rd, int rs, int sh);
void ebpfJ_srai(struct jit *j, int rd, int rs, int sh);
void ebpfJ_zext32(struct jit *j, int rd);
void ebpfJ_sext32(struct jit *j, int rd, int rs);
void ebpfJ_li(struct jit *j, int rd, int64_t v);
void ebpfJ_emit_raw(struct jit *j, uint32_t insn);

/* jit_rv64_alu.c */
void ebpfJ_alu(struct jit *j, const struct ebpf_dinsn *in);
bool ebpfJ_fused_alu(struct jit *j, const struct ebpf_dinsn *mov, const struct ebpf_dinsn *next);

#endif
