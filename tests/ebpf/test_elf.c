/*
 * test_elf.c - the ELF loader on objects compiled from the C files in tests/ebpf/progs
 * by clang -O2 -g -target bpf at build time (PROG_DIR).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ebpf.h"

static char arena[16 << 20];
static char err[256];
static char vlog[1 << 16];

static void *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", PROG_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    void *buf = aligned_alloc(16, 1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static uint64_t h_pid(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return 0x100000002ull;
}
static const struct ebpf_helper_proto p_pid = {"get_current_pid_tgid", EBPF_RET_INTEGER, {0}};

static ebpf_vm *new_vm(void)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    assert_non_null(vm);
    assert_int_equal(ebpf_register_map_helpers(vm), 0);
    ebpf_register_helper(vm, BPF_FUNC_get_current_pid_tgid, h_pid, &p_pid);
    return vm;
}

static void verify(ebpf_vm *vm, uint32_t ctx_size)
{
    struct ebpf_verify_opts o = {
        .ctx_size = ctx_size, .log = vlog, .log_size = sizeof(vlog), .log_level = 1};
    if (ebpf_verify(vm, &o))
        fail_msg("verifier rejected: %s\n%s", ebpf_error(vm), vlog);
}

static void test_main_with_subprograms(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("calls.o", &len);
    ebpf_vm *vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "main"))
        fail_msg("load: %s", ebpf_error(vm));
    verify(vm, 0);
    uint64_t r0 = 0;
    ebpf_set_bounds_check(vm, 1);
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0);
    assert_int_equal(r0, 385); /* sum of squares 1..10 */
    assert_string_equal(ebpf_license(vm), "GPL");
    free(obj);
}

/* Linux riscv user_regs_struct: 32 registers, a0 is the 11th. */
struct regs {
    uint64_t r[32];
};
#define A0 10

static void check_map_def(ebpf_vm *vm, const char *name, uint32_t type, uint32_t ks, uint32_t vs,
                          uint32_t max)
{
    ebpf_map *m = ebpf_map_by_name(vm, name);
    if (!m)
        fail_msg("map %s missing", name);
    const struct ebpf_map_def *d = ebpf_map_def(m);
    if (d->type != type || d->key_size != ks || d->value_size != vs || d->max_entries != max)
        fail_msg("map %s: type %u key %u value %u max %u", name, d->type, d->key_size,
                 d->value_size, d->max_entries);
}

static void test_kprobe_maps_globals(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("probe.o", &len);
    ebpf_vm *vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "kprobe/do_sys_open"))
        fail_msg("load: %s", ebpf_error(vm));
    check_map_def(vm, "counts", BPF_MAP_TYPE_HASH, 8, 8, 64);
    check_map_def(vm, "stats", BPF_MAP_TYPE_ARRAY, 4, 16, 4);
    check_map_def(vm, "events", BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
    check_map_def(vm, "legacy", BPF_MAP_TYPE_ARRAY, 4, 8, 2);
    check_map_def(vm, ".rodata", BPF_MAP_TYPE_ARRAY, 4, 8, 1);
    check_map_def(vm, ".data", BPF_MAP_TYPE_ARRAY, 4, 8, 1);
    check_map_def(vm, ".bss", BPF_MAP_TYPE_ARRAY, 4, 8, 1);
    assert_string_equal(ebpf_license(vm), "Dual BSD/GPL");
    verify(vm, sizeof(struct regs));

    struct regs ctx = {{0}};
    ctx.r[A0] = 7;
    uint64_t r0;
    ebpf_set_bounds_check(vm, 1);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ebpf_exec(vm, &ctx, sizeof(ctx), &r0), 0);
        assert_int_equal(r0, 21); /* PT_REGS_PARM1 * multiplier (3, from .rodata) */
    }
    uint64_t key = 7, *v = ebpf_map_lookup(ebpf_map_by_name(vm, "counts"), &key);
    assert_non_null(v);
    assert_int_equal(*v, 2); /* inserted, then incremented atomically */
    uint32_t k0 = 0;
    uint64_t *st = ebpf_map_lookup(ebpf_map_by_name(vm, "stats"), &k0);
    assert_int_equal(st[0], 2);
    assert_int_equal(st[1], 7);
    uint64_t *lg = ebpf_map_lookup(ebpf_map_by_name(vm, "legacy"), &k0);
    assert_int_equal(*lg, 21);
    uint64_t *calls = ebpf_map_lookup(ebpf_map_by_name(vm, ".data"), &k0);
    assert_int_equal(*calls, 102);
    uint64_t *last = ebpf_map_lookup(ebpf_map_by_name(vm, ".bss"), &k0);
    assert_int_equal(*last, 7);
    uint64_t ev[2];
    ebpf_map *rb = ebpf_map_by_name(vm, "events");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ebpf_ringbuf_consume(rb, ev, sizeof(ev)), 16);
        assert_int_equal(ev[0], 7);
        assert_int_equal(ev[1], 0x100000002ull);
    }
    assert_int_equal(ebpf_ringbuf_consume(rb, ev, sizeof(ev)), 0);
    free(obj);
}

