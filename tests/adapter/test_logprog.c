/*
 * The programs the adapter generates (logpoints: adapter/logprog.c; the
 * built-ins: adapter/builtins.c) as ELF objects (adapter/bpfgen.c), loaded,
 * verified and run by the project's eBPF runtime on the host, with helpers
 * that read host memory: the registers of a fake probe hit point at buffers
 * of this test, so every expected value is written here by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/bpfgen.h"
#include "bpf/bpfobj.h"
#include "bpf/builtins.h"
#include "dwarf/debuginfo.h"
#include "bpf/logprog.h"
#include "dwarf/varloc.h"

#include <ebpf.h>
#include <osdbg/sidestub_proto.h>

#ifndef OSDBG_BUILD
#define OSDBG_BUILD "build"
#endif

/* pt_regs slots */
enum { PC = 0, RA = 1, SP = 2, S0 = 8, A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14 };

/* ---- the host's helpers ---- */

static uint64_t now_ns, pid = 7;
static const char *comm = "hello";

static uint64_t h_ktime(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return now_ns;
}

static uint64_t h_pid(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return pid << 32 | pid;
}

static uint64_t h_comm(uint64_t buf, uint64_t size, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)c, (void)d, (void)e, (void)vm;
    memset((void *)buf, 0, size);
    strncpy((char *)buf, comm, size - 1);
    return 0;
}

/* Memory of the probed program that is not this test's: one address range
 * the test maps to a buffer of its own (a kernel global, say). */
static struct {
    uint64_t addr;
    uint8_t *host;
    size_t len;
} foreign;

static uint64_t h_read(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e,
                       ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    if (foreign.len && src >= foreign.addr && src + size <= foreign.addr + foreign.len)
        memcpy((void *)dst, foreign.host + (src - foreign.addr), size);
    else
        memcpy((void *)dst, (const void *)src, size);
    return 0;
}

/* bpf_probe_read_*_str as Linux: at most size - 1 bytes and a NUL; the
 * length with the NUL.  (No faults here: every address is the test's.) */
static uint64_t h_read_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e,
                           ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    const char *from = (const char *)src;
    if (foreign.len && src >= foreign.addr && src < foreign.addr + foreign.len)
        from = (const char *)foreign.host + (src - foreign.addr);
    char *to = (char *)dst;
    uint64_t i = 0;
    for (; i + 1 < size && from[i]; i++)
        to[i] = from[i];
    to[i] = 0;
    return i + 1;
}

/* The user-memory variant: the same, counted, so a test sees which ran. */
static int user_str_reads;

static uint64_t h_read_user_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e,
                                ebpf_vm *vm)
{
    user_str_reads++;
    return h_read_str(dst, size, src, d, e, vm);
}

struct runner {
    void *arena;
    ebpf_vm *vm;
    char err[256];
};

static void load(struct runner *r, const struct bpfgen *g, const char *prog, struct runner *share)
{
    uint8_t *elf;
    size_t len;
    char err[256];
    if (bpfgen_object(g, &elf, &len, err, sizeof err) < 0)
        fail_msg("object: %s", err);
    /* The adapter's own check before upload (the kernel's helper set). */
    if (bpfobj_verify(elf, len, prog, err, sizeof err) < 0)
        fail_msg("bpfobj_verify %s: %s", prog, err);
    r->arena = malloc(4u << 20);
    r->vm = ebpf_create(r->arena, 4u << 20, r->err, sizeof r->err);
    assert_non_null(r->vm);
    ebpf_register_map_helpers(r->vm);
    ebpf_register_helper(r->vm, BPF_FUNC_ktime_get_ns, h_ktime,
                         ebpf_linux_proto(BPF_FUNC_ktime_get_ns));
    ebpf_register_helper(r->vm, BPF_FUNC_get_current_pid_tgid, h_pid,
                         ebpf_linux_proto(BPF_FUNC_get_current_pid_tgid));
    ebpf_register_helper(r->vm, BPF_FUNC_get_current_comm, h_comm,
                         ebpf_linux_proto(BPF_FUNC_get_current_comm));
    ebpf_register_helper(r->vm, BPF_FUNC_probe_read_kernel, h_read,
                         ebpf_linux_proto(BPF_FUNC_probe_read_kernel));
    ebpf_register_helper(r->vm, BPF_FUNC_probe_read_user, h_read,
                         ebpf_linux_proto(BPF_FUNC_probe_read_user));
    ebpf_register_helper(r->vm, BPF_FUNC_probe_read_kernel_str, h_read_str,
                         ebpf_linux_proto(BPF_FUNC_probe_read_kernel_str));
    ebpf_register_helper(r->vm, BPF_FUNC_probe_read_user_str, h_read_user_str,
                         ebpf_linux_proto(BPF_FUNC_probe_read_user_str));
    for (int fd = 0; share && fd < ebpf_map_count(share->vm); fd++)
        ebpf_map_share(r->vm, ebpf_map_by_fd(share->vm, fd));
    if (ebpf_load_elf(r->vm, elf, len, prog) < 0)
        fail_msg("load %s: %s", prog, ebpf_error(r->vm));
    struct ebpf_verify_opts opts = {.ctx_size = 256};
    if (ebpf_verify(r->vm, &opts) < 0)
        fail_msg("verify %s: %s", prog, ebpf_error(r->vm));
    free(elf);
}

