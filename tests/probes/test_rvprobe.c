/*
 * test_rvprobe.c - the RISC-V probe engine on the host (ASan/UBSan).
 *
 * Encodings come from riscv64-unknown-elf-as at test time (or, for encodings
 * the assembler will not produce, bytes derived by hand from the spec, noted
 * as such); expected results are worked out by hand from the unprivileged
 * spec.  Groups: decode (length + class + reason), simulate, boundary, slot,
 * table (arm/hit/slot-return/disarm/kretprobe/uprobe spaces), layout.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "asm.h"
#include "kregs.h"
#include "rvprobe.h"

/* ---- layout: struct rvprobe_regs == the kernel's struct kregs ----------- */
#define SAME(f) _Static_assert(offsetof(struct rvprobe_regs, f) == offsetof(struct kregs, f), #f)
SAME(pc);
SAME(ra);
SAME(sp);
SAME(gp);
SAME(tp);
SAME(t0);
SAME(t1);
SAME(t2);
SAME(s0);
SAME(s1);
SAME(a0);
SAME(a1);
SAME(a2);
SAME(a3);
SAME(a4);
SAME(a5);
SAME(a6);
SAME(a7);
SAME(s2);
SAME(s3);
SAME(s4);
SAME(s5);
SAME(s6);
SAME(s7);
SAME(s8);
SAME(s9);
SAME(s10);
SAME(s11);
SAME(t3);
SAME(t4);
SAME(t5);
SAME(t6);
_Static_assert(sizeof(struct rvprobe_regs) == sizeof(struct kregs), "size");
_Static_assert(sizeof(struct rvprobe_regs) == RVPROBE_REGS_SIZE, "size");
_Static_assert(offsetof(struct rvprobe_regs, t6) == KREGS_X(31), "x31");
_Static_assert(offsetof(struct rvprobe_regs, a0) == KREGS_X(10), "x10");

static void test_layout_reg_numbers(void **state)
{
    (void)state;
    struct rvprobe_regs r;
    memset(&r, 0, sizeof r);
    r.ra = 1, r.sp = 2, r.a0 = 10, r.s2 = 18, r.t6 = 31;
    assert_int_equal(rvprobe_reg_get(&r, 1), 1);
    assert_int_equal(rvprobe_reg_get(&r, 2), 2);
    assert_int_equal(rvprobe_reg_get(&r, 10), 10);
    assert_int_equal(rvprobe_reg_get(&r, 18), 18);
    assert_int_equal(rvprobe_reg_get(&r, 31), 31);
    r.pc = 0x1234;
    assert_int_equal(rvprobe_reg_get(&r, 0), 0); /* x0 is not pc */
    rvprobe_reg_set(&r, 0, 99);
    assert_int_equal(r.pc, 0x1234);
    rvprobe_reg_set(&r, 8, 0x88);
    assert_int_equal(r.s0, 0x88);
}

/* ---- decode ---------------------------------------------------------- */
enum { S = RVPROBE_SIMULATE, T = RVPROBE_STEP, R = RVPROBE_REFUSE };

struct dcase {
    unsigned xlen;
    const char *text; /* assembler source; ".2byte"/".4byte" = derived by hand */
    unsigned len;     /* expected length */
    int cls;
    const char *name;   /* expected mnemonic (null: not checked) */
    const char *reason; /* REFUSE: a substring of the reason */
    /* filled at run time */
    uint32_t bits;
    int ok;
};

