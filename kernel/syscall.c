/*
 * System call dispatch.  RISC-V Linux convention: number in a7, arguments
 * in a0..a5, result in a0 (negative = -errno).
 */
#include "syscall.h"
#include "printf.h"
#include "proc.h"
#include "ktrace.h"
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

/* bpf(cmd, attr, size): ktrace's (ktrace/include/ktrace.h), given its
 * arguments. */
static long sys_bpf(void)
{
    return kt_sys_bpf((int)argraw(0), argraw(1), argraw(2));
}

/* Handlers indexed by number (xv6's layout): the dispatch is one bounds
 * check and one load for every call, where a scan of a list cost up to a
 * comparison per entry.  SYS_shutdown (1000) makes it 8 KiB, mostly zero. */
static long (*const syscalls[])(void) = {
    [SYS_open] = sys_open,     [SYS_close] = sys_close,   [SYS_read] = sys_read,
    [SYS_write] = sys_write,   [SYS_fstat] = sys_fstat,   [SYS_exit] = sys_exit,
    [SYS_sleep] = sys_sleep,   [SYS_yield] = sys_yield,   [SYS_kill] = sys_kill,
    [SYS_uptime] = sys_uptime, [SYS_getpid] = sys_getpid, [SYS_getppid] = sys_getppid,
    [SYS_sbrk] = sys_sbrk,     [SYS_fork] = sys_fork,     [SYS_exec] = sys_exec,
    [SYS_wait] = sys_wait,     [SYS_bpf] = sys_bpf,       [SYS_shutdown] = sys_shutdown,
};

void syscall(void)
{
    struct trapframe *tf = myproc()->trapframe;
    uint64_t num = tf->a7;
    long (*fn)(void) = num < NELEM(syscalls) ? syscalls[num] : 0;
    tf->a0 = fn ? (uint64_t)fn() : (uint64_t)-ENOSYS;
}
