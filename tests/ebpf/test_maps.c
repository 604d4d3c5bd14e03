/*
 * test_maps.c - array, hash and ring buffer maps through the embedder API
 * and through the helpers (Linux semantics: BPF_ANY/NOEXIST/EXIST,
 * -EEXIST/-ENOENT/-E2BIG from map_update_elem, ring buffer record order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "insn_asm.h"

static char arena[4 << 20];
static char err[256];

static ebpf_vm *new_vm(void)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    assert_non_null(vm);
    assert_int_equal(ebpf_register_map_helpers(vm), 0);
    return vm;
}

static void test_array(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_ARRAY, 4, 12, 3};
    ebpf_map *m = ebpf_map_create(vm, &d, "a");
    assert_non_null(m);
    assert_int_equal(ebpf_map_fd(m), 0);
    uint32_t k = 0, next;
    uint8_t *v0 = ebpf_map_lookup(m, &k);
    k = 1;
    uint8_t *v1 = ebpf_map_lookup(m, &k);
    assert_int_equal(v1 - v0, 16); /* value_size rounded up to 8 */
    k = 3;
    assert_null(ebpf_map_lookup(m, &k));
    uint8_t val[12] = {9};
    k = 2;
    assert_int_equal(ebpf_map_update(m, &k, val, BPF_ANY), 0);
    assert_int_equal(*(uint8_t *)ebpf_map_lookup(m, &k), 9);
    assert_int_equal(ebpf_map_update(m, &k, val, BPF_NOEXIST), -EBPF_EEXIST);
    assert_int_equal(ebpf_map_delete(m, &k), -EBPF_EINVAL);
    assert_int_equal(ebpf_map_get_next_key(m, NULL, &next), 0);
    assert_int_equal(next, 0);
    k = 1;
    assert_int_equal(ebpf_map_get_next_key(m, &k, &next), 0);
    assert_int_equal(next, 2);
    k = 2;
    assert_int_equal(ebpf_map_get_next_key(m, &k, &next), -EBPF_ENOENT);
}

static void test_hash(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_HASH, 8, 8, 100};
    ebpf_map *m = ebpf_map_create(vm, &d, "h");
    assert_non_null(m);
    for (uint64_t k = 0; k < 100; k++) {
        uint64_t v = k * 3;
        assert_int_equal(ebpf_map_update(m, &k, &v, BPF_NOEXIST), 0);
    }
    uint64_t k = 1000, v = 1;
    assert_int_equal(ebpf_map_update(m, &k, &v, BPF_ANY), -EBPF_E2BIG); /* full */
    k = 5;
    assert_int_equal(ebpf_map_update(m, &k, &v, BPF_NOEXIST), -EBPF_EEXIST);
    assert_int_equal(ebpf_map_update(m, &k, &v, BPF_EXIST), 0);
    assert_int_equal(*(uint64_t *)ebpf_map_lookup(m, &k), 1);
    k = 7;
    assert_int_equal(ebpf_map_delete(m, &k), 0);
    assert_null(ebpf_map_lookup(m, &k));
    assert_int_equal(ebpf_map_delete(m, &k), -EBPF_ENOENT);
    assert_int_equal(ebpf_map_update(m, &k, &v, BPF_EXIST), -EBPF_ENOENT);
    k = 1000;
    assert_int_equal(ebpf_map_update(m, &k, &v, BPF_ANY), 0); /* reuses the freed entry */
    /* iteration visits each of the 100 keys exactly once */
    uint8_t seen[1001] = {0};
    uint64_t cur, nk;
    int count = 0;
    for (int r = ebpf_map_get_next_key(m, NULL, &nk); r == 0;
         r = ebpf_map_get_next_key(m, &cur, &nk)) {
        assert_true(nk <= 1000);
        assert_int_equal(seen[nk]++, 0);
        cur = nk;
        count++;
    }
    assert_int_equal(count, 100);
    assert_int_equal(seen[7], 0);
    assert_int_equal(seen[1000], 1);
    for (k = 0; k < 100; k++)
        if (k != 7 && k != 5)
            assert_int_equal(*(uint64_t *)ebpf_map_lookup(m, &k), k * 3);
}

