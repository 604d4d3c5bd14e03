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

#include "prog_file.h"

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
        MOV64_REG(6, 2), /* the value: ctx_len (a scalar, storable) */
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
    struct ebpf_verify_opts o = {.r2_is_ctx_len = 1};
    if (ebpf_verify(vm, &o))
        fail_msg("%s", ebpf_error(vm));
    uint64_t r0;
    /* values 2, 3 (odd: discarded), 4, 6 */
    uint64_t vals[] = {2, 3, 4, 6};
    for (int i = 0; i < 4; i++) {
        ebpf_exec(vm, NULL, vals[i], &r0);
        assert_int_equal(r0, 1);
    }
    ebpf_exec(vm, NULL, 8, &r0);
    assert_int_equal(r0, 0); /* full: reserve returned NULL */
    uint64_t got;
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 8);
    assert_int_equal(got, 2);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 8);
    assert_int_equal(got, 4); /* 3 was discarded */
    /* room again: the next record wraps to the start */
    ebpf_exec(vm, NULL, 10, &r0);
    assert_int_equal(r0, 1);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 8);
    assert_int_equal(got, 6);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 8);
    assert_int_equal(got, 10);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 0);
}

/* A ring buffer with a sink (ebpf_ringbuf_set_sink, the side-stub's path):
 * every record, by ringbuf_output or reserve + submit, reaches the sink as it
 * is committed, with its tag, in commit order; a discarded one never does; a
 * refusal by the sink fails the helper as a full ring would; the ring never
 * fills, since nothing waits in it; and a consumer finds nothing. */
struct sunk {
    int n;
    uint64_t vals[16];
    uint32_t tags[16];
    int refuse;
};

static long sink_into(void *ctx, const void *data, size_t len, uint32_t tag)
{
    struct sunk *s = ctx;
    if (s->refuse)
        return -1;
    assert_int_equal(len, 8);
    memcpy(&s->vals[s->n], data, 8);
    s->tags[s->n++] = tag;
    return 0;
}

