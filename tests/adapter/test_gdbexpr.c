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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_compared_with_a_string),
        cmocka_unit_test(test_joined_and_grouped),
        cmocka_unit_test(test_other_conditions_unchanged),
        cmocka_unit_test(test_logpoint_names),
        cmocka_unit_test(test_names_that_are_not_the_logpoints),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