#define ATOMIC "atomic reservation would break"
static struct dcase dcases[] = {
    /* SIMULATE: pc-relative and control flow */
    {64, "auipc a0, 0x12345", 4, S, "auipc", 0},
    {64, "jal ra, . + 0x800", 4, S, "jal", 0},
    {64, "jal x0, . - 0x100000", 4, S, "jal", 0},
    {64, "jalr ra, 12(a0)", 4, S, "jalr", 0},
    {64, "beq a0, a1, . + 16", 4, S, "beq", 0},
    {64, "bne a0, a1, . - 16", 4, S, "bne", 0},
    {64, "blt a0, a1, . + 4094", 4, S, "blt", 0},
    {64, "bge a0, a1, . - 4096", 4, S, "bge", 0},
    {64, "bltu t0, t1, . + 8", 4, S, "bltu", 0},
    {64, "bgeu s0, s1, . + 8", 4, S, "bgeu", 0},
    {64, "c.j . - 2048", 2, S, "c.j", 0},
    {64, "c.jr ra", 2, S, "c.jr", 0},
    {64, "c.jalr a5", 2, S, "c.jalr", 0},
    {64, "c.beqz s0, . + 8", 2, S, "c.beqz", 0},
    {64, "c.bnez a5, . - 8", 2, S, "c.bnez", 0},
    {32, "c.jal . + 16", 2, S, "c.jal", 0},
    {32, "c.j . + 16", 2, S, "c.j", 0},
    {32, "jal ra, . + 16", 4, S, "jal", 0},
    /* The c.jal encoding on RV64 is c.addiw (C spec: RV32 only). */
    {64, "c.addiw a6, 0", 2, T, "c.addiw", 0},
    {64, ".2byte 0x2801 /* = rv32 c.jal .+16, by hand */", 2, T, "c.addiw", 0},
    {64, ".2byte 0x2001 /* c.addiw x0: reserved, by hand */", 2, R, "c.addiw", "reserved"},
    /* STEP: ordinary instructions, 4-byte */
    {64, "lui a0, 0x12345", 4, T, "lui", 0},
    {64, "addi a0, a1, -1", 4, S, "addi", 0},
    {64, "add a0, a1, a2", 4, S, "add", 0},
    {64, "sub a0, a1, a2", 4, T, "op", 0},
    {64, "sra a0, a1, a2", 4, T, "op", 0},
    {64, "slli a0, a1, 63", 4, T, "slli", 0},
    {64, "srai a0, a1, 33", 4, T, 0, 0},
    {64, "addiw a0, a1, 5", 4, T, "addiw", 0},
    {64, "sraiw a0, a1, 31", 4, T, "shiftw", 0},
    {64, "subw a0, a1, a2", 4, T, "op-32", 0},
    {64, "mul a0, a1, a2", 4, T, "mul/div", 0},
    {64, "remuw a0, a1, a2", 4, T, "op-32", 0},
    {64, "ld a0, -8(sp)", 4, T, "load", 0},
    {64, "lbu a0, 0(a1)", 4, T, "load", 0},
    {64, "lwu a0, 4(a1)", 4, T, "load", 0},
    {64, "sd ra, 8(sp)", 4, T, "store", 0},
    {64, "sb zero, 0(a0)", 4, T, "store", 0},
    {64, "fence rw, rw", 4, T, "fence", 0},
    {64, "fence.tso", 4, T, "fence", 0},
    {64, "amoswap.w.aq a0, a1, (a2)", 4, T, "amo", 0},
    {64, "amoadd.d a0, a1, (a2)", 4, T, "amo", 0},
    {64, "amomaxu.d.aqrl a0, a1, (a2)", 4, T, "amo", 0},
    {64, "fld fa0, 8(sp)", 4, T, "fp-load", 0},
    {64, "fsw fa0, 8(sp)", 4, T, "fp-store", 0},
    {64, "fadd.d fa0, fa1, fa2", 4, T, "fp-op", 0},
    {64, "fmadd.s fa0, fa1, fa2, fa3", 4, T, "fp-fma", 0},
    {64, "fcvt.w.s a0, fa0", 4, T, "fp-op", 0},
    {64, "fmv.x.d a0, fa0", 4, T, "fp-op", 0},
    {64, "nop", 4, S, "nop", 0},
    /* STEP: compressed */
    {64, "c.nop", 2, S, "c.addi", 0},
    {64, "c.addi a0, -1", 2, S, "c.addi", 0},
    {64, "c.li a0, 31", 2, S, "c.li", 0},
    {64, "c.lui a0, 1", 2, T, "c.lui", 0},
    {64, "c.lui a0, 1", 2, T, "c.lui", 0},
    {64, "c.addi16sp sp, -32", 2, S, "c.addi16sp", 0},
    {64, "c.addi4spn a0, sp, 8", 2, T, "c.addi4spn", 0},
    {64, "c.lw a0, 4(a1)", 2, T, "c.lw", 0},
    {64, "c.ld a0, 8(a1)", 2, T, "c.ld", 0},
    {64, "c.sw a0, 4(a1)", 2, T, "c.sw", 0},
    {64, "c.sd a0, 8(a1)", 2, T, "c.sd", 0},
    {64, "c.fld fa0, 8(a1)", 2, T, "c.fld", 0},
    {64, "c.lwsp a0, 4(sp)", 2, T, "c.lwsp", 0},
    {64, "c.ldsp ra, 8(sp)", 2, T, "c.ldsp", 0},
    {64, "c.swsp a0, 4(sp)", 2, T, "c.swsp", 0},
    {64, "c.sdsp ra, 8(sp)", 2, T, "c.sdsp", 0},
    {64, "c.fsdsp fa0, 8(sp)", 2, T, "c.fsdsp", 0},
    {64, "c.mv a0, a1", 2, S, "c.mv", 0},
    {64, "c.add a0, a1", 2, S, "c.add", 0},
    {64, "addw a0, a1, a2", 4, T, "op-32", 0},
    {64, "xor a0, a1, a2", 4, T, "op", 0},
    {64, "c.sub a0, a1", 2, T, 0, 0},
    {64, "c.and s0, s1", 2, T, 0, 0},
    {64, "c.addw a0, a1", 2, T, "c.subw/c.addw", 0},
    {64, "c.subw a0, a1", 2, T, "c.subw/c.addw", 0},
    {64, "c.srli a0, 33", 2, T, "c.srli", 0},
    {64, "c.srai a0, 1", 2, T, "c.srai", 0},
    {64, "c.andi a0, -1", 2, T, "c.andi", 0},
    {64, "c.slli a0, 40", 2, T, "c.slli", 0},
    {32, "c.flw fa0, 4(a1)", 2, T, "c.flw", 0},
    {32, "c.lw a0, 4(a1)", 2, T, "c.lw", 0},
    {32, "c.srli a0, 3", 2, T, "c.srli", 0},
    /* REFUSE: system instructions */
    {64, "ecall", 4, R, "ecall", "ecall"},
    {64, "ebreak", 4, R, "ebreak", "breakpoint"},
    {64, "c.ebreak", 2, R, "c.ebreak", "breakpoint"},
    {64, "csrrw a0, sstatus, a1", 4, R, "csrrw", "CSR"},
    {64, "csrrs a0, sstatus, zero", 4, R, "csrrs", "CSR"},
    {64, "csrrc a0, sie, a1", 4, R, "csrrc", "CSR"},
    {64, "csrrwi a0, sscratch, 1", 4, R, "csrrwi", "CSR"},
    {64, "csrrsi a0, sstatus, 2", 4, R, "csrrsi", "CSR"},
    {64, "csrrci zero, sstatus, 2", 4, R, "csrrci", "CSR"},
    {64, "rdtime a0", 4, R, "csrrs", "CSR"},
    {64, "sret", 4, R, "sret", "sret"},
    {64, "mret", 4, R, "mret", "mret"},
    {64, "wfi", 4, R, "wfi", "wfi"},
    {64, "fence.i", 4, R, "fence.i", "fence.i"},
    {64, "sfence.vma zero, zero", 4, R, "sfence.vma", "sfence.vma"},
    {64, "sfence.vma a0, a1", 4, R, "sfence.vma", "sfence.vma"},
    /* REFUSE: lr/sc */
    {64, "lr.w a0, (a1)", 4, R, "lr.w", ATOMIC},
    {64, "lr.d.aq a0, (a1)", 4, R, "lr.d", ATOMIC},
    {64, "sc.w a0, a2, (a1)", 4, R, "sc.w", ATOMIC},
    {64, "sc.d.rl a0, a2, (a1)", 4, R, "sc.d", ATOMIC},
    /* REFUSE: illegal, reserved, unknown (bytes by hand from the spec) */
    {64, ".2byte 0x0000 /* all zeros */", 2, R, "c.unimp", "illegal"},
    {64, ".4byte 0x0000000b /* custom-0 */", 4, R, 0, "illegal or unknown"},
    {64, ".4byte 0x00002067 /* jalr funct3=2 */", 4, R, 0, "illegal"},
    {64, ".4byte 0x00002063 /* branch funct3=2 */", 4, R, 0, "illegal"},
    {64, ".4byte 0x1015a52f /* lr.w with rs2=1 */", 4, R, 0, "illegal"},
    {64, ".4byte 0x00007003 /* load funct3=7 */", 4, R, 0, "illegal"},
    {64, ".4byte 0x04059513 /* slli funct6=1 */", 4, R, 0, "illegal"},
    {64, ".2byte 0x8002 /* c.jr x0: reserved */", 2, R, "c.jr", "reserved"},
    {64, ".2byte 0x6101 /* c.addi16sp 0: reserved */", 2, R, "c.addi16sp", "reserved"},
    {64, ".2byte 0x4002 /* c.lwsp x0: reserved */", 2, R, "c.lwsp", "reserved"},
    {64, ".2byte 0x8000 /* quadrant 0, funct3=4 */", 2, R, 0, "reserved"},
    {64, ".2byte 0x9d4d /* c.addw funct2=10: reserved */", 2, R, 0, "reserved"},
    {64, ".2byte 0x001f\n.2byte 0\n.2byte 0 /* 48-bit */", 6, R, 0, "longer than 32 bits"},
    {64, ".2byte 0x003f\n.2byte 0\n.2byte 0\n.2byte 0 /* 64-bit */", 8, R, 0, "longer"},
    {64, ".2byte 0x707f\n.2byte 0 /* >= 192-bit: reserved */", 0, R, 0, "longer"},
    /* REFUSE on RV32: RV64-only encodings (rv64 bytes by hand) */
    {32, ".4byte 0x0005b503 /* ld a0, 0(a1) */", 4, R, "ld", "RV64-only"},
    {32, ".4byte 0x0005051b /* addiw a0, a0, 0 */", 4, R, 0, "RV64-only"},
    {32, ".2byte 0x9d2d /* c.addw a0, a1 */", 2, R, 0, "RV64-only"},
    {32, ".2byte 0x9505 /* c.srai a0, 33 */", 2, R, "c.srai", "reserved"},
    {32, ".4byte 0x02059513 /* slli a0, a1, 32 */", 4, R, 0, "illegal"},
    {32, "lr.w a0, (a1)", 4, R, "lr.w", ATOMIC},
};
#define NDCASES (sizeof dcases / sizeof dcases[0])

