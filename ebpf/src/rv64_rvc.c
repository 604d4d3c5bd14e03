/*
 * rv64_rvc.c - 16-bit RVC forms of the JIT's instructions (RISC-V
 * unprivileged spec, "C" Standard Extension for Compressed Instructions).
 * The JIT passes here only instructions whose size cannot change its
 * layout; 3-bit register fields name x8-x15.
 */
#include <stdbool.h>

#include "rv64_insn.h"

static bool creg(uint32_t r)
{
    return r >= 8 && r <= 15;
}

static bool fits6(int32_t v)
{
    return v >= -32 && v <= 31;
}

/* CI format: funct3 | imm[5] | rd | imm[4:0] | op */
static uint16_t ci(uint32_t f3, int32_t imm, uint32_t rd, uint32_t op)
{
    uint32_t u = (uint32_t)imm;
    return (uint16_t)(f3 << 13 | ((u >> 5) & 1) << 12 | rd << 7 | (u & 31) << 2 | op);
}

/* CB format shifts and andi on x8-x15: 100 | imm[5] | funct2 | rd' | imm[4:0] | 01 */
static uint16_t cb(uint32_t f2, int32_t imm, uint32_t rd)
{
    uint32_t u = (uint32_t)imm;
    return (uint16_t)(0x8001 | ((u >> 5) & 1) << 12 | f2 << 10 | (rd - 8) << 7 | (u & 31) << 2);
}

/* CA format on x8-x15: 100 | w | 11 | rd' | funct2 | rs2' | 01 */
static uint16_t ca(uint32_t w, uint32_t f2, uint32_t rd, uint32_t rs2)
{
    return (uint16_t)(0x8c01 | w << 12 | (rd - 8) << 7 | f2 << 5 | (rs2 - 8) << 2);
}

/* The 16-bit equivalent of w, or 0. */
uint16_t ebpfJ_compress(uint32_t w)
{
    uint32_t op = w & 0x7f, rd = (w >> 7) & 31, f3 = (w >> 12) & 7, rs1 = (w >> 15) & 31;
    uint32_t rs2 = (w >> 20) & 31, f7 = w >> 25;
    int32_t imm = (int32_t)w >> 20;
    switch (op) {
    case 0x13: /* OP-IMM */
        if (f3 == 0 && rd) {
            if (rs1 == 0 && fits6(imm))
                return ci(2, imm, rd, 1); /* c.li */
            if (rs1 == rd && imm && fits6(imm))
                return ci(0, imm, rd, 1); /* c.addi */
            if (rs1 && imm == 0)
                return (uint16_t)(0x8002 | rd << 7 | rs1 << 2); /* c.mv */
        }
        if (f3 == 1 && rd && rd == rs1 && (imm >> 6) == 0 && (imm & 63))
            return ci(0, imm & 63, rd, 2); /* c.slli */
        if (f3 == 5 && rd == rs1 && creg(rd) && (imm & 63) && ((imm >> 6) & 0x3f) == 0)
            return cb(0, imm & 63, rd); /* c.srli */
        if (f3 == 5 && rd == rs1 && creg(rd) && (imm & 63) && ((imm >> 6) & 0x3f) == 0x10)
            return cb(1, imm & 63, rd); /* c.srai */
        if (f3 == 7 && rd == rs1 && creg(rd) && fits6(imm))
            return cb(2, imm, rd); /* c.andi */
        return 0;
    case 0x1b: /* OP-IMM-32 */
        if (f3 == 0 && rd && rd == rs1 && fits6(imm))
            return ci(1, imm, rd, 1); /* c.addiw */
        return 0;
    case 0x33: /* OP */
        if (f7 == 0 && f3 == 0 && rd) {
            if (rd == rs1 && rs2)
                return (uint16_t)(0x9002 | rd << 7 | rs2 << 2); /* c.add */
            if (rd == rs2 && rs1)
                return (uint16_t)(0x9002 | rd << 7 | rs1 << 2);
        }
        if (creg(rd) && creg(rs1) && creg(rs2)) {
            if (f7 == 0x20 && f3 == 0 && rd == rs1)
                return ca(0, 0, rd, rs2); /* c.sub */
            if (f7 == 0 && (f3 == 4 || f3 == 6 || f3 == 7) && (rd == rs1 || rd == rs2)) {
                uint32_t other = rd == rs1 ? rs2 : rs1;
                return ca(0, f3 == 4 ? 1 : f3 == 6 ? 2 : 3, rd, other); /* c.xor/or/and */
            }
        }
        return 0;
    case 0x3b: /* OP-32 */
        if (f3 == 0 && creg(rd) && rd == rs1 && creg(rs2)) {
            if (f7 == 0x20)
                return ca(1, 0, rd, rs2); /* c.subw */
            if (f7 == 0)
                return ca(1, 1, rd, rs2); /* c.addw */
        }
        return 0;
    case 0x03: /* LOAD: ld */
        if (f3 == 3 && rd && rs1 == 2 && imm >= 0 && imm < 512 && !(imm & 7))
            return (uint16_t)(0x6002 | ((uint32_t)imm >> 5 & 1) << 12 | rd << 7 |
                              ((uint32_t)imm >> 3 & 3) << 5 | ((uint32_t)imm >> 6 & 7) << 2);
        if (f3 == 3 && creg(rd) && creg(rs1) && imm >= 0 && imm < 256 && !(imm & 7))
            return (uint16_t)(0x6000 | ((uint32_t)imm >> 3 & 7) << 10 | (rs1 - 8) << 7 |
                              ((uint32_t)imm >> 6 & 3) << 5 | (rd - 8) << 2);
        return 0;
    case 0x23: { /* STORE: sd */
        int32_t simm = (int32_t)((w >> 25) << 5 | ((w >> 7) & 31));
        simm = (int32_t)((uint32_t)simm << 20) >> 20;
        if (f3 == 3 && rs1 == 2 && simm >= 0 && simm < 512 && !(simm & 7))
            return (uint16_t)(0xe002 | ((uint32_t)simm >> 3 & 7) << 10 |
                              ((uint32_t)simm >> 6 & 7) << 7 | rs2 << 2); /* c.sdsp */
        if (f3 == 3 && creg(rs1) && creg(rs2) && simm >= 0 && simm < 256 && !(simm & 7))
            return (uint16_t)(0xe000 | ((uint32_t)simm >> 3 & 7) << 10 | (rs1 - 8) << 7 |
                              ((uint32_t)simm >> 6 & 3) << 5 | (rs2 - 8) << 2); /* c.sd */
        return 0;
    }
    case 0x67: /* JALR without offset */
        if (f3 == 0 && imm == 0 && rs1 && rd == 0)
            return (uint16_t)(0x8002 | rs1 << 7); /* c.jr */
        if (f3 == 0 && imm == 0 && rs1 && rd == 1)
            return (uint16_t)(0x9002 | rs1 << 7); /* c.jalr */
        return 0;
    case 0x37: { /* LUI */
        int32_t hi = (int32_t)w >> 12;
        if (rd && rd != 2 && hi && fits6(hi))
            return ci(3, hi, rd, 1); /* c.lui */
        return 0;
    }
    }
    return 0;
}