static void test_ringbuf(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_RINGBUF, 0, 0, 64};
    ebpf_map *m = ebpf_map_create(vm, &d, "rb");
    assert_non_null(m);
    char buf[64];
    /* 64 bytes hold records of (8 header + 8 data): 4 of them */
    assert_int_equal(ebpf_ringbuf_consume(m, buf, sizeof(buf)), 0);
    /* run a program: reserve 8 bytes, write, discard or submit by r1 */
    struct ebpf_insn p[] = {
        MOV64_REG(6, 1),
        LD_MAP(1, 0),
        MOV64_IMM(2, 8),
        MOV64_IMM(3, 0),
        CALL(BPF_FUNC_ringbuf_reserve),
        JMP_IMM(BPF_JEQ, 0, 0, 9),
        STX(BPF_DW, 0, 6, 0),
        MOV64_REG(1, 0),
        MOV64_IMM(2, 0),
        JMP_IMM(BPF_JSET, 6, 1, 2),
        CALL(BPF_FUNC_ringbuf_submit),
        JA(1),
        CALL(BPF_FUNC_ringbuf_discard),
        MOV64_IMM(0, 1),
        EXIT,
        MOV64_IMM(0, 0),
        EXIT,
    };
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    struct ebpf_verify_opts o = {0};
    if (ebpf_verify(vm, &o))
        fail_msg("%s", ebpf_error(vm));
    uint64_t r0;
    /* values 2, 3 (odd: discarded), 4, 6 */
    uint64_t vals[] = {2, 3, 4, 6};
    for (int i = 0; i < 4; i++) {
        ebpf_exec(vm, (void *)(uintptr_t)vals[i], 0, &r0);
        assert_int_equal(r0, 1);
    }
    ebpf_exec(vm, (void *)(uintptr_t)8, 0, &r0);
    assert_int_equal(r0, 0); /* full: reserve returned NULL */
    uint64_t got;
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 8);
    assert_int_equal(got, 2);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 8);
    assert_int_equal(got, 4); /* 3 was discarded */
    /* room again: the next record wraps to the start */
    ebpf_exec(vm, (void *)(uintptr_t)10, 0, &r0);
    assert_int_equal(r0, 1);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 8);
    assert_int_equal(got, 6);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 8);
    assert_int_equal(got, 10);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 0);
}

/* An unverified program can write anywhere in the ring, even over a
 * header; the reader must not follow a forged length out of the ring. */
static void test_ringbuf_forged_header(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_RINGBUF, 0, 0, 64};
    ebpf_map *m = ebpf_map_create(vm, &d, "rb");
    assert_non_null(m);
    /* reserve and submit one 8-byte record, then forge its header */
    struct ebpf_insn p[] = {LD_MAP(1, 0),
                            MOV64_IMM(2, 8),
                            MOV64_IMM(3, 0),
                            CALL(BPF_FUNC_ringbuf_reserve),
                            JMP_IMM(BPF_JEQ, 0, 0, 5),
                            MOV64_REG(6, 0),
                            MOV64_REG(1, 0),
                            MOV64_IMM(2, 0),
                            CALL(BPF_FUNC_ringbuf_submit),
                            ST(BPF_W, 6, -8, 0x7fffff),
                            MOV64_IMM(0, 0),
                            EXIT};
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    uint64_t r0;
    ebpf_set_bounds_check(vm, 1);
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0); /* the store stays inside the map */
    char buf[4096];
    assert_int_equal(ebpf_ringbuf_consume(m, buf, sizeof(buf)), -EBPF_EFAULT);
    assert_int_equal(ebpf_ringbuf_consume(m, buf, sizeof(buf)), 0);
}

