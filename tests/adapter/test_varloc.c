/*
 * Tests of adapter/varloc.c on the real build outputs (build/user/matrix,
 * build/user/rustdemo, build/kernel/kernel.elf, all -O0 with frame
 * pointers).  Expected locations never come from the code under test: each
 * test asks independent tools at run time and combines their answers by
 * the DWARF rules themselves:
 *   - GDB's "info scope *PC": the variables visible at pc, their DWARF
 *     location (DW_OP_fbreg N, or "frame base reg $R offset K+N") and size;
 *   - objdump --dwarf=info: the function's DW_AT_frame_base;
 *   - objdump --dwarf=frames-interp: the CFA rule at pc ("s0+0", "sp+64");
 *   - GDB "whatis", "sizeof" and "(T)-1 < 0" for the type;
 *   - objdump -d: the prologue really stores a0 into the parameter's slot.
 * Register names map to numbers by the RISC-V psABI table, and a parameter's
 * register at entry follows the psABI integer calling convention (a0 = x10).
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

#include "dwarf/debuginfo.h"
#include "dwarf/varloc.h"
#include "independent_tools.h"

/* ---- the independent tools (independent_tools.h) and what they say ---- */

/* The psABI's ABI names of x0..x31 (objdump and GDB print these). */
static int reg_number(const char *name)
{
    static const char *const abi[32] = {
        "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
        "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
        "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    };
    if (strcmp(name, "fp") == 0)
        return 8;
    for (int i = 0; i < 32; i++)
        if (strcmp(name, abi[i]) == 0)
            return i;
    fail_msg("unknown register name '%s'", name);
    return -1;
}

/* A GDB command's "$1 = V" or "Breakpoint 1 at V" style number. */
static uint64_t gdb_number(const char *elf, const char *cmd, const char *key, int base)
{
    char *out = run(GDB " -ex '%s' %s 2>&1", cmd, elf);
    char *s = strstr(out, key);
    if (!s)
        fail_msg("GDB '%s' printed no '%s':\n%s", cmd, key, out);
    uint64_t v = strtoull(s + strlen(key), 0, base);
    free(out);
    return v;
}

/* GDB's "break SPEC": the first statement after the prologue. */
static uint64_t gdb_break(const char *elf, const char *spec)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "break %s", spec);
    return gdb_number(elf, cmd, "Breakpoint 1 at ", 16);
}

/* GDB's "info address FUNC": the function's entry. */
static uint64_t gdb_entry(const char *elf, const char *func)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "info address %s", func);
    return gdb_number(elf, cmd, "is a function at address ", 16);
}

/* What GDB's "info scope *PC" says about one symbol. */
struct gdb_sym {
    bool framereg; /* "frame base reg $R offset K+N": base register known */
    int reg;       /* with framereg: R */
    int64_t off;   /* N plus, with framereg, K */
    int length;
};

/* "Symbol n is a complex DWARF expression:\n 0: DW_OP_fbreg -52\n, length 4."
 * or "Symbol n is a variable at frame base reg $fp offset 0+-24, length 8." */
static bool gdb_scope(const char *elf, uint64_t pc, const char *var, struct gdb_sym *sym)
{
    char *out = run(GDB " -ex 'info scope *0x%" PRIx64 "' %s 2>&1", pc, elf);
    char key[128];
    snprintf(key, sizeof key, "Symbol %s is ", var);
    char *s = strstr(out, key);
    if (!s) {
        free(out);
        return false;
    }
    s += strlen(key);
    char *end = strstr(s, "length ");
    assert_non_null(end);
    sym->length = atoi(end + 7);
    char *fb = strstr(s, "DW_OP_fbreg ");
    char *fr = strstr(s, "frame base reg $");
    if (fr && fr < end) {
        char name[16];
        long long k, n;
        assert_int_equal(sscanf(fr, "frame base reg $%15[a-z0-9] offset %lld+%lld", name, &k, &n),
                         3);
        sym->framereg = true;
        sym->reg = reg_number(name);
        sym->off = k + n;
    } else if (fb && fb < end) {
        sym->framereg = false;
        sym->off = strtoll(fb + strlen("DW_OP_fbreg "), 0, 10);
    } else {
        fail_msg("GDB's location of %s is neither fbreg nor frame-base relative:\n%s", var, s);
    }
    free(out);
    return true;
}

