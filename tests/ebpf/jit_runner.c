/*
 * jit_runner.c - the JIT suite, built as a static rv64 Linux program and
 * run under qemu-riscv64 (Debian's qemu-user).
 *
 *  1. every row of insn_cases.h (expected values from RFC 9669) on the JIT;
 *  2. lddw with every bit position;
 *  3. differential testing: random structurally valid programs (forward
 *     jumps only, so they end; every other one with a local function it
 *     calls) on the interpreter and on the JIT; any difference in r0 (which
 *     folds in every register and stack slot) is a failure.  DIFF_N,
 *     DIFF_LEN and DIFF_MIN (shrink failures) help when one shows up;
 *  4. a branch whose target is farther than the 4 KiB B-type range.
 * Prints "N passed, N failed" for scripts/run-suite.sh.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "insn_cases.h"

static unsigned passed, failed;
static char arena[24 << 20];
static char err[256];
static uint32_t *code;
static int rvc = 1; /* compressed encodings (the default), or 32-bit only */
#define CODE_CAP (4u << 20)

static void flush(void *start, size_t len)
{
    __builtin___clear_cache((char *)start, (char *)start + len);
}

static uint64_t test_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            ebpf_vm *vm)
{
    (void)vm;
    return r1 << 32 ^ r2 << 24 ^ r3 << 16 ^ r4 << 8 ^ r5;
}

static ebpf_vm *load(const struct ebpf_insn *p, unsigned n)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    ebpf_register_helper(vm, TEST_HELPER_ID, test_helper, NULL);
    ebpf_set_icache_flush(vm, flush);
    ebpf_jit_set_rvc(vm, rvc);
    if (ebpf_load(vm, p, n))
        return NULL;
    return vm;
}

/* 0 on success; r0 in *out. */
static int run_jit(const struct ebpf_insn *p, unsigned n, uint8_t *mem, unsigned memlen,
                   uint64_t *out)
{
    ebpf_vm *vm = load(p, n);
    if (!vm || ebpf_jit_compile(vm, code, CODE_CAP, NULL))
        return -1;
    return ebpf_jit_exec(vm, memlen ? mem : NULL, memlen, out);
}

static int run_interp(const struct ebpf_insn *p, unsigned n, uint8_t *mem, unsigned memlen,
                      uint64_t *out)
{
    ebpf_vm *vm = load(p, n);
    if (!vm)
        return -1;
    ebpf_set_bounds_check(vm, 1);
    return ebpf_exec(vm, memlen ? mem : NULL, memlen, out);
}

static void check(const char *what, int r, uint64_t got, uint64_t want)
{
    if (r == 0 && got == want) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: r=%d got 0x%llx want 0x%llx %s\n", what, r, (unsigned long long)got,
           (unsigned long long)want, r ? err : "");
}

