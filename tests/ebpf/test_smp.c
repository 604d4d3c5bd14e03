/*
 * test_smp.c - one program run by several threads at once, each on its own
 * replica (ebpf_replicate), as ktrace/src/bpf.c runs it on several harts:
 * nothing lost or counted twice in shared maps, the ring buffer's records
 * of each producer arrive whole and in order while a consumer drains it,
 * and replicas keep their run state apart.  The object is tests/ebpf/progs/smp.c,
 * compiled by clang at build time (PROG_DIR).  Expected numbers come from
 * the threads' own loop counts, never from the maps under test.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prog_file.h"

#include "ebpf.h"

#define THREADS 4
#define RUNS    50000
#define KEYS    16

static char arena[8 << 20] __attribute__((aligned(16)));
static char err[256];
static char rerr[THREADS][128];
static char vlog[1 << 16];

struct regs {
    uint64_t pc, ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, rest[20];
};

static ebpf_vm *load(int checked)
{
    size_t len;
    void *obj = slurp("smp.o", &len);
    ebpf_vm *vm = ebpf_create(arena, sizeof arena, err, sizeof err);
    assert_non_null(vm);
    assert_int_equal(ebpf_register_map_helpers(vm), 0);
    ebpf_set_bounds_check(vm, checked);
    if (ebpf_load_elf(vm, obj, len, "kprobe/smp"))
        fail_msg("load: %s", ebpf_error(vm));
    struct ebpf_verify_opts o = {.ctx_size = 256, .log = vlog, .log_size = sizeof vlog};
    if (ebpf_verify(vm, &o))
        fail_msg("verify: %s\n%s", ebpf_error(vm), vlog);
    free(obj);
    return vm;
}

struct worker {
    ebpf_vm *vm;
    int id;
    int failed;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct regs r = {0};
    for (uint64_t n = 0; n < RUNS; n++) {
        r.a0 = n % KEYS; /* every thread hits every key: concurrent inserts */
        r.a1 = (uint64_t)w->id << 32 | n;
        uint64_t r0;
        if (ebpf_exec(w->vm, &r, sizeof r, &r0) != 0)
            w->failed++;
    }
    return NULL;
}

struct drain {
    ebpf_map *rb;
    int stop; /* set once every producer has ended */
    uint64_t got[THREADS];  /* records of each producer */
    uint64_t next[THREADS]; /* the n its next record must carry */
    int out_of_order;
};

static void *consume(void *arg)
{
    struct drain *d = arg;
    for (;;) {
        uint64_t rec;
        uint32_t tag;
        /* stop is read before the ring: an empty ring after every producer
         * ended is the end.  (Read after it, records made between the two
         * reads were left in the ring: up to a whole ring of them, 1024, seen
         * as lost.) */
        int stopping = __atomic_load_n(&d->stop, __ATOMIC_ACQUIRE);
        long n = ebpf_ringbuf_consume_tag(d->rb, &rec, sizeof rec, 0, &tag);
        if (n == 0) {
            if (stopping)
                break;
            continue;
        }
        int t = (int)(rec >> 32);
        if (n != 8 || t >= THREADS || tag != (uint32_t)t + 1) {
            d->out_of_order++;
            continue;
        }
        /* One producer's records are in its own order; drops are gaps. */
        if ((rec & 0xffffffff) < d->next[t])
            d->out_of_order++;
        d->next[t] = (rec & 0xffffffff) + 1;
        d->got[t]++;
    }
    return NULL;
}

static uint64_t lookup(ebpf_vm *vm, const char *map, uint32_t key)
{
    uint64_t *v = ebpf_map_lookup(ebpf_map_by_name(vm, map), &key);
    return v ? *v : (uint64_t)-1;
}

static void run_threads(int checked)
{
    ebpf_vm *vm = load(checked);
    struct worker w[THREADS];
    pthread_t th[THREADS], drainer;
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.vm = ebpf_replicate(vm, NULL, rerr[i], sizeof rerr[i]), .id = i};
        if (!w[i].vm)
            fail_msg("replicate: %s", ebpf_error(vm));
        ebpf_set_ringbuf_tag(w[i].vm, (uint32_t)i + 1);
    }
    struct drain d = {.rb = ebpf_map_by_name(vm, "records")};
    assert_non_null(d.rb);
    pthread_create(&drainer, NULL, consume, &d);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, work, &w[i]);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    __atomic_store_n(&d.stop, 1, __ATOMIC_RELEASE);
    pthread_join(drainer, NULL);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(w[i].failed, 0);

    assert_int_equal(lookup(vm, "total", 0), (uint64_t)THREADS * RUNS);
    uint64_t sum = 0;
    for (uint32_t k = 0; k < KEYS; k++) {
        /* RUNS is a multiple of KEYS: each thread ran each key RUNS/KEYS times */
        assert_int_equal(lookup(vm, "per_key", k), (uint64_t)THREADS * (RUNS / KEYS));
        sum += lookup(vm, "per_key", k);
    }
    assert_int_equal(sum, (uint64_t)THREADS * RUNS);
    uint64_t got = 0;
    for (int t = 0; t < THREADS; t++)
        got += d.got[t];
    assert_int_equal(d.out_of_order, 0);
    /* every record was either delivered or refused (and counted) */
    assert_int_equal(got + lookup(vm, "total", 1), (uint64_t)THREADS * RUNS);
    assert_true(got > 0);
}

