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

#include "prog_file.h"

#include "bpf/osdbg.h" /* plain C: the host (LP64) lays it out as -target bpf does */
#include "ebpf.h"

static char arena[16 << 20];
static char err[256];
static char vlog[1 << 16];

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

/* progs/loop_u32.c: for (__u32 i = 0; i < 64; i++) with &i passed to the
 * lookup; clang keeps i only in a 4-byte stack slot.  The verifier accepts
 * it (narrow spills keep their value) and the run, bounds-checked, adds the
 * odd squares and counts the even ones over the 64 entries. */
static void test_u32_counter_loop(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("loop_u32.o", &len);
    ebpf_vm *vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "sum_squares"))
        fail_msg("load: %s", ebpf_error(vm));
    verify(vm, 0);
    ebpf_map *sq = ebpf_map_by_name(vm, "squares");
    assert_non_null(sq);
    for (uint32_t i = 0; i < 64; i++) {
        uint64_t v = (uint64_t)i * i;
        assert_int_equal(ebpf_map_update(sq, &i, &v, 0), 0);
    }
    uint64_t r0 = 1;
    ebpf_set_bounds_check(vm, 1);
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0);
    assert_int_equal(r0, 0);
    uint32_t k = 0;
    const uint64_t *g = ebpf_map_lookup(ebpf_map_by_name(vm, ".bss"), &k);
    assert_non_null(g);
    assert_int_equal(g[0], 43680); /* 1 + 9 + ... + 63^2 = 32 * 63 * 65 / 3 */
    assert_int_equal(g[1], 32);
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

/* ---- issue 18: real-world objects ------------------------------------- */

static void names_cb(const char *name, void *arg)
{
    char *buf = arg;
    strcat(buf, name);
    strcat(buf, ";");
}

static uint64_t run_prog(const char *obj_name, const char *prog)
{
    size_t len;
    void *obj = slurp(obj_name, &len);
    ebpf_vm *vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, prog))
        fail_msg("load %s: %s", prog, ebpf_error(vm));
    verify(vm, 256);
    uint64_t ctx[32] = {0}, r0 = 0;
    ebpf_set_bounds_check(vm, 1);
    assert_int_equal(ebpf_exec(vm, ctx, sizeof(ctx), &r0), 0);
    free(obj);
    return r0;
}

/* Two SEC("kprobe/sys_write") functions are two programs, named by their
 * functions; SEC("kprobe") alone is one, named by its section. */
static void test_several_programs_in_a_section(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("multi.o", &len);
    ebpf_vm *vm = new_vm();
    char names[256] = "";
    assert_int_equal(ebpf_elf_programs(vm, obj, len, names_cb, names), 3);
    assert_string_equal(names, "first;second;kprobe;");
    /* by section name: refused, naming both functions */
    assert_int_equal(ebpf_load_elf(vm, obj, len, "kprobe/sys_write"), -EBPF_ENOENT);
    assert_non_null(strstr(ebpf_error(vm), "section 'kprobe/sys_write' holds 2 programs (first, "
                                           "second): load one by its function name"));
    free(obj);
    /* each with its own relocations: bump(0) + 10, bump(1) + 20 on a fresh map */
    assert_int_equal(run_prog("multi.o", "first"), 11);
    assert_int_equal(run_prog("multi.o", "second"), 21);
    assert_int_equal(run_prog("multi.o", "kprobe"), 7);
    assert_int_equal(run_prog("multi.o", "any_target"), 7);
    /* only the program's own code: second is 4 instructions + bump's 14 */
    obj = slurp("multi.o", &len);
    vm = new_vm();
    assert_int_equal(ebpf_load_elf(vm, obj, len, "second"), 0);
    uint32_t n = 0;
    const struct ebpf_insn *in = ebpf_insns(vm, &n);
    assert_int_equal(n, 4 + 14);
    assert_int_equal(in[0].imm, 1); /* r1 = 1: second's first instruction */
    /* where each attaches: its section */
    char sec[64];
    assert_int_equal(ebpf_elf_program_section(vm, obj, len, "second", sec, sizeof(sec)), 0);
    assert_string_equal(sec, "kprobe/sys_write");
    assert_int_equal(ebpf_elf_program_section(vm, obj, len, "any_target", sec, sizeof(sec)), 0);
    assert_string_equal(sec, "kprobe");
    assert_int_equal(ebpf_elf_program_section(vm, obj, len, "kprobe/sys_write", sec, sizeof(sec)),
                     0);
    assert_string_equal(sec, "kprobe/sys_write");
    assert_int_equal(ebpf_elf_program_section(vm, obj, len, "nope", sec, sizeof(sec)),
                     -EBPF_ENOENT);
    free(obj);
}

/* Section index of `name` in an object (test-side ELF reading). */
struct sh {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t align, entsize;
};

