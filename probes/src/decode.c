/*
 * decode.c - classify an instruction for probing: SIMULATE (pc-relative and
 * control-flow instructions, and the register-only adds that open and
 * close most functions, emulated in the trap), STEP (ordinary
 * instructions, executed out of line) or REFUSE (with a reason).
 *
 * Encodings follow the unprivileged spec's opcode map (chapter "RV32/64G
 * Instruction Set Listings") and the C extension's quadrant tables
 * (chapter "Compressed Instruction Formats" / "RVC Instruction Set
 * Listings").  Anything not positively recognised is refused: a STEP slot
 * holding an illegal instruction would fault inside the trap path.
 *
 * Why STEP is safe: no instruction outside the SIMULATE set reads the pc,
 * so it behaves identically in a slot at another address.
 */
#include "internal.h"

static const char R_ILLEGAL[] = "illegal or unknown instruction";
static const char R_RESERVED[] = "reserved compressed encoding";
static const char R_RV64ONLY[] = "RV64-only instruction on an RV32 hart";
static const char R_CSR[] = "system instruction: CSR access has side effects that must not run "
                            "out of line";
static const char R_ATOMIC[] = "atomic reservation would break (lr/sc pair)";

static enum rvprobe_class refuse(struct rvprobe_insn *d, const char *name, const char *why)
{
    d->cls = RVPROBE_REFUSE;
    d->name = name;
    d->reason = why;
    return RVPROBE_REFUSE;
}

static enum rvprobe_class step(struct rvprobe_insn *d, const char *name)
{
    d->cls = RVPROBE_STEP;
    d->name = name;
    return RVPROBE_STEP;
}

static enum rvprobe_class simulate(struct rvprobe_insn *d, enum rvprobe_op op, const char *name)
{
    d->cls = RVPROBE_SIMULATE;
    d->op = (uint8_t)op;
    d->name = name;
    return RVPROBE_SIMULATE;
}

/* SYSTEM major opcode (0x73): everything here is refused. */
static enum rvprobe_class decode_system(uint32_t x, struct rvprobe_insn *d)
{
    static const char *const csr_names[8] = {0, "csrrw",  "csrrs",  "csrrc",
                                             0, "csrrwi", "csrrsi", "csrrci"};
    unsigned f3 = rvp_bits(x, 14, 12);
    if (f3 != 0 && f3 != 4)
        return refuse(d, csr_names[f3], R_CSR);
    if (f3 == 0 && rvp_bits(x, 11, 7) == 0) {
        switch (x) {
        case 0x00000073:
            return refuse(d, "ecall",
                          "ecall: an environment call traps; it cannot run in a "
                          "probe slot");
        case 0x00100073:
            return refuse(d, "ebreak", "ebreak: already a breakpoint (another debugger's?)");
        case 0x10200073:
            return refuse(d, "sret", "system instruction: sret changes privilege and pc");
        case 0x30200073:
            return refuse(d, "mret", "system instruction: mret changes privilege and pc");
        case 0x10500073:
            return refuse(d, "wfi", "system instruction: wfi stalls the hart in the trap path");
        }
        if (rvp_bits(x, 31, 25) == 0x09)
            return refuse(d, "sfence.vma",
                          "system instruction: sfence.vma is an address-"
                          "translation fence");
    }
    return refuse(d, "system", "system instruction: privileged or unknown");
}

/* AMO major opcode (0x2f): A extension. */
static enum rvprobe_class decode_amo(uint32_t x, unsigned xlen, struct rvprobe_insn *d)
{
    unsigned f3 = rvp_bits(x, 14, 12), f5 = rvp_bits(x, 31, 27);
    if (f3 != 2 && f3 != 3)
        return refuse(d, "amo", R_ILLEGAL);
    if (f3 == 3 && xlen == 32)
        return refuse(d, "amo.d", R_RV64ONLY);
    switch (f5) {
    case 0x02:
        if (rvp_bits(x, 24, 20) != 0)
            return refuse(d, "lr", R_ILLEGAL);
        return refuse(d, f3 == 2 ? "lr.w" : "lr.d", R_ATOMIC);
    case 0x03:
        return refuse(d, f3 == 2 ? "sc.w" : "sc.d", R_ATOMIC);
    case 0x00:
    case 0x01:
    case 0x04:
    case 0x08:
    case 0x0c:
    case 0x10:
    case 0x14:
    case 0x18:
    case 0x1c:
        /* A single AMO is atomic by itself: it can run anywhere. */
        return step(d, "amo");
    }
    return refuse(d, "amo", R_ILLEGAL);
}