static int is_lddw(const struct ebpf_insn *in)
{
    return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* ---- random programs ---------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int32_t rnd_imm(void)
{
    static const int32_t edge[] = {
        0,      1,      -1,  2,     31,   32,  63, 64, 0x7fffffff, (int32_t)0x80000000,
        0xffff, 0x8000, 255, -2048, 2047, 4096};
    if (rnd() % 3 == 0)
        return edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
    return (int32_t)rnd();
}

static const uint8_t alu_ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND,  BPF_LSH,
                                  BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
static const uint8_t jmp_ops[] = {BPF_JEQ,  BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
                                  BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE};

/* Random straight-line code with forward jumps into p[n..n+len); when
 * calls is set, some instructions are local calls whose offsets are
 * patched later (their indices go to sites[]).  Returns the new n. */
static unsigned body(struct ebpf_insn *p, unsigned n, unsigned len, bool calls, unsigned *sites,
                     unsigned *nsites)
{
    unsigned body_end = n + len;
    while (n < body_end) {
        int d = (int)(rnd() % 10), s = (int)(rnd() % 10);
        unsigned kind = rnd() % 17;
        if (kind < 8) {
            uint8_t op = alu_ops[rnd() % sizeof(alu_ops)];
            uint8_t cls = rnd() % 2 ? BPF_ALU64 : BPF_ALU;
            struct ebpf_insn in = INSN(cls | op | (rnd() % 2 ? BPF_X : BPF_K), d, s, 0, rnd_imm());
            if (op == BPF_NEG)
                in.code = cls | op;
            if (op == BPF_END) {
                static const int w[] = {16, 32, 64};
                in.imm = w[rnd() % 3];
                if (cls == BPF_ALU64)
                    in.code = BPF_ALU64 | BPF_END;
            }
            if ((op == BPF_DIV || op == BPF_MOD) && rnd() % 2)
                in.off = 1;
            if (op == BPF_MOV && (in.code & BPF_X) && rnd() % 3 == 0) {
                static const int w[] = {8, 16, 32};
                in.off = (int16_t)w[rnd() % (cls == BPF_ALU64 ? 3 : 2)];
            }
            p[n++] = in;
        } else if (kind < 10) {
            uint8_t op = jmp_ops[rnd() % sizeof(jmp_ops)];
            uint8_t cls = rnd() % 2 ? BPF_JMP : BPF_JMP32;
            unsigned room = body_end - n - 1;
            int16_t off = room ? (int16_t)(rnd() % (room < 8 ? room : 8)) : 0;
            p[n++] = (struct ebpf_insn)INSN(cls | op | (rnd() % 2 ? BPF_X : BPF_K), d, s, off,
                                            rnd_imm());
        } else if (kind < 12) {
            static const uint8_t sz[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
            /* inside the 64 initialised bytes: off in [-64, -5], off + 8 <= 0 */
            int16_t off = (int16_t)(-8 * (int)(2 + rnd() % 7) + (int)(rnd() % 2 ? 0 : rnd() % 4));
            uint8_t z = sz[rnd() % 4];
            if (rnd() % 2)
                p[n++] = (struct ebpf_insn)LDX(z, d, 10, off);
            else if (z != BPF_DW && rnd() % 2)
                p[n++] = (struct ebpf_insn)LDXSX(z, d, 10, off);
            else if (rnd() % 2)
                p[n++] = (struct ebpf_insn)STX(z, 10, s, off);
            else
                p[n++] = (struct ebpf_insn)ST(z, 10, off, rnd_imm());
        } else if (kind < 14) {
            static const int32_t aops[] = {BPF_ADD,
                                           BPF_OR,
                                           BPF_AND,
                                           BPF_XOR,
                                           BPF_ADD | BPF_FETCH,
                                           BPF_OR | BPF_FETCH,
                                           BPF_AND | BPF_FETCH,
                                           BPF_XOR | BPF_FETCH,
                                           BPF_XCHG,
                                           BPF_CMPXCHG};
            bool dw = rnd() % 2;
            int16_t off = (int16_t)(-8 * (int)(1 + rnd() % 8) + (dw ? 0 : 4 * (int)(rnd() % 2)));
            p[n++] = (struct ebpf_insn)ATOMIC(dw ? BPF_DW : BPF_W, 10, s, off, aops[rnd() % 10]);
        } else if (kind == 14) {
            unsigned room = body_end - n;
            switch (rnd() % 4) {
            case 0:
                p[n++] = (struct ebpf_insn)MOV64_IMM(d, rnd_imm());
                break;
            case 1: /* mov + op: the JIT fuses the pair */
                if (room < 2)
                    break;
                p[n++] = (struct ebpf_insn)MOV64_REG(d, s);
                p[n++] = (struct ebpf_insn)INSN(BPF_ALU64 | alu_ops[rnd() % 8] |
                                                    (rnd() % 2 ? BPF_X : BPF_K),
                                                d, (int)(rnd() % 10), 0, rnd_imm());
                break;
            case 2: /* if c goto +1; goto L: the JIT inverts the branch */
                if (room < 3)
                    break;
                p[n] = (struct ebpf_insn)INSN((rnd() % 2 ? BPF_JMP : BPF_JMP32) |
                                                  jmp_ops[rnd() % sizeof(jmp_ops)] |
                                                  (rnd() % 2 ? BPF_X : BPF_K),
                                              d, s, 1, rnd_imm());
                n++;
                p[n] = rnd() % 2 ? (struct ebpf_insn)JA((int16_t)(rnd() % (room - 2)))
                                 : (struct ebpf_insn)JA32((int32_t)(rnd() % (room - 2)));
                n++;
                break;
            default:
                if (room < 2)
                    break;
                p[n] = (struct ebpf_insn)JA((int16_t)(rnd() % (room - 1)));
                n++;
            }
        } else {
            /* r1-r5 are undefined after a call (RFC 9669 4.3): reset them */
            if (kind == 16 && calls) {
                sites[(*nsites)++] = n;
                p[n++] = (struct ebpf_insn)CALL_LOCAL(0);
            } else {
                p[n++] = (struct ebpf_insn)CALL(TEST_HELPER_ID);
            }
            for (int r = 1; r <= 5; r++)
                p[n++] = (struct ebpf_insn)MOV64_IMM(r, r);
        }
    }
    return n;
}

static unsigned init_stack(struct ebpf_insn *p, unsigned n)
{
    for (int k = 1; k <= 8; k++)
        p[n++] = (struct ebpf_insn)ST(BPF_DW, 10, -8 * k, rnd_imm());
    return n;
}

/* r0 = a fold of every register and stack slot; exit. */
static unsigned fold(struct ebpf_insn *p, unsigned n)
{
    for (int r = 1; r <= 9; r++)
        p[n++] = (struct ebpf_insn)ALU64_REG(BPF_XOR, 0, r);
    for (int k = 1; k <= 8; k++) {
        p[n++] = (struct ebpf_insn)LDX(BPF_DW, 1, 10, -8 * k);
        p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_LSH, 0, 7);
        p[n++] = (struct ebpf_insn)ALU64_REG(BPF_XOR, 0, 1);
    }
    p[n++] = (struct ebpf_insn)EXIT;
    return n;
}

/* A random program of about `len` body slots; with_sub adds a local
 * function (its own stack frame) that the body calls. */
static unsigned gen(struct ebpf_insn *p, unsigned len, bool with_sub)
{
    unsigned n = 0, sites[256], nsites = 0;
    for (int r = 0; r <= 9; r++) {
        uint64_t v = rnd();
        if (rnd() % 4 == 0)
            v &= 0xff;
        struct ebpf_insn l[2] = {LD64(r, v)};
        p[n++] = l[0];
        p[n++] = l[1];
    }
    n = init_stack(p, n);
    n = body(p, n, len, with_sub, sites, &nsites);
    n = fold(p, n);
    if (!with_sub)
        return n;
    unsigned sub = n;
    n = init_stack(p, n);
    n = body(p, n, 10 + (unsigned)(rnd() % 40), false, NULL, NULL);
    n = fold(p, n);
    for (unsigned i = 0; i < nsites; i++)
        p[sites[i]].imm = (int32_t)(sub - sites[i] - 1);
    return n;
}

static void differential(unsigned count)
{
    static struct ebpf_insn p[1200];
    unsigned mism = 0;
    for (unsigned i = 0; i < count; i++) {
        unsigned n = gen(p,
                         getenv("DIFF_LEN") ? (unsigned)atoi(getenv("DIFF_LEN"))
                                            : 20 + (unsigned)(rnd() % 200),
                         i % 2);
        uint64_t a = 0, b = 0;
        int ra = run_interp(p, n, NULL, 0, &a);
        int rb = run_jit(p, n, NULL, 0, &b);
        if (ra || rb || a != b) {
            if (getenv("DIFF_MIN")) { /* shrink: turn instructions into no-ops */
                for (unsigned k = 28; k < n; k++) {
                    struct ebpf_insn keep = p[k];
                    if (keep.code == (BPF_JMP | BPF_EXIT) || keep.code == 0 ||
                        (k && is_lddw(&p[k - 1])))
                        continue;
                    p[k] = (struct ebpf_insn)MOV64_REG(0, 0);
                    ra = run_interp(p, n, NULL, 0, &a);
                    rb = run_jit(p, n, NULL, 0, &b);
                    if (!ra && !rb && a == b)
                        p[k] = keep;
                }
            }
            if (mism++ < 5) {
                printf("FAIL differential program %u (%u insns): interp r=%d 0x%llx, jit r=%d "
                       "0x%llx %s\n",
                       i, n, ra, (unsigned long long)a, rb, (unsigned long long)b, err);
                for (unsigned k = 0; k < n; k++) {
                    char t[96];
                    ebpf_disasm(p, n, k, t, sizeof(t));
                    printf("   %u: %s\n", k, t);
                }
            }
        }
    }
    printf("differential: %u programs, %u mismatches\n", count, mism);
    if (mism)
        failed++;
    else
        passed++;
}

/* A conditional branch over ~12 KiB of code takes the long form. */
static void far_branch(void)
{
    static struct ebpf_insn p[4000];
    unsigned n = 0;
    p[n++] = (struct ebpf_insn)MOV64_IMM(0, 1);
    p[n++] = (struct ebpf_insn)MOV64_IMM(1, 5);
    p[n++] = (struct ebpf_insn)JMP_IMM(BPF_JEQ, 1, 5, 3000);
    for (int i = 0; i < 3000; i++)
        p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_ADD, 0, 1);
    p[n++] = (struct ebpf_insn)EXIT; /* insn 3003: the target; falling through gives 3001 */
    uint64_t r0 = 0;
    int r = run_jit(p, n, NULL, 0, &r0);
    check("far forward branch", r, r0, 1);
    /* and a far backward branch that is taken once */
    n = 0;
    p[n++] = (struct ebpf_insn)MOV64_IMM(0, 0);
    p[n++] = (struct ebpf_insn)MOV64_IMM(1, 2);
    for (int i = 0; i < 2000; i++)
        p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_ADD, 0, 1);
    p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_SUB, 1, 1);
    p[n++] = (struct ebpf_insn)JMP_IMM(BPF_JNE, 1, 0, -2002);
    p[n++] = (struct ebpf_insn)EXIT;
    r = run_jit(p, n, NULL, 0, &r0);
    check("far backward branch", r, r0, 4000);
}