static void test_update_errors_seen_by_programs(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_HASH, 4, 4, 1};
    assert_non_null(ebpf_map_create(vm, &d, "h"));
    /* r0 = update(key 1, NOEXIST) << 32 | (update(key 1, NOEXIST) & 0xffffffff)... */
    struct ebpf_insn p[] = {
        ST(BPF_W, 10, -4, 1),
        ST(BPF_W, 10, -8, 5),
        LD_MAP(1, 0),
        MOV64_REG(2, 10),
        ALU64_IMM(BPF_ADD, 2, -4),
        MOV64_REG(3, 10),
        ALU64_IMM(BPF_ADD, 3, -8),
        MOV64_IMM(4, BPF_NOEXIST),
        CALL(BPF_FUNC_map_update_elem),
        MOV64_REG(6, 0), /* 0 */
        LD_MAP(1, 0),
        MOV64_REG(2, 10),
        ALU64_IMM(BPF_ADD, 2, -4),
        MOV64_REG(3, 10),
        ALU64_IMM(BPF_ADD, 3, -8),
        MOV64_IMM(4, BPF_NOEXIST),
        CALL(BPF_FUNC_map_update_elem),
        MOV64_REG(7, 0), /* -EEXIST */
        ST(BPF_W, 10, -4, 2),
        LD_MAP(1, 0),
        MOV64_REG(2, 10),
        ALU64_IMM(BPF_ADD, 2, -4),
        MOV64_REG(3, 10),
        ALU64_IMM(BPF_ADD, 3, -8),
        MOV64_IMM(4, BPF_ANY),
        CALL(BPF_FUNC_map_update_elem), /* -E2BIG: full */
        ALU64_IMM(BPF_MUL, 0, 1000),
        ALU64_REG(BPF_ADD, 0, 7),
        ALU64_IMM(BPF_MUL, 0, 1000),
        ALU64_REG(BPF_ADD, 0, 6),
        EXIT,
    };
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    uint64_t r0;
    ebpf_set_bounds_check(vm, 1);
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0);
    /* (-7 * 1000 + -17) * 1000 + 0 */
    assert_int_equal((int64_t)r0, (-7 * 1000 - 17) * 1000);
    assert_string_equal(ebpf_error(vm), ""); /* program-level errors are not VM errors */
}

static void test_bad_definitions(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def rb = {BPF_MAP_TYPE_RINGBUF, 0, 0, 100};
    assert_null(ebpf_map_create(vm, &rb, "rb"));
    assert_non_null(strstr(ebpf_error(vm), "power-of-two"));
    struct ebpf_map_def arr = {BPF_MAP_TYPE_ARRAY, 8, 8, 1};
    assert_null(ebpf_map_create(vm, &arr, "a"));
    struct ebpf_map_def unk = {99, 4, 4, 1};
    assert_null(ebpf_map_create(vm, &unk, "u"));
    assert_non_null(strstr(ebpf_error(vm), "unsupported map type 99"));
    assert_int_equal(ebpf_map_count(vm), 0);
    static char small[64 << 10];
    ebpf_vm *tiny = ebpf_create(small, sizeof(small), err, sizeof(err));
    assert_non_null(tiny);
    struct ebpf_map_def big = {BPF_MAP_TYPE_ARRAY, 4, 4096, 4096};
    assert_null(ebpf_map_create(tiny, &big, "big"));
    assert_non_null(strstr(ebpf_error(tiny), "arena exhausted"));
}

/* Geometry at the edges of u32: every one must be refused at once (a
 * hash map above 2^31 entries used to double a 32-bit bucket count until it
 * wrapped to 0, forever).  SIGALRM turns a hang into a failed suite. */
static void test_huge_geometry_refused(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    static const struct ebpf_map_def huge[] = {
        {BPF_MAP_TYPE_HASH, 4, 4, 0x80000001u},
        {BPF_MAP_TYPE_HASH, 4, 4, 0xffffffffu},
        {BPF_MAP_TYPE_HASH, 0xffffffffu, 0xffffffffu, 0xffffffffu},
        {BPF_MAP_TYPE_HASH, 8, 8, 0x80000000u},
        {BPF_MAP_TYPE_ARRAY, 4, 0xffffffffu, 0xffffffffu},
        {BPF_MAP_TYPE_ARRAY, 4, 0xfffffff9u, 2},
        {BPF_MAP_TYPE_RINGBUF, 0, 0, 0x80000000u},
        {BPF_MAP_TYPE_HASH, 0xfffffff9u, 8, 1},
    };
    alarm(10);
    for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        assert_null(ebpf_map_create(vm, &huge[i], "huge"));
        assert_true(strstr(ebpf_error(vm), "arena exhausted") ||
                    strstr(ebpf_error(vm), "do not fit in memory"));
    }
    alarm(0);
    assert_int_equal(ebpf_map_count(vm), 0);
    /* and the arena is still whole: a normal map fits afterwards */
    struct ebpf_map_def ok = {BPF_MAP_TYPE_HASH, 4, 4, 1000};
    assert_non_null(ebpf_map_create(vm, &ok, "ok"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_ringbuf),
        cmocka_unit_test(test_ringbuf_forged_header),
        cmocka_unit_test(test_update_errors_seen_by_programs),
        cmocka_unit_test(test_bad_definitions),
        cmocka_unit_test(test_huge_geometry_refused),
    };
    return cmocka_run_group_tests_name("ebpf-maps", tests, NULL, NULL);
}
