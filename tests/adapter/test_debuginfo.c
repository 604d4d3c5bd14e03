/*
 * Tests of adapter/debuginfo.c on the real build outputs (the user programs in build/user,
 * build/kernel/kernel.elf).  Expected addresses never come from the code
 * under test: each test asks an independent tool at run time (GDB's
 * "break"/"info address", objdump's decoded line table, nm's symbol names)
 * and compares.  Demangled names are written by hand from the mangling
 * rules (Itanium C++ ABI, Rust legacy and v0 / RFC 2603).
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

#include "dwarf/debuginfo.h"
#include "independent_tools.h"

#ifndef OSDBG_TOP
#define OSDBG_TOP "."
#endif

/* ---- the independent tools (independent_tools.h) and what they say ---- */

/* GDB's "break SPEC" for each spec, in one GDB run: address and line. */
static void gdb_breaks(const char *elf, const char *const *specs, int n, uint64_t *addrs,
                       int *lines)
{
    char cmd[8192];
    int len = snprintf(cmd, sizeof cmd, GDB);
    for (int i = 0; i < n; i++)
        len += snprintf(cmd + len, sizeof cmd - len, " -ex 'break %s'", specs[i]);
    char *out = run("%s %s 2>&1", cmd, elf);
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "Breakpoint %d at ", i + 1);
        char *s = strstr(out, key);
        if (!s)
            fail_msg("GDB set no breakpoint for '%s':\n%s", specs[i], out);
        s += strlen(key);
        addrs[i] = strtoull(s, &s, 16);
        char *l = strstr(s, ", line ");
        assert_non_null(l);
        lines[i] = atoi(l + 7);
    }
    free(out);
}

static uint64_t gdb_break(const char *elf, const char *spec, int *line)
{
    uint64_t a;
    int l;
    gdb_breaks(elf, &spec, 1, &a, &l);
    if (line)
        *line = l;
    return a;
}

/* GDB's "info address FUNC": the function's entry. */
static uint64_t gdb_entry(const char *elf, const char *func)
{
    char *out = run(GDB " -ex 'info address %s' %s 2>&1", func, elf);
    char *s = strstr(out, "is a function at address ");
    if (!s)
        fail_msg("GDB does not know function %s:\n%s", func, out);
    uint64_t a = strtoull(s + strlen("is a function at address "), 0, 16);
    free(out);
    return a;
}

/* One row of objdump's decoded line table (objdump --dwarf=decodedline). */
struct orow {
    int line;
    uint64_t addr;
    int stmt;
};

/* The rows of the table section for file base (e.g. "hello.c"). */
static int objdump_rows(const char *elf, const char *base, struct orow *rows, int max)
{
    char *out = run(RV_OBJDUMP " --dwarf=decodedline %s", elf);
    int n = 0;
    size_t lb = strlen(base);
    for (char *l = strtok(out, "\n"); l && n < max; l = strtok(0, "\n")) {
        /* "hello.c    8    0x10036    3    x" (the view column may be empty) */
        if (strncmp(l, base, lb) != 0 || l[lb] != ' ')
            continue;
        char *p = l + lb, *e;
        long line = strtol(p, &e, 10);
        if (e == p)
            continue; /* "hello.c  -  0x10088": end of sequence */
        char *x = strstr(e, "0x");
        if (!x)
            continue;
        rows[n].line = (int)line;
        rows[n].addr = strtoull(x, &e, 16);
        rows[n].stmt = strchr(e, 'x') != 0;
        n++;
    }
    free(out);
    return n;
}

/* ---- fixtures ---- */

static int open_hello(void **state)
{
    char err[256] = "";
    *state = debuginfo_open(build_path("user/hello"), err, sizeof err);
    if (!*state)
        fprintf(stderr, "open: %s\n", err);
    return *state ? 0 : -1;
}