/* Assembles every row of one XLEN, each 8-byte aligned, in one as run. */
static void assemble_dcases(unsigned xlen)
{
    static char text[1 << 16];
    static uint8_t bin[1 << 14];
    size_t pos = 0;
    unsigned idx[NDCASES], n = 0;
    for (unsigned i = 0; i < NDCASES; i++) {
        struct dcase *c = &dcases[i];
        if (c->xlen != xlen)
            continue;
        idx[n++] = i;
        /* 4-byte rows with mnemonics: no automatic compression */
        int norvc = c->len == 4 && c->text[0] != '.';
        pos += (size_t)snprintf(text + pos, sizeof text - pos, ".balign 8\n%s%s\n%s",
                                norvc ? ".option push\n.option norvc\n" : "", c->text,
                                norvc ? ".option pop\n" : "");
    }
    long got = rvp_assemble(xlen == 64 ? "rv64gc" : "rv32gc", text, bin, sizeof bin);
    for (unsigned k = 0; k < n; k++) {
        struct dcase *c = &dcases[idx[k]];
        if (got < 0 || (long)(8 * k + 4) > got + 4)
            continue;
        c->bits = (uint32_t)bin[8 * k] | (uint32_t)bin[8 * k + 1] << 8 |
                  (uint32_t)bin[8 * k + 2] << 16 | (uint32_t)bin[8 * k + 3] << 24;
        c->ok = 1;
    }
}