/* Jumps and calls beyond jal's +-1 MiB reach: gotol and a local call over
 * 300,000 instructions (1.2 MB of code) take the auipc + jalr form. */
static void far_jal(void)
{
    enum { FILL = 300000 };
    static struct ebpf_insn p[FILL + 8];
    unsigned n = 0;
    p[n++] = (struct ebpf_insn)MOV64_IMM(0, 1);
    p[n++] = (struct ebpf_insn)JA32(FILL);
    for (int i = 0; i < FILL; i++)
        p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_ADD, 0, 1);
    p[n++] = (struct ebpf_insn)EXIT;
    uint64_t r0 = 0;
    int r = run_jit(p, n, NULL, 0, &r0);
    check("gotol beyond 1 MiB", r, r0, 1);

    n = 0;
    p[n++] = (struct ebpf_insn)MOV64_IMM(1, 41);
    p[n++] = (struct ebpf_insn)CALL_LOCAL(FILL + 1);
    p[n++] = (struct ebpf_insn)EXIT;
    for (int i = 0; i < FILL - 1; i++)
        p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_ADD, 0, 1);
    p[n++] = (struct ebpf_insn)EXIT;
    /* the callee, 300,001 instructions after the call */
    p[n++] = (struct ebpf_insn)MOV64_REG(0, 1);
    p[n++] = (struct ebpf_insn)ALU64_IMM(BPF_ADD, 0, 1);
    p[n++] = (struct ebpf_insn)EXIT;
    r = run_jit(p, n, NULL, 0, &r0);
    check("local call beyond 1 MiB", r, r0, 42);
}