static void test_ringbuf_sink(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_RINGBUF, 0, 0, 64}; /* 4 records of 8 */
    ebpf_map *m = ebpf_map_create(vm, &d, "rb");
    assert_non_null(m);
    /* ctx_len odd: ringbuf_output(ctx_len); even: reserve, store ctx_len,
     * submit (ctx_len % 4 == 0) or discard; r0 = the helper's result or 1 */
    struct ebpf_insn p[] = {
        MOV64_REG(6, 2),
        JMP_IMM(BPF_JSET, 6, 1, 14),
        LD_MAP(1, 0),
        MOV64_IMM(2, 8),
        MOV64_IMM(3, 0),
        CALL(BPF_FUNC_ringbuf_reserve),
        JMP_IMM(BPF_JEQ, 0, 0, 19),
        STX(BPF_DW, 0, 6, 0),
        MOV64_REG(1, 0),
        MOV64_IMM(2, 0),
        JMP_IMM(BPF_JSET, 6, 2, 2),
        CALL(BPF_FUNC_ringbuf_submit),
        JA(1),
        CALL(BPF_FUNC_ringbuf_discard),
        JA(9),
        STX(BPF_DW, 10, 6, -8), /* the odd branch */
        LD_MAP(1, 0),
        MOV64_REG(2, 10),
        ALU64_IMM(BPF_ADD, 2, -8),
        MOV64_IMM(3, 8),
        MOV64_IMM(4, 0),
        CALL(BPF_FUNC_ringbuf_output),
        EXIT,
        MOV64_IMM(0, 1),
        EXIT,
        MOV64_IMM(0, 0), /* reserve failed */
        EXIT,
    };
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    struct ebpf_verify_opts o = {.r2_is_ctx_len = 1};
    if (ebpf_verify(vm, &o))
        fail_msg("%s", ebpf_error(vm));
    struct sunk s = {0};
    ebpf_ringbuf_set_sink(m, sink_into, &s);
    ebpf_set_ringbuf_tag(vm, 42);
    uint64_t r0;
    /* 12 records through a ring that holds 4: none waits in it */
    uint64_t vals[] = {3, 4, 5, 6, 8, 9, 12, 11, 13, 16, 15, 17, 20, 21};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        assert_int_equal(ebpf_exec(vm, NULL, vals[i], &r0), 0);
        assert_int_equal(r0, vals[i] & 1 ? 0 : 1);
    }
    uint64_t want[] = {3, 4, 5, 8, 9, 12, 11, 13, 16, 15, 17, 20, 21}; /* 6 discarded */
    assert_int_equal(s.n, 13);
    for (int i = 0; i < s.n; i++) {
        assert_int_equal(s.vals[i], want[i]);
        assert_int_equal(s.tags[i], 42);
    }
    uint64_t got;
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 0);
    /* refused: ringbuf_output fails with -EAGAIN; a submitted record is
     * gone all the same (its space is free) */
    s.refuse = 1;
    assert_int_equal(ebpf_exec(vm, NULL, 7, &r0), 0);
    assert_int_equal((int64_t)r0, -11);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(ebpf_exec(vm, NULL, 24, &r0), 0);
        assert_int_equal(r0, 1);
    }
    /* no sink: records wait in the ring again */
    s.refuse = 0;
    ebpf_ringbuf_set_sink(m, NULL, NULL);
    assert_int_equal(ebpf_exec(vm, NULL, 25, &r0), 0);
    assert_int_equal(r0, 0);
    assert_int_equal(s.n, 13);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, 8), 8);
    assert_int_equal(got, 25);
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
    assert_non_null(strstr(ebpf_error(vm), "max_entries 100: a ring buffer's size"));
    struct ebpf_map_def arr = {BPF_MAP_TYPE_ARRAY, 8, 8, 1};
    assert_null(ebpf_map_create(vm, &arr, "a"));
    assert_non_null(strstr(ebpf_error(vm), "map a: key_size 8"));
    struct ebpf_map_def unk = {99, 4, 4, 1};
    assert_null(ebpf_map_create(vm, &unk, "u"));
    assert_non_null(strstr(ebpf_error(vm), "type 99: map type not supported"));
    /* issue 18: the field that is wrong is named */
    struct ebpf_map_def empty = {BPF_MAP_TYPE_ARRAY, 4, 8, 0};
    assert_null(ebpf_map_create(vm, &empty, "e"));
    assert_non_null(strstr(ebpf_error(vm), "map e: max_entries 0"));
    struct ebpf_map_def hempty = {BPF_MAP_TYPE_HASH, 4, 8, 0};
    assert_null(ebpf_map_create(vm, &hempty, "he"));
    assert_non_null(strstr(ebpf_error(vm), "max_entries 0"));
    struct ebpf_map_def novalue = {BPF_MAP_TYPE_HASH, 4, 0, 4};
    assert_null(ebpf_map_create(vm, &novalue, "nv"));
    assert_non_null(strstr(ebpf_error(vm), "value_size 0"));
    /* libbpf programs' __type(value, struct event) on a ring buffer: Linux
     * refuses value_size != 0; we do too, saying which field */
    struct ebpf_map_def rbv = {BPF_MAP_TYPE_RINGBUF, 0, 16, 4096};
    assert_null(ebpf_map_create(vm, &rbv, "rbv"));
    assert_non_null(strstr(ebpf_error(vm), "value_size 16: a ring buffer has no values"));
    struct ebpf_map_def pa = {BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 4};
    assert_null(ebpf_map_create(vm, &pa, "pa"));
    assert_non_null(strstr(ebpf_error(vm), "value_size 8: must be 4"));
    struct ebpf_map_def st = {BPF_MAP_TYPE_STACK_TRACE, 4, 12, 4};
    assert_null(ebpf_map_create(vm, &st, "st"));
    assert_non_null(strstr(ebpf_error(vm), "value_size 12"));
    struct ebpf_map_def aom = {BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4};
    assert_null(ebpf_map_create(vm, &aom, "aom"));
    assert_non_null(strstr(ebpf_error(vm), "needs an inner map"));
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

/* ---- issue 18: the map types of real tracing programs ------------------ */

static char arena2[1 << 20];
static char err2[256];

static struct ebpf_verify_opts vopts = {.ctx_size = 64};

static int verify_with(ebpf_vm *vm, const struct ebpf_verify_opts *o)
{
    int r = ebpf_verify(vm, o);
    if (r)
        print_message("verifier: %s\n", ebpf_error(vm));
    return r;
}

static int verify(ebpf_vm *vm)
{
    return verify_with(vm, &vopts);
}

/* r0 = *lookup(map 0, key 0) after adding 1 to it (0 if missing) */
static const struct ebpf_insn count_prog[] = {
    ST(BPF_W, 10, -4, 0),
    LD_MAP(1, 0),
    MOV64_REG(2, 10),
    ALU64_IMM(BPF_ADD, 2, -4),
    CALL(BPF_FUNC_map_lookup_elem),
    JMP_IMM(BPF_JEQ, 0, 0, 4),
    MOV64_IMM(1, 1),
    ATOMIC(BPF_DW, 0, 1, 0, BPF_ADD),
    LDX(BPF_DW, 0, 0, 0),
    EXIT,
    MOV64_IMM(0, 0),
    EXIT,
};

