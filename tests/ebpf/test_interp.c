/*
 * test_interp.c - RFC 9669 instruction semantics on the interpreter (both
 * the trusted and the bounds-checked loop), plus the loader's structural
 * checks and the bounds-checked mode's runtime errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "insn_cases.h"

static uint64_t test_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            ebpf_vm *vm)
{
    (void)vm;
    return r1 << 32 ^ r2 << 24 ^ r3 << 16 ^ r4 << 8 ^ r5;
}

static const struct ebpf_helper_proto test_proto = {"test_mix",
                                                    EBPF_RET_INTEGER,
                                                    {EBPF_ARG_ANYTHING, EBPF_ARG_ANYTHING,
                                                     EBPF_ARG_ANYTHING, EBPF_ARG_ANYTHING,
                                                     EBPF_ARG_ANYTHING}};

static char arena[1 << 20];
static char err[256];

static ebpf_vm *new_vm(void)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    assert_non_null(vm);
    assert_int_equal(ebpf_register_helper(vm, TEST_HELPER_ID, test_helper, &test_proto), 0);
    return vm;
}

/* Runs a program; returns the ebpf_exec result, r0 in *r0. */
static int run(const struct ebpf_insn *p, unsigned n, const uint8_t *mem, unsigned memlen,
               int checked, uint64_t *r0)
{
    ebpf_vm *vm = new_vm();
    uint8_t buf[16];
    int r = ebpf_load(vm, p, n);
    if (r)
        return r;
    ebpf_set_bounds_check(vm, checked);
    if (memlen)
        memcpy(buf, mem, memlen);
    return ebpf_exec(vm, memlen ? buf : NULL, memlen, r0);
}

/* One cmocka test per table row, on both interpreter loops. */
static void test_case(void **state)
{
    const struct insn_case *c = *state;
    for (int checked = 0; checked < 2; checked++) {
        uint64_t r0 = 0xdead;
        int r = run(c->prog, c->n, c->mem, c->memlen, checked, &r0);
        if (r)
            fail_msg("%s (%s): error %d: %s", c->name, checked ? "checked" : "trusted", r, err);
        if (r0 != c->expect)
            fail_msg("%s (%s): r0=0x%llx, want 0x%llx", c->name, checked ? "checked" : "trusted",
                     (unsigned long long)r0, (unsigned long long)c->expect);
    }
}

/* RFC 9669 5.4: every bit position of the 64-bit immediate survives. */
static void test_lddw_every_bit(void **state)
{
    (void)state;
    for (int bit = 0; bit < 64; bit++) {
        uint64_t v = 1ull << bit;
        struct ebpf_insn p[] = {LD64(0, v), EXIT};
        uint64_t r0 = 0;
        assert_int_equal(run(p, 3, NULL, 0, 1, &r0), 0);
        assert_int_equal(r0, v);
        struct ebpf_insn q[] = {LD64(0, ~v), EXIT};
        assert_int_equal(run(q, 3, NULL, 0, 0, &r0), 0);
        assert_int_equal(r0, ~v);
    }
}

static void expect_load_error(const struct ebpf_insn *p, unsigned n, int insn, const char *what)
{
    ebpf_vm *vm = new_vm();
    int r = ebpf_load(vm, p, n);
    if (r == 0)
        fail_msg("loaded although: %s", what);
    assert_int_equal(ebpf_error_insn(vm), insn);
    if (!strstr(ebpf_error(vm), what))
        fail_msg("error '%s' does not mention '%s'", ebpf_error(vm), what);
}

