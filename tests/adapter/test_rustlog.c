/*
 * eBPF logpoints in the Rust kernel and its Rust user programs (issue 19),
 * end to end without a side-stub: each logpoint is compiled at a real line
 * of build/rkernel/rkernel.elf or of a program in build/rkernel/user,
 * verified by the project's eBPF verifier with the kernel's helpers, and run
 * on what GDB saw when the real kernel stopped at that address in QEMU: its
 * registers as pt_regs, its memory (the frame, the text of a &str) served
 * by the read helpers.  The expected line is written from the values GDB
 * printed at that stop (tests/adapter/rustlog_gdb.py), GDB reading the
 * same DWARF on its own.  Types the compiler cannot print are refused with
 * the variable and its Rust type, the reason the adapter's GDB fallback
 * shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/logprog.h"
#include "dwarf/debuginfo.h"

#include <ebpf.h>

#ifndef OSDBG_BUILD
#define OSDBG_BUILD "build"
#endif
#ifndef OSDBG_TOP
#define OSDBG_TOP "."
#endif

/* Copies of the build's ELFs, taken once (main): the kernel QEMU boots,
 * the files GDB and the compiler read are the same bytes even if a build
 * runs meanwhile.  USER ends in '/'. */
static char kernel_copy[64], user_copy[64];
#define KERNEL kernel_copy
#define USER   user_copy
static char hello_elf[96], rfib_elf[96];

/* ---- what GDB saw at the stop ---- */

#define MAX_REGIONS 8
#define MAX_VALS    8

struct stop {
    uint64_t regs[32];
    struct {
        uint64_t addr;
        uint8_t *bytes;
        size_t len;
    } mem[MAX_REGIONS];
    int nmem;
    struct {
        char name[64];
        char value[256]; /* decimal, or a &str's text */
    } vals[MAX_VALS];
    int nvals;
};

static struct stop seen; /* the read helpers serve its memory */

static const char *gdb_value(const char *name)
{
    for (int i = 0; i < seen.nvals; i++)
        if (strcmp(seen.vals[i].name, name) == 0)
            return seen.vals[i].value;
    fail_msg("GDB printed no value of %s", name);
    return 0;
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    unsigned b;
    while (n < cap && sscanf(h + 2 * n, "%2x", &b) == 1)
        out[n++] = (uint8_t)b;
    return n;
}

/* Boot the Rust kernel with bootargs under QEMU, stopped; let GDB stop it
 * at pc (in program's address space if program is a user program) and
 * read exprs there. */
static void gdb_stop(const char *bootargs, uint64_t pc, const char *program, const char *exprs)
{
    char dir[] = "/tmp/rustlog.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "qemu-system-riscv64 -machine virt -bios default -m 128M -smp 1 -display none "
             "-monitor none -serial null -kernel %s -append '%s' -S "
             "-gdb unix:%s/gdb.sock,server=on,wait=off & q=$!; "
             "RUSTLOG_SOCK=%s/gdb.sock RUSTLOG_PC=%" PRIx64 " RUSTLOG_PROGRAM='%s' "
             "RUSTLOG_USER_ELF=%s%s RUSTLOG_VARS='%s' "
             "timeout 60 gdb-multiarch -nx -batch -x %s/tests/adapter/rustlog_gdb.py %s 2>&1; "
             "kill $q; wait $q 2>/dev/null; rm -rf %s",
             KERNEL, bootargs, dir, dir, pc, program, USER, program, exprs, OSDBG_TOP, KERNEL,
             dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    for (int i = 0; i < seen.nmem; i++)
        free(seen.mem[i].bytes);
    memset(&seen, 0, sizeof seen);
    static char line[20000];
    char all[2048] = "";
    int nregs = 0;
    while (fgets(line, sizeof line, p)) {
        unsigned n;
        uint64_t v;
        char hex[16384], name[64], value[256];
        if (sscanf(line, "reg %u %" SCNu64, &n, &v) == 2 && n < 32) {
            seen.regs[n] = v;
            nregs++;
        } else if (sscanf(line, "mem %" SCNu64 " %16383s", &v, hex) == 2 &&
                   seen.nmem < MAX_REGIONS) {
            seen.mem[seen.nmem].addr = v;
            seen.mem[seen.nmem].bytes = malloc(strlen(hex) / 2 + 1);
            seen.mem[seen.nmem].len = unhex(hex, seen.mem[seen.nmem].bytes, strlen(hex) / 2);
            seen.nmem++;
        } else if (sscanf(line, "val %63s %255s", name, value) == 2 && seen.nvals < MAX_VALS) {
            snprintf(seen.vals[seen.nvals].name, sizeof seen.vals[0].name, "%s", name);
            snprintf(seen.vals[seen.nvals].value, sizeof seen.vals[0].value, "%s", value);
            seen.nvals++;
        } else if (strlen(all) + strlen(line) < sizeof all) {
            strcat(all, line);
        }
    }
    pclose(p);
    if (nregs != 31)
        fail_msg("GDB did not stop at 0x%" PRIx64 ":\n%s", pc, all);
}

