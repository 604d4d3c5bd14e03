/*
 * execute.c - running a probed instruction: simulation of the pc-relative
 * and control-flow instructions, and the out-of-line slot for the others.
 *
 * Simulation follows the unprivileged spec (§2.4 "Integer Computational
 * Instructions" for auipc, §2.5 "Control Transfer Instructions", §16.4
 * "Control Transfer Instructions" for RVC):
 *   - immediates are sign-extended; offsets are relative to the
 *     instruction's own address (regs->pc);
 *   - jal/jalr/c.jal/c.jalr write the link pc + length (4, or 2 for RVC);
 *   - jalr/c.jr/c.jalr clear bit 0 of the target, and read rs1 before the
 *     link is written (jalr ra, 0(ra) must use the old ra);
 *   - writes to x0 are discarded.
 * With C present (it is: c.ebreak patches need it) IALIGN is 16 and a jump
 * target is always 2-byte aligned, so no misaligned-fetch case exists.
 */
#include "internal.h"

/* pc is word 0, xN is word N (Linux user_regs_struct): 32 uint64_t
   members and no padding, read and written as an array of words (as Linux
   does with pt_regs).  A byte-by-byte copy cost ~45 instructions per access,
   three accesses per simulated hit. */
_Static_assert(sizeof(struct rvprobe_regs) == 32 * sizeof(uint64_t), "regs are 32 words");

uint64_t rvprobe_reg_get(const struct rvprobe_regs *r, unsigned n)
{
    if (n == 0 || n > 31)
        return 0;
    return ((const uint64_t *)(const void *)r)[n];
}

void rvprobe_reg_set(struct rvprobe_regs *r, unsigned n, uint64_t v)
{
    if (n == 0 || n > 31)
        return;
    ((uint64_t *)(void *)r)[n] = v;
}

/* The operation is looked at first and only its operands are read: every
   simulated kprobe hit runs this (a jal or auipc reads no register). */
int rvprobe_simulate_insn(const struct rvprobe_insn *insn, unsigned xlen, struct rvprobe_regs *regs)
{
    if (!insn || !regs || insn->cls != RVPROBE_SIMULATE || (xlen != 32 && xlen != 64))
        return RVPROBE_EREFUSED;

    /* RV32 values live zero-extended in 64-bit slots; signed compares look
       at them as 32-bit two's complement. */
    uint64_t mask = xlen == 32 ? 0xffffffffull : ~0ull;
    uint64_t pc = regs->pc & mask;
    uint64_t link = (pc + insn->len) & mask;
    uint64_t taken = (pc + (uint64_t)insn->imm) & mask;

    switch (insn->op) {
    case RVPROBE_OP_AUIPC:
        rvprobe_reg_set(regs, insn->rd, taken);
        regs->pc = link;
        return 0;
    case RVPROBE_OP_JAL:
    case RVPROBE_OP_C_J:
    case RVPROBE_OP_C_JAL:
        if (xlen == 64) {
            rvp_jump64(insn, regs);
            return 0;
        }
        rvprobe_reg_set(regs, insn->rd, link);
        regs->pc = taken;
        return 0;
    case RVPROBE_OP_ADDI:
    case RVPROBE_OP_C_ADDI:
    case RVPROBE_OP_C_ADDI16SP:
    case RVPROBE_OP_C_LI:
    case RVPROBE_OP_C_MV:
        if (xlen == 64) {
            rvp_addi64(insn, regs);
            return 0;
        }
        /* rs1 read before rd is written (rd may equal rs1); x0 reads 0 */
        rvprobe_reg_set(regs, insn->rd, (rvprobe_reg_get(regs, insn->rs1) + (uint64_t)insn->imm) & mask);
        regs->pc = link;
        return 0;
    case RVPROBE_OP_ADD:
    case RVPROBE_OP_C_ADD:
        rvprobe_reg_set(regs, insn->rd,
                        (rvprobe_reg_get(regs, insn->rs1) + rvprobe_reg_get(regs, insn->rs2)) & mask);
        regs->pc = link;
        return 0;
    case RVPROBE_OP_JALR:
    case RVPROBE_OP_C_JR:
    case RVPROBE_OP_C_JALR: {
        /* rs1 is read before the link is written; imm is 0 for c.jr/c.jalr */
        uint64_t next = ((rvprobe_reg_get(regs, insn->rs1) & mask) + (uint64_t)insn->imm) & mask & ~1ull;
        rvprobe_reg_set(regs, insn->rd, link);
        regs->pc = next;
        return 0;
    }
    }

    uint64_t a = rvprobe_reg_get(regs, insn->rs1) & mask;
    uint64_t b = rvprobe_reg_get(regs, insn->rs2) & mask;
    int64_t sa = xlen == 32 ? rvp_sext(a, 32) : (int64_t)a;
    int64_t sb = xlen == 32 ? rvp_sext(b, 32) : (int64_t)b;
    int cond;
    switch (insn->op) {
    case RVPROBE_OP_BEQ:
        cond = a == b;
        break;
    case RVPROBE_OP_BNE:
        cond = a != b;
        break;
    case RVPROBE_OP_BLT:
        cond = sa < sb;
        break;
    case RVPROBE_OP_BGE:
        cond = sa >= sb;
        break;
    case RVPROBE_OP_BLTU:
        cond = a < b;
        break;
    case RVPROBE_OP_BGEU:
        cond = a >= b;
        break;
    case RVPROBE_OP_C_BEQZ:
        cond = a == 0;
        break;
    case RVPROBE_OP_C_BNEZ:
        cond = a != 0;
        break;
    default:
        return RVPROBE_EREFUSED;
    }
    regs->pc = cond ? taken : link;
    return 0;
}