static struct sh *section(uint8_t *obj, const char *name)
{
    uint64_t shoff;
    uint16_t shnum, shstrndx;
    memcpy(&shoff, obj + 0x28, 8);
    memcpy(&shnum, obj + 0x3c, 2);
    memcpy(&shstrndx, obj + 0x3e, 2);
    struct sh *sh = (struct sh *)(obj + shoff);
    const char *strs = (const char *)obj + sh[shstrndx].offset;
    for (int i = 0; i < shnum; i++)
        if (!strcmp(strs + sh[i].name, name))
            return &sh[i];
    fail_msg("no section %s", name);
    return NULL;
}

/* Older clang left .BTF at an offset that is not a multiple of 4: move it
 * to the end of the file at offset 4k+1 and load. */
static void test_unaligned_btf(void **state)
{
    (void)state;
    size_t len;
    uint8_t *obj = slurp("probe.o", &len); /* 1 MiB buffer */
    struct sh *btf = section(obj, ".BTF");
    size_t at = ((len + 3) & ~(size_t)3) + 1;
    assert_true(at + btf->size < (1 << 20));
    memcpy(obj + at, obj + btf->offset, btf->size);
    memset(obj + btf->offset, 0xee, btf->size); /* the old place is garbage now */
    btf->offset = at;
    len = at + btf->size;
    ebpf_vm *vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "kprobe/do_sys_open"))
        fail_msg("unaligned .BTF: %s", ebpf_error(vm));
    /* the BTF-defined maps were read from the moved bytes */
    ebpf_map *counts = ebpf_map_by_name(vm, "counts");
    assert_non_null(counts);
    assert_int_equal(ebpf_map_def(counts)->max_entries, 64);
    assert_int_equal(ebpf_map_def(ebpf_map_by_name(vm, "stats"))->value_size, 16);
    verify(vm, 256);
    free(obj);
}

/* A relocation section at an offset that is not a multiple of 8: its
 * relocations are still applied (they were once skipped silently, leaving
 * lddw map references as the number 0). */
static void test_unaligned_relocations(void **state)
{
    (void)state;
    size_t len;
    uint8_t *obj = slurp("probe.o", &len);
    struct sh *rel = section(obj, ".relkprobe/do_sys_open");
    size_t at = ((len + 7) & ~(size_t)7) + 4;
    assert_true(at + rel->size < (1 << 20));
    memcpy(obj + at, obj + rel->offset, rel->size);
    memset(obj + rel->offset, 0, rel->size);
    rel->offset = at;
    len = at + rel->size;
    ebpf_vm *vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "kprobe/do_sys_open"))
        fail_msg("unaligned relocations: %s", ebpf_error(vm));
    verify(vm, 256); /* map arguments are maps again */
    free(obj);
}

/* e_machine EM_NONE (some older toolchains): loads, with a notice. */
static void test_em_none(void **state)
{
    (void)state;
    size_t len;
    uint8_t *obj = slurp("calls.o", &len);
    ebpf_vm *vm = new_vm();
    assert_int_equal(ebpf_load_elf(vm, obj, len, "main"), 0);
    assert_string_equal(ebpf_notice(vm), "");
    obj[18] = 0, obj[19] = 0; /* e_machine */
    vm = new_vm();
    if (ebpf_load_elf(vm, obj, len, "main"))
        fail_msg("EM_NONE: %s", ebpf_error(vm));
    assert_non_null(strstr(ebpf_notice(vm), "EM_NONE"));
    verify(vm, 0);
    uint64_t r0 = 0;
    assert_int_equal(ebpf_exec(vm, NULL, 0, &r0), 0);
    assert_int_equal(r0, 385);
    obj[18] = 62; /* EM_X86_64: still refused */
    vm = new_vm();
    assert_int_equal(ebpf_load_elf(vm, obj, len, "main"), -EBPF_EINVAL);
    assert_non_null(strstr(ebpf_error(vm), "not a BPF object"));
    free(obj);
}

/* .kconfig: LINUX_KERNEL_VERSION = KERNEL_VERSION(6, 1, 0) and CONFIG_HZ =
 * 100 (docs/ebpf.md), CONFIG_BPF_SYSCALL = y, an unknown __weak one 0. */
static void test_kconfig(void **state)
{
    (void)state;
    assert_int_equal(run_prog("kconfig.o", "kprobe/kconfig"), (6 << 16) + (1 << 8) + 100 + 1);
    size_t len;
    void *obj = slurp("kconfig.o", &len);
    ebpf_vm *vm = new_vm();
    assert_int_equal(ebpf_load_elf(vm, obj, len, "kprobe/kconfig_store"), 0);
    struct ebpf_verify_opts o = {.ctx_size = 256};
    assert_int_equal(ebpf_verify(vm, &o), -EBPF_EACCES); /* the kernel's values are read-only */
    assert_true(strstr(ebpf_error(vm), "frozen") || strstr(ebpf_error(vm), "write into map forbidden"));
    free(obj);
    obj = slurp("kconfig_strong.o", &len);
    vm = new_vm();
    assert_int_equal(ebpf_load_elf(vm, obj, len, "kprobe/x"), -EBPF_EINVAL);
    assert_non_null(strstr(ebpf_error(vm), "unknown kconfig extern 'CONFIG_OSDBG_UNKNOWN_STRONG'"));
    free(obj);
    obj = slurp("ksym.o", &len);
    vm = new_vm();
    assert_int_equal(ebpf_load_elf(vm, obj, len, "kprobe/x"), -EBPF_EINVAL);
    assert_non_null(strstr(ebpf_error(vm), "extern 'osdbg_ticks' is a __ksym"));
    free(obj);
}