/* Map and ring buffer helpers called from compiled code. */
static void jit_maps(void)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    struct ebpf_map_def a = {BPF_MAP_TYPE_ARRAY, 4, 8, 4}, rb = {BPF_MAP_TYPE_RINGBUF, 0, 0, 256};
    ebpf_map *arr = ebpf_map_create(vm, &a, "arr"), *ring = ebpf_map_create(vm, &rb, "rb");
    ebpf_register_map_helpers(vm);
    ebpf_set_icache_flush(vm, flush);
    /* v = lookup(arr, 2); *v += 5; reserve 8; *rec = *v; submit; return *v */
    struct ebpf_insn p[] = {MOV64_IMM(6, 0),
                            ST(BPF_W, 10, -4, 2),
                            MOV64_REG(2, 10),
                            ALU64_IMM(BPF_ADD, 2, -4),
                            LD_MAP(1, 0),
                            CALL(BPF_FUNC_map_lookup_elem),
                            JMP_IMM(BPF_JEQ, 0, 0, 13),
                            LDX(BPF_DW, 6, 0, 0),
                            ALU64_IMM(BPF_ADD, 6, 5),
                            STX(BPF_DW, 0, 6, 0),
                            LD_MAP(1, 1),
                            MOV64_IMM(2, 8),
                            MOV64_IMM(3, 0),
                            CALL(BPF_FUNC_ringbuf_reserve),
                            JMP_IMM(BPF_JEQ, 0, 0, 4),
                            STX(BPF_DW, 0, 6, 0),
                            MOV64_REG(1, 0),
                            MOV64_IMM(2, 0),
                            CALL(BPF_FUNC_ringbuf_submit),
                            MOV64_REG(0, 6),
                            EXIT};
    uint64_t r0 = 0;
    int r = ebpf_load(vm, p, sizeof(p) / sizeof(p[0]));
    struct ebpf_verify_opts o = {0};
    if (!r)
        r = ebpf_verify(vm, &o);
    ebpf_set_bounds_check(vm, 1); /* must not get in the compiled code's way */
    if (!r)
        r = ebpf_jit_compile(vm, code, CODE_CAP, NULL);
    if (r)
        check("jit map program", r, 0, 0);
    for (int i = 1; !r && i <= 2; i++) {
        r = ebpf_jit_exec(vm, NULL, 0, &r0);
        check("jit map helpers", r, r0, 5u * (unsigned)i);
    }
    uint32_t k = 2;
    uint64_t *v = ebpf_map_lookup(arr, &k), rec = 0;
    check("jit map value", v ? 0 : -1, v ? *v : 0, 10);
    long n1 = ebpf_ringbuf_consume(ring, &rec, 8);
    check("jit ringbuf record 1", n1 == 8 ? 0 : -1, rec, 5);
    long n2 = ebpf_ringbuf_consume(ring, &rec, 8);
    check("jit ringbuf record 2", n2 == 8 ? 0 : -1, rec, 10);

    /* lddw BPF_PSEUDO_MAP_VALUE (how globals are reached: a one-element
     * array); add 1 to the u64 at byte 8 through the direct pointer */
    ebpf_vm *vm2 = ebpf_create(arena + (4 << 20), sizeof(arena) - (4 << 20), err, sizeof(err));
    struct ebpf_map_def g = {BPF_MAP_TYPE_ARRAY, 4, 16, 1};
    ebpf_map *glob = ebpf_map_create(vm2, &g, ".data");
    k = 0;
    v = ebpf_map_lookup(glob, &k);
    v[1] = 10;
    struct ebpf_insn q[] = {LD_MAP_VALUE(1, 0, 8), LDX(BPF_DW, 0, 1, 0), ALU64_IMM(BPF_ADD, 0, 1),
                            STX(BPF_DW, 1, 0, 0), EXIT};
    r = ebpf_load(vm2, q, sizeof(q) / sizeof(q[0]));
    if (!r)
        r = ebpf_verify(vm2, &o);
    if (!r)
        r = ebpf_jit_compile(vm2, code, CODE_CAP, NULL);
    if (!r)
        r = ebpf_jit_exec(vm2, NULL, 0, &r0);
    check("jit lddw map value", r, r0, 11);
    v++;
    check("jit store through map value", 0, *v, 11);
}