int rvprobe_simulate_xlen(uint32_t insn, unsigned len, unsigned xlen, struct rvprobe_regs *regs)
{
    struct rvprobe_insn d;
    if (!regs || rvprobe_decode(insn, len, xlen, &d) != RVPROBE_SIMULATE)
        return RVPROBE_EREFUSED;
    return rvprobe_simulate_insn(&d, xlen, regs);
}

int rvprobe_simulate(uint32_t insn, unsigned len, struct rvprobe_regs *regs)
{
    return rvprobe_simulate_xlen(insn, len, 64, regs);
}

int rvprobe_break_bytes(unsigned len, uint8_t out[4])
{
    if (!out)
        return RVPROBE_EINVAL;
    if (len == 2) {
        rvp_put_le(out, RVPROBE_C_EBREAK, 2);
        return 2;
    }
    if (len == 4) {
        rvp_put_le(out, RVPROBE_EBREAK, 4);
        return 4;
    }
    return RVPROBE_EINVAL;
}

int rvprobe_prepare_slot_xlen(uint32_t insn, unsigned len, unsigned xlen,
                              uint8_t slot_buf[RVPROBE_SLOT_SIZE])
{
    if (!slot_buf)
        return RVPROBE_EINVAL;
    if (rvprobe_decode(insn, len, xlen, 0) != RVPROBE_STEP)
        return RVPROBE_EREFUSED;
    /* The break after the instruction is what brings the hart back; its
       address (slot + len) tells rvprobe_on_break which probe it was. */
    rvp_put_le(slot_buf, insn, len);
    int n = rvprobe_break_bytes(len, slot_buf + len);
    for (unsigned i = len + (unsigned)n; i < RVPROBE_SLOT_SIZE; i++)
        slot_buf[i] = 0; /* c.unimp: never executed */
    return (int)len + n;
}

int rvprobe_prepare_slot(uint32_t insn, unsigned len, uint8_t slot_buf[RVPROBE_SLOT_SIZE])
{
    return rvprobe_prepare_slot_xlen(insn, len, 64, slot_buf);
}
