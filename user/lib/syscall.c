/*
 * System call stubs: number in a7, arguments in a0..a5, result in a0
 * (RISC-V Linux convention; numbers in include/osdbg/syscall_nr.h).
 */
#include "ulib.h"
#include <osdbg/syscall_nr.h>

static long syscall3(long num, long a0, long a1, long a2)
{
    register long r_a0 asm("a0") = a0;
    register long r_a1 asm("a1") = a1;
    register long r_a2 asm("a2") = a2;
    register long r_a7 asm("a7") = num;
    asm volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a7) : "memory");
    return r_a0;
}

long read(int fd, void *buf, size_t n)
{
    return syscall3(SYS_read, fd, (long)buf, (long)n);
}
long write(int fd, const void *buf, size_t n)
{
    return syscall3(SYS_write, fd, (long)buf, (long)n);
}
int open(const char *path, int flags)
{
    return (int)syscall3(SYS_open, (long)path, flags, 0);
}
int close(int fd)
{
    return (int)syscall3(SYS_close, fd, 0, 0);
}
int fstat(int fd, struct ustat *st)
{
    return (int)syscall3(SYS_fstat, fd, (long)st, 0);
}
int fork(void)
{
    return (int)syscall3(SYS_fork, 0, 0, 0);
}
int exec(const char *path, char *const argv[])
{
    return (int)syscall3(SYS_exec, (long)path, (long)argv, 0);
}
int wait(int pid, int *status)
{
    return (int)syscall3(SYS_wait, pid, (long)status, 0);
}
int getpid(void)
{
    return (int)syscall3(SYS_getpid, 0, 0, 0);
}
int getppid(void)
{
    return (int)syscall3(SYS_getppid, 0, 0, 0);
}
int kill(int pid)
{
    return (int)syscall3(SYS_kill, pid, 0, 0);
}
int yield(void)
{
    return (int)syscall3(SYS_yield, 0, 0, 0);
}
int sleep_ms(long ms)
{
    return (int)syscall3(SYS_sleep, ms, 0, 0);
}
long uptime_ms(void)
{
    return syscall3(SYS_uptime, 0, 0, 0);
}

long bpf(int cmd, void *attr, unsigned long size)
{
    return syscall3(SYS_bpf, cmd, (long)attr, (long)size);
}

void *sbrk(long increment)
{
    return (void *)syscall3(SYS_sbrk, increment, 0, 0);
}

void exit(int status)
{
    syscall3(SYS_exit, status, 0, 0);
    for (;;)
        ;
}

void shutdown(void)
{
    syscall3(SYS_shutdown, 0, 0, 0);
    for (;;)
        ;
}