static void run(struct runner *r, uint64_t regs[32])
{
    uint64_t ret;
    if (ebpf_exec(r->vm, regs, 256, &ret) < 0)
        fail_msg("exec: %s", ebpf_error(r->vm));
    assert_int_equal(ret, 0);
}

/* The next ring-buffer record, or 0 bytes. */
static long record(struct runner *r, uint8_t *buf, size_t cap)
{
    ebpf_map *m = ebpf_map_by_name(r->vm, "events");
    assert_non_null(m);
    return ebpf_ringbuf_consume(m, buf, cap);
}

static void done(struct runner *r)
{
    free(r->arena);
}

/* ---- logpoints ---- */

static const struct logprog_site kernel_site = {.di = 0, .pc = 0x80200000, .user = false};

/* Compile msg (+ conditions), run it on regs, and return the printed line
 * (malloc'd) or 0 if the program sent no record. */
static char *hit(struct logprog *lp, struct runner *r, uint64_t regs[32])
{
    run(r, regs);
    uint8_t buf[512];
    long n = record(r, buf, sizeof buf);
    if (n <= 0)
        return 0;
    return logprog_format(lp, buf, (size_t)n, (uint32_t)pid, comm, 1.5);
}

/* Compile msg (with its conditions) at site and run it once on regs. */
static char *once_at(const struct logprog_site *site, const char *msg, const char *cond,
                     const char *hitc, uint64_t regs[32])
{
    struct logprog lp;
    char why[256];
    if (logprog_compile(&lp, msg, cond, hitc, site, why, sizeof why) < 0)
        fail_msg("compile \"%s\": %s", msg, why);
    struct runner r;
    load(&r, &lp.gen, LOGPROG_NAME, 0);
    char *line = hit(&lp, &r, regs);
    done(&r);
    logprog_free(&lp);
    return line;
}

static char *once(const char *msg, const char *cond, const char *hitc, uint64_t regs[32])
{
    return once_at(&kernel_site, msg, cond, hitc, regs);
}

/* An ELF's debug information, and where func's body starts (its first
 * line after the prologue, as GDB's "break func"). */
static struct debuginfo *open_at(const char *elf, const char *func, uint64_t *pc)
{
    char err[256];
    struct debuginfo *di = debuginfo_open(elf, err, sizeof err);
    if (!di)
        fail_msg("%s: %s", elf, err);
    if (func && debuginfo_function_addr(di, func, true, pc) != 0)
        fail_msg("no function %s in %s", func, elf);
    return di;
}

static void expect(const char *msg, const char *cond, uint64_t regs[32], const char *want)
{
    char *line = once(msg, cond, 0, regs);
    if (!want) {
        if (line)
            fail_msg("\"%s\" if %s: printed \"%s\", wanted nothing", msg, cond, line);
        return;
    }
    if (!line)
        fail_msg("\"%s\" if %s: nothing printed, wanted \"%s\"", msg, cond ? cond : "-", want);
    assert_string_equal(line, want);
    free(line);
}

static void test_registers_and_header_fields(void **state)
{
    (void)state;
    uint64_t regs[32] = {0};
    regs[A0] = 0x1234;
    regs[SP] = 0x3fffffce00;
    regs[PC] = 0x80201000;
    regs[31] = 0xabc; /* t6 = x31 */
    expect("a0={a0} sp={sp}", 0, regs, "a0=0x1234 sp=0x3fffffce00");
    expect("{pc} {x31} {t6} {x10}", 0, regs, "0x80201000 0xabc 0xabc 0x1234");
    expect("{comm}/{pid} at {time}s", 0, regs, "hello/7 at 1.500000s");
    expect("no values at all", 0, regs, "no values at all");
    expect("", 0, regs, "");
}

static void test_dereferences(void **state)
{
    (void)state;
    struct {
        int32_t a, b;
        uint64_t c;
        int8_t d;
        uint8_t e;
    } s = {-5, 77, 0x1122334455667788ull, -1, 200};
    uint64_t regs[32] = {0};
    regs[A1] = (uint64_t)(uintptr_t)&s;
    regs[A2] = (uint64_t)(uintptr_t)&s + 100;
    expect("{*(int*)(a1)} {*(u32*)(a1+4)} {*(a1+8)}", 0, regs, "-5 77 0x1122334455667788");
    expect("{*(s8*)(a1+16)} {*(u8*)(a1+17)} {*(char*)(a1+16)}", 0, regs, "-1 200 -1");
    expect("{*(u32*)(a2-96)}", 0, regs, "77");
    expect("{*(ptr*)(a1+8)} {*(unsigned*)a1}", 0, regs, "0x1122334455667788 4294967291");
    /* Two levels: a pointer to the struct, itself in memory. */
    void *p = &s;
    regs[A0] = (uint64_t)(uintptr_t)&p;
    expect("{*(u32*)(*(a0)+4)}", 0, regs, "77");
}