/* F and D arithmetic (OP-FP, 0x53); fmt S or D only. */
static enum rvprobe_class decode_opfp(uint32_t x, struct rvprobe_insn *d)
{
    unsigned fmt = rvp_bits(x, 26, 25), f5 = rvp_bits(x, 31, 27);
    if (fmt > 1)
        return refuse(d, "fp", R_ILLEGAL);
    switch (f5) {
    case 0x00:
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:
    case 0x08:
    case 0x0b:
    case 0x14:
    case 0x18:
    case 0x1a:
    case 0x1c:
    case 0x1e:
        return step(d, "fp-op");
    }
    return refuse(d, "fp", R_ILLEGAL);
}

static enum rvprobe_class decode32(uint32_t x, unsigned xlen, struct rvprobe_insn *d)
{
    unsigned f3 = rvp_bits(x, 14, 12), f7 = rvp_bits(x, 31, 25);
    d->rd = (uint8_t)rvp_bits(x, 11, 7);
    d->rs1 = (uint8_t)rvp_bits(x, 19, 15);
    d->rs2 = (uint8_t)rvp_bits(x, 24, 20);

    switch (x & 0x7f) {
    case 0x37:
        return step(d, "lui");
    case 0x17:
        d->imm = rvp_sext(x & 0xfffff000u, 32);
        return simulate(d, RVPROBE_OP_AUIPC, "auipc");
    case 0x6f:
        /* J-type: imm[20|10:1|11|19:12] in bits 31|30:21|20|19:12 */
        d->imm = rvp_sext(rvp_bit(x, 31) << 20 | rvp_bits(x, 30, 21) << 1 | rvp_bit(x, 20) << 11 |
                              rvp_bits(x, 19, 12) << 12,
                          21);
        return simulate(d, RVPROBE_OP_JAL, "jal");
    case 0x67:
        if (f3 != 0)
            return refuse(d, "jalr", R_ILLEGAL);
        d->imm = rvp_sext(x >> 20, 12);
        return simulate(d, RVPROBE_OP_JALR, "jalr");
    case 0x63: {
        static const uint8_t ops[8] = {
            RVPROBE_OP_BEQ,  RVPROBE_OP_BNE, 0, 0, RVPROBE_OP_BLT, RVPROBE_OP_BGE,
            RVPROBE_OP_BLTU, RVPROBE_OP_BGEU};
        static const char *const names[8] = {"beq", "bne", 0, 0, "blt", "bge", "bltu", "bgeu"};
        if (!ops[f3])
            return refuse(d, "branch", R_ILLEGAL);
        /* B-type: imm[12|10:5] in bits 31|30:25, imm[4:1|11] in bits 11:8|7 */
        d->imm = rvp_sext(rvp_bit(x, 31) << 12 | rvp_bits(x, 30, 25) << 5 |
                              rvp_bits(x, 11, 8) << 1 | rvp_bit(x, 7) << 11,
                          13);
        return simulate(d, (enum rvprobe_op)ops[f3], names[f3]);
    }
    case 0x03: /* LOAD: lb lh lw ld lbu lhu lwu */
        if (f3 == 7)
            return refuse(d, "load", R_ILLEGAL);
        if ((f3 == 3 || f3 == 6) && xlen == 32)
            return refuse(d, f3 == 3 ? "ld" : "lwu", R_RV64ONLY);
        return step(d, "load");
    case 0x23: /* STORE: sb sh sw sd */
        if (f3 > 3)
            return refuse(d, "store", R_ILLEGAL);
        if (f3 == 3 && xlen == 32)
            return refuse(d, "sd", R_RV64ONLY);
        return step(d, "store");
    case 0x13: /* OP-IMM */
        if (f3 == 1 || f3 == 5) {
            /* shifts: shamt is 6 bits on RV64 (funct6), 5 bits on RV32 (funct7) */
            unsigned hi = xlen == 64 ? rvp_bits(x, 31, 26) << 1 : f7;
            if (hi == 0 || (f3 == 5 && hi == 0x20))
                return step(d, f3 == 1 ? "slli" : "srli/srai");
            return refuse(d, "shift", R_ILLEGAL);
        }
        if (f3 == 0) { /* addi (and mv, li, nop): rd = rs1 + imm */
            d->imm = rvp_sext(x >> 20, 12);
            return simulate(d, RVPROBE_OP_ADDI, x == 0x00000013 ? "nop" : "addi");
        }
        return step(d, "op-imm");
    case 0x1b: /* OP-IMM-32: addiw slliw srliw sraiw */
        if (xlen == 32)
            return refuse(d, "op-imm-32", R_RV64ONLY);
        if (f3 == 0)
            return step(d, "addiw");
        if ((f3 == 1 && f7 == 0) || (f3 == 5 && (f7 == 0 || f7 == 0x20)))
            return step(d, "shiftw");
        return refuse(d, "op-imm-32", R_ILLEGAL);
    case 0x33: /* OP: base ALU and M */
        if (f7 == 0 && f3 == 0)
            return simulate(d, RVPROBE_OP_ADD, "add");
        if (f7 == 0 || f7 == 1 || (f7 == 0x20 && (f3 == 0 || f3 == 5)))
            return step(d, f7 == 1 ? "mul/div" : "op");
        return refuse(d, "op", R_ILLEGAL);
    case 0x3b: /* OP-32: addw subw sllw srlw sraw, mulw divw divuw remw remuw */
        if (xlen == 32)
            return refuse(d, "op-32", R_RV64ONLY);
        if ((f7 == 0 && (f3 == 0 || f3 == 1 || f3 == 5)) || (f7 == 0x20 && (f3 == 0 || f3 == 5)) ||
            (f7 == 1 && f3 != 1 && f3 != 2 && f3 != 3))
            return step(d, "op-32");
        return refuse(d, "op-32", R_ILLEGAL);
    case 0x0f: /* MISC-MEM */
        if (f3 == 0)
            return step(d, "fence");
        if (f3 == 1)
            return refuse(d, "fence.i",
                          "system instruction: fence.i synchronises instruction "
                          "fetch; it belongs to code patching");
        return refuse(d, "misc-mem", R_ILLEGAL);
    case 0x73:
        return decode_system(x, d);
    case 0x2f:
        return decode_amo(x, xlen, d);
    case 0x07: /* LOAD-FP: flw fld */
    case 0x27: /* STORE-FP: fsw fsd */
        if (f3 == 2 || f3 == 3)
            return step(d, (x & 0x7f) == 0x07 ? "fp-load" : "fp-store");
        return refuse(d, "fp-mem", R_ILLEGAL);
    case 0x43:
    case 0x47:
    case 0x4b:
    case 0x4f: /* fmadd fmsub fnmsub fnmadd */
        if (rvp_bits(x, 26, 25) > 1)
            return refuse(d, "fp-fma", R_ILLEGAL);
        return step(d, "fp-fma");
    case 0x53:
        return decode_opfp(x, d);
    }
    return refuse(d, "unknown", R_ILLEGAL);
}