static void test_decode_row(void **state)
{
    struct dcase *c = *state;
    if (!c->ok)
        fail_msg("could not assemble '%s'", c->text);
    assert_int_equal(rvprobe_insn_len((uint16_t)c->bits), c->len);
    unsigned len = c->len ? c->len : 2;
    uint32_t insn = len == 2 ? c->bits & 0xffff : c->bits;
    struct rvprobe_insn d;
    int cls = rvprobe_decode(insn, len, c->xlen, &d);
    if (cls != c->cls)
        fail_msg("'%s' (%08x): class %d, expected %d (%s: %s)", c->text, insn, cls, c->cls, d.name,
                 d.reason ? d.reason : "-");
    assert_int_equal(d.len, len);
    if (c->name)
        assert_string_equal(d.name, c->name);
    if (c->cls == R) {
        assert_non_null(d.reason);
        if (!strstr(d.reason, c->reason))
            fail_msg("'%s': reason '%s' lacks '%s'", c->text, d.reason, c->reason);
    } else {
        assert_null(d.reason);
    }
    /* the prepared slot exists exactly for STEP rows */
    uint8_t slot[RVPROBE_SLOT_SIZE];
    int sz = rvprobe_prepare_slot_xlen(insn, len, c->xlen, slot);
    if (c->cls == T)
        assert_int_equal(sz, len == 2 ? 4 : 8);
    else
        assert_int_equal(sz, RVPROBE_EREFUSED);
}

/* A wrong len for the encoding is refused, never guessed. */
static void test_decode_len_mismatch(void **state)
{
    (void)state;
    struct rvprobe_insn d;
    /* 0x00000013 (nop, 4 bytes) said to be 2 bytes, and c.nop said to be 4 */
    assert_int_equal(rvprobe_decode(0x00000013, 2, 64, &d), R);
    assert_int_equal(rvprobe_decode(0x0001, 4, 64, &d), R);
    assert_int_equal(rvprobe_decode(0x0001, 2, 48, &d), R);
    assert_non_null(strstr(d.reason, "XLEN"));
}

/* ---- simulate -------------------------------------------------------- */
struct rv {
    unsigned reg;
    uint64_t val;
};

struct scase {
    unsigned xlen;
    const char *text;
    uint64_t pc;
    struct rv in[3]; /* register values before (reg 0 ends the list) */
    uint64_t want_pc;
    struct rv out[2]; /* registers that must change (others must not) */
    uint32_t bits;
    unsigned len;
    int ok;
};

#define PC 0x80001000ull
#define M1 0xffffffffffffffffull
enum { RA = 1, SP_ = 2, T0 = 5, T1 = 6, T2 = 7, S0 = 8, A0 = 10, A1 = 11, A5 = 15 };

