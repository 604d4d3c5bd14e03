/*
 * bench.c - eBPF runtime benchmarks (issue 4), `make bench`.
 *
 * Host build: interpreter ns/instruction per kernel, verifier time for
 * synthetic programs of 100, 1k and 10k instructions.
 * rv64 build (run under qemu-riscv64): interpreter vs JIT vs native gcc -O2
 * of the same C, all under the same emulator.
 * Instruction counts come from one bounds-checked run (which counts); the
 * timed runs use the trusted interpreter.  Every engine's result must agree.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ebpf.h"

struct kernel {
    const char *name;
    uint64_t n;
    uint64_t (*native)(uint64_t *ctx);
};

#if defined(__riscv)
uint64_t k_xorshift(uint64_t *), k_sieve(uint64_t *), k_memcpy(uint64_t *), k_strcmp(uint64_t *),
    k_switch(uint64_t *), k_log2(uint64_t *);
#define NATIVE(f) f
#else
#define NATIVE(f) NULL
#endif

static const struct kernel kernels[] = {
    {"xorshift", 200000, NATIVE(k_xorshift)}, {"sieve", 4, NATIVE(k_sieve)},
    {"memcpy", 200, NATIVE(k_memcpy)},        {"strcmp", 50, NATIVE(k_strcmp)},
    {"switch", 200000, NATIVE(k_switch)},     {"log2", 200000, NATIVE(k_log2)},
    {"array_lookup", 100000, NULL},           {"hash_lookup", 100000, NULL},
};
#define NK (sizeof(kernels) / sizeof(kernels[0]))

static char arena[64 << 20];
static char err[512];
static uint64_t ctx[2048];
#if defined(__riscv)
static uint32_t *jit_buf;
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void init_ctx(uint64_t n)
{
    memset(ctx, 0, sizeof(ctx));
    ctx[0] = n;
    for (int i = 8; i < 1032; i++)
        ctx[i] = (uint64_t)i * 0x9e3779b97f4a7c15ull;
    char *a = (char *)(ctx + 8), *b = (char *)(ctx + 520);
    memset(a, 'x', 3999);
    memset(b, 'x', 3999);
    a[3999] = b[3999] = 0;
    b[3000] = 'y';
}

static void *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    void *buf = aligned_alloc(16, 1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static ebpf_vm *load(const void *obj, size_t len, const char *name)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    ebpf_register_map_helpers(vm);
    if (ebpf_load_elf(vm, obj, len, name)) {
        fprintf(stderr, "load %s: %s\n", name, err);
        exit(1);
    }
    ebpf_map *arr = ebpf_map_by_name(vm, "arr"), *hash = ebpf_map_by_name(vm, "hash");
    for (uint64_t i = 0; i < 256; i++) {
        uint32_t k = (uint32_t)i;
        if (arr)
            ebpf_map_update(arr, &k, &i, 0);
        if (hash && i < 128)
            ebpf_map_update(hash, &i, &i, 0);
    }
    return vm;
}

/* Median seconds of `reps` runs of one engine. */
static double timed(ebpf_vm *vm, int jit, uint64_t (*native)(uint64_t *), uint64_t n,
                    uint64_t *result, int reps)
{
    double t[9];
    for (int r = 0; r < reps; r++) {
        init_ctx(n);
        double t0 = now();
        if (native)
            *result = native(ctx);
        else if (jit)
            ebpf_jit_exec(vm, ctx, sizeof(ctx), result);
        else
            ebpf_exec(vm, ctx, sizeof(ctx), result);
        t[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    return t[reps / 2];
}

/* ---- verifier timing on synthetic programs ------------------------------ */

#define I(c, d, s, o, i) ((struct ebpf_insn){(c), (d), (s), (o), (i)})

static unsigned synth(struct ebpf_insn *p, unsigned size)
{
    unsigned n = 0, k = 0;
    p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);
    while (n + 16 < size) {
        p[n++] = I(BPF_LDX | BPF_MEM | BPF_W, 1, 6, (int16_t)((k % 8) * 4), 0);
        p[n++] = I(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, 0xff);
        p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_X, 2, 1, 0, 0);
        p[n++] = I(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, (int32_t)k);
        p[n++] = I(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 2, 100);
        p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 7);
        p[n++] = I(BPF_JMP | BPF_JA, 0, 0, 1, 0);
        p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 7);
        p[n++] = I(BPF_STX | BPF_MEM | BPF_DW, 10, 2, (int16_t)(-8 * (int)(1 + k % 32)), 0);
        p[n++] = I(BPF_ALU64 | BPF_MUL | BPF_K, 2, 0, 0, 3);
        k++;
    }
    p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
    p[n++] = I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    return n;
}

