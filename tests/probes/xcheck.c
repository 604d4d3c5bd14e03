/*
 * xcheck.c - rvprobe_simulate against the real CPU (QEMU's RISC-V model)
 * under qemu-riscv64 user-mode emulation.
 *
 * For random encodings of every SIMULATE instruction form, the harness
 * loads a known register state, lets the emulated hart execute the
 * instruction, and compares every register and the pc with what
 * rvprobe_simulate computes from the same state.  The same harness checks
 * that STEP instructions give the same result in place and in a slot built
 * by rvprobe_prepare_slot at another address (so "STEP runs anywhere"), and
 * that the RV64 c.jal encoding really is c.addiw (it does not jump).
 *
 * How a state is loaded without clobbering anything: an ebreak traps into a
 * SIGTRAP handler (on an alternate stack), which writes the wanted registers
 * and pc into the signal frame; returning from the handler (sigreturn)
 * loads them all.  The code region is filled with c.ebreak, so wherever the
 * instruction goes, the next trap comes straight back with the registers in
 * the frame.  gp and tp keep their real values (the handler needs them).
 * Prints "N passed, N failed".
 */
#define _GNU_SOURCE
#include <asm/ptrace.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "rvprobe.h"

/* The engine's register file is Linux's user_regs_struct and the signal
   frame's __gregs, word for word. */
_Static_assert(sizeof(struct rvprobe_regs) == sizeof(struct user_regs_struct), "size");
_Static_assert(__builtin_offsetof(struct rvprobe_regs, t6) ==
                   __builtin_offsetof(struct user_regs_struct, t6),
               "t6");
_Static_assert(__builtin_offsetof(struct rvprobe_regs, a0) ==
                   __builtin_offsetof(struct user_regs_struct, a0),
               "a0");
_Static_assert(sizeof(((mcontext_t *)0)->__gregs) == RVPROBE_REGS_SIZE, "gregs");

#define REGION (4u << 20)
static uint8_t *region, *P;
static volatile int phase;
static struct rvprobe_regs want, got;
static volatile int got_sig;
static sigjmp_buf env;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
    (void)si;
    ucontext_t *uc = ucv;
    unsigned long *g = uc->uc_mcontext.__gregs;
    if (phase == 0 && sig == SIGTRAP) {
        phase = 1;
        want.gp = g[3];
        want.tp = g[4];
        memcpy(g, &want, sizeof want);
        return; /* sigreturn loads every register and pc = want.pc */
    }
    memcpy(&got, g, sizeof got);
    got_sig = sig;
    siglongjmp(env, 1);
}

/* Runs the code at regs.pc from state *in; *out gets the state at the next
   trap.  Returns the signal that ended it. */
