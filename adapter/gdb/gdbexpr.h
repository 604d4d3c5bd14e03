/*
 * Conditions and logpoint expressions in GDB's terms, for the breakpoints
 * GDB evaluates (a GDB logpoint, one the OS had no room for, a conditional
 * breakpoint).  Two things GDB reads differently from osdbg's eBPF logpoints:
 *
 *  - text compared with a string, `path == "hello"`: GDB would need the
 *    target's malloc for the literal; `$_streq(path, "hello")` needs none;
 *  - a logpoint's names for the event (`pid`, `comm`, `time`) and bare
 *    registers (`a0`, `sp`): GDB knows `$a0`, and osdbg knows the rest.
 */
#ifndef ADAPTER_GDBEXPR_H
#define ADAPTER_GDBEXPR_H

#include <stdbool.h>
#include <stdint.h>

/* What a logpoint's special names stand for at this stop. */
struct gdbexpr_event {
    int pid;
    const char *comm;
    double time;
};

/* A malloc'd rewrite of expr.  With ev (a logpoint), pid, comm, time and
 * register names are replaced as the eBPF logpoints read them (before any
 * variable of the same name); without, only the string comparisons. */
char *gdbexpr_rewrite(const char *expr, const struct gdbexpr_event *ev);

/* The number in a value as GDB prints it, in any language: "42", "-1",
 * "0x80201000", "0x80201000 <kmem>", "97 'a'", "true", a pointer with its
 * type first ("(struct proc *) 0x80..." in C, "(*mut os::task::Task)
 * 0x80..." in Rust).  Negative numbers as two's complement.  false for
 * anything else (text, a structure, an enum's name). */
bool gdb_value_number(const char *value, uint64_t *out);

#endif