static struct scase scases[] = {
    /* jal: link pc+4, offset ±1 MiB */
    {64, "jal ra, . + 0x800", PC, {{0}}, 0x80001800, {{RA, PC + 4}}},
    {64, "jal x0, . - 0x100000", PC, {{0}}, 0x7ff01000, {{0}}},
    {64, "jal s0, . + 0xffffe", PC, {{0}}, 0x80100ffe, {{S0, PC + 4}}},
    /* jalr: target (rs1 + imm) with bit 0 cleared; rs1 read before rd is written */
    {64, "jalr ra, -4(a0)", PC, {{A0, 0x80002005}}, 0x80002000, {{RA, PC + 4}}},
    {64, "jalr a0, 7(a0)", PC, {{A0, 0x1000}}, 0x1006, {{A0, PC + 4}}},
    {64, "jalr x0, 0(ra)", PC, {{RA, 0x8000abcd}}, 0x8000abcc, {{0}}},
    {64, "jalr ra, 2047(t0)", PC, {{T0, 0xfffffffffffff801}}, 0, {{RA, PC + 4}}},
    {64, "jalr t1, -2048(t2)", PC, {{T2, 0x10000}}, 0xf800, {{T1, PC + 4}}},
    /* auipc: pc + sign-extended (imm20 << 12) */
    {64, "auipc a0, 0x12345", PC, {{0}}, PC + 4, {{A0, 0x92346000}}},
    {64, "auipc t1, 0xfffff", PC, {{0}}, PC + 4, {{T1, 0x80000000}}},
    {64, "auipc t2, 0x80000", PC, {{0}}, PC + 4, {{T2, 0x1000}}},
    {64, "auipc x0, 1", PC, {{0}}, PC + 4, {{0}}},
    /* branches: taken / not taken, signed / unsigned, offset limits */
    {64, "beq a0, a1, . + 16", PC, {{A0, 5}, {A1, 5}}, PC + 16, {{0}}},
    {64, "beq a0, a1, . + 16", PC, {{A0, 5}, {A1, 6}}, PC + 4, {{0}}},
    {64, "bne a0, a1, . - 4096", PC, {{A0, 5}, {A1, 6}}, 0x80000000, {{0}}},
    {64, "bne a0, a1, . - 4096", PC, {{A0, 6}, {A1, 6}}, PC + 4, {{0}}},
    {64, "blt a0, a1, . + 4094", PC, {{A0, M1}, {A1, 1}}, 0x80001ffe, {{0}}},
    {64, "bltu a0, a1, . + 4094", PC, {{A0, M1}, {A1, 1}}, PC + 4, {{0}}},
    {64, "bge a0, a1, . - 8", PC, {{A0, -7ull}, {A1, -7ull}}, 0x80000ff8, {{0}}},
    {64, "bge a0, a1, . - 8", PC, {{A0, -8ull}, {A1, -7ull}}, PC + 4, {{0}}},
    {64,
     "bgeu a0, a1, . + 8",
     PC,
     {{A0, 0x8000000000000000}, {A1, 0x7fffffffffffffff}},
     PC + 8,
     {{0}}},
    {64, "blt a0, a1, . + 8", PC, {{A0, 0x8000000000000000}, {A1, 0}}, PC + 8, {{0}}},
    {64, "blt a0, a1, . + 16", PC, {{A0, 0xffffffff}, {A1, 1}}, PC + 4, {{0}}},
    /* compressed: link pc+2 */
    {64, "c.j . - 2048", PC, {{0}}, 0x80000800, {{0}}},
    {64, "c.j . + 2046", PC, {{0}}, 0x800017fe, {{0}}},
    {64, "c.jr a5", PC, {{A5, 0x80004321}}, 0x80004320, {{0}}},
    {64, "c.jalr ra", PC, {{RA, 0x80005000}}, 0x80005000, {{RA, PC + 2}}},
    {64, "c.jalr a0", PC, {{A0, 0x80006003}}, 0x80006002, {{RA, PC + 2}}},
    {64, "c.beqz s0, . - 256", PC, {{S0, 0}}, 0x80000f00, {{0}}},
    {64, "c.beqz s0, . - 256", PC, {{S0, 1}}, PC + 2, {{0}}},
    {64, "c.bnez a5, . + 254", PC, {{A5, 0x100000000}}, 0x800010fe, {{0}}},
    {64, "c.bnez a5, . + 254", PC, {{A5, 0}}, PC + 2, {{0}}},
    /* alternating offset bits catch any swapped immediate field */
    {64, "c.j . + 0x2aa", PC, {{0}}, 0x800012aa, {{0}}},
    {64, "c.j . - 0x556", PC, {{0}}, 0x80000aaa, {{0}}},
    {64, "jal ra, . + 0x55554", PC, {{0}}, 0x80056554, {{RA, PC + 4}}},
    {64, "jal x0, . - 0x2aaaa", PC, {{0}}, 0x7ffd6556, {{0}}},
    {64, "beq a0, a1, . + 0x556", PC, {{A0, 9}, {A1, 9}}, 0x80001556, {{0}}},
    {64, "bne a0, a1, . - 0xaaa", PC, {{A0, 9}, {A1, 8}}, 0x80000556, {{0}}},
    {64, "c.bnez a5, . + 0xaa", PC, {{A5, 1}}, 0x800010aa, {{0}}},
    {64, "c.beqz s0, . - 0x56", PC, {{S0, 0}}, 0x80000faa, {{0}}},
    {32, "c.jal . + 0x554", PC, {{0}}, 0x80001554, {{RA, PC + 2}}},
    /* RV32: c.jal exists; values wrap at 32 bits; signed compares are 32-bit */
    {32, "c.jal . + 0x100", PC, {{0}}, 0x80001100, {{RA, PC + 2}}},
    {32, "c.jal . - 2048", 0x400, {{0}}, 0xfffffc00, {{RA, 0x402}}},
    {32, "jal ra, . + 0x1800", 0xfffff000, {{0}}, 0x800, {{RA, 0xfffff004}}},
    {32, "blt a0, a1, . + 16", PC, {{A0, 0xffffffff}, {A1, 1}}, PC + 16, {{0}}},
    {32, "auipc a0, 0x80000", PC, {{0}}, PC + 4, {{A0, 0x1000}}},
    {32, "jalr ra, -1(a0)", PC, {{A0, 2}}, 0, {{RA, PC + 4}}},
    /* register-only adds: rd = rs1 + imm / rs1 + rs2, pc + length; rd = rs1 read first */
    {64, "addi sp, sp, -2048", PC, {{SP_, 0x80010000}}, PC + 4, {{SP_, 0x8000f800}}},
    {64, "addi a0, zero, -1", PC, {{0}}, PC + 4, {{A0, M1}}},
    {64, "addi zero, a1, 5", PC, {{0}}, PC + 4, {{0}}},
    {64, "addi a0, a1, 1", PC, {{A1, M1}}, PC + 4, {{A0, 0}}},
    {64, "add a0, a1, a2", PC, {{A1, 0x7fffffffffffffffull}, {12, 1}}, PC + 4, {{A0, 0x8000000000000000ull}}},
    {64, "add a0, a0, a0", PC, {{A0, 3}}, PC + 4, {{A0, 6}}},
    {64, "c.addi16sp sp, -512", PC, {{SP_, 0x80010000}}, PC + 2, {{SP_, 0x8000fe00}}},
    {64, "c.addi16sp sp, 496", PC, {{SP_, 0x80010000}}, PC + 2, {{SP_, 0x800101f0}}},
    {64, "c.addi s0, -32", PC, {{S0, 16}}, PC + 2, {{S0, 0xfffffffffffffff0ull}}},
    {64, "c.li a5, -32", PC, {{0}}, PC + 2, {{A5, 0xffffffffffffffe0ull}}},
    {64, "c.li a5, 31", PC, {{0}}, PC + 2, {{A5, 31}}},
    {64, "c.mv s0, sp", PC, {{SP_, 0x80010000}}, PC + 2, {{S0, 0x80010000}}},
    {64, "c.add a0, a1", PC, {{A0, 5}, {A1, M1}}, PC + 2, {{A0, 4}}},
    {32, "addi a0, a1, 1", PC, {{A1, 0xffffffff}}, PC + 4, {{A0, 0}}},
    {32, "c.addi sp, -16", PC, {{SP_, 8}}, PC + 2, {{SP_, 0xfffffff8}}},
    {32, "add a0, a1, a2", PC, {{A1, 0x80000000}, {12, 0x80000000}}, PC + 4, {{A0, 0}}},
};
#define NSCASES (sizeof scases / sizeof scases[0])