/* bpf_tail_call in compiled code (issue 18): the caller jumps to the
 * target's compiled code with the same ctx and never comes back; an empty
 * slot falls through; a program calling itself stops after 33 tail calls. */
static void jit_tail_calls(void)
{
    for (int c = 0; c < 2; c++) {
        rvc = c;
        ebpf_vm *a = ebpf_create(arena, 8 << 20, err, sizeof(err));
        ebpf_vm *b = ebpf_create(arena + (8 << 20), 8 << 20, err, sizeof(err));
        struct ebpf_map_def pd = {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2};
        struct ebpf_map_def cd = {BPF_MAP_TYPE_ARRAY, 4, 8, 1};
        ebpf_map *pa = ebpf_map_create(a, &pd, "jmp"), *cnt = ebpf_map_create(a, &cd, "cnt");
        ebpf_map_share(b, pa);
        ebpf_map_share(b, cnt);
        ebpf_vm *vms[2] = {a, b};
        for (int i = 0; i < 2; i++) {
            ebpf_register_map_helpers(vms[i]);
            ebpf_set_icache_flush(vms[i], flush);
            ebpf_jit_set_rvc(vms[i], rvc);
        }
        /* a: cnt += 1; tail_call(ctx, jmp, ctx[0]); return 7
         * b: return ctx[1] + 100 (the ctx reached it) */
        struct ebpf_insn pa_prog[] = {
            MOV64_REG(6, 1),       ST(BPF_W, 10, -4, 0),  LD_MAP(1, 1),
            MOV64_REG(2, 10),      ALU64_IMM(BPF_ADD, 2, -4), CALL(BPF_FUNC_map_lookup_elem),
            JMP_IMM(BPF_JEQ, 0, 0, 2), MOV64_IMM(1, 1), ATOMIC(BPF_DW, 0, 1, 0, BPF_ADD),
            MOV64_REG(1, 6),       LDX(BPF_DW, 3, 6, 0),  LD_MAP(2, 0),
            CALL(BPF_FUNC_tail_call), MOV64_IMM(0, 7), EXIT,
        };
        struct ebpf_insn pb_prog[] = {LDX(BPF_DW, 0, 1, 8), ALU64_IMM(BPF_ADD, 0, 100), EXIT};
        struct ebpf_verify_opts o = {.ctx_size = 16};
        int r = ebpf_load(a, pa_prog, sizeof(pa_prog) / sizeof(pa_prog[0]));
        if (!r)
            r = ebpf_verify(a, &o);
        if (!r)
            r = ebpf_load(b, pb_prog, 3);
        if (!r)
            r = ebpf_verify(b, &o);
        if (!r)
            r = ebpf_jit_compile(a, code, CODE_CAP / 2, NULL);
        if (!r)
            r = ebpf_jit_compile(b, (uint8_t *)code + CODE_CAP / 2, CODE_CAP / 2, NULL);
        if (!r)
            r = ebpf_prog_array_set(pa, 0, b) | ebpf_prog_array_set(pa, 1, a);
        uint64_t ctx[2] = {0, 5}, r0 = 0;
        if (!r)
            r = ebpf_jit_exec(a, ctx, sizeof ctx, &r0);
        check("jit tail call to another program", r, r0, 105);
        ctx[0] = 7; /* out of range: falls through */
        r = ebpf_jit_exec(a, ctx, sizeof ctx, &r0);
        check("jit tail call out of range", r, r0, 7);
        uint32_t k = 0;
        uint64_t zero = 0;
        ebpf_map_update(cnt, &k, &zero, BPF_ANY);
        ctx[0] = 1; /* a calls itself: 1 run + 33 tail calls, then falls through */
        r = ebpf_jit_exec(a, ctx, sizeof ctx, &r0);
        check("jit tail call limit return", r, r0, 7);
        check("jit tail call limit count", 0, *(uint64_t *)ebpf_map_lookup(cnt, &k), 34);
        ebpf_prog_array_set(pa, 0, NULL);
        ctx[0] = 0;
        r = ebpf_jit_exec(a, ctx, sizeof ctx, &r0);
        check("jit tail call empty slot", r, r0, 7);
    }
}