static void test_program_by_function_name(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("probe.o", &len);
    ebpf_vm *vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "count_open"))
        fail_msg("load: %s", ebpf_error(vm));
    verify(vm, sizeof(struct regs));
    struct regs ctx = {{0}};
    ctx.r[A0] = 5;
    uint64_t r0;
    assert_int_equal(ebpf_exec(vm, &ctx, sizeof(ctx), &r0), 0);
    assert_int_equal(r0, 15);
    free(obj);
}

static void collect(const char *name, void *arg)
{
    char *out = arg;
    strcat(out, name);
    strcat(out, ";");
}

static void test_list_programs(void **state)
{
    (void)state;
    size_t len;
    char names[256] = "";
    void *obj = slurp("probe.o", &len);
    ebpf_vm *vm = new_vm();
    assert_int_equal(ebpf_elf_programs(vm, obj, len, collect, names), 3);
    /* in section order; scale() in .text is static, so not a program */
    assert_string_equal(names, "kprobe/do_sys_open;kretprobe/do_sys_open;uprobe/libc:malloc;");
    free(obj);
    names[0] = 0;
    obj = slurp("calls.o", &len);
    assert_int_equal(ebpf_elf_programs(vm, obj, len, collect, names), 1);
    assert_string_equal(names, "main;");
    free(obj);
}

/* kretprobe reads the return value (a0), uprobe the first two arguments. */
static void test_kretprobe_and_uprobe(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("probe.o", &len);
    struct regs ctx = {{0}};
    ctx.r[A0] = 40;
    ctx.r[A0 + 1] = 50;
    uint64_t r0;
    ebpf_vm *vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "kretprobe/do_sys_open"))
        fail_msg("load: %s", ebpf_error(vm));
    verify(vm, sizeof(struct regs));
    assert_int_equal(ebpf_exec(vm, &ctx, sizeof(ctx), &r0), 0);
    assert_int_equal(r0, 41);
    vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "uprobe/libc:malloc"))
        fail_msg("load: %s", ebpf_error(vm));
    verify(vm, sizeof(struct regs));
    assert_int_equal(ebpf_exec(vm, &ctx, sizeof(ctx), &r0), 0);
    assert_int_equal(r0, 10);
    free(obj);
}

/* Two VMs, one map: the second VM shares the first one's maps before
 * loading the same object, as the kernel does for programs of one object. */
static char arena2[16 << 20];
static void test_shared_maps(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("probe.o", &len);
    ebpf_vm *a = new_vm();
    if (ebpf_load_elf(a, obj, len, "kprobe/do_sys_open"))
        fail_msg("load: %s", ebpf_error(a));
    char err2[256];
    ebpf_vm *b = ebpf_create(arena2, sizeof(arena2), err2, sizeof(err2));
    assert_int_equal(ebpf_register_map_helpers(b), 0);
    ebpf_register_helper(b, BPF_FUNC_get_current_pid_tgid, h_pid, &p_pid);
    /* share in reverse order: fds differ between the VMs */
    for (int fd = ebpf_map_count(a) - 1; fd >= 0; fd--)
        assert_true(ebpf_map_share(b, ebpf_map_by_fd(a, fd)) >= 0);
    if (ebpf_load_elf(b, obj, len, "count_open"))
        fail_msg("load: %s", err2);
    assert_int_equal(ebpf_map_count(b), ebpf_map_count(a)); /* nothing new created */
    verify(b, sizeof(struct regs));
    struct regs ctx = {{0}};
    ctx.r[A0] = 9;
    uint64_t r0;
    assert_int_equal(ebpf_exec(a, &ctx, sizeof(ctx), &r0), 0);
    assert_int_equal(ebpf_exec(b, &ctx, sizeof(ctx), &r0), 0);
    uint64_t key = 9, *v = ebpf_map_lookup(ebpf_map_by_name(a, "counts"), &key);
    assert_non_null(v);
    assert_int_equal(*v, 2);
    uint32_t k0 = 0;
    uint64_t *calls = ebpf_map_lookup(ebpf_map_by_name(a, ".data"), &k0);
    assert_int_equal(*calls, 102);
    free(obj);
}