static void test_percpu_array_on_replicas(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    ebpf_set_ncpus(vm, 4);
    struct ebpf_map_def d = {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2};
    ebpf_map *m = ebpf_map_create(vm, &d, "pc");
    assert_non_null(m);
    assert_int_equal(ebpf_map_ncpus(m), 4);
    assert_int_equal(ebpf_map_value_bytes(m), 32);
    assert_int_equal(ebpf_load(vm, count_prog, sizeof(count_prog) / sizeof(count_prog[0])), 0);
    assert_int_equal(verify(vm), 0);
    ebpf_vm *rep[4];
    static char rerr[4][64];
    for (int c = 0; c < 4; c++) {
        rep[c] = ebpf_replicate(vm, NULL, rerr[c], sizeof rerr[c]);
        assert_non_null(rep[c]);
        ebpf_set_cpu(rep[c], (uint32_t)c);
    }
    /* hart c runs the program c + 1 times: each sees only its own count */
    for (int c = 0; c < 4; c++) {
        uint64_t r0 = 0;
        for (int i = 0; i <= c; i++)
            assert_int_equal(ebpf_exec(rep[c], NULL, 0, &r0), 0);
        assert_int_equal(r0, (uint64_t)c + 1);
    }
    uint64_t all[4];
    uint32_t k = 0;
    assert_int_equal(ebpf_map_lookup_percpu(m, &k, all), 0);
    for (int c = 0; c < 4; c++)
        assert_int_equal(all[c], (uint64_t)c + 1);
    assert_int_equal(*(uint64_t *)ebpf_map_lookup(m, &k), 1); /* CPU 0's copy */
    assert_int_equal(*(uint64_t *)ebpf_map_lookup_cpu(m, &k, 3), 4);
    assert_null(ebpf_map_lookup_cpu(m, &k, 4));
    /* bpf()'s update: every CPU's value at once */
    uint64_t set[4] = {10, 20, 30, 40};
    k = 1;
    assert_int_equal(ebpf_map_update_percpu(m, &k, set, BPF_ANY), 0);
    assert_int_equal(*(uint64_t *)ebpf_map_lookup_cpu(m, &k, 2), 30);
    uint64_t one = 7;
    assert_int_equal(ebpf_map_update(m, &k, &one, BPF_ANY), 0); /* one value: every copy */
    assert_int_equal(ebpf_map_lookup_percpu(m, &k, all), 0);
    for (int c = 0; c < 4; c++)
        assert_int_equal(all[c], 7);
}

static void test_percpu_hash(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    ebpf_set_ncpus(vm, 2);
    struct ebpf_map_def d = {BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 8};
    ebpf_map *m = ebpf_map_create(vm, &d, "ph");
    assert_non_null(m);
    assert_int_equal(ebpf_map_value_bytes(m), 16);
    /* a program on hart 1 inserts key 5 = 9: hart 0's copy starts at 0 */
    struct ebpf_insn p[] = {
        ST(BPF_W, 10, -4, 5), ST(BPF_W, 10, -8, 9), LD_MAP(1, 0), MOV64_REG(2, 10),
        ALU64_IMM(BPF_ADD, 2, -4), MOV64_REG(3, 10), ALU64_IMM(BPF_ADD, 3, -8), MOV64_IMM(4, 0),
        CALL(BPF_FUNC_map_update_elem), EXIT,
    };
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    assert_int_equal(verify(vm), 0);
    ebpf_set_cpu(vm, 1);
    uint64_t r0;
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0);
    assert_int_equal(r0, 0);
    uint32_t k = 5, v[4];
    assert_int_equal(ebpf_map_lookup_percpu(m, &k, v), 0);
    assert_int_equal(v[0], 0); /* hart 0 */
    assert_int_equal(v[2], 9); /* hart 1, at 8 bytes */
}

static void test_lru_hash_evicts_least_recently_used(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_LRU_HASH, 4, 8, 4};
    ebpf_map *m = ebpf_map_create(vm, &d, "lru");
    assert_non_null(m);
    for (uint32_t k = 1; k <= 4; k++) {
        uint64_t v = k * 10;
        assert_int_equal(ebpf_map_update(m, &k, &v, BPF_NOEXIST), 0);
    }
    uint32_t k = 1;
    assert_non_null(ebpf_map_lookup(m, &k)); /* 1 is now the most recent: 2 is the oldest */
    k = 5;
    uint64_t v = 50;
    assert_int_equal(ebpf_map_update(m, &k, &v, BPF_NOEXIST), 0); /* full: evicts, never fails */
    k = 2;
    assert_null(ebpf_map_lookup(m, &k));
    for (uint32_t x = 1; x <= 5; x++) /* uses 1, 3, 4, 5 in this order */
        if (x != 2)
            assert_non_null(ebpf_map_lookup(m, &x));
    k = 6;
    assert_int_equal(ebpf_map_update(m, &k, &v, BPF_ANY), 0); /* evicts 1 */
    k = 1;
    assert_null(ebpf_map_lookup(m, &k));
    k = 3;
    assert_int_equal(*(uint64_t *)ebpf_map_lookup(m, &k), 30);
    /* the LRU per-CPU form too */
    ebpf_set_ncpus(vm, 2);
    struct ebpf_map_def dp = {BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 2};
    ebpf_map *mp = ebpf_map_create(vm, &dp, "lrup");
    assert_non_null(mp);
    for (uint32_t x = 0; x < 5; x++)
        assert_int_equal(ebpf_map_update(mp, &x, &v, BPF_ANY), 0);
    uint32_t nk, count = 0;
    for (int r = ebpf_map_get_next_key(mp, NULL, &nk); r == 0; r = ebpf_map_get_next_key(mp, &nk, &nk))
        count++;
    assert_int_equal(count, 2);
}