/* ---- the eBPF side ---- */

/* bpf_probe_read_*: from what GDB dumped, else an error and zeros, as a
 * fault in the OS. */
static uint64_t h_read(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e,
                       ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    for (int i = 0; i < seen.nmem; i++)
        if (src >= seen.mem[i].addr && src + size <= seen.mem[i].addr + seen.mem[i].len) {
            memcpy((void *)dst, seen.mem[i].bytes + (src - seen.mem[i].addr), size);
            return 0;
        }
    memset((void *)dst, 0, size);
    return (uint64_t)-14; /* -EFAULT */
}

static uint64_t h_pid(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return 7ull << 32 | 7; /* the event's pid: not the pid of exec_commit */
}

/* Compile msg (if cond) at file:line of elf, check it with the verifier,
 * run it on GDB's stop, and return the line it prints (malloc'd), or 0. */
static char *run_logpoint(const char *elf, bool user, uint64_t pc, const char *msg,
                          const char *cond)
{
    char err[400];
    struct debuginfo *di = debuginfo_open(elf, err, sizeof err);
    assert_non_null(di);
    struct logprog lp;
    struct logprog_site site = {.di = di, .pc = pc, .user = user};
    if (logprog_compile(&lp, msg, cond, 0, &site, err, sizeof err) < 0)
        fail_msg("compile \"%s\" at 0x%" PRIx64 ": %s", msg, pc, err);
    uint8_t *obj;
    size_t len;
    assert_int_equal(bpfgen_object(&lp.gen, &obj, &len, err, sizeof err), 0);
    static uint8_t arena[4u << 20];
    ebpf_vm *vm = ebpf_create(arena, sizeof arena, err, sizeof err);
    assert_non_null(vm);
    ebpf_register_map_helpers(vm);
    ebpf_register_helper(vm, BPF_FUNC_get_current_pid_tgid, h_pid,
                         ebpf_linux_proto(BPF_FUNC_get_current_pid_tgid));
    int32_t reads[] = {BPF_FUNC_probe_read_kernel, BPF_FUNC_probe_read_user,
                       BPF_FUNC_probe_read_kernel_str, BPF_FUNC_probe_read_user_str};
    for (size_t i = 0; i < 4; i++)
        ebpf_register_helper(vm, reads[i], h_read, ebpf_linux_proto(reads[i]));
    if (ebpf_load_elf(vm, obj, len, LOGPROG_NAME) < 0)
        fail_msg("load: %s", ebpf_error(vm));
    struct ebpf_verify_opts opts = {.ctx_size = 256};
    if (ebpf_verify(vm, &opts) < 0)
        fail_msg("verify \"%s\": %s", msg, ebpf_error(vm));
    uint64_t regs[32], ret;
    memcpy(regs, seen.regs, sizeof regs);
    regs[0] = pc; /* pt_regs slot 0 is the pc */
    if (ebpf_exec(vm, regs, 256, &ret) < 0)
        fail_msg("exec: %s", ebpf_error(vm));
    uint8_t rec[512];
    long n = ebpf_ringbuf_consume(ebpf_map_by_name(vm, "events"), rec, sizeof rec);
    char *line = n > 0 ? logprog_format(&lp, rec, (size_t)n, 7, "x", 0) : 0;
    logprog_free(&lp);
    free(obj);
    debuginfo_close(di);
    return line;
}