static void assemble_scases(unsigned xlen)
{
    static char text[1 << 14];
    static uint8_t bin[1 << 12];
    size_t pos = 0;
    unsigned idx[NSCASES], n = 0;
    for (unsigned i = 0; i < NSCASES; i++) {
        if (scases[i].xlen != xlen)
            continue;
        idx[n++] = i;
        pos += (size_t)snprintf(text + pos, sizeof text - pos, ".balign 8\n%s%s\n%s",
                                scases[i].text[0] == 'c' ? "" : ".option push\n.option norvc\n",
                                scases[i].text, scases[i].text[0] == 'c' ? "" : ".option pop\n");
    }
    long got = rvp_assemble(xlen == 64 ? "rv64gc" : "rv32gc", text, bin, sizeof bin);
    for (unsigned k = 0; k < n && got > 0; k++) {
        struct scase *c = &scases[idx[k]];
        const uint8_t *p = bin + 8 * k;
        c->bits =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        c->len = c->text[0] == 'c' ? 2 : 4;
        if (c->len == 2)
            c->bits &= 0xffff;
        c->ok = 1;
    }
}

/* Distinct initial contents for every register. */
static void pattern(struct rvprobe_regs *r, unsigned xlen)
{
    for (unsigned n = 1; n < 32; n++)
        rvprobe_reg_set(r, n,
                        xlen == 64 ? 0x5a5a000000000000ull + n * 0x01010101ull : n * 0x01010101ull);
}