static int run(const struct rvprobe_regs *in, struct rvprobe_regs *out)
{
    want = *in;
    phase = 0;
    if (sigsetjmp(env, 1) == 0)
        __asm__ volatile("ebreak" ::: "memory");
    *out = got;
    return got_sig;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void put(uint8_t *at, uint32_t insn, unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        at[i] = (uint8_t)(insn >> (8 * i));
    __builtin___clear_cache((char *)at, (char *)at + len);
}

static void wipe(uint8_t *at, unsigned len)
{
    for (unsigned i = 0; i < len; i += 2)
        put(at + i, RVPROBE_C_EBREAK, 2);
}

static void random_regs(struct rvprobe_regs *r)
{
    static const uint64_t edge[] = {
        0, 1, ~0ull, 0x8000000000000000ull, 0x7fffffffffffffffull, 0xffffffffull, 0x80000000ull};
    for (unsigned n = 1; n < 32; n++) {
        uint64_t v = rnd();
        if ((v & 7) == 0)
            v = edge[(v >> 3) % (sizeof edge / sizeof edge[0])];
        rvprobe_reg_set(r, n, v);
    }
}

static int passed, failed;

static void compare(const char *what, uint32_t insn, const struct rvprobe_regs *in,
                    const struct rvprobe_regs *hw, const struct rvprobe_regs *sim, int sig)
{
    if (sig == SIGTRAP && !memcmp(hw, sim, sizeof *hw)) {
        passed++;
        return;
    }
    if (failed++ >= 10)
        return;
    printf("MISMATCH %s %08x (signal %d) pc in %#lx hw %#lx sim %#lx\n", what, insn, sig,
           (unsigned long)in->pc, (unsigned long)hw->pc, (unsigned long)sim->pc);
    for (unsigned n = 1; n < 32; n++)
        if (rvprobe_reg_get(hw, n) != rvprobe_reg_get(sim, n))
            printf("  x%u: hw %#lx sim %#lx\n", n, (unsigned long)rvprobe_reg_get(hw, n),
                   (unsigned long)rvprobe_reg_get(sim, n));
}

/* A random encoding of SIMULATE op `op`, or 0 to retry. */
static uint32_t gen_sim(int op, unsigned *len)
{
    uint32_t r = (uint32_t)rnd();
    uint32_t rs1 = 1 + (uint32_t)(rnd() % 31);
    *len = 4;
    switch (op) {
    case RVPROBE_OP_AUIPC:
        return (r & ~0x7fu) | 0x17;
    case RVPROBE_OP_JAL:
        return (r & ~0x7fu) | 0x6f;
    case RVPROBE_OP_JALR:
        return (r & ~0x707fu) | 0x67;
    case RVPROBE_OP_BEQ:
    case RVPROBE_OP_BNE:
    case RVPROBE_OP_BLT:
    case RVPROBE_OP_BGE:
    case RVPROBE_OP_BLTU:
    case RVPROBE_OP_BGEU: {
        static const uint32_t f3[] = {0, 1, 4, 5, 6, 7};
        return (r & ~0x707fu) | f3[op - RVPROBE_OP_BEQ] << 12 | 0x63;
    }
    case RVPROBE_OP_ADDI: /* funct3 0 */
        return (r & ~0x707fu) | 0x13;
    case RVPROBE_OP_ADD: /* funct7 0, funct3 0: rs2, rs1, rd random */
        return (r & 0x01ff8f80u) | 0x33;
    }
    *len = 2;
    r &= 0xffff;
    switch (op) {
    case RVPROBE_OP_C_J:
        return (r & ~0xe003u) | 0xa001;
    case RVPROBE_OP_C_JR:
        return 0x8002 | rs1 << 7;
    case RVPROBE_OP_C_JALR:
        return 0x9002 | rs1 << 7;
    case RVPROBE_OP_C_BEQZ:
        return (r & ~0xe003u) | 0xc001;
    case RVPROBE_OP_C_BNEZ:
        return (r & ~0xe003u) | 0xe001;
    case RVPROBE_OP_C_ADDI: /* quadrant 1, funct3 000: rd and imm random */
        return (r & 0x1ffcu) | 0x0001;
    case RVPROBE_OP_C_LI: /* funct3 010 */
        return (r & 0x1ffcu) | 0x4001;
    case RVPROBE_OP_C_ADDI16SP: /* funct3 011, rd = sp: imm bits 12 and 6:2 random */
        return (r & 0x107cu) | 0x6101;
    case RVPROBE_OP_C_MV: /* quadrant 2, funct4 1000: rd, rs2 random (rs2 0 is c.jr) */
        return (r & 0x0ffcu) | 0x8002;
    case RVPROBE_OP_C_ADD: /* funct4 1001 (rs2 0 is c.jalr / c.ebreak) */
        return (r & 0x0ffcu) | 0x9002;
    }
    return 0;
}

static void check_simulate(int op, const char *name, int count)
{
    for (int done = 0; done < count;) {
        unsigned len;
        uint32_t insn = gen_sim(op, &len);
        struct rvprobe_insn d;
        if (rvprobe_decode(insn, len, 64, &d) != RVPROBE_SIMULATE || d.op != op)
            continue;
        /* gp and tp must keep their real values; x0 as a jump base points
           at low memory */
        if (d.rd == 3 || d.rd == 4)
            continue;
        int indirect = op == RVPROBE_OP_JALR || op == RVPROBE_OP_C_JR || op == RVPROBE_OP_C_JALR;
        if (indirect && (d.rs1 == 0 || d.rs1 == 3 || d.rs1 == 4))
            continue;
        struct rvprobe_regs in = {0}, sim, hw;
        random_regs(&in);
        in.pc = (uint64_t)(uintptr_t)P;
        if (indirect) /* a target inside the region, odd half the time */
            rvprobe_reg_set(&in, d.rs1, in.pc + (rnd() % 0x100000) - 0x80000 - (uint64_t)d.imm);
        if (d.rs2 && (rnd() & 3) == 0 && op >= RVPROBE_OP_BEQ && op <= RVPROBE_OP_BGEU)
            rvprobe_reg_set(&in, d.rs2, rvprobe_reg_get(&in, d.rs1));
        in.gp = want.gp, in.tp = want.tp; /* the real ones, from the last run */
        sim = in;
        if (rvprobe_simulate(insn, len, &sim) != 0) {
            failed++;
            printf("simulate refused %s %08x\n", name, insn);
            continue;
        }
        if (sim.pc >= in.pc && sim.pc < in.pc + len)
            continue; /* a jump to itself would never trap */
        put(P, insn, len);
        int sig = run(&in, &hw);
        wipe(P, len);
        in.gp = hw.gp, in.tp = hw.tp;
        sim = in;
        rvprobe_simulate(insn, len, &sim);
        compare(name, insn, &in, &hw, &sim, sig);
        done++;
    }
}

/* A random register-only STEP instruction (ALU, immediates), or 0. */
static uint32_t gen_step(unsigned *len)
{
    static const uint32_t major[] = {0x13, 0x1b, 0x33, 0x3b, 0x37};
    uint32_t r = (uint32_t)rnd();
    if (r & 1) {
        *len = 4;
        return (r & ~0x7fu) | major[(r >> 1) % 5];
    }
    *len = 2;
    r &= 0xffff;
    switch ((r >> 1) % 4) {
    case 0: /* quadrant 1: c.addi c.addiw c.li c.lui/addi16sp c.srli..c.and */
        return (r & 0x9fffu) | ((r >> 5) % 5) << 13 | 1;
    case 1:
        return (r & 0x1ffcu) | 0x0002; /* c.slli */
    case 2:
        return (r & 0x1ffcu) | 0x8002; /* c.mv / c.add (rs2 != 0 filtered) */
    default:
        return (r & 0x1ffcu) | 0x2001; /* c.addiw on RV64 (c.jal on RV32) */
    }
}

static void check_step(int count)
{
    uint8_t *Q = P + 0x1000; /* the slot, somewhere else in the region */
    for (int done = 0; done < count;) {
        unsigned len;
        uint32_t insn = gen_step(&len);
        struct rvprobe_insn d;
        if (rvprobe_decode(insn, len, 64, &d) != RVPROBE_STEP)
            continue;
        unsigned rd = (insn >> 7) & 31; /* rd/rs1 of every format used */
        if (rd == 3 || rd == 4)
            continue;
        struct rvprobe_regs in = {0}, a, b;
        random_regs(&in);
        in.pc = (uint64_t)(uintptr_t)P;
        put(P, insn, len);
        int sa = run(&in, &a);
        wipe(P, len);

        uint8_t slot[RVPROBE_SLOT_SIZE];
        int n = rvprobe_prepare_slot(insn, len, slot);
        in.pc = (uint64_t)(uintptr_t)Q;
        for (int i = 0; i < n; i += 2)
            put(Q + i, (uint32_t)(slot[i] | slot[i + 1] << 8), 2);
        int sb = run(&in, &b);
        wipe(Q, RVPROBE_SLOT_SIZE);
        /* in place the hart stops at P+len; in the slot at the slot's own
           break (Q+len), which the engine maps back to P+len */
        int ok = n == (int)len + (len == 2 ? 2 : 4) && sa == SIGTRAP && sb == SIGTRAP &&
                 a.pc == (uint64_t)(uintptr_t)P + len && b.pc == (uint64_t)(uintptr_t)Q + len;
        b.pc = a.pc;
        if (ok && !memcmp(&a, &b, sizeof a)) {
            passed++;
        } else if (failed++ < 10) {
            printf("MISMATCH step %s %08x in place vs slot (signals %d %d)\n", d.name, insn, sa,
                   sb);
        }
        done++;
    }
}

/* 0x2801 is c.jal on RV32; on RV64 the hart must run it as c.addiw a6, 0. */
static void check_c_addiw(void)
{
    struct rvprobe_regs in = {0}, hw;
    random_regs(&in);
    in.pc = (uint64_t)(uintptr_t)P;
    in.a6 = 0x12345678ffffffffull;
    put(P, 0x2801, 2);
    int sig = run(&in, &hw);
    wipe(P, 2);
    struct rvprobe_insn d;
    int ok = sig == SIGTRAP && hw.pc == in.pc + 2 && hw.ra == in.ra && hw.a6 == ~0ull &&
             rvprobe_decode(0x2801, 2, 64, &d) == RVPROBE_STEP && !strcmp(d.name, "c.addiw");
    ok ? passed++ : failed++;
    if (!ok)
        printf("MISMATCH c.addiw: pc %#lx a6 %#lx\n", (unsigned long)hw.pc, (unsigned long)hw.a6);
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 400;
    region =
        mmap(NULL, REGION, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    P = region + REGION / 2;
    wipe(region, REGION);

    static uint8_t altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {.sa_sigaction = on_trap, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    /* one harmless run first to learn the real gp and tp */
    struct rvprobe_regs in = {0}, out;
    in.pc = (uint64_t)(uintptr_t)P;
    run(&in, &out);

    static const struct {
        int op;
        const char *name;
    } ops[] = {
        {RVPROBE_OP_AUIPC, "auipc"},   {RVPROBE_OP_JAL, "jal"},      {RVPROBE_OP_JALR, "jalr"},
        {RVPROBE_OP_BEQ, "beq"},       {RVPROBE_OP_BNE, "bne"},      {RVPROBE_OP_BLT, "blt"},
        {RVPROBE_OP_BGE, "bge"},       {RVPROBE_OP_BLTU, "bltu"},    {RVPROBE_OP_BGEU, "bgeu"},
        {RVPROBE_OP_C_J, "c.j"},       {RVPROBE_OP_C_JR, "c.jr"},    {RVPROBE_OP_C_JALR, "c.jalr"},
        {RVPROBE_OP_C_BEQZ, "c.beqz"}, {RVPROBE_OP_C_BNEZ, "c.bnez"}, {RVPROBE_OP_ADDI, "addi"},
        {RVPROBE_OP_ADD, "add"},       {RVPROBE_OP_C_ADDI, "c.addi"}, {RVPROBE_OP_C_LI, "c.li"},
        {RVPROBE_OP_C_ADDI16SP, "c.addi16sp"}, {RVPROBE_OP_C_MV, "c.mv"}, {RVPROBE_OP_C_ADD, "c.add"}};
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        int before = failed;
        check_simulate(ops[i].op, ops[i].name, count);
        printf("simulate %-10s %d random encodings: %s\n", ops[i].name, count,
               failed == before ? "match the hardware" : "MISMATCH");
    }
    int before = failed;
    check_step(count * 4);
    printf("step in a slot  %d random ALU encodings: %s\n", count * 4,
           failed == before ? "same result as in place" : "MISMATCH");
    check_c_addiw();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