static int open_rust(void **state)
{
    char err[256] = "";
    *state = debuginfo_open(build_path("user/rustdemo"), err, sizeof err);
    if (!*state)
        fprintf(stderr, "open: %s\n", err);
    return *state ? 0 : -1;
}

static int close_di(void **state)
{
    debuginfo_close(*state);
    return 0;
}

/* ---- open ---- */

static void test_open_missing_file_says_why(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(debuginfo_open(build_path("user/no-such-program"), err, sizeof err));
    assert_non_null(strstr(err, "no-such-program"));
    assert_non_null(strstr(err, "No such file"));
}

static void test_open_non_elf_says_not_elf(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(debuginfo_open(OSDBG_TOP "/Makefile", err, sizeof err));
    assert_non_null(strstr(err, "not an ELF"));
}

static void test_open_elf_without_dwarf_says_no_dwarf(void **state)
{
    (void)state;
    /* The ramdisk's copy of hello has its debug sections stripped. */
    char err[256] = "";
    const char *p = build_path("user/root/hello");
    assert_int_equal(access(p, R_OK), 0);
    assert_null(debuginfo_open(p, err, sizeof err));
    assert_non_null(strstr(err, "DWARF"));
}

static void test_path_is_kept(void **state)
{
    assert_string_equal(debuginfo_path(*state), build_path("user/hello"));
}

/* ---- line -> addresses ---- */

static void test_hello_body_lines_match_gdb_break(void **state)
{
    /* Lines 6..11 of hello.c are main's body; GDB's "break hello.c:N". */
    const char *specs[] = {"hello.c:6", "hello.c:7",  "hello.c:8",
                           "hello.c:9", "hello.c:10", "hello.c:11"};
    uint64_t want[6];
    int wline[6];
    gdb_breaks(build_path("user/hello"), specs, 6, want, wline);
    for (int i = 0; i < 6; i++) {
        uint64_t a[4];
        int actual = -1;
        assert_int_equal(debuginfo_line_to_addrs(*state, "hello.c", 6 + i, a, 4, &actual), 1);
        assert_int_equal(actual, wline[i]);
        assert_int_equal(a[0], want[i]);
    }
}

/* Every line of hello.c against objdump's table: the first line at or after
 * N with a statement row, at its lowest statement address. */
static void test_hello_every_line_matches_objdump(void **state)
{
    struct orow rows[256];
    int n = objdump_rows(build_path("user/hello"), "hello.c", rows, 256);
    assert_true(n > 5);
    for (int line = 1; line <= 13; line++) {
        int best = 0;
        uint64_t addr = 0;
        for (int i = 0; i < n; i++)
            if (rows[i].stmt && rows[i].line >= line && (best == 0 || rows[i].line < best))
                best = rows[i].line;
        for (int i = 0; i < n; i++)
            if (rows[i].stmt && rows[i].line == best && (addr == 0 || rows[i].addr < addr))
                addr = rows[i].addr;
        uint64_t a[4];
        int actual = -1;
        int got = debuginfo_line_to_addrs(*state, "hello.c", line, a, 4, &actual);
        if (best == 0) {
            assert_int_equal(got, 0); /* past the last line */
            continue;
        }
        assert_int_equal(got, 1);
        assert_int_equal(actual, best);
        assert_int_equal(a[0], addr);
    }
}

/* Line 3 is blank, before main: it moves to main's first line (5, the
 * entry), which is where GDB's "info address main" puts main. */
static void test_blank_line_moves_to_next_code_line(void **state)
{
    uint64_t a[4];
    int actual = -1;
    assert_int_equal(debuginfo_line_to_addrs(*state, "hello.c", 3, a, 4, &actual), 1);
    assert_int_equal(actual, 5);
    assert_int_equal(a[0], gdb_entry(build_path("user/hello"), "main"));
}

/* Lines inside function bodies without code (closing braces of loops) move
 * to the next code line exactly as GDB's breakpoints do. */