static void test_simulate_row(void **state)
{
    struct scase *c = *state;
    if (!c->ok)
        fail_msg("could not assemble '%s'", c->text);
    struct rvprobe_regs r, want;
    pattern(&r, c->xlen);
    for (unsigned i = 0; i < 3 && c->in[i].reg; i++)
        rvprobe_reg_set(&r, c->in[i].reg, c->in[i].val);
    r.pc = c->pc;
    want = r;
    want.pc = c->want_pc;
    for (unsigned i = 0; i < 2 && c->out[i].reg; i++)
        rvprobe_reg_set(&want, c->out[i].reg, c->out[i].val);
    /* the table's way: decoded once, simulated from the decoded form */
    struct rvprobe_regs r2 = r;
    struct rvprobe_insn d;
    assert_int_equal(rvprobe_decode(c->bits, c->len, c->xlen, &d), RVPROBE_SIMULATE);
    assert_int_equal(rvprobe_simulate_insn(&d, c->xlen, &r2), 0);
    assert_int_equal(rvprobe_simulate_xlen(c->bits, c->len, c->xlen, &r), 0);
    assert_memory_equal(&r2, &r, sizeof r);
    for (unsigned n = 0; n < 32; n++) {
        uint64_t got = n ? rvprobe_reg_get(&r, n) : r.pc,
                 exp = n ? rvprobe_reg_get(&want, n) : want.pc;
        if (got != exp)
            fail_msg("'%s': %s%u = %#llx, expected %#llx", c->text, n ? "x" : "pc", n,
                     (unsigned long long)got, (unsigned long long)exp);
    }
}

static void test_simulate_refuses_others(void **state)
{
    (void)state;
    struct rvprobe_regs r;
    pattern(&r, 64);
    r.pc = PC;
    struct rvprobe_regs before = r;
    /* sub a0,a1,a2 (0x40c58533 by hand), c.addiw a6,0 (RV64), ecall */
    assert_int_equal(rvprobe_simulate(0x40c58533, 4, &r), RVPROBE_EREFUSED);
    assert_int_equal(rvprobe_simulate(0x2801, 2, &r), RVPROBE_EREFUSED);
    assert_int_equal(rvprobe_simulate(0x00000073, 4, &r), RVPROBE_EREFUSED);
    struct rvprobe_insn d;
    assert_int_equal(rvprobe_decode(0x40c58533, 4, 64, &d), RVPROBE_STEP);
    assert_int_equal(rvprobe_simulate_insn(&d, 64, &r), RVPROBE_EREFUSED);
    assert_int_equal(rvprobe_decode(0x0000006f, 4, 64, &d), RVPROBE_SIMULATE);
    assert_int_equal(rvprobe_simulate_insn(&d, 16, &r), RVPROBE_EREFUSED); /* bad xlen */
    assert_int_equal(rvprobe_simulate_insn(NULL, 64, &r), RVPROBE_EREFUSED);
    assert_memory_equal(&r, &before, sizeof r);
    assert_int_equal(rvprobe_simulate_insn(&d, 64, NULL), RVPROBE_EREFUSED);
    assert_int_equal(rvprobe_simulate(0x0000006f, 4, NULL), RVPROBE_EREFUSED);
}

/* ---- boundaries -------------------------------------------------------- */
/* A function with mixed 2- and 4-byte instructions (offsets in comments). */
/* Its first instruction is a 2-byte STEP one (a kretprobe sits there, and
   the shared-address tests need a slot): a real function's c.addi sp is
   simulated since issue 21. */
static const char FUNC_TEXT[] = "c.slli s1, 1\n"   /*  0, 2: STEP */
                                ".option push\n.option norvc\n"
                                "sd ra, 8(sp)\n"      /*  2, 4: STEP */
                                "beq a0, a1, . + 8\n" /*  6, 4: SIMULATE, target 14 */
                                ".option pop\n"
                                "c.beqz a0, . + 4\n" /* 10, 2: SIMULATE, target 14 */
                                "c.nop\n"            /* 12, 2: SIMULATE */
                                ".option push\n.option norvc\n"
                                "csrr a0, sstatus\n" /* 14, 4: REFUSE */
                                ".option pop\n"
                                "c.ldsp ra, 8(sp)\n" /* 18, 2 */
                                "c.addi sp, 16\n"    /* 20, 2 */
                                "c.jr ra\n";         /* 22, 2: SIMULATE */
#define FUNC_LEN 24
static uint8_t func[64];

static void test_boundary(void **state)
{
    (void)state;
    const uint64_t f = 0x80200100;
    static const struct {
        unsigned off;
        int want;
    } rows[] = {{0, 2},  {1, RVPROBE_ENOTBOUNDARY},  {2, 4},  {4, RVPROBE_ENOTBOUNDARY},
                {6, 4},  {8, RVPROBE_ENOTBOUNDARY},  {10, 2}, {12, 2},
                {14, 4}, {16, RVPROBE_ENOTBOUNDARY}, {18, 2}, {20, 2},
                {22, 2}, {24, RVPROBE_ERANGE}};
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = rvprobe_check_boundary(func, FUNC_LEN, f, f + rows[i].off);
        if (got != rows[i].want)
            fail_msg("offset %u: %d, expected %d", rows[i].off, got, rows[i].want);
    }
    assert_int_equal(rvprobe_check_boundary(func, FUNC_LEN, f, f - 2), RVPROBE_ERANGE);
    assert_int_equal(rvprobe_check_boundary(NULL, FUNC_LEN, f, f), RVPROBE_EINVAL);
    /* the last instruction cut short by the buffer */
    assert_int_equal(rvprobe_check_boundary(func, 16, f, f + 14), RVPROBE_ERANGE);
}