static void test_conditions(void **state)
{
    (void)state;
    int32_t minus = -3;
    uint64_t regs[32] = {0};
    regs[A0] = 3;
    regs[A1] = (uint64_t)(uintptr_t)&minus;
    expect("x", "a0 == 3", regs, "x");
    expect("x", "a0 != 3", regs, 0);
    expect("x", "a0 > 2 && a0 < 4", regs, "x");
    expect("x", "a0 > 2 && a0 < 3", regs, 0);
    expect("x", "a0 == 1 || a0 == 3", regs, "x");
    expect("x", "a0 == 1 || a0 == 2", regs, 0);
    expect("x", "a0 == 9 || a0 >= 3 && a0 <= 3", regs, "x"); /* && binds tighter */
    expect("x", "*(int*)(a1) < 0", regs, "x");               /* signed compare */
    expect("x", "*(u32*)(a1) < 0", regs, 0);                 /* unsigned: never */
    expect("x", "*(int*)(a1) == -3", regs, "x");
    expect("x", "a0", regs, "x"); /* not zero */
    expect("x", "a2", regs, 0);
    expect("x", "pid == 7", regs, "x");
    expect("x", "pid == 8", regs, 0);
    expect("x", "comm == \"hello\"", regs, "x");
    expect("x", "comm == \"hell\"", regs, 0);
    expect("x", "comm != \"matrix\"", regs, "x");
    expect("x", "comm == \"hello\" && a0 == 4", regs, 0);
}

static void test_hit_conditions(void **state)
{
    (void)state;
    static const struct {
        const char *cond;
        const char *fires; /* which of hits 1..6 print */
    } cases[] = {
        {"3", "001000"},   {"== 3", "001000"}, {">= 4", "000111"}, {"> 4", "000011"},
        {"% 2", "010101"}, {"<= 2", "110000"}, {"< 2", "100000"},
    };
    uint64_t regs[32] = {0};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct logprog lp;
        char why[256];
        if (logprog_compile(&lp, "hit", 0, cases[c].cond, &kernel_site, why, sizeof why) < 0)
            fail_msg("%s: %s", cases[c].cond, why);
        struct runner r;
        load(&r, &lp.gen, LOGPROG_NAME, 0);
        char got[7] = {0};
        for (int i = 0; i < 6; i++) {
            char *line = hit(&lp, &r, regs);
            got[i] = line ? '1' : '0';
            free(line);
        }
        if (strcmp(got, cases[c].fires) != 0)
            fail_msg("hitCondition \"%s\": hits printed %s, want %s", cases[c].cond, got,
                     cases[c].fires);
        done(&r);
        logprog_free(&lp);
    }
    /* A condition and a hit condition: only hits that pass the condition count. */
    struct logprog lp;
    char why[256];
    assert_int_equal(logprog_compile(&lp, "x", "a0 == 1", "2", &kernel_site, why, sizeof why), 0);
    struct runner r;
    load(&r, &lp.gen, LOGPROG_NAME, 0);
    int printed = 0;
    for (int i = 0; i < 6; i++) {
        regs[A0] = (uint64_t)(i % 2); /* a0 == 1 on hits 2, 4, 6 */
        char *line = hit(&lp, &r, regs);
        printed += line != 0;
        if (line)
            assert_int_equal(i, 3); /* the second hit with a0 == 1 */
        free(line);
    }
    assert_int_equal(printed, 1);
    done(&r);
    logprog_free(&lp);
}

/* C's operators and precedence on 64-bit values: unsigned for registers,
 * signed for signed casts (division, remainder and >> too). */
static void test_arithmetic(void **state)
{
    (void)state;
    int64_t minus9 = -9;
    uint64_t regs[32] = {0};
    regs[A0] = 100;
    regs[A1] = 7;
    regs[SP] = (uint64_t)(uintptr_t)&minus9;
    expect("{a0 + 1} {a0 - 2 * 3} {(a0 + 2) * 3} {a0 / a1} {a0 % a1}", 0, regs,
           "0x65 0x5e 0x132 0xe 0x2");
    expect("{a0 & 0xf | 0x100} {a0 ^ 1} {a0 << 4 >> 2} {1 + 2 * 3 - 4 / 2}", 0, regs,
           "0x104 0x65 0x190 5");
    expect("{*(s64*)(sp) / 2} {*(s64*)(sp) % 4} {*(s64*)(sp) >> 1} {*(s64*)(sp) * a1}", 0, regs,
           "-4 -1 -5 -63");
    expect("even", "a0 % 2 == 0 && a0 / 10 == 10", regs, "even");
    expect("odd", "a0 % 2 == 1", regs, 0);
    expect("{a0 / 0} {a0 % 0}", 0, regs, "0x0 0x64"); /* RFC 9669: x / 0 = 0, x % 0 = x */
    /* (str)E and (ustr)E: the text at an address, kernel or user memory
     * (a kernel probe reading the calling process's buffer). */
    regs[A3] = (uint64_t)(uintptr_t) "kernel text";
    regs[A4] = (uint64_t)(uintptr_t) "user text";
    user_str_reads = 0;
    expect("{(str)a3} / {(ustr)a4}", "(ustr)a4 == \"user text\"", regs, "kernel text / user text");
    assert_int_equal(user_str_reads, 2); /* the condition and the message, not (str) */
    /* C casts: the low bytes, sign- or zero-extended, printed by the type. */
    regs[A2] = 0x1234567890abcdefull;
    expect("{(u8)a2} {(s8)a2} {(int)a2} {(u16)(a2 >> 8)} {(ptr)a0} {(long)(a1 - a0)}", 0, regs,
           "239 -17 -1867788817 43981 0x64 -93");
}