static void test_matrix_no_code_lines_match_gdb(void **state)
{
    (void)state;
    char err[256];
    const char *elf = build_path("user/matrix");
    struct debuginfo *di = debuginfo_open(elf, err, sizeof err);
    assert_non_null(di);
    const int lines[] = {19, 20, 30, 31};
    const char *specs[] = {"matrix.c:19", "matrix.c:20", "matrix.c:30", "matrix.c:31"};
    uint64_t want[4];
    int wline[4];
    gdb_breaks(elf, specs, 4, want, wline);
    for (int i = 0; i < 4; i++) {
        uint64_t a[4];
        int actual = -1;
        assert_int_equal(debuginfo_line_to_addrs(di, "user/matrix.c", lines[i], a, 4, &actual), 1);
        assert_int_not_equal(actual, lines[i]);
        assert_int_equal(actual, wline[i]);
        assert_int_equal(a[0], want[i]);
    }
    /* Line 23 is blank between work() and main(): main's entry, line 25. */
    uint64_t a[4];
    int actual = -1;
    assert_int_equal(debuginfo_line_to_addrs(di, "matrix.c", 23, a, 4, &actual), 1);
    assert_int_equal(actual, 25);
    assert_int_equal(a[0], gdb_entry(elf, "main"));
    debuginfo_close(di);
}

static void test_file_by_basename_relative_absolute(void **state)
{
    uint64_t want = gdb_break(build_path("user/hello"), "hello.c:8", 0);
    const char *names[] = {"hello.c", "user/hello.c", "./user/hello.c", "user/../user/hello.c",
                           OSDBG_TOP "/user/hello.c", OSDBG_TOP "/user/./lib/../hello.c",
                           /* a checkout elsewhere: the part below comp_dir matches */
                           "/some/other/checkout/user/hello.c"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        uint64_t a[4] = {0};
        int actual = -1;
        assert_true(debuginfo_has_source(*state, names[i]));
        assert_int_equal(debuginfo_line_to_addrs(*state, names[i], 8, a, 4, &actual), 1);
        assert_int_equal(actual, 8);
        assert_int_equal(a[0], want);
    }
}

static void test_unknown_file_is_minus_one(void **state)
{
    /* "ello.c" is a suffix of "hello.c" but not on a '/' boundary. */
    const char *names[] = {"nosuch.c", "ello.c", "lib/hello.c", "/tmp/hello.c.orig"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        uint64_t a[4];
        int actual = 0;
        assert_false(debuginfo_has_source(*state, names[i]));
        assert_int_equal(debuginfo_line_to_addrs(*state, names[i], 8, a, 4, &actual), -1);
    }
}

static void test_rust_source_line_matches_gdb(void **state)
{
    const char *specs[] = {"rustdemo.rs:31", "rustdemo.rs:45", "rustdemo.rs:46"};
    const int lines[] = {31, 45, 46};
    uint64_t want[3];
    int wline[3];
    gdb_breaks(build_path("user/rustdemo"), specs, 3, want, wline);
    for (int i = 0; i < 3; i++) {
        uint64_t a[4];
        int actual = -1;
        assert_int_equal(
            debuginfo_line_to_addrs(*state, "user/rust/rustdemo.rs", lines[i], a, 4, &actual), 1);
        assert_int_equal(actual, wline[i]);
        assert_int_equal(a[0], want[i]);
    }
}

/* ---- address -> line ---- */