/* CB-format branch offset: offset[8|4:3] in 12:10, offset[7:6|2:1|5] in 6:2. */
static int64_t cb_offset(uint32_t x)
{
    return rvp_sext(rvp_bit(x, 12) << 8 | rvp_bits(x, 11, 10) << 3 | rvp_bits(x, 6, 5) << 6 |
                        rvp_bits(x, 4, 3) << 1 | rvp_bit(x, 2) << 5,
                    9);
}

/* CJ-format jump offset: offset[11|4|9:8|10|6|7|3:1|5] in bits 12:2. */
static int64_t cj_offset(uint32_t x)
{
    return rvp_sext(rvp_bit(x, 12) << 11 | rvp_bit(x, 11) << 4 | rvp_bits(x, 10, 9) << 8 |
                        rvp_bit(x, 8) << 10 | rvp_bit(x, 7) << 6 | rvp_bit(x, 6) << 7 |
                        rvp_bits(x, 5, 3) << 1 | rvp_bit(x, 2) << 5,
                    12);
}

static enum rvprobe_class decode16(uint32_t x, unsigned xlen, struct rvprobe_insn *d)
{
    unsigned f3 = rvp_bits(x, 15, 13);
    unsigned rd = rvp_bits(x, 11, 7), rs2 = rvp_bits(x, 6, 2);
    unsigned b12 = rvp_bit(x, 12);