/* .rodata is frozen: the verifier refuses stores into it. */
static void test_rodata_is_read_only(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("probe.o", &len);
    ebpf_vm *vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "kprobe/do_sys_open"))
        fail_msg("load: %s", ebpf_error(vm));
    free(obj);
    ebpf_vm *vm2 = ebpf_create(arena2, sizeof(arena2), err, sizeof(err));
    int ro = ebpf_map_share(vm2, ebpf_map_by_name(vm, ".rodata"));
    int rw = ebpf_map_share(vm2, ebpf_map_by_name(vm, ".data"));
    struct ebpf_insn p[] = {
        {.code = BPF_LD | BPF_DW | BPF_IMM, .dst = 1, .src = BPF_PSEUDO_MAP_VALUE, .imm = rw},
        {.imm = 0},
        {.code = BPF_ST | BPF_MEM | BPF_DW, .dst = 1, .imm = 1},
        {.code = BPF_LD | BPF_DW | BPF_IMM, .dst = 1, .src = BPF_PSEUDO_MAP_VALUE, .imm = ro},
        {.imm = 0},
        {.code = BPF_LDX | BPF_MEM | BPF_DW, .dst = 0, .src = 1},
        {.code = BPF_ST | BPF_MEM | BPF_DW, .dst = 1, .imm = 1},
        {.code = BPF_JMP | BPF_EXIT},
    };
    assert_int_equal(ebpf_load(vm2, p, 8), 0);
    struct ebpf_verify_opts o = {0};
    assert_int_equal(ebpf_verify(vm2, &o), -EBPF_EACCES);
    assert_int_equal(ebpf_error_insn(vm2), 6); /* the .data store and the load passed */
    assert_non_null(strstr(ebpf_error(vm2), "write into map forbidden"));

    /* nor may helpers update it */
    ebpf_vm *vm3 = ebpf_create(arena2, sizeof(arena2), err, sizeof(err));
    ebpf_register_map_helpers(vm3);
    ro = ebpf_map_share(vm3, ebpf_map_by_name(vm, ".rodata"));
    struct ebpf_insn q[] = {
        {.code = BPF_ST | BPF_MEM | BPF_W, .dst = 10, .off = -4, .imm = 0},
        {.code = BPF_ST | BPF_MEM | BPF_DW, .dst = 10, .off = -16, .imm = 0},
        {.code = BPF_LD | BPF_DW | BPF_IMM, .dst = 1, .src = BPF_PSEUDO_MAP_FD, .imm = ro},
        {.imm = 0},
        {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst = 2, .src = 10},
        {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst = 2, .imm = -4},
        {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst = 3, .src = 10},
        {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst = 3, .imm = -16},
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst = 4, .imm = 0},
        {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_update_elem},
        {.code = BPF_JMP | BPF_EXIT},
    };
    assert_int_equal(ebpf_load(vm3, q, 11), 0);
    assert_int_equal(ebpf_verify(vm3, &o), -EBPF_EACCES);
    assert_non_null(strstr(ebpf_error(vm3), "map .rodata is frozen"));
}

/* A shared map must match the object's definition of the same name. */
static void test_shared_map_mismatch(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("probe.o", &len);
    ebpf_vm *vm = new_vm();
    struct ebpf_map_def wrong = {BPF_MAP_TYPE_HASH, 8, 8, 32}; /* probe.o says 64 */
    assert_non_null(ebpf_map_create(vm, &wrong, "counts"));
    assert_int_equal(ebpf_load_elf(vm, obj, len, "kprobe/do_sys_open"), -EBPF_EINVAL);
    assert_non_null(strstr(ebpf_error(vm), "map counts already exists with another definition"));
    free(obj);
}

static void test_errors(void **state)
{
    (void)state;
    size_t len;
    uint8_t *obj = slurp("probe.o", &len);
    ebpf_vm *vm = new_vm();
    assert_int_equal(ebpf_load_elf(vm, obj, len, "kprobe/nope"), -EBPF_ENOENT);
    assert_non_null(strstr(ebpf_error(vm), "no program or function named 'kprobe/nope'"));
    vm = new_vm();
    assert_int_not_equal(ebpf_load_elf(vm, "hello", 5, "main"), 0);
    assert_non_null(strstr(ebpf_error(vm), "not an ELF file"));
    /* every truncation of a valid object fails cleanly (ASan watches) */
    for (size_t cut = 0; cut < len; cut += 97) {
        uint8_t *copy = aligned_alloc(16, (cut + 15) & ~(size_t)15 ? (cut + 15) & ~(size_t)15 : 16);
        memcpy(copy, obj, cut);
        vm = new_vm();
        int r = ebpf_load_elf(vm, copy, cut, "kprobe/do_sys_open");
        free(copy);
        if (r == 0 && cut < len / 2)
            fail_msg("loaded a truncated object of %zu bytes", cut);
    }
    free(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_with_subprograms),
        cmocka_unit_test(test_kprobe_maps_globals),
        cmocka_unit_test(test_program_by_function_name),
        cmocka_unit_test(test_list_programs),
        cmocka_unit_test(test_shared_maps),
        cmocka_unit_test(test_shared_map_mismatch),
        cmocka_unit_test(test_rodata_is_read_only),
        cmocka_unit_test(test_kretprobe_and_uprobe),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("ebpf-elf", tests, NULL, NULL);
}