/* Tail calls: caller returns 7 unless its tail call to slot r1 (the ctx's
 * first word) works; the target returns 42. */
static void test_tail_calls(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4};
    ebpf_map *pa = ebpf_map_create(vm, &d, "jmp");
    assert_non_null(pa);
    struct ebpf_insn caller[] = {
        LDX(BPF_DW, 3, 1, 0), LD_MAP(2, 0), CALL(BPF_FUNC_tail_call), MOV64_IMM(0, 7), EXIT,
    };
    assert_int_equal(ebpf_load(vm, caller, sizeof(caller) / sizeof(caller[0])), 0);
    assert_int_equal(verify(vm), 0);
    ebpf_vm *t = ebpf_create(arena2, sizeof arena2, err2, sizeof err2);
    assert_non_null(t);
    assert_int_equal(ebpf_register_map_helpers(t), 0);
    struct ebpf_insn target[] = {MOV64_IMM(0, 42), EXIT};
    assert_int_equal(ebpf_load(t, target, 2), 0);
    uint64_t ctx[8] = {0}, r0;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 7); /* empty slot: falls through */
    assert_int_equal(ebpf_prog_array_set(pa, 0, t), 0);
    assert_ptr_equal(ebpf_prog_array_get(pa, 0), t);
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 42);
    ctx[0] = 4; /* out of range */
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 7);
    ctx[0] = 0x100000000ull; /* the index is a u32: slot 0 */
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 42);
    assert_int_equal(ebpf_prog_array_set(pa, 0, NULL), 0);
    ctx[0] = 0;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 7);
    assert_int_equal(ebpf_prog_array_set(pa, 4, t), -EBPF_E2BIG);
}

/* A program that counts its runs in map 1 and tail calls itself: one run
 * plus EBPF_MAX_TAIL_CALLS (33) tail calls, then the call falls through. */
static void test_tail_call_limit(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1};
    struct ebpf_map_def a = {BPF_MAP_TYPE_ARRAY, 4, 8, 1};
    ebpf_map *pa = ebpf_map_create(vm, &d, "jmp");
    ebpf_map *cnt = ebpf_map_create(vm, &a, "cnt");
    assert_non_null(pa);
    assert_non_null(cnt);
    struct ebpf_insn self[] = {
        MOV64_REG(6, 1),
        ST(BPF_W, 10, -4, 0),
        LD_MAP(1, 1),
        MOV64_REG(2, 10),
        ALU64_IMM(BPF_ADD, 2, -4),
        CALL(BPF_FUNC_map_lookup_elem),
        JMP_IMM(BPF_JEQ, 0, 0, 2),
        MOV64_IMM(1, 1),
        ATOMIC(BPF_DW, 0, 1, 0, BPF_ADD),
        MOV64_REG(1, 6),
        LD_MAP(2, 0),
        MOV64_IMM(3, 0),
        CALL(BPF_FUNC_tail_call),
        MOV64_IMM(0, 1),
        EXIT,
    };
    assert_int_equal(ebpf_load(vm, self, sizeof(self) / sizeof(self[0])), 0);
    assert_int_equal(verify(vm), 0);
    for (int checked = 0; checked < 2; checked++) {
        ebpf_set_bounds_check(vm, checked);
        ebpf_exec(vm, NULL, 0, NULL); /* threads the loop of this mode */
        assert_int_equal(ebpf_prog_array_set(pa, 0, vm), 0);
        uint32_t k = 0;
        uint64_t zero = 0, r0 = 0;
        assert_int_equal(ebpf_map_update(cnt, &k, &zero, BPF_ANY), 0);
        uint64_t ctx[8] = {0};
        assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
        assert_int_equal(r0, 1);
        assert_int_equal(*(uint64_t *)ebpf_map_lookup(cnt, &k), 1 + EBPF_MAX_TAIL_CALLS);
        assert_int_equal(EBPF_MAX_TAIL_CALLS, 33);
    }
}

/* A VM with a program array (fd 0) and a hash map (fd 1), loaded with p. */
static ebpf_vm *jmp_vm(const struct ebpf_insn *p, uint32_t n)
{
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def d = {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1};
    struct ebpf_map_def h = {BPF_MAP_TYPE_HASH, 4, 4, 1};
    assert_non_null(ebpf_map_create(vm, &d, "jmp"));
    assert_non_null(ebpf_map_create(vm, &h, "h"));
    assert_int_equal(ebpf_load(vm, p, n), 0);
    return vm;
}

