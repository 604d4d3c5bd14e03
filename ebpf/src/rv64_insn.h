/*
 * rv64_insn.h - RISC-V instruction encoders for the JIT (RISC-V unprivileged
 * spec, "RV32I Base Integer Instruction Set" formats R/I/S/B/U/J) and the
 * compressor to 16-bit RVC forms (rv64_rvc.c).
 */
#ifndef EBPF_RV64_INSN_H
#define EBPF_RV64_INSN_H

#include <stdint.h>

static inline uint32_t r_type(uint32_t f7, int rs2, int rs1, uint32_t f3, int rd, uint32_t op)
{
    return f7 << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | f3 << 12 | (uint32_t)rd << 7 | op;
}
static inline uint32_t i_type(int32_t imm, int rs1, uint32_t f3, int rd, uint32_t op)
{
    return ((uint32_t)imm & 0xfff) << 20 | (uint32_t)rs1 << 15 | f3 << 12 | (uint32_t)rd << 7 | op;
}
static inline uint32_t s_type(int32_t imm, int rs2, int rs1, uint32_t f3)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) & 0x7f) << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | f3 << 12 |
           (u & 0x1f) << 7 | 0x23;
}
static inline uint32_t b_type(int32_t imm, int rs2, int rs1, uint32_t f3)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | (uint32_t)rs2 << 20 |
           (uint32_t)rs1 << 15 | f3 << 12 | ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}
static inline uint32_t j_type(int32_t imm, int rd)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
           ((u >> 12) & 0xff) << 12 | (uint32_t)rd << 7 | 0x6f;
}

/* The 16-bit C-extension equivalent of a 32-bit instruction, or 0. */
uint16_t ebpfJ_compress(uint32_t w);

#endif