static void test_what_cannot_compile(void **state)
{
    (void)state;
    static const struct {
        const char *msg, *cond, *hitc, *why;
    } cases[] = {
        {"{nosuch}", 0, 0, "nosuch"},
        {"{a0 = 1}", 0, 0, "unexpected"},
        {"{a0 + 0.5}", 0, 0, "floating point"},
        {"{a0 +}", 0, 0, "expression"},
        {"{*(a0+)}", 0, 0, "number"},
        {"x", "comm == 3", 0, "comm"},
        {"x", "comm == \"a-name-longer-than-15\"", 0, "15 bytes"},
        {"x", "time > 5", 0, "time"},
        {"x", "a0 ==", 0, "expression"},
        {"x", 0, "every other", "hit condition"},
        {"x", 0, "% 0", "hit condition"},
        {"{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}"
         "{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}{a0}",
         0, 0, "256 bytes"},
        {"x", "a0[1] == 2", 0, "unexpected"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct logprog lp;
        char why[256] = "";
        int rc = logprog_compile(&lp, cases[i].msg, cases[i].cond, cases[i].hitc, &kernel_site, why,
                                 sizeof why);
        if (rc == 0)
            fail_msg("\"%s\" / %s / %s compiled", cases[i].msg, cases[i].cond, cases[i].hitc);
        if (!strstr(why, cases[i].why))
            fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", cases[i].msg, why, cases[i].why);
    }
}

/* A parameter by name: matrix's work(int n), at its first line of code. */
static void test_parameter_by_name(void **state)
{
    (void)state;
    char err[256];
    struct debuginfo *di = open_at(OSDBG_BUILD "/user/matrix", 0, 0);
    uint64_t addrs[4];
    int actual;
    /* user/matrix.c: line 11 is "long sum = 0;", after the prologue stored n. */
    assert_true(debuginfo_line_to_addrs(di, "matrix.c", 11, addrs, 4, &actual) > 0);
    struct logprog_site site = {.di = di, .pc = addrs[0], .user = true};
    struct varloc vl;
    assert_int_equal(varloc_find(di, addrs[0], "n", &vl, err, sizeof err), 0);
    /* Put n = -42 where the program will look: a frame this test owns. */
    static uint8_t frame[4096];
    uint64_t regs[32] = {0};
    int32_t value = -42;
    if (vl.kind == VARLOC_MEM) {
        regs[vl.reg] = (uint64_t)(uintptr_t)(frame + 2048);
        memcpy(frame + 2048 + vl.offset, &value, sizeof value);
    } else {
        regs[vl.reg] = (uint64_t)(uint32_t)value;
    }
    struct logprog lp;
    assert_int_equal(logprog_compile(&lp, "work(n={n})", "n < 0", 0, &site, err, sizeof err), 0);
    struct runner r;
    load(&r, &lp.gen, LOGPROG_NAME, 0);
    char *line = hit(&lp, &r, regs);
    assert_non_null(line);
    assert_string_equal(line, "work(n=-42)");
    free(line);
    done(&r);
    logprog_free(&lp);
    debuginfo_close(di);
}

/* A global by name: the kernel's initproc (proc.c), from a logpoint in
 * another file's function; the program reads it at its fixed address. */
static void test_global_by_name(void **state)
{
    (void)state;
    char err[256];
    uint64_t pc;
    struct debuginfo *di = open_at(OSDBG_BUILD "/kernel/kernel.elf", "sys_getpid", &pc);
    struct varloc vl;
    assert_int_equal(varloc_find(di, pc, "initproc", &vl, err, sizeof err), 0);
    static uint64_t value = 0x80401230;
    foreign.addr = vl.addr;
    foreign.host = (uint8_t *)&value;
    foreign.len = sizeof value;
    struct logprog_site site = {.di = di, .pc = pc, .user = false};
    struct logprog lp;
    assert_int_equal(
        logprog_compile(&lp, "init is {initproc}", "initproc != 0", 0, &site, err, sizeof err), 0);
    struct runner r;
    load(&r, &lp.gen, LOGPROG_NAME, 0);
    uint64_t regs[32] = {0};
    char *line = hit(&lp, &r, regs);
    assert_non_null(line);
    assert_string_equal(line, "init is 0x80401230");
    free(line);
    value = 0;
    assert_null(hit(&lp, &r, regs)); /* the condition reads it too */
    foreign.len = 0;
    done(&r);
    logprog_free(&lp);
    debuginfo_close(di);
}

/* GDB's answer to `print EXPR` as a number (an independent offset). */
static long gdb_long(const char *elf, const char *expr)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "gdb-multiarch -nx -batch -ex 'print (long)(%s)' %s 2>&1", expr, elf);
    FILE *p = popen(cmd, "r");
    char out[512] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    pclose(p);
    const char *eq = strstr(out, "= ");
    if (!eq)
        fail_msg("gdb: %s", out);
    return strtol(eq + 2, 0, 0);
}