static void test_load_rejects(void **state)
{
    (void)state;
    struct ebpf_insn jump_out[] = {JA(5), EXIT};
    expect_load_error(jump_out, 2, 0, "jump out of range");
    struct ebpf_insn jump_back[] = {JA(-2), EXIT};
    expect_load_error(jump_back, 2, 0, "jump out of range");
    struct ebpf_insn into_lddw[] = {JA(1), LD64(0, 1), EXIT};
    expect_load_error(into_lddw, 4, 0, "middle of ldimm64");
    struct ebpf_insn lddw_last[] = {MOV64_IMM(0, 0), EXIT,
                                    INSN(BPF_LD | BPF_DW | BPF_IMM, 0, 0, 0, 1)};
    expect_load_error(lddw_last, 3, 2, "invalid lddw");
    struct ebpf_insn bad_op[] = {INSN(0xff, 0, 0, 0, 0), EXIT};
    expect_load_error(bad_op, 2, 0, "unknown opcode");
    struct ebpf_insn bad_reg[] = {MOV64_IMM(11, 0), EXIT};
    expect_load_error(bad_reg, 2, 0, "invalid register");
    struct ebpf_insn bad_swap[] = {TO_BE(0, 8), EXIT};
    expect_load_error(bad_swap, 2, 0, "byte swap");
    struct ebpf_insn bad_movsx[] = {MOVSX32(0, 1, 32), EXIT};
    expect_load_error(bad_movsx, 2, 0, "movsx");
    struct ebpf_insn bad_atomic[] = {ATOMIC(BPF_DW, 10, 1, -8, 0x10), EXIT};
    expect_load_error(bad_atomic, 2, 0, "atomic");
    struct ebpf_insn atomic_byte[] = {ATOMIC(BPF_B, 10, 1, -8, BPF_ADD), EXIT};
    expect_load_error(atomic_byte, 2, 0, "unknown opcode");
    struct ebpf_insn fall_off[] = {MOV64_IMM(0, 0)};
    expect_load_error(fall_off, 1, 0, "last insn");
    struct ebpf_insn call_out[] = {CALL_LOCAL(7), EXIT};
    expect_load_error(call_out, 2, 0, "out of range");
    struct ebpf_insn cross[] = {CALL_LOCAL(2), JA(1), EXIT, MOV64_IMM(0, 0), EXIT};
    expect_load_error(cross, 5, 1, "jump out of function");
    struct ebpf_insn legacy[] = {INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0), EXIT};
    expect_load_error(legacy, 2, 0, "legacy");
    struct ebpf_insn nomap[] = {LD_MAP(1, 3), MOV64_IMM(0, 0), EXIT};
    expect_load_error(nomap, 4, 0, "valid bpf_map");
    {
        ebpf_vm *vm = new_vm();
        struct ebpf_map_def d = {BPF_MAP_TYPE_ARRAY, 4, 8, 2};
        assert_non_null(ebpf_map_create(vm, &d, "two"));
        struct ebpf_insn direct[] = {LD_MAP_VALUE(1, 0, 0), MOV64_IMM(0, 0), EXIT};
        assert_int_not_equal(ebpf_load(vm, direct, 4), 0); /* not a one-element array */
        assert_non_null(strstr(ebpf_error(vm), "invalid direct value access"));
    }
}

static void expect_run_error(const struct ebpf_insn *p, unsigned n, int insn, const char *what)
{
    ebpf_vm *vm = new_vm();
    uint8_t mem[8] = {0};
    uint64_t r0;
    assert_int_equal(ebpf_load(vm, p, n), 0);
    ebpf_set_bounds_check(vm, 1);
    ebpf_set_insn_budget(vm, 1000);
    int r = ebpf_exec(vm, mem, sizeof(mem), &r0);
    if (r == 0)
        fail_msg("ran although: %s", what);
    assert_int_equal(ebpf_error_insn(vm), insn);
    if (!strstr(ebpf_error(vm), what))
        fail_msg("error '%s' does not mention '%s'", ebpf_error(vm), what);
}

static void test_bounds_checked_faults(void **state)
{
    (void)state;
    struct ebpf_insn past_end[] = {LDX(BPF_W, 0, 1, 5), EXIT};
    expect_run_error(past_end, 2, 0, "out of bounds");
    struct ebpf_insn before[] = {MOV64_IMM(0, 0), LDX(BPF_B, 0, 1, -1), EXIT};
    expect_run_error(before, 3, 1, "out of bounds");
    struct ebpf_insn below_stack[] = {ST(BPF_DW, 10, -4096 - 8, 1), EXIT};
    expect_run_error(below_stack, 2, 0, "out of bounds");
    struct ebpf_insn above_stack[] = {LDX(BPF_B, 0, 10, 0), EXIT};
    expect_run_error(above_stack, 2, 0, "out of bounds");
    struct ebpf_insn null_deref[] = {MOV64_IMM(1, 0), LDX(BPF_DW, 0, 1, 0), EXIT};
    expect_run_error(null_deref, 3, 1, "out of bounds");
    struct ebpf_insn atomic_oob[] = {MOV64_IMM(2, 1), ATOMIC(BPF_DW, 1, 2, 4, BPF_ADD), EXIT};
    expect_run_error(atomic_oob, 3, 1, "out of bounds");
    struct ebpf_insn no_helper[] = {CALL(77), EXIT};
    expect_run_error(no_helper, 2, 0, "unknown helper 77");
    struct ebpf_insn forever[] = {JA(-1), EXIT};
    expect_run_error(forever, 2, 0, "budget");
    struct ebpf_insn deep[] = {CALL_LOCAL(-1), EXIT};
    expect_run_error(deep, 2, 0, "call depth");
}