int main(void)
{
    code = mmap(NULL, CODE_CAP, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    for (rvc = 0; rvc < 2; rvc++) { /* 32-bit only, then with RVC */
        for (unsigned i = 0; i < N_INSN_CASES; i++) {
            const struct insn_case *c = &insn_cases[i];
            uint64_t mem[2];
            uint64_t r0 = 0;
            memcpy(mem, c->mem, sizeof(mem));
            int r = run_jit(c->prog, c->n, (uint8_t *)mem, c->memlen, &r0);
            check(c->name, r, r0, c->expect);
        }
        for (int bit = 0; bit < 64; bit++) {
            struct ebpf_insn p[] = {LD64(0, 1ull << bit), EXIT};
            struct ebpf_insn q[] = {LD64(0, ~(1ull << bit)), EXIT};
            uint64_t r0 = 0;
            int r = run_jit(p, 3, NULL, 0, &r0);
            check("lddw bit", r, r0, 1ull << bit);
            r = run_jit(q, 3, NULL, 0, &r0);
            check("lddw ~bit", r, r0, ~(1ull << bit));
        }
    }
    rvc = 0;
    differential(1000);
    rvc = 1;
    far_branch();
    far_jal();
    jit_maps();
    jit_tail_calls();
    differential(getenv("DIFF_N") ? (unsigned)atoi(getenv("DIFF_N")) : 10000);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