/* Members through a pointer: file_write(struct file *f, ...) in the
 * kernel, {f->ref} and {f->off} at offsets GDB gives, in a struct file
 * this test owns. */
static void test_members_through_pointers(void **state)
{
    (void)state;
    const char *elf = OSDBG_BUILD "/kernel/kernel.elf";
    char err[256];
    uint64_t pc;
    struct debuginfo *di = open_at(elf, "file_write", &pc);
    struct varloc f;
    assert_int_equal(varloc_find(di, pc, "f", &f, err, sizeof err), 0);
    long ref_off = gdb_long(elf, "&((struct file *)0)->ref");
    long off_off = gdb_long(elf, "&((struct file *)0)->off");
    static uint8_t file[64];
    int32_t ref = 3;
    uint64_t off = 0x1234;
    memcpy(file + ref_off, &ref, sizeof ref);
    memcpy(file + off_off, &off, sizeof off);
    /* f itself: in a register, or in a frame this test owns. */
    static uint8_t frame[4096];
    uint64_t regs[32] = {0}, fp = (uint64_t)(uintptr_t)file;
    if (f.kind == VARLOC_MEM) {
        regs[f.reg] = (uint64_t)(uintptr_t)(frame + 2048);
        memcpy(frame + 2048 + f.offset, &fp, sizeof fp);
    } else {
        regs[f.reg] = fp;
    }
    struct logprog_site site = {.di = di, .pc = pc, .user = false};
    struct logprog lp;
    assert_int_equal(
        logprog_compile(&lp, "ref={f->ref} off={f->off}", "f->ref > 2", 0, &site, err, sizeof err),
        0);
    struct runner r;
    load(&r, &lp.gen, LOGPROG_NAME, 0);
    char *line = hit(&lp, &r, regs);
    assert_non_null(line);
    assert_string_equal(line, "ref=3 off=4660");
    free(line);
    done(&r);
    logprog_free(&lp);
    /* Not a member, not a pointer: refused with the reason. */
    assert_int_equal(logprog_compile(&lp, "{f->nosuch}", 0, 0, &site, err, sizeof err), -1);
    assert_non_null(strstr(err, "has no member nosuch"));
    assert_int_equal(logprog_compile(&lp, "{f->ref->x}", 0, 0, &site, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a pointer"));
    debuginfo_close(di);
}

/* Put value (bytes) where varloc says a variable is, in a frame the test
 * owns or in a register. */
static void place(uint64_t regs[32], uint8_t *frame, const struct varloc *v, const void *value,
                  size_t bytes)
{
    if (v->kind == VARLOC_MEM) {
        regs[v->reg] = (uint64_t)(uintptr_t)(frame + 2048);
        memcpy(frame + 2048 + v->offset, value, bytes);
    } else {
        assert_int_equal(v->kind, VARLOC_REG);
        memcpy(&regs[v->reg], value, bytes);
    }
}

/* kexec(const char *path, const char *const argv[]): text through a
 * pointer and through an element of an array of pointers, printed and
 * compared. */
static void test_text_of_exec(void **state)
{
    (void)state;
    char err[256];
    uint64_t pc;
    struct debuginfo *di = open_at(OSDBG_BUILD "/kernel/kernel.elf", "kexec", &pc);
    struct varloc path, argv;
    assert_int_equal(varloc_find(di, pc, "path", &path, err, sizeof err), 0);
    assert_int_equal(varloc_find(di, pc, "argv", &argv, err, sizeof err), 0);
    static uint8_t frame[4096];
    static const char *args[] = {"hello", "tab\there", 0};
    static char longer[100];
    memset(longer, 'x', sizeof longer - 1);
    uint64_t regs[32] = {0};
    const char *p = "/bin/hello";
    const char **a = args;
    place(regs, frame, &path, &p, 8);
    place(regs, frame, &argv, &a, 8);
    struct logprog_site site = {.di = di, .pc = pc, .user = false};
    struct logprog lp;
    assert_int_equal(logprog_compile(&lp, "exec {path}: {argv[0]} {argv[1]}",
                                     "argv[0] == \"hello\"", 0, &site, err, sizeof err),
                     0);
    struct runner r;
    load(&r, &lp.gen, LOGPROG_NAME, 0);
    char *line = hit(&lp, &r, regs);
    assert_non_null(line);
    assert_string_equal(line, "exec /bin/hello: hello tab\\x09here");
    free(line);
    args[0] = "hello-world"; /* longer than the string it is compared with */
    assert_null(hit(&lp, &r, regs));
    args[0] = "hell";
    assert_null(hit(&lp, &r, regs));
    args[0] = "hello";
    /* 99 bytes of text: the first 63 and "..." */
    p = longer;
    place(regs, frame, &path, &p, 8);
    line = hit(&lp, &r, regs);
    char want[128];
    snprintf(want, sizeof want, "exec %.63s...: hello tab\\x09here", longer);
    assert_string_equal(line, want);
    free(line);
    done(&r);
    logprog_free(&lp);
    /* C's pointer arithmetic on typed pointers: *(argv + 1) is argv[1], and
     * argv + 1 is 8 bytes on. */
    line = once_at(&site, "{*(argv + 1)} {*argv} {argv + 1}", 0, 0, regs);
    snprintf(want, sizeof want, "tab\\x09here hello 0x%llx",
             (unsigned long long)(uintptr_t)(args + 1));
    assert_string_equal(line, want);
    free(line);
    /* A 16-byte name is compared whole: its 15 first bytes are not equal. */
    args[0] = "abcdefghijklmnop";
    line = once_at(&site, "x", "argv[0] != \"abcdefghijklmno\"", 0, regs);
    assert_non_null(line);
    free(line);
    debuginfo_close(di);
}

/* initproc->name (char[16]: its own length, no "...") and
 * initproc->context.ra (a member of a struct member), at offsets GDB gives,
 * in a struct proc this test owns. */
static void test_struct_members_and_char_arrays(void **state)
{
    (void)state;
    const char *elf = OSDBG_BUILD "/kernel/kernel.elf";
    char err[256];
    uint64_t pc;
    struct debuginfo *di = open_at(elf, "sys_getpid", &pc);
    struct varloc vl;
    assert_int_equal(varloc_find(di, pc, "initproc", &vl, err, sizeof err), 0);
    long name_off = gdb_long(elf, "&((struct proc *)0)->name");
    long name_len = gdb_long(elf, "sizeof(((struct proc *)0)->name)");
    long ra_off = gdb_long(elf, "&((struct proc *)0)->context.ra");
    static uint8_t proc[4096];
    uint64_t ra = 0x80201234; /* a uint64: printed in decimal, 2149585460 */
    memcpy(proc + ra_off, &ra, sizeof ra);
    memset(proc + name_off, 'n', (size_t)name_len); /* no NUL: all of it, not more */
    proc[name_off + name_len] = 'X';
    static uint64_t initproc;
    initproc = (uint64_t)(uintptr_t)proc;
    foreign.addr = vl.addr;
    foreign.host = (uint8_t *)&initproc;
    foreign.len = sizeof initproc;
    struct logprog_site site = {.di = di, .pc = pc, .user = false};
    struct logprog lp;
    uint64_t regs[32] = {0};
    char *line = once_at(&site, "{initproc->name} ra={initproc->context.ra}", 0, 0, regs);
    char want[128];
    snprintf(want, sizeof want, "%.*s ra=2149585460", (int)name_len,
             "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
    assert_string_equal(line, want);
    free(line);
    memcpy(proc + name_off, "sh", 3);
    line = once_at(&site, "{initproc->name}", "initproc->name == \"sh\"", 0, regs);
    assert_string_equal(line, "sh");
    free(line);
    foreign.len = 0;
    /* A whole struct, and . where -> is meant: refused with the reason. */
    assert_int_equal(logprog_compile(&lp, "{initproc->context}", 0, 0, &site, err, sizeof err), -1);
    assert_non_null(strstr(err, "members"));
    assert_int_equal(logprog_compile(&lp, "{initproc.name}", 0, 0, &site, err, sizeof err), -1);
    assert_non_null(strstr(err, "use ->"));
    assert_int_equal(logprog_compile(&lp, "x", "initproc->name > 3", 0, &site, err, sizeof err),
                     -1);
    debuginfo_close(di);
}

/* matrix.c's global long c[N][N] by locals i and j at "c[i][j] = acc;":
 * c[i][j], c[i][7], c[7][7] from a c of this test's own. */
static void test_array_elements_by_index(void **state)
{
    (void)state;
    char err[256];
    struct debuginfo *di = open_at(OSDBG_BUILD "/user/matrix", 0, 0);
    uint64_t addrs[4];
    int actual;
    FILE *f = fopen(OSDBG_TOP "/user/matrix.c", "r"); /* from wherever the test runs */
    assert_non_null(f);
    char text[256];
    int line_no = 0, want_line = 0;
    while (fgets(text, sizeof text, f)) {
        line_no++;
        if (strstr(text, "c[i][j] = acc;"))
            want_line = line_no;
    }
    fclose(f);
    assert_true(want_line > 0);
    assert_true(debuginfo_line_to_addrs(di, "matrix.c", want_line, addrs, 4, &actual) > 0);
    uint64_t pc = addrs[0];
    struct varloc c, i, j;
    assert_int_equal(varloc_find(di, pc, "c", &c, err, sizeof err), 0);
    assert_int_equal(varloc_find(di, pc, "i", &i, err, sizeof err), 0);
    assert_int_equal(varloc_find(di, pc, "j", &j, err, sizeof err), 0);
    static long host_c[8][8];
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
            host_c[y][x] = 100 * y + x - 50;
    foreign.addr = c.addr;
    foreign.host = (uint8_t *)host_c;
    foreign.len = sizeof host_c;
    static uint8_t frame[4096];
    uint64_t regs[32] = {0};
    int32_t iv = 2, jv = 5;
    place(regs, frame, &i, &iv, sizeof iv);
    place(regs, frame, &j, &jv, sizeof jv);
    struct logprog_site site = {.di = di, .pc = pc, .user = true};
    struct logprog lp;
    assert_int_equal(logprog_compile(&lp, "{c[i][j]} {c[i][7]} {c[7][7]} {c[0][0]}", "c[i][j] > 0",
                                     0, &site, err, sizeof err),
                     0);
    struct runner r;
    load(&r, &lp.gen, LOGPROG_NAME, 0);
    char *line = hit(&lp, &r, regs);
    assert_string_equal(line, "155 157 657 -50"); /* 100 i + j - 50 */
    free(line);
    iv = 0; /* c[0][5] = -45: the condition is false */
    place(regs, frame, &i, &iv, sizeof iv);
    assert_null(hit(&lp, &r, regs));
    done(&r);
    logprog_free(&lp);
    foreign.len = 0;
    /* A row is an array: refused as a value. */
    assert_int_equal(logprog_compile(&lp, "{c[i]}", 0, 0, &site, err, sizeof err), -1);
    assert_non_null(strstr(err, "[8]"));
    debuginfo_close(di);
}

/* ---- built-ins ---- */

static void test_builtin_registers_and_args(void **state)
{
    (void)state;
    struct bpfgen g;
    uint64_t regs[32];
    for (int i = 0; i < 32; i++)
        regs[i] = 0x1000 + (uint64_t)i;
    builtin_generate(&g, BUILTIN_REGISTERS, SS_KRETPROBE);
    struct runner r;
    load(&r, &g, BUILTIN_ENTRY_PROG, 0);
    run(&r, regs);
    uint64_t rec[64];
    assert_int_equal(record(&r, (uint8_t *)rec, sizeof rec), 256);
    assert_memory_equal(rec, regs, 256);
    done(&r);
    builtin_generate(&g, BUILTIN_ARGS, SS_UPROBE);
    load(&r, &g, BUILTIN_ENTRY_PROG, 0);
    run(&r, regs);
    assert_int_equal(record(&r, (uint8_t *)rec, sizeof rec), 64);
    assert_memory_equal(rec, regs + 10, 64); /* a0..a7 */
    done(&r);
}

static void test_builtin_count(void **state)
{
    (void)state;
    struct bpfgen g;
    builtin_generate(&g, BUILTIN_COUNT, SS_KPROBE);
    struct runner r;
    load(&r, &g, BUILTIN_ENTRY_PROG, 0);
    uint64_t regs[32] = {0};
    pid = 7;
    for (int i = 0; i < 3; i++)
        run(&r, regs);
    pid = 9;
    run(&r, regs);
    pid = 7;
    ebpf_map *m = ebpf_map_by_name(r.vm, BUILTIN_COUNT_MAP);
    assert_non_null(m);
    uint32_t k7 = 7, k9 = 9, k8 = 8;
    uint64_t *v7 = ebpf_map_lookup(m, &k7), *v9 = ebpf_map_lookup(m, &k9);
    assert_non_null(v7);
    assert_non_null(v9);
    assert_int_equal(*v7, 3);
    assert_int_equal(*v9, 1);
    assert_null(ebpf_map_lookup(m, &k8));
    done(&r);
}

static void test_builtin_latency(void **state)
{
    (void)state;
    struct bpfgen g;
    builtin_generate(&g, BUILTIN_LATENCY, SS_KPROBE);
    /* As the kernel does: the return program first, the entry program
     * sharing its maps. */
    struct runner ret, entry;
    load(&ret, &g, BUILTIN_RETURN_PROG, 0);
    load(&entry, &g, BUILTIN_ENTRY_PROG, &ret);
    uint64_t regs[32] = {0};
    /* Durations and their log2 buckets, worked out by hand:
     * 0 -> 0; 1 -> 1 [1,2); 5 -> 3 [4,8); 5000 -> 13 [4096,8192);
     * 8192 -> 14 [8192,16384); 2^40 + 3 -> 41. */
    static const struct {
        uint64_t d;
        uint32_t bucket;
    } cases[] = {
        {0, 0}, {1, 1}, {5, 3}, {5000, 13}, {8191, 13}, {8192, 14}, {(1ull << 40) + 3, 41}};
    uint64_t want[BUILTIN_HIST_BUCKETS] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        now_ns = 1000000;
        run(&entry, regs);
        now_ns += cases[i].d;
        run(&ret, regs);
        want[cases[i].bucket]++;
    }
    /* A return without an entry (attached while the function ran): ignored. */
    run(&ret, regs);
    ebpf_map *hist = ebpf_map_by_name(ret.vm, BUILTIN_HIST_MAP);
    assert_non_null(hist);
    for (uint32_t b = 0; b < BUILTIN_HIST_BUCKETS; b++) {
        uint64_t *v = ebpf_map_lookup(hist, &b);
        assert_non_null(v);
        if (*v != want[b])
            fail_msg("bucket %u: %llu, want %llu", b, (unsigned long long)*v,
                     (unsigned long long)want[b]);
    }
    done(&entry);
    done(&ret);
    char *text = builtin_hist_text(want, "ns");
    assert_non_null(strstr(text, "7 samples (ns)"));
    assert_non_null(strstr(text, "[4096, 8192)"));
    free(text);
}

/* The object as another ELF reader sees it (LLVM's, which knows BPF):
 * sections, symbols and the map relocations of both latency programs. */
static void test_object_read_by_llvm(void **state)
{
    (void)state;
    struct bpfgen g;
    builtin_generate(&g, BUILTIN_LATENCY, SS_KPROBE);
    uint8_t *elf;
    size_t len;
    char err[256];
    assert_int_equal(bpfgen_object(&g, &elf, &len, err, sizeof err), 0);
    char path[] = "/tmp/osdbg-bpfgen-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, elf, len), (ssize_t)len);
    close(fd);
    free(elf);
    char cmd[512], out[16384];
    snprintf(cmd, sizeof cmd, "llvm-objdump -h -t -r %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    assert_int_equal(pclose(p), 0);
    unlink(path);
    if (!strstr(out, "file format elf64-bpf"))
        fail_msg("%s", out);
    static const char *const want[] = {"kprobe/osdbg_entry",
                                       "kretprobe/osdbg_return",
                                       "maps",
                                       "license",
                                       "RELOCATION RECORDS FOR [kprobe/osdbg_entry]",
                                       "RELOCATION RECORDS FOR [kretprobe/osdbg_return]",
                                       " F kprobe/osdbg_entry",
                                       " O maps"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out, want[i]))
            fail_msg("llvm-objdump does not show \"%s\"", want[i]);
    /* Relocation lines: "<offset> R_BPF_64_64 <spaces> <map>"; the entry
     * program names start once, the return program start twice and hist. */
    int start = 0, hist = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(0, "\n")) {
        if (!strstr(line, "R_BPF_64_64"))
            continue;
        start += strstr(line, " start") != 0;
        hist += strstr(line, " hist") != 0;
    }
    assert_int_equal(start, 3);
    assert_int_equal(hist, 1);
}

/* A user's object as libbpf allows it: several programs in one section
 * (bare SEC("kretprobe")), named by their functions.  osdbg trace picks
 * the first whose section is of the probe's kind, and checks it against
 * the kernel's own helper list (get_current_task is one). */
static void test_user_object_programs_by_section_kind(void **state)
{
    (void)state;
    char path[] = "/tmp/osdbg-user-XXXXXX.bpf.c";
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    static const char src[] =
        "#include <bpf/bpf_helpers.h>\n"
        "SEC(\"kprobe/sys_write\") int on_write(void *ctx) { return 0; }\n"
        "SEC(\"kretprobe\") int first_ret(void *ctx) { return bpf_get_current_task() != 0; }\n"
        "SEC(\"kretprobe\") int second_ret(void *ctx) { return 2; }\n"
        "char LICENSE[] SEC(\"license\") = \"GPL\";\n";
    assert_int_equal(write(fd, src, sizeof src - 1), (ssize_t)(sizeof src - 1));
    close(fd);
    uint8_t *elf;
    size_t len;
    char err[512], name[128];
    int r = bpfobj_compile(path, &elf, &len, err, sizeof err);
    unlink(path);
    if (r < 0)
        fail_msg("compile: %s", err);
    assert_int_equal(bpfobj_pick_program(elf, len, "kretprobe", name, sizeof name, err, sizeof err), 0);
    assert_string_equal(name, "first_ret");
    assert_int_equal(bpfobj_pick_program(elf, len, "kprobe", name, sizeof name, err, sizeof err), 0);
    assert_string_equal(name, "kprobe/sys_write");
    if (bpfobj_verify(elf, len, "first_ret", err, sizeof err) < 0)
        fail_msg("bpfobj_verify first_ret: %s", err);
    free(elf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registers_and_header_fields),
        cmocka_unit_test(test_dereferences),
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_hit_conditions),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_what_cannot_compile),
        cmocka_unit_test(test_parameter_by_name),
        cmocka_unit_test(test_global_by_name),
        cmocka_unit_test(test_members_through_pointers),
        cmocka_unit_test(test_text_of_exec),
        cmocka_unit_test(test_struct_members_and_char_arrays),
        cmocka_unit_test(test_array_elements_by_index),
        cmocka_unit_test(test_builtin_registers_and_args),
        cmocka_unit_test(test_builtin_count),
        cmocka_unit_test(test_builtin_latency),
        cmocka_unit_test(test_object_read_by_llvm),
        cmocka_unit_test(test_user_object_programs_by_section_kind),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