#define JMP_VM(p) jmp_vm(p, sizeof(p) / sizeof(p[0]))

static void test_tail_call_verifier_rules(void **state)
{
    (void)state;
    /* a hash map is no program array */
    struct ebpf_insn wrong_map[] = {
        LD_MAP(2, 1), MOV64_IMM(3, 0), CALL(BPF_FUNC_tail_call), MOV64_IMM(0, 0), EXIT,
    };
    ebpf_vm *vm = JMP_VM(wrong_map);
    assert_int_equal(ebpf_verify(vm, &vopts), -EBPF_EACCES);
    assert_non_null(strstr(ebpf_error(vm), "cannot pass map_type 1 into func tail_call"));
    /* programs do not look up program arrays */
    struct ebpf_insn lookup[] = {
        ST(BPF_W, 10, -4, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -4),
        CALL(BPF_FUNC_map_lookup_elem), MOV64_IMM(0, 0), EXIT,
    };
    vm = JMP_VM(lookup);
    assert_int_equal(ebpf_verify(vm, &vopts), -EBPF_EACCES);
    assert_non_null(strstr(ebpf_error(vm), "does not support this helper"));
    /* nor tail call from a subprogram */
    struct ebpf_insn sub[] = {
        CALL_LOCAL(2), MOV64_IMM(0, 0), EXIT,
        LD_MAP(2, 0), MOV64_IMM(3, 0), CALL(BPF_FUNC_tail_call), MOV64_IMM(0, 0), EXIT,
    };
    vm = JMP_VM(sub);
    assert_int_equal(ebpf_verify(vm, &vopts), -EBPF_EACCES);
    assert_non_null(strstr(ebpf_error(vm), "tail_call inside a subprogram"));
    /* the caller's r0 after a tail call is not a value (Linux RET_VOID) */
    struct ebpf_insn use_r0[] = {
        LD_MAP(2, 0), MOV64_IMM(3, 0), CALL(BPF_FUNC_tail_call), EXIT,
    };
    vm = JMP_VM(use_r0);
    assert_int_equal(ebpf_verify(vm, &vopts), -EBPF_EACCES);
}

/* perf_event_output(ctx, map, BPF_F_CURRENT_CPU, fp-8, 8): the records come
 * back through ebpf_ringbuf_consume_tag with the producer's tag. */
static void test_perf_event_output(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    ebpf_set_ncpus(vm, 2);
    struct ebpf_map_def d = {BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 0};
    ebpf_map *m = ebpf_map_create(vm, &d, "events");
    assert_non_null(m);
    assert_int_equal(ebpf_map_def(m)->max_entries, 2); /* 0: one per CPU, as libbpf */
    struct ebpf_insn p[] = {
        LDX(BPF_DW, 3, 1, 0), /* flags from ctx[0] */
        LDX(BPF_DW, 4, 1, 8), /* the payload from ctx[1] */
        STX(BPF_DW, 10, 4, -8),
        LD_MAP(2, 0),
        MOV64_REG(4, 10),
        ALU64_IMM(BPF_ADD, 4, -8),
        MOV64_IMM(5, 8),
        CALL(BPF_FUNC_perf_event_output),
        EXIT,
    };
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    assert_int_equal(verify(vm), 0);
    ebpf_set_ringbuf_tag(vm, 77);
    uint64_t ctx[8] = {BPF_F_CURRENT_CPU, 0x1122334455667788ull}, r0;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 0);
    ctx[0] = 5; /* no CPU 5 */
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal((int64_t)r0, -7); /* -E2BIG */
    uint64_t got = 0;
    uint32_t tag = 0;
    assert_int_equal(ebpf_ringbuf_consume_tag(m, &got, sizeof got, 0, &tag), 8);
    assert_int_equal(got, 0x1122334455667788ull);
    assert_int_equal(tag, 77);
    assert_int_equal(ebpf_ringbuf_consume(m, &got, sizeof got), 0);
    /* a full ring drops records and counts them */
    ctx[0] = 1;
    int stored = 0;
    for (int i = 0; i < EBPF_PERF_RING_SIZE / 16 + 10; i++) {
        assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
        stored += r0 == 0;
    }
    assert_int_equal(stored, EBPF_PERF_RING_SIZE / 16);
    assert_int_equal(ebpf_perf_lost(m), 10);
    /* the other direction: perf_event_output refuses a ring buffer */
    vm = new_vm();
    struct ebpf_map_def rb = {BPF_MAP_TYPE_RINGBUF, 0, 0, 4096};
    assert_non_null(ebpf_map_create(vm, &rb, "rb"));
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    assert_int_equal(ebpf_verify(vm, &vopts), -EBPF_EACCES);
    assert_non_null(strstr(ebpf_error(vm), "into func perf_event_output"));
}