/* The table exercises every valid opcode: each ALU/ALU64 operation and
 * jump in both source forms, every load/store/atomic size and mode. */
static void test_table_covers_every_opcode(void **state)
{
    (void)state;
    static int seen[256];
    for (unsigned i = 0; i < N_INSN_CASES; i++)
        for (unsigned k = 0; k < insn_cases[i].n; k++) {
            seen[insn_cases[i].prog[k].code] = 1;
            if (insn_cases[i].prog[k].code == (BPF_LD | BPF_IMM | BPF_DW))
                k++;
        }
    int nvalid = 0;
    for (int code = 0; code < 256; code++) {
        struct ebpf_insn p[2] = {{.code = (uint8_t)code, .imm = 16}, EXIT};
        if (code == (BPF_LD | BPF_IMM | BPF_DW) || BPF_CLASS(code) == BPF_ST ||
            BPF_CLASS(code) == BPF_STX || BPF_CLASS(code) == BPF_LDX)
            p[0].dst = 10;
        if (code == (BPF_STX | BPF_ATOMIC | BPF_W) || code == (BPF_STX | BPF_ATOMIC | BPF_DW))
            p[0].imm = BPF_ADD;
        if (code == (BPF_JMP32 | BPF_JA)) /* gotol +0 */
            p[0].imm = 0;
        ebpf_vm *vm = new_vm();
        bool valid = ebpf_load(vm, p, code == (BPF_LD | BPF_IMM | BPF_DW) ? 1 : 2) == 0 ||
                     code == (BPF_LD | BPF_IMM | BPF_DW);
        if (valid && !seen[code])
            fail_msg("opcode 0x%02x is valid but no table case uses it", code);
        nvalid += valid;
    }
    /* RFC 9669: ALU 13 ops x 2 sources - NEG X + le/be = 27; ALU64 25 + bswap = 26;
     * JMP ja + 11 x 2 + call + exit = 25; JMP32 11 x 2 + gotol = 23; lddw; 7 loads;
     * 4 + 4 stores; 2 atomic sizes */
    assert_int_equal(nvalid, 27 + 26 + 25 + 23 + 1 + 7 + 8 + 2);
}

/* The bounds-checked loop counts what it executes (used by benchmarks). */
static void test_executed_count(void **state)
{
    (void)state;
    /* 2 movs, 10 x (add, sub, jne), exit */
    struct ebpf_insn p[] = {
        MOV64_IMM(0, 0),          MOV64_IMM(1, 10),           ALU64_REG(BPF_ADD, 0, 1),
        ALU64_IMM(BPF_SUB, 1, 1), JMP_IMM(BPF_JNE, 1, 0, -3), EXIT};
    ebpf_vm *vm = new_vm();
    uint64_t r0;
    assert_int_equal(ebpf_load(vm, p, 6), 0);
    ebpf_set_bounds_check(vm, 1);
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0);
    assert_int_equal(r0, 55);
    assert_int_equal(ebpf_executed(vm), 33);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_lddw_every_bit),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_bounds_checked_faults),
        cmocka_unit_test(test_executed_count),
        cmocka_unit_test(test_table_covers_every_opcode),
    };
    size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
    struct CMUnitTest *tests = calloc(N_INSN_CASES + nfixed, sizeof(*tests));
    for (size_t i = 0; i < N_INSN_CASES; i++) {
        tests[i].name = insn_cases[i].name;
        tests[i].test_func = test_case;
        tests[i].initial_state = (void *)&insn_cases[i];
    }
    memcpy(tests + N_INSN_CASES, fixed, sizeof(fixed));
    int r = _cmocka_run_group_tests("ebpf-interp", tests, N_INSN_CASES + nfixed, NULL, NULL);
    free(tests);
    return r;
}