/* The address of file:line in elf (the adapter's own resolution: a line
 * without code, as "let _ = (path, pid, satp);", is the next one's). */
static uint64_t line_pc(const char *elf, const char *file, int line)
{
    char err[400];
    struct debuginfo *di = debuginfo_open(elf, err, sizeof err);
    assert_non_null(di);
    uint64_t addrs[4];
    int actual;
    assert_int_equal(debuginfo_line_to_addrs(di, file, line, addrs, 4, &actual), 1);
    debuginfo_close(di);
    return addrs[0];
}

/* The line number of the first line of src containing text (so the tests
 * follow the sources). */
static int line_of(const char *src, const char *text)
{
    char path[1024], buf[512];
    snprintf(path, sizeof path, "%s/%s", OSDBG_TOP, src);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    for (int n = 1; fgets(buf, sizeof buf, f); n++)
        if (strstr(buf, text)) {
            fclose(f);
            return n;
        }
    fclose(f);
    fail_msg("%s has no line with %s", src, text);
    return 0;
}

static void assert_line(char *line, const char *want)
{
    if (!line)
        fail_msg("nothing printed, wanted \"%s\"", want);
    print_message("%s\n", line);
    assert_string_equal(line, want);
    free(line);
}

/* ---- the tests ---- */

/* os::syscall::fs::sys_write(fd: usize, buf: *const u8, len: usize), at
 * its first statement: usize in decimal, the pointer in hex, read from
 * their frame slots (DW_OP_fbreg). */
static void test_sys_write_parameters(void **state)
{
    (void)state;
    const char *src = "rkernel/src/syscall/fs.rs";
    uint64_t pc = line_pc(KERNEL, src, line_of(src, "if fd != FD_STDOUT"));
    gdb_stop("run=hello", pc, "", "fd len buf");
    char want[256];
    snprintf(want, sizeof want, "write fd=%s len=%s buf=0x%" PRIx64, gdb_value("fd"),
             gdb_value("len"), (uint64_t)strtoull(gdb_value("buf"), 0, 10));
    assert_line(run_logpoint(KERNEL, false, pc, "write fd={fd} len={len} buf={buf}", "len > 0"),
                want);
    char cond[64];
    snprintf(cond, sizeof cond, "fd != %s", gdb_value("fd"));
    assert_null(run_logpoint(KERNEL, false, pc, "{fd}", cond));
}

/* os::task::task::exec_commit(path: &str, pid: usize, satp: usize): the
 * &str as text (data_ptr and length, no NUL), compared in a condition;
 * the parameter pid, not the event's pid (7 here). */
static void test_exec_commit_str_and_pid(void **state)
{
    (void)state;
    const char *src = "rkernel/src/task/task.rs";
    uint64_t pc = line_pc(KERNEL, src, line_of(src, "let _ = (path, pid, satp);"));
    gdb_stop("run=hello", pc, "", "path pid satp");
    char text[128] = "";
    unhex(gdb_value("path"), (uint8_t *)text, sizeof text - 1);
    char want[512], cond[256];
    snprintf(want, sizeof want, "exec %s pid=%s satp=%s", text, gdb_value("pid"),
             gdb_value("satp"));
    snprintf(cond, sizeof cond, "path == \"%s\"", text);
    assert_line(run_logpoint(KERNEL, false, pc, "exec {path} pid={pid} satp={satp}", cond), want);
    snprintf(cond, sizeof cond, "path != \"%s\"", text);
    assert_null(run_logpoint(KERNEL, false, pc, "exec {path}", cond));
    /* A prefix of the text is not the text. */
    snprintf(cond, sizeof cond, "path == \"%.*s\"", (int)strlen(text) - 1, text);
    assert_null(run_logpoint(KERNEL, false, pc, "exec {path}", cond));
}

