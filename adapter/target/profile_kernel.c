/*
 * profile_kernel.c - does the profile fit the kernel it names?  Checked at
 * launch and attach, once GDB has the kernel's symbols:
 *   - every hook symbol (exec, exit, fork, trap.entry, trap.return) is a
 *     function of the kernel;
 *   - every expression of global scope (process.*, trap.frame,
 *     uretprobes.*) names things the kernel has (GDB's `whatis`: types
 *     only, no memory is read, so it works before the OS has run).
 * Expressions valid only inside a hook (exec.name, exit.pid, fork.*) are
 * checked where they are evaluated, when the hook is first hit (liveness.c).
 * Each problem is one line in the Debug Console, saying what will not work.
 */
#include "dap/dap.h"
#include "dwarf/debuginfo.h"
#include "gdb/gdb.h"
#include "profile/profile.h"
#include "target/profile_kernel.h"
#include "target/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_symbol(const char *key, const char *symbol, const char *consequence)
{
    uint64_t addr;
    if (!symbol || !T.kernel_di)
        return;
    if (debuginfo_function_addr(T.kernel_di, symbol, true, &addr) < 0)
        dap_output("stderr", "osdbg: profile: %s \"%s\" is not a function of the kernel: %s\n", key,
                   symbol, consequence);
}

static void check_expression(const char *key, const char *expr, const char *consequence)
{
    if (!expr)
        return;
    char err[256], *out = 0;
    char *e = gdb_hart_expr(expr); /* {hart}: any hart's will do for the types */
    /* In the profile's language, whatever the frame's (GDB's `with`
     * sets it for this one command). */
    /* A Rust enum's field is checked against the variant it holds now:
     * before the OS has run, an Option is None ("Cannot access field 0 of
     * variant ...::None"), which says nothing about the expression. */
    if (gdb_console(&out, err, sizeof err, "with language %s -- whatis %s",
                    profile_lang() == GDB_LANG_RUST ? "rust" : "c", e) < 0 &&
        !strstr(err, " of variant "))
        dap_output("stderr", "osdbg: profile: %s \"%s\" does not evaluate in the kernel (%s): %s\n",
                   key, expr, err, consequence);
    free(out);
    free(e);
}

void profile_check_kernel(void)
{
    const struct profile *p = T.profile;
    if (!p)
        return;
    if (p->warnings) {
        for (const char *l = p->warnings; *l;) {
            const char *e = strchr(l, '\n');
            dap_output("stderr", "osdbg: profile %s: %.*s\n", p->path, (int)(e - l), l);
            l = e + 1;
        }
    }
    if (!T.kernel_di)
        return;
    check_symbol("exec.symbol", p->exec_symbol,
                 "user breakpoints cannot follow programs and stay unverified");
    check_symbol("exit.symbol", p->exit_symbol, "ended processes are not forgotten");
    check_symbol("fork.symbol", p->fork_symbol, "children that do not exec are not followed");
    check_symbol("trap.entry", p->trap_entry,
                 "no cross-privilege stack, no stepping into system calls");
    check_symbol("trap.return", p->trap_return, "no stepping out of system calls");
    for (char **f = p->power_off; f && *f; f++)
        check_symbol("powerOff", *f, "a recorded run ends without a last stop to go back from");
    check_expression("process.name", p->proc_name, "stops cannot tell which program runs");
    check_expression("process.pid", p->proc_pid, "stops cannot tell which process runs");
    check_expression("process.pageTable", p->proc_pagetable,
                     "a program's frames below the kernel's cannot be read");
    check_expression("trap.frame", p->trapframe, "no cross-privilege stack");
    check_expression("uretprobes.trampoline", p->uret_trampoline,
                     "frames past a uretprobe show the trampoline");
    check_expression("uretprobes.instances", p->uret_instances,
                     "frames past a uretprobe show the trampoline");
    check_expression("uretprobes.task", p->uret_task,
                     "frames past a uretprobe show the trampoline");
}