/* Verifies p[0..n) seven times: the median time (ms), the instructions
 * processed and the peak scratch of the last run. */
static double time_verify(const struct ebpf_insn *p, unsigned n, uint32_t *processed,
                          size_t *scratch)
{
    double t[7];
    for (int r = 0; r < 7; r++) {
        ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
        if (ebpf_load(vm, p, n)) {
            fprintf(stderr, "load: %s\n", err);
            exit(1);
        }
        struct ebpf_verify_opts o = {.ctx_size = 64};
        double t0 = now();
        if (ebpf_verify(vm, &o)) {
            fprintf(stderr, "verify: %s\n", err);
            exit(1);
        }
        t[r] = now() - t0;
        *processed = ebpf_verify_processed(vm);
        *scratch = ebpf_verify_scratch(vm);
    }
    qsort(t, 7, sizeof(double), cmp_double);
    return t[3] * 1e3;
}

/* for (i = 0; i < 10000; i++) { if (x & (1 << (i & 7))) sum += a; else sum ^= a; }
 * with x and a from ctx: a bounded loop with a branch (issue 18). */
static void bench_verifier_loop(void)
{
    struct ebpf_insn p[] = {
        I(BPF_LDX | BPF_MEM | BPF_DW, 7, 1, 0, 0),  I(BPF_LDX | BPF_MEM | BPF_DW, 8, 1, 8, 0),
        I(BPF_ALU64 | BPF_MOV | BPF_K, 6, 0, 0, 0), I(BPF_ALU64 | BPF_MOV | BPF_K, 9, 0, 0, 0),
        I(BPF_ALU64 | BPF_MOV | BPF_X, 2, 9, 0, 0), I(BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 7),
        I(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 1), I(BPF_ALU64 | BPF_LSH | BPF_X, 3, 2, 0, 0),
        I(BPF_ALU64 | BPF_AND | BPF_X, 3, 7, 0, 0), I(BPF_JMP | BPF_JEQ | BPF_K, 3, 0, 2, 0),
        I(BPF_ALU64 | BPF_ADD | BPF_X, 6, 8, 0, 0), I(BPF_JMP | BPF_JA, 0, 0, 1, 0),
        I(BPF_ALU64 | BPF_XOR | BPF_X, 6, 8, 0, 0), I(BPF_ALU64 | BPF_ADD | BPF_K, 9, 0, 0, 1),
        I(BPF_JMP | BPF_JLT | BPF_K, 9, 0, -11, 10000), I(BPF_ALU64 | BPF_MOV | BPF_X, 0, 6, 0, 0),
        I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
    unsigned n = sizeof(p) / sizeof(p[0]);
    uint32_t processed = 0;
    size_t scratch = 0;
    double ms = time_verify(p, n, &processed, &scratch);
    printf("  %-8s %10u %12.3f %12.3f %12zu   (%u insns: 10,000-iteration loop with a branch)\n",
           "loop", processed, ms, ms * 1e3 / processed, scratch / 1024, n);
}

__attribute__((unused)) static void bench_verifier(void)
{
    static struct ebpf_insn p[10000];
    printf("\nverifier time vs program size (median of 7):\n");
    printf("  %-8s %10s %12s %12s %12s\n", "insns", "processed", "time (ms)", "us/insn",
           "scratch KiB");
    for (unsigned size = 100; size <= 10000; size *= 10) {
        unsigned n = synth(p, size);
        uint32_t processed = 0;
        size_t scratch = 0;
        double ms = time_verify(p, n, &processed, &scratch);
        printf("  %-8u %10u %12.3f %12.3f %12zu\n", n, processed, ms, ms * 1e3 / n, scratch / 1024);
    }
    bench_verifier_loop();
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench KERNELS.o\n");
        return 1;
    }
    size_t len;
    void *obj = slurp(argv[1], &len);
#if defined(__riscv)
    jit_buf =
        mmap(NULL, 1 << 22, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("rv64 under qemu-riscv64: interpreter vs JIT vs native (gcc -O2), median of 3\n");
    printf("  %-13s %11s %10s %9s %10s %9s %11s\n", "kernel", "insns", "interp ms", "jit ms",
           "native ms", "jit/int", "jit/native");
#else
    printf("host interpreter (x86-64), median of 5\n");
    printf("  %-13s %11s %10s %9s %14s\n", "kernel", "insns", "ms", "ns/insn", "checked ns/insn");
#endif
    double nspi[NK];
    int bad = 0;
    for (unsigned i = 0; i < NK; i++) {
        const struct kernel *k = &kernels[i];
        ebpf_vm *vm = load(obj, len, k->name);
        uint64_t want, got;
        init_ctx(k->n);
        ebpf_set_bounds_check(vm, 1);
        if (ebpf_exec(vm, ctx, sizeof(ctx), &want)) {
            fprintf(stderr, "%s: %s\n", k->name, err);
            return 1;
        }
        uint64_t insns = ebpf_executed(vm);
        ebpf_set_bounds_check(vm, 0);
#if defined(__riscv)
        double ti = timed(vm, 0, NULL, k->n, &got, 3);
        bad |= got != want;
        if (ebpf_jit_compile(vm, jit_buf, 1 << 22, NULL)) {
            fprintf(stderr, "jit %s: %s\n", k->name, err);
            return 1;
        }
        double tj = timed(vm, 1, NULL, k->n, &got, 3);
        bad |= got != want;
        if (k->native) {
            double tn = timed(vm, 0, k->native, k->n, &got, 3);
            bad |= got != want;
            printf("  %-13s %11llu %10.2f %9.2f %10.2f %8.1fx %10.2fx\n", k->name,
                   (unsigned long long)insns, ti * 1e3, tj * 1e3, tn * 1e3, ti / tj, tj / tn);
        } else {
            printf("  %-13s %11llu %10.2f %9.2f %10s %8.1fx %11s\n", k->name,
                   (unsigned long long)insns, ti * 1e3, tj * 1e3, "-", ti / tj, "-");
        }
        nspi[i] = ti / tj;
#else
        double ti = timed(vm, 0, NULL, k->n, &got, 5);
        bad |= got != want;
        nspi[i] = ti * 1e9 / (double)insns;
        ebpf_set_bounds_check(vm, 1);
        double tc = timed(vm, 0, NULL, k->n, &got, 5);
        ebpf_set_bounds_check(vm, 0);
        bad |= got != want;
        printf("  %-13s %11llu %10.2f %9.2f %14.2f\n", k->name, (unsigned long long)insns,
               ti * 1e3, nspi[i], tc * 1e9 / (double)insns);
#endif
        if (bad) {
            fprintf(stderr, "%s: engines disagree\n", k->name);
            return 1;
        }
    }
    qsort(nspi, NK, sizeof(double), cmp_double);
#if defined(__riscv)
    printf("  median JIT speed-up over the interpreter: %.1fx\n",
           (nspi[NK / 2 - 1] + nspi[NK / 2]) / 2);
#else
    printf("  median interpreter cost: %.2f ns/insn\n", (nspi[NK / 2 - 1] + nspi[NK / 2]) / 2);
    bench_verifier();
#endif
    free(obj);
    return 0;
}