/* hello.rs's main: let pid = getpid() (an isize) after it is set, in the
 * hello process only (all programs share 0x10000). */
static void test_user_hello_pid(void **state)
{
    (void)state;
    const char *src = "rkernel/user/src/bin/hello.rs";
    uint64_t pc = line_pc(hello_elf, src, line_of(src, "println!(\"Hello, world!"));
    gdb_stop("run=hello", pc, "hello", "pid");
    char want[64];
    snprintf(want, sizeof want, "pid=%" PRId64, (int64_t)strtoull(gdb_value("pid"), 0, 10));
    assert_line(run_logpoint(hello_elf, true, pc, "pid={pid}", 0), want);
}

/* rfib's Fib::step(&mut self): Rust's . through the reference
 * (self.prev), and fib's locals in the loop. */
static void test_user_rfib_self_and_locals(void **state)
{
    (void)state;
    const char *src = "rkernel/user/src/bin/rfib.rs";
    const char *elf = rfib_elf;
    uint64_t pc = line_pc(elf, src, line_of(src, "let next = self.prev + self.cur;"));
    gdb_stop("run=rfib", pc, "rfib", "self.prev self.cur self");
    char want[256];
    snprintf(want, sizeof want, "%s+%s self=0x%" PRIx64, gdb_value("self.prev"),
             gdb_value("self.cur"), (uint64_t)strtoull(gdb_value("self"), 0, 10));
    assert_line(run_logpoint(elf, true, pc, "{self.prev}+{self.cur} self={self}", 0), want);

    pc = line_pc(elf, src, line_of(src, "odd[seen % odd.len()] = v;"));
    gdb_stop("run=rfib", pc, "rfib", "n seen v f.cur");
    snprintf(want, sizeof want, "n=%s seen=%s v=%s cur=%s", gdb_value("n"), gdb_value("seen"),
             gdb_value("v"), gdb_value("f.cur"));
    assert_line(run_logpoint(elf, true, pc, "n={n} seen={seen} v={v} cur={f.cur}", 0), want);
}

/* Rust types a logpoint cannot print (Vec, slices, Option, arrays):
 * refused, naming the variable and its Rust type, so the adapter runs
 * the logpoint through GDB (target/breakpoints.c), which prints them.
 * Not "no variable": that would be the adapter's "not set". */