static void test_addr_to_line_round_trip(void **state)
{
    struct orow rows[256];
    int n = objdump_rows(build_path("user/hello"), "hello.c", rows, 256);
    assert_true(n > 5);
    for (int i = 0; i < n; i++) {
        const char *file = 0;
        int line = 0;
        assert_int_equal(debuginfo_addr_to_line(*state, rows[i].addr, &file, &line), 0);
        assert_string_equal(file, OSDBG_TOP "/user/hello.c");
        assert_int_equal(line, rows[i].line);
        /* An address inside the row's range maps to the same line. */
        if (i + 1 < n && rows[i + 1].addr > rows[i].addr + 2) {
            assert_int_equal(debuginfo_addr_to_line(*state, rows[i].addr + 2, &file, &line), 0);
            assert_int_equal(line, rows[i].line);
        }
        /* line -> addresses -> line */
        uint64_t a[4];
        int actual = -1;
        if (rows[i].stmt &&
            debuginfo_line_to_addrs(*state, "hello.c", rows[i].line, a, 4, &actual) == 1) {
            assert_int_equal(debuginfo_addr_to_line(*state, a[0], &file, &line), 0);
            assert_int_equal(line, actual);
        }
    }
    const char *file;
    int line;
    assert_int_equal(debuginfo_addr_to_line(*state, 0x1000, &file, &line), -1);
    assert_int_equal(debuginfo_addr_to_line(*state, 0xffffffff0, &file, &line), -1);
}

static void test_sources_are_absolute_and_include_hello(void **state)
{
    const char **files = 0;
    int n = debuginfo_sources(*state, &files);
    assert_true(n > 0);
    int hello = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(files[i][0], '/');
        hello += strcmp(files[i], OSDBG_TOP "/user/hello.c") == 0;
    }
    assert_int_equal(hello, 1);
}

/* ---- functions ---- */

static void test_main_entry_and_after_prologue_match_gdb(void **state)
{
    const char *elf = build_path("user/hello");
    uint64_t a = 0;
    assert_int_equal(debuginfo_function_addr(*state, "main", false, &a), 0);
    assert_int_equal(a, gdb_entry(elf, "main"));
    assert_int_equal(debuginfo_function_addr(*state, "main", true, &a), 0);
    assert_int_equal(a, gdb_break(elf, "main", 0));
    assert_int_equal(debuginfo_function_addr(*state, "no_such_function", false, &a), -1);
}

/* The mangled name of a Rust function, as nm prints it. */
static char *nm_symbol(const char *elf, const char *needle)
{
    char *out = run(RV_NM " %s", elf);
    char *s = strstr(out, needle);
    if (!s)
        fail_msg("nm has no symbol containing %s", needle);
    while (s > out && s[-1] != ' ')
        s--;
    char *name = strndup(s, strcspn(s, "\n"));
    free(out);
    return name;
}

static void test_rust_work_by_demangled_and_mangled_name(void **state)
{
    const char *elf = build_path("user/rustdemo");
    uint64_t entry = gdb_entry(elf, "rustdemo::work");
    uint64_t body = gdb_break(elf, "rustdemo::work", 0);
    uint64_t a = 0;
    assert_int_equal(debuginfo_function_addr(*state, "rustdemo::work", false, &a), 0);
    assert_int_equal(a, entry);
    assert_int_equal(debuginfo_function_addr(*state, "rustdemo::work", true, &a), 0);
    assert_int_equal(a, body);
    char *mangled = nm_symbol(elf, "8rustdemo4work17h");
    assert_int_equal(strncmp(mangled, "_ZN", 3), 0);
    assert_int_equal(debuginfo_function_addr(*state, mangled, false, &a), 0);
    assert_int_equal(a, entry);
    assert_int_equal(debuginfo_function_addr(*state, mangled, true, &a), 0);
    assert_int_equal(a, body);
    free(mangled);
}

static void test_rust_method_matches_gdb(void **state)
{
    const char *elf = build_path("user/rustdemo");
    uint64_t a = 0;
    assert_int_equal(debuginfo_function_addr(*state, "rustdemo::Fib::step", false, &a), 0);
    assert_int_equal(a, gdb_entry(elf, "rustdemo::Fib::step"));
    assert_int_equal(debuginfo_function_addr(*state, "rustdemo::Fib::step", true, &a), 0);
    assert_int_equal(a, gdb_break(elf, "rustdemo::Fib::step", 0));
}