/* objdump --dwarf=info: the DW_AT_frame_base of the subprogram with the
 * greatest low_pc at or below pc, as "DW_OP_call_frame_cfa" or
 * "DW_OP_reg8 (s0)". */
static void objdump_frame_base(const char *elf, uint64_t pc, char *fb, size_t len)
{
    char *out = run(RV_OBJDUMP " --dwarf=info %s", elf);
    bool subprogram = false, have_low = false;
    uint64_t low = 0, best = 0;
    char cur[128] = "";
    *fb = 0;
    char *save;
    for (char *l = strtok_r(out, "\n", &save);; l = strtok_r(0, "\n", &save)) {
        bool start = !l || strstr(l, "Abbrev Number:");
        /* At the end of a subprogram's attributes, keep it if it fits. */
        if (start && subprogram && have_low && *cur && low <= pc && low >= best) {
            best = low;
            snprintf(fb, len, "%s", cur);
        }
        if (!l)
            break;
        if (start) {
            subprogram = strstr(l, "(DW_TAG_subprogram)") != 0;
            have_low = false;
            cur[0] = 0;
            continue;
        }
        char *a;
        if ((a = strstr(l, "DW_AT_low_pc")) && (a = strstr(a, ": "))) {
            low = strtoull(a + 2, 0, 16);
            have_low = true;
        } else if ((a = strstr(l, "DW_AT_frame_base")) && (a = strstr(a, "(DW_OP"))) {
            snprintf(cur, sizeof cur, "%s", a + 1);
            cur[strlen(cur) - 1] = 0; /* the closing parenthesis */
        }
    }
    free(out);
    if (!*fb)
        fail_msg("objdump shows no frame base for a function at 0x%" PRIx64, pc);
}

/* objdump --dwarf=frames-interp: the CFA rule at pc as register + offset. */
static void objdump_cfa(const char *elf, uint64_t pc, int *reg, int64_t *off)
{
    char *out = run(RV_OBJDUMP " --dwarf=frames-interp %s", elf);
    bool in = false, found = false;
    char *save;
    for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(0, "\n", &save)) {
        if (strstr(l, " CIE ")) { /* a new unit's CIE: no FDE's rows follow */
            in = false;
            continue;
        }
        char *p = strstr(l, " FDE ");
        if (p) {
            p = strstr(p, "pc=");
            assert_non_null(p);
            char *e;
            uint64_t lo = strtoull(p + 3, &e, 16);
            uint64_t hi = strtoull(e + 2, 0, 16); /* after ".." */
            in = lo <= pc && pc < hi;
            continue;
        }
        char loc[32], cfa[32];
        if (!in || sscanf(l, "%31s %31s", loc, cfa) != 2 || strcmp(loc, "LOC") == 0)
            continue;
        char *e;
        uint64_t at = strtoull(loc, &e, 16);
        if (*e || at > pc)
            continue;
        /* "s0+0", "sp+64" */
        size_t n = strcspn(cfa, "+-");
        assert_true(cfa[n] != 0);
        *off = strtoll(cfa + n, 0, 10);
        cfa[n] = 0;
        *reg = reg_number(cfa);
        found = true;
    }
    free(out);
    if (!found)
        fail_msg("objdump shows no CFA rule at 0x%" PRIx64, pc);
}

/* Where DWARF puts var at pc, by GDB, objdump and the frame-base rules
 * (DWARF 5 §3.3.5): base register and offset of its memory. */