static void test_rust_types_refused(void **state)
{
    (void)state;
    static const struct {
        const char *elf, *src, *at, *msg, *want;
        bool user;
    } cases[] = {
        {KERNEL, "rkernel/src/syscall/fs.rs", "print!(\"{}\", core::str", "{buffers}",
         "{buffers}: Vec<&mut [u8]", false},
        {KERNEL, "rkernel/src/syscall/fs.rs", "print!(\"{}\", core::str", "n={len} {buffer}",
         "{buffer}: &mut [u8] cannot", false},
        {rfib_elf, "rkernel/user/src/bin/rfib.rs", "odd[seen % odd.len()] = v;", "{odd}",
         "{odd}: [u64; 4] cannot", true},
        {rfib_elf, "rkernel/user/src/bin/rfib.rs", "odd[seen % odd.len()] = v;",
         "{f.last}", "{f.last}: Option<u64> cannot", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[400];
        struct debuginfo *di = debuginfo_open(cases[i].elf, err, sizeof err);
        assert_non_null(di);
        struct logprog lp;
        struct logprog_site site = {
            .di = di,
            .pc = line_pc(cases[i].elf, cases[i].src, line_of(cases[i].src, cases[i].at)),
            .user = cases[i].user};
        if (logprog_compile(&lp, cases[i].msg, 0, 0, &site, err, sizeof err) == 0)
            fail_msg("\"%s\" compiled", cases[i].msg);
        if (!strstr(err, cases[i].want) || !strstr(err, "cannot be read by an eBPF logpoint") ||
            strstr(err, "no variable "))
            fail_msg("\"%s\": reason \"%s\"", cases[i].msg, err);
        debuginfo_close(di);
    }
}

/* A Rust bool prints true or false (a record this test writes). */
static void test_rust_bool(void **state)
{
    (void)state;
    const char *src = "rkernel/src/ktrace/text.rs";
    int line = line_of(src, "fn set_writable(addr: usize, end: usize, writable: bool)") + 1;
    char err[400];
    struct debuginfo *di = debuginfo_open(KERNEL, err, sizeof err);
    assert_non_null(di);
    struct logprog lp;
    struct logprog_site site = {.di = di, .pc = line_pc(KERNEL, src, line)};
    assert_int_equal(logprog_compile(&lp, "w={writable}", 0, 0, &site, err, sizeof err), 0);
    uint64_t rec = 1;
    char *out = logprog_format(&lp, &rec, 8, 7, "x", 0);
    assert_string_equal(out, "w=true");
    free(out);
    rec = 0;
    out = logprog_format(&lp, &rec, 8, 7, "x", 0);
    assert_string_equal(out, "w=false");
    free(out);
    logprog_free(&lp);
    debuginfo_close(di);
}

/* A Rust char prints as its UTF-8 bytes (RFC 3629's table, written here
 * by hand); a control character as Rust's escape.  (No char variable is
 * in the Rust programs: the record is this test's.) */
static void test_rust_char_format(void **state)
{
    (void)state;
    static const struct {
        uint64_t c;
        const char *want;
    } cases[] = {
        {'h', "c=h"},
        {0xe9, "c=\xc3\xa9"},
        {0x20ac, "c=\xe2\x82\xac"},
        {0x1f600, "c=\xf0\x9f\x98\x80"},
        {0x1b, "c=\\u{1b}"},
    };
    struct logprog lp = {.nsegs = 2, .nslots = 1};
    lp.segs[0] = (struct logprog_seg){.kind = LP_TEXT, .text = "c="};
    lp.segs[1] = (struct logprog_seg){.kind = LP_CHAR, .slot = 0, .size = 4};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = logprog_format(&lp, &cases[i].c, 8, 7, "x", 0);
        assert_string_equal(out, cases[i].want);
        free(out);
    }
}

int main(void)
{
    static char dir[] = "/tmp/rustlog-elf.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(kernel_copy, sizeof kernel_copy, "%s/rkernel.elf", dir);
    snprintf(user_copy, sizeof user_copy, "%s/", dir);
    snprintf(hello_elf, sizeof hello_elf, "%s/hello", dir);
    snprintf(rfib_elf, sizeof rfib_elf, "%s/rfib", dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cp %s/rkernel/rkernel.elf %s/rkernel/user/hello %s/rkernel/user/rfib %s/",
             OSDBG_BUILD, OSDBG_BUILD, OSDBG_BUILD, dir);
    if (system(cmd) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rust_types_refused),
        cmocka_unit_test(test_rust_bool),
        cmocka_unit_test(test_rust_char_format),
        cmocka_unit_test(test_sys_write_parameters),
        cmocka_unit_test(test_exec_commit_str_and_pid),
        cmocka_unit_test(test_user_hello_pid),
        cmocka_unit_test(test_user_rfib_self_and_locals),
    };
    int failed = cmocka_run_group_tests(tests, 0, 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        failed++;
    return failed;
}
