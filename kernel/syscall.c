/*
 * System call dispatch.  RISC-V Linux convention: number in a7, arguments
 * in a0..a5, result in a0 (negative = -errno).
 */
#include "syscall.h"
#include "printf.h"
#include "proc.h"
#include "bpf.h"
#include "sysfuncs.h"
#include "vm.h"
#include "param.h"
#include <osdbg/errno.h>
#include <osdbg/syscall_nr.h>

uint64_t argraw(int n)
{
    struct trapframe *tf = myproc()->trapframe;
    switch (n) {
    case 0:
        return tf->a0;
    case 1:
        return tf->a1;
    case 2:
        return tf->a2;
    case 3:
        return tf->a3;
    case 4:
        return tf->a4;
    case 5:
        return tf->a5;
    }
    panic("argraw: %d", n);
}

long argpath(int n, char *buf)
{
    long len = copyinstr(myproc()->pagetable, buf, argraw(n), MAXPATH);
    if (len < 0)
        return -EFAULT; /* bad address, or longer than MAXPATH */
    return 0;
}

struct syscall_entry {
    int num;
    const char *name;
    long (*fn)(void);
};

static const struct syscall_entry syscalls[] = {
    {SYS_open, "open", sys_open},
    {SYS_close, "close", sys_close},
    {SYS_read, "read", sys_read},
    {SYS_write, "write", sys_write},
    {SYS_fstat, "fstat", sys_fstat},
    {SYS_exit, "exit", sys_exit},
    {SYS_sleep, "sleep", sys_sleep},
    {SYS_yield, "yield", sys_yield},
    {SYS_kill, "kill", sys_kill},
    {SYS_uptime, "uptime", sys_uptime},
    {SYS_getpid, "getpid", sys_getpid},
    {SYS_getppid, "getppid", sys_getppid},
    {SYS_sbrk, "sbrk", sys_sbrk},
    {SYS_fork, "fork", sys_fork},
    {SYS_exec, "exec", sys_exec},
    {SYS_wait, "wait", sys_wait},
    {SYS_shutdown, "shutdown", sys_shutdown}, {SYS_bpf, "bpf", sys_bpf},
};

void syscall(void)
{
    struct proc *p = myproc();
    uint64_t num = p->trapframe->a7;
    for (size_t i = 0; i < NELEM(syscalls); i++) {
        if ((uint64_t)syscalls[i].num == num) {
            p->trapframe->a0 = (uint64_t)syscalls[i].fn();
            return;
        }
    }
    p->trapframe->a0 = (uint64_t)-ENOSYS;
}