/* A stack walker for tests: the context's words are the stack (ctx[0] is
 * the depth); user stacks are the same with bit 63 set. */
static int test_walker(ebpf_vm *vm, void *ctx, int user, uint64_t *ips, int max, int skip)
{
    (void)vm;
    const uint64_t *c = ctx;
    int n = 0;
    for (int i = skip; i < (int)c[0] && n < max; i++)
        ips[n++] = c[1 + i] | (user ? 1ull << 63 : 0);
    return n;
}

static void test_stack_trace(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    ebpf_set_stack_walker(vm, test_walker);
    struct ebpf_map_def d = {BPF_MAP_TYPE_STACK_TRACE, 4, 4 * 8, 1}; /* one bucket */
    ebpf_map *m = ebpf_map_create(vm, &d, "stacks");
    assert_non_null(m);
    struct ebpf_insn p[] = {
        LDX(BPF_DW, 3, 1, 56), /* flags: ctx[7] */
        LD_MAP(2, 0),
        CALL(BPF_FUNC_get_stackid),
        EXIT,
    };
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    assert_int_equal(verify(vm), 0);
    uint64_t ctx[8] = {3, 0x100, 0x200, 0x300, 0, 0, 0, 0}, r0;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 0);
    uint32_t id = 0;
    uint64_t *st = ebpf_map_lookup(m, &id);
    assert_non_null(st);
    assert_int_equal(st[0], 0x100);
    assert_int_equal(st[2], 0x300);
    assert_int_equal(st[3], 0); /* unused entries are zero */
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 0); /* the same stack: the same id */
    ctx[7] = 1; /* skip one frame: another stack, same (only) bucket */
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal((int64_t)r0, -17); /* -EEXIST */
    ctx[7] = 1 | BPF_F_REUSE_STACKID;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 0);
    assert_int_equal(st[0], 0x200);
    assert_int_equal(st[2], 0);
    ctx[7] = BPF_F_USER_STACK | BPF_F_REUSE_STACKID;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(st[0], 0x100 | 1ull << 63);
    ctx[0] = 0; /* no stack */
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal((int64_t)r0, -14); /* -EFAULT */
    ctx[7] = 1ull << 20; /* unknown flag */
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal((int64_t)r0, -22);
    uint32_t nk;
    assert_int_equal(ebpf_map_get_next_key(m, NULL, &nk), 0);
    assert_int_equal(nk, 0);
    assert_int_equal(ebpf_map_delete(m, &id), 0);
    assert_null(ebpf_map_lookup(m, &id));
    /* a program may not look a stack map up */
    vm = new_vm();
    assert_non_null(ebpf_map_create(vm, &d, "stacks"));
    struct ebpf_insn lk[] = {
        ST(BPF_W, 10, -4, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -4),
        CALL(BPF_FUNC_map_lookup_elem), MOV64_IMM(0, 0), EXIT,
    };
    assert_int_equal(ebpf_load(vm, lk, sizeof(lk) / sizeof(lk[0])), 0);
    assert_int_equal(ebpf_verify(vm, &vopts), -EBPF_EACCES);
}