static void test_replicas_interpreted_checked(void **state)
{
    (void)state;
    run_threads(1);
}

static void test_replicas_interpreted_trusted(void **state)
{
    (void)state;
    run_threads(0);
}

/* Hash map updates and deletes from several threads at once, on keys they
 * share: the map's count and contents stay exact. */
struct hw {
    ebpf_map *m;
    int id;
};

static void *hash_work(void *arg)
{
    struct hw *h = arg;
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t key = (i * 7 + (uint32_t)h->id) % 48;
        uint64_t v = key;
        ebpf_map_update(h->m, &key, &v, BPF_ANY);
        /* The element may be deleted and reused by another key under the
         * lookup (as in Linux's preallocated hash maps), but its value is
         * always one some update wrote, never torn or stray. */
        uint64_t *got = ebpf_map_lookup(h->m, &key);
        if (got && *got >= 48)
            abort();
        if (i % 3 == 0)
            ebpf_map_delete(h->m, &key);
    }
    return NULL;
}

static void test_hash_updates_from_many_threads(void **state)
{
    (void)state;
    ebpf_vm *vm = ebpf_create(arena, sizeof arena, err, sizeof err);
    struct ebpf_map_def def = {BPF_MAP_TYPE_HASH, 4, 8, 48};
    ebpf_map *m = ebpf_map_create(vm, &def, "h");
    assert_non_null(m);
    pthread_t th[THREADS];
    struct hw h[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i] = (struct hw){m, i};
        pthread_create(&th[i], NULL, hash_work, &h[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    /* Every key the threads touched is there at most once, with its value,
     * and filling the rest still works: no entry leaked or was lost. */
    int present = 0;
    for (uint32_t k = 0; k < 48; k++) {
        uint64_t *v = ebpf_map_lookup(m, &k);
        if (v) {
            assert_int_equal(*v, k);
            present++;
        }
    }
    for (uint32_t k = 0; k < 48; k++) {
        uint64_t v = k;
        assert_int_equal(ebpf_map_update(m, &k, &v, BPF_ANY), 0);
    }
    uint32_t extra = 1000;
    uint64_t v = 0;
    assert_int_equal(ebpf_map_update(m, &extra, &v, BPF_ANY), -EBPF_E2BIG);
    int n = 0;
    uint32_t key, next;
    for (int r = ebpf_map_get_next_key(m, NULL, &next); r == 0;
         key = next, r = ebpf_map_get_next_key(m, &key, &next))
        n++;
    assert_int_equal(n, 48);
    (void)present;
}

/* A replica cannot load, verify or compile, and runs in its original's mode. */
static void test_replica_only_runs(void **state)
{
    (void)state;
    ebpf_vm *vm = load(1);
    ebpf_vm *r = ebpf_replicate(vm, NULL, rerr[0], sizeof rerr[0]);
    assert_non_null(r);
    struct ebpf_verify_opts o = {.ctx_size = 256};
    assert_int_equal(ebpf_verify(r, &o), -EBPF_EINVAL);
    assert_null(ebpf_replicate(r, NULL, NULL, 0));
    ebpf_set_bounds_check(r, 0);
    struct regs regs = {0};
    uint64_t r0;
    assert_int_equal(ebpf_exec(r, &regs, sizeof regs, &r0), -EBPF_EINVAL);
    assert_non_null(strstr(rerr[0], "original's mode"));
    ebpf_set_bounds_check(r, 1);
    assert_int_equal(ebpf_exec(r, &regs, sizeof regs, &r0), 0);
    assert_int_equal(lookup(vm, "total", 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replicas_interpreted_checked),
        cmocka_unit_test(test_replicas_interpreted_trusted),
        cmocka_unit_test(test_hash_updates_from_many_threads),
        cmocka_unit_test(test_replica_only_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