    switch (x & 3) {
    case 0: /* quadrant 0: stack-pointer-relative add and register-based loads/stores */
        switch (f3) {
        case 0:
            if (x == 0)
                return refuse(d, "c.unimp", "illegal instruction (all zeros)");
            if (rvp_bits(x, 12, 5) == 0)
                return refuse(d, "c.addi4spn", R_RESERVED);
            return step(d, "c.addi4spn");
        case 1:
            return step(d, "c.fld");
        case 2:
            return step(d, "c.lw");
        case 3:
            return step(d, xlen == 64 ? "c.ld" : "c.flw");
        case 5:
            return step(d, "c.fsd");
        case 6:
            return step(d, "c.sw");
        case 7:
            return step(d, xlen == 64 ? "c.sd" : "c.fsw");
        }
        return refuse(d, "c.q0", R_RESERVED);

    case 1: /* quadrant 1: immediates, ALU, jumps and branches */
        switch (f3) {
        case 0: /* c.addi rd, imm (rd = 0 or imm = 0: hints, the same arithmetic) */
            d->rd = d->rs1 = (uint8_t)rd;
            d->imm = rvp_sext(b12 << 5 | rvp_bits(x, 6, 2), 6);
            return simulate(d, RVPROBE_OP_C_ADDI, "c.addi");
        case 1:
            if (xlen == 32) {
                d->rd = 1;
                d->imm = cj_offset(x);
                return simulate(d, RVPROBE_OP_C_JAL, "c.jal");
            }
            /* RV64: c.addiw rd, imm; rd = 0 is reserved */
            if (rd == 0)
                return refuse(d, "c.addiw", R_RESERVED);
            return step(d, "c.addiw");
        case 2: /* c.li rd, imm: rd = x0 + imm */
            d->rd = (uint8_t)rd;
            d->rs1 = 0;
            d->imm = rvp_sext(b12 << 5 | rvp_bits(x, 6, 2), 6);
            return simulate(d, RVPROBE_OP_C_LI, "c.li");
        case 3:
            if (b12 == 0 && rvp_bits(x, 6, 2) == 0)
                return refuse(d, rd == 2 ? "c.addi16sp" : "c.lui", R_RESERVED);
            if (rd == 2) { /* nzimm[9|4|6|8:7|5] in bits 12|6|5|4:3|2 */
                d->rd = d->rs1 = 2;
                d->imm = rvp_sext(b12 << 9 | rvp_bit(x, 6) << 4 | rvp_bit(x, 5) << 6 |
                                      rvp_bits(x, 4, 3) << 7 | rvp_bit(x, 2) << 5,
                                  10);
                return simulate(d, RVPROBE_OP_C_ADDI16SP, "c.addi16sp");
            }
            return step(d, "c.lui");
        case 4: {
            unsigned f2 = rvp_bits(x, 11, 10);
            if (f2 < 2) { /* c.srli, c.srai */
                if (xlen == 32 && b12)
                    return refuse(d, f2 ? "c.srai" : "c.srli", R_RESERVED);
                return step(d, f2 ? "c.srai" : "c.srli");
            }
            if (f2 == 2)
                return step(d, "c.andi");
            if (!b12)
                return step(d, "c.sub/xor/or/and");
            if (rvp_bits(x, 6, 5) >= 2)
                return refuse(d, "c.q1-alu", R_RESERVED);
            if (xlen == 32)
                return refuse(d, "c.subw/c.addw", R_RV64ONLY);
            return step(d, "c.subw/c.addw");
        }
        case 5:
            d->rd = 0;
            d->imm = cj_offset(x);
            return simulate(d, RVPROBE_OP_C_J, "c.j");
        case 6:
        case 7:
            d->rs1 = (uint8_t)(8 + rvp_bits(x, 9, 7));
            d->imm = cb_offset(x);
            return f3 == 6 ? simulate(d, RVPROBE_OP_C_BEQZ, "c.beqz")
                           : simulate(d, RVPROBE_OP_C_BNEZ, "c.bnez");
        }
        break;

    case 2: /* quadrant 2: sp-relative loads/stores, c.jr/c.jalr/c.mv/c.add/c.ebreak */
        switch (f3) {
        case 0:
            if (xlen == 32 && b12)
                return refuse(d, "c.slli", R_RESERVED);
            return step(d, "c.slli");
        case 1:
            return step(d, "c.fldsp");
        case 2:
            if (rd == 0)
                return refuse(d, "c.lwsp", R_RESERVED);
            return step(d, "c.lwsp");
        case 3:
            if (xlen == 32)
                return step(d, "c.flwsp");
            if (rd == 0)
                return refuse(d, "c.ldsp", R_RESERVED);
            return step(d, "c.ldsp");
        case 4:
            if (rs2 != 0) { /* c.add rd, rs2: rd = rd + rs2; c.mv rd, rs2: rd = rs2 */
                d->rd = (uint8_t)rd;
                d->rs1 = (uint8_t)(b12 ? rd : rs2);
                d->rs2 = (uint8_t)(b12 ? rs2 : 0);
                return b12 ? simulate(d, RVPROBE_OP_C_ADD, "c.add")
                           : simulate(d, RVPROBE_OP_C_MV, "c.mv");
            }
            if (!b12) {
                if (rd == 0)
                    return refuse(d, "c.jr", R_RESERVED);
                d->rs1 = (uint8_t)rd;
                d->rd = 0;
                return simulate(d, RVPROBE_OP_C_JR, "c.jr");
            }
            if (rd == 0)
                return refuse(d, "c.ebreak",
                              "ebreak: already a breakpoint (another "
                              "debugger's?)");
            d->rs1 = (uint8_t)rd;
            d->rd = 1;
            return simulate(d, RVPROBE_OP_C_JALR, "c.jalr");
        case 5:
            return step(d, "c.fsdsp");
        case 6:
            return step(d, "c.swsp");
        case 7:
            return step(d, xlen == 64 ? "c.sdsp" : "c.fswsp");
        }
        break;
    }
    return refuse(d, "unknown", R_ILLEGAL);
}

enum rvprobe_class rvprobe_decode(uint32_t insn, unsigned len, unsigned xlen,
                                  struct rvprobe_insn *out)
{
    struct rvprobe_insn tmp;
    struct rvprobe_insn *d = out ? out : &tmp;
    *d = (struct rvprobe_insn){0};
    d->raw = insn;
    d->len = (uint8_t)len;
    d->name = "unknown";
    if (xlen != 32 && xlen != 64)
        return refuse(d, "unknown", "unsupported XLEN (32 or 64)");
    unsigned real = rvprobe_insn_len((uint16_t)insn);
    if (real > 4 || real == 0)
        return refuse(d, "long", "instruction longer than 32 bits: not supported");
    if (real != len)
        return refuse(d, "unknown", "length does not match the encoding");
    if (len == 2) {
        d->raw = insn & 0xffff;
        return decode16(insn & 0xffff, xlen, d);
    }
    return decode32(insn, xlen, d);
}