static struct gdb_sym expected(const char *elf, uint64_t pc, const char *var)
{
    struct gdb_sym sym;
    if (!gdb_scope(elf, pc, var, &sym))
        fail_msg("GDB sees no %s at 0x%" PRIx64, var, pc);
    if (sym.framereg)
        return sym;
    char fb[128];
    objdump_frame_base(elf, pc, fb, sizeof fb);
    int reg;
    int64_t k;
    if (strcmp(fb, "DW_OP_call_frame_cfa") == 0) {
        objdump_cfa(elf, pc, &reg, &k);
        sym.reg = reg;
        sym.off += k;
    } else if (sscanf(fb, "DW_OP_reg%d", &reg) == 1) {
        sym.reg = reg;
    } else {
        fail_msg("frame base '%s' is not one this test knows", fb);
    }
    sym.framereg = true;
    return sym;
}

/* objdump -d from entry up to body: does the prologue store a0 (directly,
 * or after "mv rX,a0") to off(reg)? */
static bool prologue_stores_a0(const char *elf, uint64_t entry, uint64_t body, int reg, int64_t off)
{
    char *out = run(RV_OBJDUMP " -d --no-show-raw-insn --start-address=0x%" PRIx64
                               " --stop-address=0x%" PRIx64 " %s",
                    entry, body, elf);
    char copies[32] = {0}; /* registers that hold a0's value */
    copies[10] = 1;
    bool stored = false;
    char *save;
    for (char *l = strtok_r(out, "\n", &save); l && !stored; l = strtok_r(0, "\n", &save)) {
        char op[16], a[16], b[16], base[16];
        long long o;
        char *tab = strchr(l, '\t');
        if (!tab || sscanf(tab + 1, "%15s %15[^,],%15s", op, a, b) != 3)
            continue;
        if (strcmp(op, "mv") == 0)
            copies[reg_number(a)] = copies[reg_number(b)];
        else if (op[0] == 's' && strchr("bhwd", op[1]) && !op[2] &&
                 sscanf(b, "%lld(%15[a-z0-9])", &o, base) == 2)
            stored = copies[reg_number(a)] && o == off && reg_number(base) == reg;
    }
    free(out);
    return stored;
}

/* GDB's answer to "print EXPR" in C, as a number. */
static long long gdb_print(const char *elf, const char *expr)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "print %s", expr);
    char *out = run(GDB " -ex 'set language c' -ex '%s' %s 2>&1", cmd, elf);
    char *s = strstr(out, "$1 = ");
    if (!s)
        fail_msg("GDB cannot print %s:\n%s", expr, out);
    long long v = strtoll(s + 5, 0, 0);
    free(out);
    return v;
}

/* GDB's "whatis EXPR" without "type = ". */
static void gdb_whatis(const char *elf, const char *expr, char *buf, size_t len)
{
    char *out = run(GDB " -ex 'whatis %s' %s 2>&1", expr, elf);
    char *s = strstr(out, "type = ");
    if (!s)
        fail_msg("GDB has no type for %s:\n%s", expr, out);
    s += 7;
    s[strcspn(s, "\n")] = 0;
    snprintf(buf, len, "%s", s);
    free(out);
}

/* ---- helpers ---- */

static struct varloc find_ok(struct debuginfo *di, uint64_t pc, const char *name)
{
    struct varloc v;
    char why[256] = "";
    if (varloc_find(di, pc, name, &v, why, sizeof why) != 0)
        fail_msg("varloc_find(%s at 0x%" PRIx64 "): %s", name, pc, why);
    return v;
}

/* var at pc is in memory where GDB + objdump say, as big as GDB says. */
static struct varloc expect_mem(struct debuginfo *di, const char *elf, uint64_t pc, const char *var)
{
    struct gdb_sym want = expected(elf, pc, var);
    struct varloc v = find_ok(di, pc, var);
    assert_int_equal(v.kind, VARLOC_MEM);
    assert_int_equal(v.reg, want.reg);
    assert_int_equal(v.offset, want.off);
    assert_int_equal(v.size, want.length);
    return v;
}