static void test_function_at(void **state)
{
    uint64_t main_entry = gdb_entry(build_path("user/hello"), "main");
    assert_string_equal(debuginfo_function_at(*state, main_entry), "main");
    assert_string_equal(debuginfo_function_at(*state, main_entry + 2), "main");
    uint64_t line9 = gdb_break(build_path("user/hello"), "hello.c:9", 0);
    assert_string_equal(debuginfo_function_at(*state, line9), "main");
    assert_null(debuginfo_function_at(*state, 0x1000));
    assert_null(debuginfo_function_at(*state, 0xffffffff0));
}

static void test_rust_function_at_is_demangled(void **state)
{
    uint64_t work = gdb_entry(build_path("user/rustdemo"), "rustdemo::work");
    assert_string_equal(debuginfo_function_at(*state, work + 2), "rustdemo::work");
}

static void test_kernel_sys_write(void **state)
{
    (void)state;
    char err[256];
    const char *elf = build_path("kernel/kernel.elf");
    struct debuginfo *di = debuginfo_open(elf, err, sizeof err);
    assert_non_null(di);
    int line = 0;
    uint64_t body = gdb_break(elf, "sys_write", &line);
    uint64_t a = 0;
    assert_int_equal(debuginfo_function_addr(di, "sys_write", false, &a), 0);
    assert_int_equal(a, gdb_entry(elf, "sys_write"));
    assert_int_equal(debuginfo_function_addr(di, "sys_write", true, &a), 0);
    assert_int_equal(a, body);
    assert_string_equal(debuginfo_function_at(di, body), "sys_write");
    /* The body's first line, by file name, and back. */
    uint64_t addrs[4];
    int actual = -1;
    assert_true(debuginfo_has_source(di, "kernel/sysfile.c"));
    assert_int_equal(debuginfo_line_to_addrs(di, "sysfile.c", line, addrs, 4, &actual), 1);
    assert_int_equal(actual, line);
    assert_int_equal(addrs[0], body);
    const char *file = 0;
    int l = 0;
    assert_int_equal(debuginfo_addr_to_line(di, body, &file, &l), 0);
    assert_string_equal(file, OSDBG_TOP "/kernel/sysfile.c");
    assert_int_equal(l, line);
    debuginfo_close(di);
}

/* The directory host_program made; removed by remove_host_dir after the
 * test, whether it passed or not. */
static char host_dir[4096];

static int remove_host_dir(void **state)
{
    (void)state;
    if (host_dir[0])
        free(run("rm -rf '%s'", host_dir));
    host_dir[0] = 0;
    return 0;
}

/* Build a one-file host program with compiler cc and flags into a fresh
 * directory under the build dir; skips the test if that fails. */
static char *host_program(const char *cc, const char *flags, const char *name, const char *text)
{
    char *dir = host_dir;
    snprintf(dir, sizeof host_dir, "%s/debuginfo-host-XXXXXX", build_path("tests"));
    free(run("mkdir -p %s", build_path("tests")));
    assert_non_null(mkdtemp(dir));
    char src[4200];
    static char exe[4200];
    snprintf(src, sizeof src, "%s/%s", dir, name);
    snprintf(exe, sizeof exe, "%s/prog", dir);
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char *out = run("cd %s && %s %s -o %s %s 2>&1 && echo BUILT", dir, cc, flags, exe, name);
    bool built = strstr(out, "BUILT") != 0;
    free(out);
    if (!built)
        skip();
    return exe;
}

/* A C++ function is found by its name without the parameter list, as GDB
 * finds it. */