static void test_insn_len_all_prefixes(void **state)
{
    (void)state;
    /* every low-7-bit pattern, against §1.5's table written out by hand */
    for (unsigned v = 0; v < 128; v++) {
        unsigned want = (v & 3) != 3         ? 2
                        : (v & 0x1c) != 0x1c ? 4
                        : (v & 0x3f) == 0x1f ? 6
                        : (v & 0x7f) == 0x3f ? 8
                                             : 0;
        assert_int_equal(rvprobe_insn_len((uint16_t)(0xa000 | v)), want);
    }
}

/* ---- slots and break bytes ---------------------------------------------- */
static void test_slot_and_break_bytes(void **state)
{
    (void)state;
    uint8_t b[4], slot[RVPROBE_SLOT_SIZE];
    assert_int_equal(rvprobe_break_bytes(2, b), 2);
    assert_int_equal(b[0] | b[1] << 8, 0x9002); /* c.ebreak */
    assert_int_equal(rvprobe_break_bytes(4, b), 4);
    assert_int_equal(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24, 0x00100073);
    assert_int_equal(rvprobe_break_bytes(6, b), RVPROBE_EINVAL);

    /* sd ra, 8(sp) at func+2: insn then ebreak */
    uint32_t sd = func[2] | func[3] << 8 | func[4] << 16 | (uint32_t)func[5] << 24;
    assert_int_equal(rvprobe_prepare_slot(sd, 4, slot), 8);
    assert_memory_equal(slot, func + 2, 4);
    static const uint8_t ebreak[4] = {0x73, 0x00, 0x10, 0x00};
    assert_memory_equal(slot + 4, ebreak, 4);
    /* c.slli s1, 1 at func+0: insn then c.ebreak */
    assert_int_equal(rvprobe_prepare_slot(func[0] | func[1] << 8, 2, slot), 4);
    assert_memory_equal(slot, func, 2);
    assert_int_equal(slot[2] | slot[3] << 8, 0x9002);
    /* the branch at func+6 is simulated, never stepped */
    uint32_t beq = func[6] | func[7] << 8 | func[8] << 16 | (uint32_t)func[9] << 24;
    assert_int_equal(rvprobe_prepare_slot(beq, 4, slot), RVPROBE_EREFUSED);
    assert_int_equal(rvprobe_prepare_slot(sd, 4, NULL), RVPROBE_EINVAL);
}

#include "table_tests.h"

int main(void)
{
    assemble_dcases(64);
    assemble_dcases(32);
    assemble_scases(64);
    assemble_scases(32);
    long n = rvp_assemble("rv64gc", FUNC_TEXT, func, sizeof func);
    if (n != FUNC_LEN) {
        fprintf(stderr, "test function assembled to %ld bytes, expected %d\n", n, FUNC_LEN);
        return 1;
    }

    static struct CMUnitTest drows[NDCASES], srows[NSCASES];
    static char dnames[NDCASES][96], snames[NSCASES][96];
    for (unsigned i = 0; i < NDCASES; i++) {
        snprintf(dnames[i], sizeof dnames[i], "rv%u %s", dcases[i].xlen, dcases[i].text);
        for (char *p = dnames[i]; *p; p++)
            if (*p == '\n')
                *p = ';';
        drows[i] = (struct CMUnitTest){dnames[i], test_decode_row, NULL, NULL, &dcases[i]};
    }
    for (unsigned i = 0; i < NSCASES; i++) {
        snprintf(snames[i], sizeof snames[i], "rv%u %s #%u", scases[i].xlen, scases[i].text, i);
        srows[i] = (struct CMUnitTest){snames[i], test_simulate_row, NULL, NULL, &scases[i]};
    }
    const struct CMUnitTest misc[] = {
        cmocka_unit_test(test_layout_reg_numbers),      cmocka_unit_test(test_decode_len_mismatch),
        cmocka_unit_test(test_simulate_refuses_others), cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_insn_len_all_prefixes),   cmocka_unit_test(test_slot_and_break_bytes),
    };
    int fails = 0;
    fails += _cmocka_run_group_tests("decode", drows, NDCASES, NULL, NULL);
    fails += _cmocka_run_group_tests("simulate", srows, NSCASES, NULL, NULL);
    fails += cmocka_run_group_tests_name("misc", misc, NULL, NULL);
    fails += cmocka_run_group_tests_name("table", table_tests, NULL, NULL);
    return fails ? 1 : 0;
}