/* CO-RE relocations are refused, never ignored: the message names the
 * kind, the type, the field path and the access string. */
static void test_core_refused(void **state)
{
    (void)state;
    size_t len;
    void *obj = slurp("core.o", &len);
    ebpf_vm *vm = new_vm();
    assert_int_equal(ebpf_load_elf(vm, obj, len, "kprobe/core"), -EBPF_EINVAL);
    const char *m = ebpf_error(vm);
    assert_non_null(strstr(m, "CO-RE relocation (field byte offset of struct task.parent, "
                              "access \"0:2\") in kprobe/core"));
    assert_non_null(strstr(m, "CO-RE is not supported"));
    assert_int_equal(ebpf_error_insn(vm), 1); /* r1 = 8: parent's offset, the relocated insn */
    free(obj);
    assert_int_equal(run_prog("core.o", "kprobe/plain"), 1);
}

/* BPF_CORE_READ chains through <bpf/osdbg.h>'s types: a struct proc whose
 * parent and trap frames are host objects; bpf_get_current_task gives the
 * child, probe_read_kernel(_str) copy host memory. */
static struct proc child, parent;
static struct trapframe child_tf, parent_tf;

static uint64_t h_task(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return (uint64_t)(uintptr_t)&child;
}

static uint64_t h_read(uint64_t dst, uint64_t n, uint64_t src, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);
    return 0;
}

static uint64_t h_read_str(uint64_t dst, uint64_t n, uint64_t src, uint64_t d, uint64_t e,
                           ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    size_t len = strnlen((const char *)(uintptr_t)src, n - 1);
    memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, len);
    ((char *)(uintptr_t)dst)[len] = 0;
    return len + 1;
}

static void test_core_read_osdbg_types(void **state)
{
    (void)state;
    child.pid = 7;
    child.parent = &parent;
    child.trapframe = &child_tf;
    child_tf.a0 = 0x1234;
    parent.pid = 1;
    strcpy(parent.name, "init");
    parent.trapframe = &parent_tf;
    parent_tf.sp = 0x3ffffff000ull;
    size_t len;
    void *obj = slurp("osdbg_task.o", &len);
    ebpf_vm *vm = new_vm();
    ebpf_register_helper(vm, BPF_FUNC_get_current_task, h_task,
                         ebpf_linux_proto(BPF_FUNC_get_current_task));
    ebpf_register_helper(vm, BPF_FUNC_probe_read_kernel, h_read,
                         ebpf_linux_proto(BPF_FUNC_probe_read_kernel));
    ebpf_register_helper(vm, BPF_FUNC_probe_read_kernel_str, h_read_str,
                         ebpf_linux_proto(BPF_FUNC_probe_read_kernel_str));
    if (ebpf_load_elf(vm, obj, len, "kprobe/sys_getpid"))
        fail_msg("load: %s", ebpf_error(vm));
    verify(vm, 256);
    uint64_t ctx[32] = {0}, r0 = 0;
    ebpf_set_bounds_check(vm, 1);
    assert_int_equal(ebpf_exec(vm, ctx, sizeof(ctx), &r0), 0);
    assert_int_equal(r0, 1 + 320); /* field exists + sizeof(struct proc) in the kernel's DWARF (test-ebpf-headers: size 320) */
    uint32_t k = 0;
    struct {
        int pid, ppid;
        char name[16];
        uint64_t a0, parent_sp;
    } *o = ebpf_map_lookup(ebpf_map_by_name(vm, "result"), &k);
    assert_non_null(o);
    assert_int_equal(o->pid, 7);
    assert_int_equal(o->ppid, 1);
    assert_string_equal(o->name, "init");
    assert_int_equal(o->a0, 0x1234);
    assert_int_equal(o->parent_sp, 0x3ffffff000ull);
    free(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_with_subprograms),
        cmocka_unit_test(test_u32_counter_loop),
        cmocka_unit_test(test_kprobe_maps_globals),
        cmocka_unit_test(test_program_by_function_name),
        cmocka_unit_test(test_list_programs),
        cmocka_unit_test(test_shared_maps),
        cmocka_unit_test(test_shared_map_mismatch),
        cmocka_unit_test(test_rodata_is_read_only),
        cmocka_unit_test(test_kretprobe_and_uprobe),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_several_programs_in_a_section),
        cmocka_unit_test(test_unaligned_btf),
        cmocka_unit_test(test_unaligned_relocations),
        cmocka_unit_test(test_em_none),
        cmocka_unit_test(test_kconfig),
        cmocka_unit_test(test_core_refused),
        cmocka_unit_test(test_core_read_osdbg_types),
    };
    return cmocka_run_group_tests_name("ebpf-elf", tests, NULL, NULL);
}