static void test_cxx_name_without_params(void **state)
{
    (void)state;
    const char *exe = host_program("g++", "-g -O0", "t.cc",
                                   "namespace foo {\nint bar(int x)\n{\n    return x + 1;\n}\n}\n"
                                   "int main()\n{\n    return foo::bar(1);\n}\n");
    char err[256];
    struct debuginfo *di = debuginfo_open(exe, err, sizeof err);
    assert_non_null(di);
    uint64_t a = 0, b = 0, c = 0;
    assert_int_equal(debuginfo_function_addr(di, "foo::bar", false, &a), 0);
    assert_int_equal(debuginfo_function_addr(di, "foo::bar(int)", false, &b), 0);
    assert_int_equal(debuginfo_function_addr(di, "_ZN3foo3barEi", false, &c), 0);
    assert_int_equal(a, b);
    assert_int_equal(a, c);
    assert_int_equal(a, gdb_entry(exe, "foo::bar"));
    assert_string_equal(debuginfo_function_at(di, a), "foo::bar(int)");
    debuginfo_close(di);
}

/* An always_inline function called twice at -O2: one address per inlined
 * copy, the same ones GDB lists as the locations of "break t.c:3". */
static void test_inlined_copies_get_one_address_each(void **state)
{
    (void)state;
    const char *exe = host_program("gcc", "-g -O2", "t.c",
                                   "static inline __attribute__((always_inline)) int\n"
                                   "twice(volatile int *p)\n"
                                   "{\n"
                                   "    int v = *p;\n" /* line 4 */
                                   "    return v * 2;\n"
                                   "}\n"
                                   "int main(void)\n"
                                   "{\n"
                                   "    volatile int x = 3;\n"
                                   "    int a = twice(&x);\n"
                                   "    int b = twice(&x);\n"
                                   "    return a + b;\n"
                                   "}\n");
    char *out = run(GDB " -ex 'break t.c:4' -ex 'info breakpoints' %s 2>&1", exe);
    uint64_t want[8];
    int nwant = 0;
    /* "1.1    y   0x0000000000001048 in twice at t.c:4" */
    for (char *l = strtok(out, "\n"); l && nwant < 8; l = strtok(0, "\n")) {
        if (strncmp(l, "1.", 2) != 0)
            continue;
        char *x = strstr(l, "0x");
        assert_non_null(x);
        want[nwant++] = strtoull(x, 0, 16);
    }
    free(out);
    assert_true(nwant >= 2);
    char err[256];
    struct debuginfo *di = debuginfo_open(exe, err, sizeof err);
    assert_non_null(di);
    uint64_t got[8];
    int actual = -1;
    assert_int_equal(debuginfo_line_to_addrs(di, "t.c", 4, got, 8, &actual), nwant);
    assert_int_equal(actual, 4);
    for (int i = 0; i < nwant; i++)
        assert_int_equal(got[i], want[i]);
    /* max limits what is stored. */
    assert_int_equal(debuginfo_line_to_addrs(di, "t.c", 4, got, 1, &actual), 1);
    assert_int_equal(got[0], want[0]);
    debuginfo_close(di);
}

/* ---- demangling, expected strings derived by hand ---- */

static void expect_demangled(const char *mangled, const char *want)
{
    char *got = debuginfo_demangle(mangled);
    if (!want) {
        assert_null(got);
        return;
    }
    if (!got)
        fail_msg("%s was not demangled", mangled);
    assert_string_equal(got, want);
    free(got);
}

static void test_demangle_cxx(void **state)
{
    (void)state;
    /* _Z N 3foo 3bar E v: nested name foo::bar, parameters (void). */
    expect_demangled("_ZN3foo3barEv", "foo::bar()");
    expect_demangled("_ZN3foo3barEi", "foo::bar(int)");
    /* K: const member function. */
    expect_demangled("_ZNK3foo3Bar3getEv", "foo::Bar::get() const");
}

