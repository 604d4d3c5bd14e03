/*
 * Conditions and logpoint expressions as GDB must read them
 * (adapter/gdbexpr.c): every expected rewrite is written here by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gdb/gdbexpr.h"

static const struct gdbexpr_event ev = {.pid = 3, .comm = "hello", .time = 1.5};

static void check(const char *expr, const struct gdbexpr_event *e, const char *want)
{
    char *got = gdbexpr_rewrite(expr, e);
    assert_string_equal(got, want);
    free(got);
}

static void test_text_compared_with_a_string(void **state)
{
    (void)state;
    check("path == \"hello\"", 0, "$_streq(path, \"hello\")");
    check("p->name != \"sh\"", 0, "!$_streq(p->name, \"sh\")");
    check("\"sh\"==argv[0]", 0, "$_streq(\"sh\", argv[0])");
    /* Quotes and operators inside the literal are its own. */
    check("s == \"a \\\" == b\"", 0, "$_streq(s, \"a \\\" == b\")");
}

static void test_joined_and_grouped(void **state)
{
    (void)state;
    check("n > 4 && path == \"hello\" || x", 0, "n > 4 && $_streq(path, \"hello\") || x");
    check("(a == \"x\" || b != \"y\") && c <= 3", 0,
          "($_streq(a, \"x\") || !$_streq(b, \"y\")) && c <= 3");
    check("!(name == \"init\")", 0, "!($_streq(name, \"init\"))");
}

static void test_other_conditions_unchanged(void **state)
{
    (void)state;
    check("i == j", 0, "i == j");
    check("a[i] != 0 && f(\"x\") >= 2", 0, "a[i] != 0 && f(\"x\") >= 2");
    check("c == 'x'", 0, "c == 'x'");
    /* Without an event, the names are GDB's: a variable pid stays. */
    check("pid == 3 && a0 > 1", 0, "pid == 3 && a0 > 1");
}

static void test_logpoint_names(void **state)
{
    (void)state;
    check("pid", &ev, "3");
    check("comm == \"hello\"", &ev, "$_streq(\"hello\", \"hello\")");
    check("time > 1", &ev, "1.500000 > 1");
    check("a0 + sp * 2", &ev, "$a0 + $sp * 2");
    check("x10 == zero", &ev, "$x10 == 0");
}

static void test_names_that_are_not_the_logpoints(void **state)
{
    (void)state;
    /* Members, convenience variables, calls and numbers keep their names. */
    check("p->pid + s.a0 + $pc", &ev, "p->pid + s.a0 + $pc");
    check("p -> pid", &ev, "p -> pid");
    check("time(0) + 0x10", &ev, "time(0) + 0x10");
    check("\"pid a0\"", &ev, "\"pid a0\"");
    check("pidx + comm_len", &ev, "pidx + comm_len");
}

/* Numbers in values as gdb-multiarch 13.1 prints them, C and Rust. */
static void number(const char *value, bool ok, uint64_t want)
{
    uint64_t got = 0xdead;
    assert_int_equal(gdb_value_number(value, &got), ok);
    if (ok)
        assert_int_equal(got, want);
}

static void test_numbers_in_values(void **state)
{
    (void)state;
    number("42", true, 42);
    number("-1", true, UINT64_MAX);
    number("0x80201000", true, 0x80201000);
    number("0x80239750 <kmem>", true, 0x80239750);
    number("97 'a'", true, 97);
    number("(struct proc *) 0x80240a68 <ptable+1096>", true, 0x80240a68);
    number("(*mut os::task::TaskControlBlock) 0x80236000", true, 0x80236000);
    number("(*mut dyn core::ops::Fn() -> ()) 0x10", true, 0x10);
    number("true", true, 1);
    number("false", true, 0);
    number("\"hello\", '\\000' <repeats 10 times>", false, 0);
    number("{pid = 1, name = \"init\"}", false, 0);
    number("RUNNABLE", false, 0);
    number("1.5", false, 0);
    number("trueish", false, 0);
    number("(struct proc *", false, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_compared_with_a_string),
        cmocka_unit_test(test_joined_and_grouped),
        cmocka_unit_test(test_other_conditions_unchanged),
        cmocka_unit_test(test_logpoint_names),
        cmocka_unit_test(test_names_that_are_not_the_logpoints),
        cmocka_unit_test(test_numbers_in_values),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