/* outer[0] -> inner array; the program returns inner[1] via two lookups */
static void test_map_of_maps(void **state)
{
    (void)state;
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def id = {BPF_MAP_TYPE_ARRAY, 4, 8, 4};
    ebpf_map *inner = ebpf_map_create(vm, &id, "inner"); /* fd 0 */
    assert_non_null(inner);
    struct ebpf_map_def od = {BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2};
    ebpf_map *outer = ebpf_map_create_of_maps(vm, &od, "outer", inner); /* template 1, outer 2 */
    assert_non_null(outer);
    assert_int_equal(ebpf_map_fd(outer), 2);
    struct ebpf_insn p[] = {
        ST(BPF_W, 10, -4, 0),
        LD_MAP(1, 2),
        MOV64_REG(2, 10),
        ALU64_IMM(BPF_ADD, 2, -4),
        CALL(BPF_FUNC_map_lookup_elem),
        JMP_IMM(BPF_JEQ, 0, 0, 8),
        ST(BPF_W, 10, -8, 1),
        MOV64_REG(1, 0),
        MOV64_REG(2, 10),
        ALU64_IMM(BPF_ADD, 2, -8),
        CALL(BPF_FUNC_map_lookup_elem),
        JMP_IMM(BPF_JEQ, 0, 0, 2),
        LDX(BPF_DW, 0, 0, 0),
        EXIT,
        MOV64_IMM(0, 99),
        EXIT,
    };
    assert_int_equal(ebpf_load(vm, p, sizeof(p) / sizeof(p[0])), 0);
    assert_int_equal(verify(vm), 0);
    uint64_t r0;
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0);
    assert_int_equal(r0, 99); /* no inner map yet */
    uint32_t k = 0, k1 = 1;
    uint64_t v = 1234;
    assert_int_equal(ebpf_map_update(inner, &k1, &v, BPF_ANY), 0);
    assert_int_equal(ebpf_map_set_inner(outer, &k, inner), 0);
    assert_ptr_equal(ebpf_map_get_inner(outer, &k), inner);
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0);
    assert_int_equal(r0, 1234);
    /* bounds-checked, with an inner map that is not one of vm's maps (made by
     * another VM, as the kernel's bpf() makes them): reached through outer */
    ebpf_vm *vm2 = ebpf_create(arena2, sizeof arena2, err2, sizeof err2);
    ebpf_map *far = ebpf_map_create(vm2, &id, "far");
    uint64_t v2 = 4321;
    assert_int_equal(ebpf_map_update(far, &k1, &v2, BPF_ANY), 0);
    assert_int_equal(ebpf_map_set_inner(outer, &k, far), 0);
    ebpf_set_bounds_check(vm, 1);
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0);
    assert_int_equal(r0, 4321);
    ebpf_set_bounds_check(vm, 0);
    /* an inner map must match the template */
    struct ebpf_map_def other = {BPF_MAP_TYPE_ARRAY, 4, 8, 5};
    ebpf_map *bad = ebpf_map_create(vm, &other, "bad");
    assert_int_equal(ebpf_map_set_inner(outer, &k1, bad), -EBPF_EINVAL);
    assert_non_null(strstr(ebpf_error(vm), "differs from the template"));
    /* the looked-up inner map is no memory: loading from it is refused */
    vm = new_vm();
    inner = ebpf_map_create(vm, &id, "inner");
    outer = ebpf_map_create_of_maps(vm, &od, "outer", inner);
    struct ebpf_insn peek[] = {
        ST(BPF_W, 10, -4, 0), LD_MAP(1, 2), MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -4),
        CALL(BPF_FUNC_map_lookup_elem), JMP_IMM(BPF_JEQ, 0, 0, 1), LDX(BPF_DW, 0, 0, 0), EXIT,
    };
    assert_int_equal(ebpf_load(vm, peek, sizeof(peek) / sizeof(peek[0])), 0);
    assert_int_equal(ebpf_verify(vm, &vopts), -EBPF_EACCES);
    assert_non_null(strstr(ebpf_error(vm), "is an inner map"));
    /* a hash of maps */
    struct ebpf_map_def hd = {BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 4};
    ebpf_map *houter = ebpf_map_create_of_maps(vm, &hd, "houter", inner);
    assert_non_null(houter);
    k = 77;
    assert_int_equal(ebpf_map_set_inner(houter, &k, inner), 0);
    assert_ptr_equal(ebpf_map_get_inner(houter, &k), inner);
    assert_int_equal(ebpf_map_set_inner(houter, &k, NULL), 0);
    assert_null(ebpf_map_get_inner(houter, &k));
}

/* ---- the same map types from a clang-built object (progs/maptypes.c) ---- */

struct init_seen {
    char map[32], prog[32];
    uint32_t index;
};

static void on_init(const char *map, uint32_t index, const char *prog, void *arg)
{
    struct init_seen *s = arg;
    snprintf(s->map, sizeof s->map, "%s", map);
    snprintf(s->prog, sizeof s->prog, "%s", prog);
    s->index = index;
}

static int fixed_stack(ebpf_vm *vm, void *ctx, int user, uint64_t *ips, int max, int skip)
{
    (void)vm, (void)ctx, (void)user, (void)skip;
    for (int i = 0; i < 3 && i < max; i++)
        ips[i] = 0x80001000u + 16u * (unsigned)i;
    return max < 3 ? max : 3;
}

static uint64_t h_pid_tgid(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return 7;
}

