/*
 * fuzz_ebpf.c - libFuzzer target: load + verify + run.
 *
 * Input: instructions (8 bytes each).  Every program the verifier accepts
 * is run twice: in the bounds-checked interpreter, where an out-of-region
 * access is a verifier bug (we trap), and in the trusted interpreter under
 * ASan with the context in its own malloc'd block, so any stray access
 * shows up as an ASan report.  The JIT compiles every loadable program
 * (without running it: that needs rv64).  The ELF loader gets the same
 * bytes too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf.h"

#define CTX_SIZE 64

static char arena[16 << 20];
static char err[256];

static uint64_t h_ktime(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return 12345;
}
static uint64_t h_probe(uint64_t dst, uint64_t n, uint64_t src, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)src, (void)d, (void)e, (void)vm;
    memset((void *)(uintptr_t)dst, 0x5a, n);
    return 0;
}
static uint64_t h_printk(uint64_t p, uint64_t n, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)c, (void)d, (void)e, (void)vm;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += ((const uint8_t *)(uintptr_t)p)[i];
    return sum;
}
static const struct ebpf_helper_proto p_ktime = {"ktime_get_ns", EBPF_RET_INTEGER, {0}};
static const struct ebpf_helper_proto p_probe = {
    "probe_read_kernel", EBPF_RET_INTEGER, {EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE, EBPF_ARG_ANYTHING}};
static const struct ebpf_helper_proto p_printk = {
    "trace_printk", EBPF_RET_INTEGER, {EBPF_ARG_MEM, EBPF_ARG_SIZE_OR_ZERO}};

static ebpf_vm *setup(void)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    struct ebpf_map_def array = {BPF_MAP_TYPE_ARRAY, 4, 16, 4};
    struct ebpf_map_def hash = {BPF_MAP_TYPE_HASH, 8, 8, 16};
    struct ebpf_map_def rb = {BPF_MAP_TYPE_RINGBUF, 0, 0, 4096};
    ebpf_map_create(vm, &array, "array");
    ebpf_map_create(vm, &hash, "hash");
    ebpf_map_create(vm, &rb, "events");
    ebpf_register_map_helpers(vm);
    ebpf_register_helper(vm, BPF_FUNC_ktime_get_ns, h_ktime, &p_ktime);
    ebpf_register_helper(vm, BPF_FUNC_probe_read_kernel, h_probe, &p_probe);
    ebpf_register_helper(vm, BPF_FUNC_trace_printk, h_printk, &p_printk);
    return vm;
}

struct names {
    char name[4][64];
    int n;
};

static void add_name(const char *name, void *arg)
{
    struct names *l = arg;
    if (l->n < 4 && strlen(name) < sizeof(l->name[0]))
        strcpy(l->name[l->n++], name);
}

static void ignore_init(const char *map, uint32_t index, const char *prog, void *arg)
{
    (void)map, (void)index, (void)prog, (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > 8192)
        return 0;
    struct ebpf_insn *p = malloc(size / 8 * 8);
    memcpy(p, data, size / 8 * 8);
    ebpf_vm *vm = setup();
    if (ebpf_load(vm, p, (uint32_t)(size / 8)) == 0) {
        /* the JIT must translate any loadable program without misbehaving
         * (the code is only run on rv64, by the JIT suite) */
        static uint64_t code[1 << 14];
        size_t len;
        ebpf_register_helper(vm, 200, h_ktime, &p_ktime);
        ebpf_jit_set_rvc(vm, data[0] & 2);
        ebpf_jit_compile(vm, code, sizeof(code), &len);
        struct ebpf_verify_opts o = {
            .ctx_size = CTX_SIZE, .ctx_writable = data[0] & 1, .insn_limit = 20000};
        if (ebpf_verify(vm, &o) == 0) {
            uint8_t *ctx = malloc(CTX_SIZE);
            memset(ctx, 0x33, CTX_SIZE);
            uint64_t r0;
            ebpf_set_insn_budget(vm, 1u << 16);
            ebpf_set_bounds_check(vm, 1);
            if (ebpf_exec(vm, ctx, CTX_SIZE, &r0) == -EBPF_EFAULT)
                __builtin_trap(); /* the verifier let an unsafe access through */
            ebpf_set_bounds_check(vm, 0);
            ebpf_exec(vm, ctx, CTX_SIZE, &r0);
            free(ctx);
        }
    }
    free(p);
    /* the same bytes as an ELF object */
    uint8_t *copy = aligned_alloc(16, (size + 15) & ~(size_t)15);
    memcpy(copy, data, size);
    vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    if (ebpf_load_elf(vm, copy, size, "main") == 0 ||
        ebpf_load_elf(vm, copy, size, "kprobe/do_sys_open") == 0) {
        struct ebpf_verify_opts o = {.ctx_size = 256, .insn_limit = 20000};
        ebpf_verify(vm, &o);
    }
    /* every program the object lists (the seeds' kconfig, CO-RE and
     * several-programs-per-section objects), each in a fresh VM */
    struct names names = {0};
    vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    ebpf_elf_prog_array_inits(vm, copy, size, ignore_init, NULL); /* .maps relocations */
    ebpf_elf_programs(vm, copy, size, add_name, &names);
    for (int i = 0; i < names.n; i++) {
        vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
        if (ebpf_load_elf(vm, copy, size, names.name[i]) == 0) {
            struct ebpf_verify_opts o = {.ctx_size = 256, .insn_limit = 20000};
            ebpf_verify(vm, &o);
        }
    }
    free(copy);
    return 0;
}