/* For a variable GDB can name as FUNC::VAR: size, signedness and type name. */
static void expect_c_type(const char *elf, const struct varloc *v, const char *func,
                          const char *var)
{
    char expr[256], type[128];
    snprintf(expr, sizeof expr, "sizeof(%s::%s)", func, var);
    assert_int_equal(v->size, gdb_print(elf, expr));
    snprintf(expr, sizeof expr, "%s::%s", func, var);
    gdb_whatis(elf, expr, type, sizeof type);
    if (strchr(type, '*')) {
        assert_true(v->is_pointer);
        assert_string_equal(v->type_name, type);
    } else {
        assert_false(v->is_pointer);
        snprintf(expr, sizeof expr, "(typeof(%s::%s))-1 < 0", func, var);
        assert_int_equal(v->is_signed, gdb_print(elf, expr));
    }
}

static int open_elf(void **state, const char *rel)
{
    char err[256] = "";
    *state = debuginfo_open(build_path(rel), err, sizeof err);
    if (!*state)
        fprintf(stderr, "open: %s\n", err);
    return *state ? 0 : -1;
}

static int open_matrix(void **state)
{
    return open_elf(state, "user/matrix");
}

static int open_rust(void **state)
{
    return open_elf(state, "user/rustdemo");
}

static int open_kernel(void **state)
{
    return open_elf(state, "kernel/kernel.elf");
}

static int close_di(void **state)
{
    debuginfo_close(*state);
    return 0;
}

/* ---- C user program: long work(int n) in user/matrix.c ---- */

static void test_matrix_param_in_body_is_cfa_relative(void **state)
{
    const char *elf = build_path("user/matrix");
    uint64_t pc = gdb_break(elf, "work");
    struct varloc v = expect_mem(*state, elf, pc, "n");
    expect_c_type(elf, &v, "work", "n");
    char type[128];
    gdb_whatis(elf, "work::n", type, sizeof type);
    assert_string_equal(v.type_name, type); /* "int" */
    assert_int_equal(v.size, 4);
    assert_true(v.is_signed);
}

static void test_matrix_param_at_entry_is_a0(void **state)
{
    const char *elf = build_path("user/matrix");
    uint64_t entry = gdb_entry(elf, "work");
    uint64_t body = gdb_break(elf, "work");
    struct varloc v = find_ok(*state, entry, "n");
    assert_int_equal(v.kind, VARLOC_REG);
    assert_int_equal(v.reg, 10); /* psABI: first integer argument in a0 */
    assert_int_equal(v.size, 4);
    assert_true(v.is_signed);
    /* The prologue moves a0 into the slot the body reads n from. */
    struct gdb_sym slot = expected(elf, body, "n");
    assert_true(prologue_stores_a0(elf, entry, body, slot.reg, slot.off));
}

static void test_matrix_local_in_body(void **state)
{
    const char *elf = build_path("user/matrix");
    uint64_t pc = gdb_break(elf, "work");
    struct varloc v = expect_mem(*state, elf, pc, "sum");
    expect_c_type(elf, &v, "work", "sum");
    assert_int_equal(v.size, 8);
}