static void test_demangle_rust_legacy(void **state)
{
    (void)state;
    /* Itanium-style nesting; the last element h<16 hex> is the hash. */
    expect_demangled("_ZN8rustdemo4work17h0123456789abcdefE", "rustdemo::work");
    expect_demangled("_ZN8rustdemo3Fib4step17hfedcba9876543210E", "rustdemo::Fib::step");
    /* $LT$ <, $GT$ >, $u20$ space, ".." "::". */
    expect_demangled("_ZN36_$LT$T$u20$as$u20$core..any..Any$GT$7type_id17he4845e818b42f692E",
                     "<T as core::any::Any>::type_id");
}

static void test_demangle_rust_v0(void **state)
{
    (void)state;
    /* N v <path> <ident>: value namespace; C s<disamb>_ <ident>: crate root
     * (the disambiguator is not shown). */
    expect_demangled("_RNvCs1234_7mycrate3foo", "mycrate::foo");
    /* N t: a module (type namespace) in between. */
    expect_demangled("_RNvNtCs1234_7mycrate3bar3foo", "mycrate::bar::foo");
    /* I <path> <generic-args> E: generic instance; y is u64. */
    expect_demangled("_RINvCs1234_7mycrate3fooyE", "mycrate::foo::<u64>");
    /* M <impl-path> <type>: inherent impl; B2_ refers back to offset 3
     * (the crate root) after "_R", so the type is mycrate::Fib. */
    expect_demangled("_RNvMCs1234_7mycrateNtB2_3Fib4step", "<mycrate::Fib>::step");
}

static void test_demangle_plain_names_are_not_mangled(void **state)
{
    (void)state;
    expect_demangled("main", 0);
    expect_demangled("sys_write", 0);
    expect_demangled("", 0);
}

int main(void)
{
    const struct CMUnitTest open_tests[] = {
        cmocka_unit_test(test_open_missing_file_says_why),
        cmocka_unit_test(test_open_non_elf_says_not_elf),
        cmocka_unit_test(test_open_elf_without_dwarf_says_no_dwarf),
    };
    const struct CMUnitTest hello_tests[] = {
        cmocka_unit_test(test_path_is_kept),
        cmocka_unit_test(test_hello_body_lines_match_gdb_break),
        cmocka_unit_test(test_hello_every_line_matches_objdump),
        cmocka_unit_test(test_blank_line_moves_to_next_code_line),
        cmocka_unit_test(test_matrix_no_code_lines_match_gdb),
        cmocka_unit_test(test_file_by_basename_relative_absolute),
        cmocka_unit_test(test_unknown_file_is_minus_one),
        cmocka_unit_test(test_addr_to_line_round_trip),
        cmocka_unit_test(test_sources_are_absolute_and_include_hello),
        cmocka_unit_test(test_main_entry_and_after_prologue_match_gdb),
        cmocka_unit_test(test_function_at),
        cmocka_unit_test(test_kernel_sys_write),
        cmocka_unit_test_teardown(test_cxx_name_without_params, remove_host_dir),
        cmocka_unit_test_teardown(test_inlined_copies_get_one_address_each, remove_host_dir),
    };
    const struct CMUnitTest rust_tests[] = {
        cmocka_unit_test(test_rust_source_line_matches_gdb),
        cmocka_unit_test(test_rust_work_by_demangled_and_mangled_name),
        cmocka_unit_test(test_rust_method_matches_gdb),
        cmocka_unit_test(test_rust_function_at_is_demangled),
    };
    const struct CMUnitTest demangle_tests[] = {
        cmocka_unit_test(test_demangle_cxx),
        cmocka_unit_test(test_demangle_rust_legacy),
        cmocka_unit_test(test_demangle_rust_v0),
        cmocka_unit_test(test_demangle_plain_names_are_not_mangled),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("debuginfo open", open_tests, 0, 0);
    failed += cmocka_run_group_tests_name("debuginfo hello", hello_tests, open_hello, close_di);
    failed += cmocka_run_group_tests_name("debuginfo rustdemo", rust_tests, open_rust, close_di);
    failed += cmocka_run_group_tests_name("debuginfo demangle", demangle_tests, 0, 0);
    return failed ? 1 : 0;
}