static void test_elf_map_types(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("maptypes.o", &len);
    ebpf_vm *vm = new_vm();
    ebpf_set_ncpus(vm, 2);
    ebpf_set_cpu(vm, 1);
    ebpf_set_stack_walker(vm, fixed_stack);
    assert_int_equal(ebpf_register_helper(vm, BPF_FUNC_get_current_pid_tgid, h_pid_tgid,
                                          ebpf_linux_proto(BPF_FUNC_get_current_pid_tgid)),
                     0);
    struct init_seen seen = {{0}, {0}, 0};
    int ni = ebpf_elf_prog_array_inits(vm, obj, len, on_init, &seen);
    if (ni < 0)
        print_message("inits: %s\n", ebpf_error(vm));
    assert_int_equal(ni, 1);
    assert_string_equal(seen.map, "jumps");
    assert_string_equal(seen.prog, "tail_target");
    assert_int_equal(seen.index, 2);
    int r = ebpf_load_elf(vm, obj, len, "main_prog");
    if (r)
        print_message("load: %s\n", ebpf_error(vm));
    assert_int_equal(r, 0);
    struct ebpf_verify_opts o = {.ctx_size = 256};
    assert_int_equal(verify_with(vm, &o), 0);
    ebpf_map *outer = ebpf_map_by_name(vm, "outer"), *in1 = ebpf_map_by_name(vm, "inner1");
    ebpf_map *events = ebpf_map_by_name(vm, "events"), *jumps = ebpf_map_by_name(vm, "jumps");
    ebpf_map *pcpu = ebpf_map_by_name(vm, "pcpu_count"), *recent = ebpf_map_by_name(vm, "recent");
    ebpf_map *stacks = ebpf_map_by_name(vm, "stacks");
    ebpf_map *by_pid = ebpf_map_by_name(vm, "by_pid"), *rp = ebpf_map_by_name(vm, "recent_pcpu");
    assert_non_null(by_pid);
    assert_int_equal(ebpf_map_def(by_pid)->type, BPF_MAP_TYPE_HASH_OF_MAPS);
    assert_int_equal(ebpf_map_def(by_pid)->value_size, 4); /* libbpf's default */
    assert_non_null(rp);
    assert_int_equal(ebpf_map_value_bytes(rp), 16); /* 2 CPUs of round_up(4, 8) */
    assert_non_null(outer);
    assert_non_null(events);
    assert_non_null(stacks);
    assert_int_equal(ebpf_map_def(events)->max_entries, 2); /* one per CPU */
    uint32_t k0 = 0, k1 = 1;
    assert_ptr_equal(ebpf_map_get_inner(outer, &k1), in1); /* the initialiser applied */
    assert_ptr_equal(ebpf_map_get_inner(outer, &k0), ebpf_map_by_name(vm, "inner0"));
    uint64_t v77 = 77;
    assert_int_equal(ebpf_map_update(in1, &k1, &v77, BPF_ANY), 0);
    /* the tail call's target: another VM sharing the object's maps */
    ebpf_vm *t = ebpf_create(arena2, sizeof arena2, err2, sizeof err2);
    assert_non_null(t);
    assert_int_equal(ebpf_register_map_helpers(t), 0);
    for (int fd = 0; fd < ebpf_map_count(vm); fd++)
        assert_true(ebpf_map_share(t, ebpf_map_by_fd(vm, fd)) >= 0);
    r = ebpf_load_elf(t, obj, len, seen.prog);
    if (r)
        print_message("load target: %s\n", ebpf_error(t));
    assert_int_equal(r, 0);
    assert_int_equal(verify_with(t, &o), 0);
    uint64_t ctx[32] = {0}, r0;
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 1); /* slot 2 empty */
    assert_int_equal(ebpf_prog_array_set(jumps, seen.index, t), 0);
    assert_int_equal(ebpf_exec(vm, ctx, sizeof ctx, &r0), 0);
    assert_int_equal(r0, 42);
    /* per-CPU count on hart 1 only */
    uint64_t counts[2];
    assert_int_equal(ebpf_map_lookup_percpu(pcpu, &k0, counts), 0);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 2);
    uint64_t key5 = 5;
    assert_non_null(ebpf_map_lookup(recent, &key5));
    uint32_t rpv[4];
    assert_int_equal(ebpf_map_lookup_percpu(rp, &k1, rpv), 0);
    assert_int_equal(rpv[0], 0); /* hart 0's copy */
    assert_int_equal(rpv[2], 1); /* hart 1's */
    /* two perf records: {inner1[1], stack id} */
    struct {
        uint64_t value;
        int64_t stack_id;
    } ev;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ebpf_ringbuf_consume(events, &ev, sizeof ev), sizeof ev);
        assert_int_equal(ev.value, 77);
        assert_true(ev.stack_id >= 0);
        uint32_t id = (uint32_t)ev.stack_id;
        uint64_t *ips = ebpf_map_lookup(stacks, &id);
        assert_non_null(ips);
        assert_int_equal(ips[1], 0x80001010u);
    }
}

int main(void)
{


    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_ringbuf),
        cmocka_unit_test(test_ringbuf_forged_header),
        cmocka_unit_test(test_ringbuf_sink),
        cmocka_unit_test(test_update_errors_seen_by_programs),
        cmocka_unit_test(test_bad_definitions),
        cmocka_unit_test(test_huge_geometry_refused),
        cmocka_unit_test(test_percpu_array_on_replicas),
        cmocka_unit_test(test_percpu_hash),
        cmocka_unit_test(test_lru_hash_evicts_least_recently_used),
        cmocka_unit_test(test_tail_calls),
        cmocka_unit_test(test_tail_call_limit),
        cmocka_unit_test(test_tail_call_verifier_rules),
        cmocka_unit_test(test_perf_event_output),
        cmocka_unit_test(test_stack_trace),
        cmocka_unit_test(test_map_of_maps),
        cmocka_unit_test(test_elf_map_types),
    };
    return cmocka_run_group_tests_name("ebpf-maps", tests, NULL, NULL);
}