static void test_matrix_block_locals_at_inner_loop(void **state)
{
    /* Line 15 is in the k loop: acc and k in the innermost blocks, j and i
     * in the enclosing ones, n and sum in the function. */
    const char *elf = build_path("user/matrix");
    uint64_t pc = gdb_break(elf, "matrix.c:15");
    const char *vars[] = {"k", "acc", "j", "i", "n", "sum"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        expect_mem(*state, elf, pc, vars[i]);
}

static void test_block_local_outside_its_block_is_not_found(void **state)
{
    const char *elf = build_path("user/matrix");
    uint64_t body = gdb_break(elf, "work");
    struct gdb_sym sym;
    assert_false(gdb_scope(elf, body, "acc", &sym)); /* GDB agrees */
    struct varloc v;
    char why[256] = "";
    assert_int_equal(varloc_find(*state, body, "acc", &v, why, sizeof why), -1);
    assert_non_null(strstr(why, "no variable acc"));
}

static void test_unknown_name_says_which_and_where(void **state)
{
    const char *elf = build_path("user/matrix");
    uint64_t pc = gdb_break(elf, "work");
    struct varloc v;
    char why[256] = "", at[32];
    assert_int_equal(varloc_find(*state, pc, "nosuch", &v, why, sizeof why), -1);
    snprintf(at, sizeof at, "0x%" PRIx64, pc);
    assert_non_null(strstr(why, "nosuch"));
    assert_non_null(strstr(why, at));
    assert_null(strchr(why, '\n'));
}

/* matrix.c: static long a[N][N], a global (GDB: static storage).  Its
 * address, its shape after zero, one and two indexings, from GDB. */
static void test_global_two_dimensional_array(void **state)
{
    const char *elf = build_path("user/matrix");
    uint64_t addr = gdb_number(elf, "info address a", "static storage at address ", 16);
    struct varloc v = find_ok(*state, gdb_break(elf, "work"), "a");
    assert_int_equal(v.kind, VARLOC_ADDR);
    assert_int_equal(v.addr, addr);
    assert_int_equal(v.shape, VARLOC_ARRAY);
    assert_int_equal(v.size, gdb_print(elf, "sizeof(a)"));
    assert_int_equal(v.elem_size, gdb_print(elf, "sizeof(a[0])"));
    assert_int_equal(v.count, gdb_print(elf, "sizeof(a) / sizeof(a[0])"));
    assert_false(v.is_string);

    struct varloc row, cell;
    char why[256] = "", type[64];
    assert_int_equal(varloc_index(*state, &v, &row, why, sizeof why), 0);
    assert_int_equal(row.shape, VARLOC_ARRAY);
    assert_int_equal(row.size, gdb_print(elf, "sizeof(a[0])"));
    assert_int_equal(row.elem_size, gdb_print(elf, "sizeof(a[0][0])"));
    assert_int_equal(row.count, gdb_print(elf, "sizeof(a[0]) / sizeof(a[0][0])"));
    /* GDB's whatis says "long [8]", DWARF's base type name is "long int". */
    snprintf(type, sizeof type, " [%lld]", gdb_print(elf, "sizeof(a[0]) / sizeof(a[0][0])"));
    assert_non_null(strstr(row.type_name, type));

    assert_int_equal(varloc_index(*state, &row, &cell, why, sizeof why), 0);
    assert_int_equal(cell.shape, VARLOC_SCALAR);
    assert_int_equal(cell.size, gdb_print(elf, "sizeof(a[0][0])"));
    assert_int_equal(cell.is_signed, gdb_print(elf, "(__typeof__(a[0][0]))-1 < 0"));
    assert_int_equal(varloc_index(*state, &cell, &row, why, sizeof why), -1);
    assert_non_null(strstr(why, "not an array or a pointer"));
}

static void test_local_at_entry_is_refused(void **state)
{
    const char *elf = build_path("user/matrix");
    struct varloc v;
    char why[256] = "";
    assert_int_equal(varloc_find(*state, gdb_entry(elf, "work"), "sum", &v, why, sizeof why), -1);
    assert_non_null(strstr(why, "entry"));
}

/* ---- Rust: fn work(n: u64) -> u64 in user/rust/rustdemo.rs ---- */

/* GDB's parameter type of a one-parameter function: "u64". */
static void gdb_param_type(const char *elf, const char *func, char *buf, size_t len)
{
    char *out = run(GDB " -ex 'set language c' -ex 'info functions ^%s$' %s 2>&1", func, elf);
    char *s = strstr(out, func);
    s = s ? strchr(s, '(') : 0;
    if (!s)
        fail_msg("GDB lists no %s:\n%s", func, out);
    s++;
    s[strcspn(s, ",)")] = 0;
    snprintf(buf, len, "%s", s);
    free(out);
}

static void test_rust_param_is_frame_register_relative(void **state)
{
    const char *elf = build_path("user/rustdemo");
    uint64_t pc = gdb_break(elf, "rustdemo::work");
    struct varloc v = expect_mem(*state, elf, pc, "n");
    char type[64], expr[128];
    gdb_param_type(elf, "rustdemo::work", type, sizeof type);
    assert_string_equal(v.type_name, type); /* "u64" */
    snprintf(expr, sizeof expr, "(%s)-1 < 0", type);
    assert_int_equal(v.is_signed, gdb_print(elf, expr));
    snprintf(expr, sizeof expr, "sizeof(%s)", type);
    assert_int_equal(v.size, gdb_print(elf, expr));
    assert_false(v.is_pointer);
}

static void test_rust_param_at_entry_is_a0(void **state)
{
    const char *elf = build_path("user/rustdemo");
    uint64_t entry = gdb_entry(elf, "rustdemo::work");
    uint64_t body = gdb_break(elf, "rustdemo::work");
    struct varloc v = find_ok(*state, entry, "n");
    assert_int_equal(v.kind, VARLOC_REG);
    assert_int_equal(v.reg, 10);
    struct gdb_sym slot = expected(elf, body, "n");
    assert_true(prologue_stores_a0(elf, entry, body, slot.reg, slot.off));
}

static void test_rust_block_locals_in_loop(void **state)
{
    /* rustdemo.rs:45 "sum += fib.cur" is in the while loop: sum and i live
     * in nested lexical blocks (DW_AT_ranges). */
    const char *elf = build_path("user/rustdemo");
    uint64_t pc = gdb_break(elf, "rustdemo.rs:45");
    expect_mem(*state, elf, pc, "sum");
    expect_mem(*state, elf, pc, "i");
    expect_mem(*state, elf, pc, "n");
}

/* GDB's "ptype/o TYPE": the offset of one member, the first number of its line. */
static long gdb_member_offset(const char *elf, const char *type, const char *member)
{
    char *out = run(GDB " -ex 'ptype/o %s' %s 2>&1", type, elf);
    char key[64];
    snprintf(key, sizeof key, " %s;", member); /* "u64 cur;" (GDB shows it as C) */
    for (char *line = strtok(out, "\n"); line; line = strtok(0, "\n")) {
        char *open = strstr(line, "/*");
        if (open && strstr(line, key)) {
            long off = strtol(open + 2, 0, 10);
            free(out);
            return off;
        }
    }
    fail_msg("ptype/o %s has no member %s", type, member);
    return -1;
}

/* let mut fib = Fib { prev: 0, cur: 1 }: a struct in the frame; fib.cur at
 * the offset GDB's ptype/o gives (rustc may reorder fields). */
static void test_rust_struct_and_its_member(void **state)
{
    const char *elf = build_path("user/rustdemo");
    uint64_t pc = gdb_break(elf, "rustdemo.rs:45");
    struct gdb_sym sym;
    assert_true(gdb_scope(elf, pc, "fib", &sym));
    struct varloc v = expect_mem(*state, elf, pc, "fib");
    assert_int_equal(v.shape, VARLOC_STRUCT);
    assert_int_equal(v.size, sym.length);
    struct varloc cur;
    char why[256] = "";
    assert_int_equal(varloc_member(*state, &v, "cur", &cur, why, sizeof why), 0);
    assert_int_equal(cur.offset, gdb_member_offset(elf, "rustdemo::Fib", "cur"));
    assert_int_equal(cur.size, 8);
    assert_false(cur.is_signed);
    assert_int_equal(varloc_member(*state, &v, "nosuch", &cur, why, sizeof why), -1);
    assert_non_null(strstr(why, "no member nosuch"));
}

static void test_rust_reference_is_a_pointer(void **state)
{
    /* Fib::step(&mut self): self is a reference. */
    const char *elf = build_path("user/rustdemo");
    uint64_t pc = gdb_break(elf, "rustdemo::Fib::step");
    struct varloc v = expect_mem(*state, elf, pc, "self");
    assert_true(v.is_pointer);
    assert_int_equal(v.type_name[0], '&');
}

/* ---- kernel: long kprobe_target(long x) in kernel/kprobe_target.c ---- */

static void test_kernel_param_and_local(void **state)
{
    const char *elf = build_path("kernel/kernel.elf");
    uint64_t pc = gdb_break(elf, "kprobe_target");
    struct varloc x = expect_mem(*state, elf, pc, "x");
    expect_c_type(elf, &x, "kprobe_target", "x");
    struct varloc acc = expect_mem(*state, elf, pc, "acc");
    expect_c_type(elf, &acc, "kprobe_target", "acc");

    uint64_t entry = gdb_entry(elf, "kprobe_target");
    struct varloc at = find_ok(*state, entry, "x");
    assert_int_equal(at.kind, VARLOC_REG);
    assert_int_equal(at.reg, 10);
    assert_true(prologue_stores_a0(elf, entry, pc, x.reg, x.offset));
}

static void test_kernel_pointer_param(void **state)
{
    /* void printf(const char *fmt, ...) */
    const char *elf = build_path("kernel/kernel.elf");
    uint64_t pc = gdb_break(elf, "printf");
    struct varloc v = expect_mem(*state, elf, pc, "fmt");
    expect_c_type(elf, &v, "printf", "fmt");
    assert_true(v.is_pointer);
}

/* A global of another compilation unit, from a function of sysproc.c:
 * proc.c's `static struct proc *initproc`, at the address GDB gives. */
static void test_kernel_global_by_address(void **state)
{
    const char *elf = build_path("kernel/kernel.elf");
    uint64_t want = gdb_number(elf, "info address initproc", "static storage at address ", 16);
    struct varloc v = find_ok(*state, gdb_break(elf, "sys_getpid"), "initproc");
    assert_int_equal(v.kind, VARLOC_ADDR);
    assert_int_equal(v.addr, want);
    assert_int_equal(v.size, 8);
    assert_true(v.is_pointer);
}

/* kexec(const char *path, const char *const argv[]): path is text, argv[i]
 * a pointer to text, 8 bytes apart. */
static void test_kernel_strings(void **state)
{
    const char *elf = build_path("kernel/kernel.elf");
    uint64_t pc = gdb_break(elf, "kexec");
    struct varloc path = expect_mem(*state, elf, pc, "path");
    assert_int_equal(path.shape, VARLOC_SCALAR);
    assert_true(path.is_pointer && path.is_string);
    struct varloc argv = expect_mem(*state, elf, pc, "argv");
    assert_true(argv.is_pointer);
    assert_false(argv.is_string); /* a pointer to pointers */
    struct varloc arg;
    char why[256] = "";
    assert_int_equal(varloc_index(*state, &argv, &arg, why, sizeof why), 0);
    assert_int_equal(argv.elem_size, gdb_print(elf, "sizeof(const char *)"));
    assert_true(arg.is_pointer && arg.is_string);
}

/* sys_exec's char path[MAXPATH]: an array of char on the stack is text. */
static void test_kernel_char_array_local(void **state)
{
    const char *elf = build_path("kernel/kernel.elf");
    uint64_t pc = gdb_break(elf, "sys_exec");
    struct varloc v = expect_mem(*state, elf, pc, "path");
    assert_int_equal(v.shape, VARLOC_ARRAY);
    assert_true(v.is_string);
    assert_int_equal(v.elem_size, 1);
    struct gdb_sym sym = expected(elf, pc, "path");
    assert_int_equal(v.size, sym.length);
    assert_int_equal(v.count, sym.length); /* one byte each */
}

/* initproc->name (char[16], text) and initproc->context.ra (a struct
 * member, then a member of it) at the offsets C gives. */
static void test_kernel_members_of_struct_proc(void **state)
{
    const char *elf = build_path("kernel/kernel.elf");
    struct varloc p = find_ok(*state, gdb_break(elf, "sys_getpid"), "initproc");
    struct varloc name, ctx, ra, pt;
    char why[256] = "";
    assert_int_equal(varloc_member(*state, &p, "name", &name, why, sizeof why), 0);
    assert_int_equal(name.offset, gdb_print(elf, "(long)&((struct proc *)0)->name"));
    assert_int_equal(name.shape, VARLOC_ARRAY);
    assert_int_equal(name.count, gdb_print(elf, "sizeof(((struct proc *)0)->name)"));
    assert_true(name.is_string);

    assert_int_equal(varloc_member(*state, &p, "context", &ctx, why, sizeof why), 0);
    assert_int_equal(ctx.shape, VARLOC_STRUCT);
    assert_int_equal(ctx.offset, gdb_print(elf, "(long)&((struct proc *)0)->context"));
    assert_int_equal(ctx.size, gdb_print(elf, "sizeof(struct context)"));
    assert_int_equal(varloc_member(*state, &ctx, "ra", &ra, why, sizeof why), 0);
    assert_int_equal(ra.offset, gdb_print(elf, "(long)&((struct context *)0)->ra"));
    assert_int_equal(ra.size, 8);

    /* pagetable_t is a typedef of a pointer to 8-byte entries: p->pagetable[i]. */
    assert_int_equal(varloc_member(*state, &p, "pagetable", &pt, why, sizeof why), 0);
    assert_true(pt.is_pointer);
    assert_int_equal(pt.elem_size, gdb_print(elf, "sizeof(*((struct proc *)0)->pagetable)"));
    /* A member of something that is not a struct. */
    assert_int_equal(varloc_member(*state, &ra, "x", &pt, why, sizeof why), -1);
    assert_non_null(strstr(why, "not a struct"));
}

int main(void)
{
    const struct CMUnitTest matrix_tests[] = {
        cmocka_unit_test(test_matrix_param_in_body_is_cfa_relative),
        cmocka_unit_test(test_matrix_param_at_entry_is_a0),
        cmocka_unit_test(test_matrix_local_in_body),
        cmocka_unit_test(test_matrix_block_locals_at_inner_loop),
        cmocka_unit_test(test_block_local_outside_its_block_is_not_found),
        cmocka_unit_test(test_unknown_name_says_which_and_where),
        cmocka_unit_test(test_global_two_dimensional_array),
        cmocka_unit_test(test_local_at_entry_is_refused),
    };
    const struct CMUnitTest rust_tests[] = {
        cmocka_unit_test(test_rust_param_is_frame_register_relative),
        cmocka_unit_test(test_rust_param_at_entry_is_a0),
        cmocka_unit_test(test_rust_block_locals_in_loop),
        cmocka_unit_test(test_rust_struct_and_its_member),
        cmocka_unit_test(test_rust_reference_is_a_pointer),
    };
    const struct CMUnitTest kernel_tests[] = {
        cmocka_unit_test(test_kernel_param_and_local),
        cmocka_unit_test(test_kernel_pointer_param),
        cmocka_unit_test(test_kernel_global_by_address),
        cmocka_unit_test(test_kernel_strings),
        cmocka_unit_test(test_kernel_char_array_local),
        cmocka_unit_test(test_kernel_members_of_struct_proc),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("varloc matrix", matrix_tests, open_matrix, close_di);
    failed += cmocka_run_group_tests_name("varloc rustdemo", rust_tests, open_rust, close_di);
    failed += cmocka_run_group_tests_name("varloc kernel", kernel_tests, open_kernel, close_di);
    return failed ? 1 : 0;
}
