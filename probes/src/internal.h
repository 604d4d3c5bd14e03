/*
 * internal.h - bit helpers shared by the engine's source files.  Not part
 * of the public interface.
 */
#ifndef RVPROBE_INTERNAL_H
#define RVPROBE_INTERNAL_H

#include "rvprobe.h"

/* Bits hi..lo of x (hi - lo < 31). */
/* jal, c.j, c.jal on RV64: rd = pc + length, pc = pc + imm (unprivileged
   spec 2.5 "Unconditional Jumps", C extension "Control Transfer
   Instructions"; imm is already sign-extended, rd <= 31 by decoding, a
   write to x0 vanishes).  rvprobe_simulate_insn uses it, and a hit inlines
   it (a call is the instruction most probes sit on), so the xcheck suite's
   comparison with the hardware covers both. */
static inline void rvp_jump64(const struct rvprobe_insn *insn, struct rvprobe_regs *regs)
{
    uint64_t pc = regs->pc;
    if (insn->rd)
        ((uint64_t *)(void *)regs)[insn->rd] = pc + insn->len;
    regs->pc = pc + (uint64_t)insn->imm;
}

/* addi, c.addi, c.addi16sp, c.li, c.mv on RV64: rd = rs1 + imm (x0 reads
   0; rs1 is read before rd is written), pc + length.  Shared by
   rvprobe_simulate_insn and a hit's inline path, as rvp_jump64 is: a
   function's entry is the other place most probes sit (issue 21). */
static inline void rvp_addi64(const struct rvprobe_insn *insn, struct rvprobe_regs *regs)
{
    uint64_t *x = (uint64_t *)(void *)regs; /* x[0] is the pc, x[n] is xn */
    uint64_t v = (insn->rs1 ? x[insn->rs1] : 0) + (uint64_t)insn->imm;
    if (insn->rd)
        x[insn->rd] = v;
    regs->pc += insn->len;
}

static inline int rvp_is_addi_op(unsigned op)
{
    return op >= RVPROBE_OP_ADDI && op <= RVPROBE_OP_C_MV;
}

static inline uint32_t rvp_bits(uint32_t x, unsigned hi, unsigned lo)
{
    return (x >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static inline uint32_t rvp_bit(uint32_t x, unsigned n)
{
    return (x >> n) & 1;
}

/* v (less than 2^width) sign-extended from `width` bits. */
static inline int64_t rvp_sext(uint64_t v, unsigned width)
{
    uint64_t m = 1ull << (width - 1);
    return (int64_t)((v ^ m) - m);
}

/* Byte loops: the library may not call memset/memcpy (build with
   -fno-tree-loop-distribute-patterns so GCC does not turn them back into calls). */
static inline void rvp_zero(void *dst, unsigned n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = 0;
}

/* Little-endian loads and stores, byte by byte (no alignment assumed). */
static inline uint32_t rvp_le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static inline void rvp_put_le(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif
