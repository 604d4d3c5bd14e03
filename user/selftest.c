/*
 * selftest: the kernel's system-call interface under good and bad input,
 * from user space.  Every check names the behaviour it pins.  Bad pointers,
 * bad files and resource exhaustion must give an error to the caller, never
 * a kernel panic.  Ends with "selftest: N passed, N failed" and the sentinel
 * line "selftest: done" that the host test waits for.
 */
#include "ulib.h"
#include <osdbg/memlayout.h>

static int passed, failed;

static void check(int ok, const char *what)
{
    if (ok)
        passed++;
    else
        failed++;
    printf("selftest: %s %s\n", ok ? "ok  " : "FAIL", what);
}

/* Addresses the compiler cannot reason about (it would warn on literals). */
static volatile uintptr_t addr_8 = 8, addr_0x10 = 0x10;

static long raw_syscall(long num, long a0, long a1, long a2)
{
    register long r_a0 asm("a0") = a0;
    register long r_a1 asm("a1") = a1;
    register long r_a2 asm("a2") = a2;
    register long r_a7 asm("a7") = num;
    asm volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a7) : "memory");
    return r_a0;
}

/* Run fn in a child; return the child's exit status. */
static int in_child(void (*fn)(void))
{
    int pid = fork();
    if (pid == 0) {
        fn();
        exit(0);
    }
    int status = 12345;
    wait(pid, &status);
    return status;
}

static void test_exec_errors(void)
{
    char *argv[] = {"x", 0};
    check(exec("notelf", argv) == -ENOEXEC, "exec of a text file fails with ENOEXEC");
    check(exec("truncated", argv) == -ENOEXEC, "exec of a truncated ELF fails with ENOEXEC");
    check(exec("no-such-program", argv) == -ENOENT, "exec of a missing file fails with ENOENT");
    check(exec((char *)8, argv) == -EFAULT, "exec with a bad path pointer fails with EFAULT");
    check(exec("hello", (char **)addr_8) == -EFAULT,
          "exec with a bad argv pointer fails with EFAULT");
    char *bad_arg[] = {"hello", (char *)0x3000, 0};
    check(exec("hello", bad_arg) == -EFAULT, "exec with a bad argument string fails with EFAULT");
    char *many[40];
    for (int i = 0; i < 39; i++)
        many[i] = "a";
    many[39] = 0;
    check(exec("hello", many) == -E2BIG, "exec with too many arguments fails with E2BIG");
    check(getpid() > 0, "the process survives every failed exec");
}

static void test_bad_pointers(void)
{
    check(write(1, (void *)0, 10) == -EFAULT, "write from address 0 fails with EFAULT");
    check(write(1, (void *)0x80200000UL, 10) == -EFAULT,
          "write from a kernel address fails with EFAULT");
    check(write(1, (void *)TRAPFRAME, 8) == -EFAULT,
          "write from the trap frame page (not user-accessible) fails with EFAULT");
    int fd = open("motd", O_RDONLY);
    check(read(fd, (void *)0x10000, 4) == -EFAULT,
          "read into read-only program text fails with EFAULT");
    close(fd);
    check(open((char *)0x7, O_RDONLY) == -EFAULT, "open with a bad path pointer fails with EFAULT");
    check(fstat(0, (struct ustat *)addr_0x10) == -EFAULT,
          "fstat into address 0x10 fails with EFAULT");
}

static void test_files(void)
{
    static const char motd[] = "Welcome to the osdbg reference OS.\nType `ls` to see the programs, "
                               "`help` for the shell.\n";
    int fd = open("/motd", O_RDONLY);
    check(fd >= 3, "open of an existing file returns a new descriptor");
    char buf[256];
    long n = read(fd, buf, sizeof buf);
    check(n == (long)sizeof motd - 1 && memcmp(buf, motd, n) == 0,
          "read returns the file's exact contents");
    check(read(fd, buf, sizeof buf) == 0, "read at end of file returns 0");
    struct ustat st;
    check(fstat(fd, &st) == 0 && st.type == T_FILE && st.size == sizeof motd - 1,
          "fstat reports a file and its size");
    check(close(fd) == 0 && close(fd) == -EBADF, "close works once, then fails with EBADF");
    check(read(99, buf, 1) == -EBADF && read(-1, buf, 1) == -EBADF,
          "read on an out-of-range descriptor fails with EBADF");
    check(open("motd", O_WRONLY) == -EPERM, "open for writing fails: the file system is read-only");
    check(open("nothing-here", O_RDONLY) == -ENOENT, "open of a missing file fails with ENOENT");
    int fds[20], k = 0, r;
    while (k < 20 && (r = open("motd", O_RDONLY)) >= 0)
        fds[k++] = r;
    check(r == -EMFILE, "opening too many files fails with EMFILE");
    while (k > 0)
        close(fds[--k]);
    int dir = open("/", O_RDONLY);
    n = read(dir, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    check(n > 0 && strncmp(buf, "", 1) != 0 && strchr(buf, '\n') != 0,
          "reading the root directory lists file names, one per line");
    close(dir);
}

static void test_memory(void)
{
    char *old = sbrk(0);
    char *p = sbrk(8192);
    check(p == old, "sbrk returns the old break");
    p[0] = 1;
    p[8191] = 2;
    check(p[0] == 1 && p[8191] == 2, "memory from sbrk is usable");
    check((long)sbrk(-8192) == (long)old + 8192 && sbrk(0) == old, "sbrk can shrink the heap");
    check((long)sbrk(1L << 40) == -ENOMEM, "an impossible sbrk fails with ENOMEM");
    check((long)sbrk(-9223372036854775807L - 1) == -EINVAL,
          "sbrk of the most negative increment fails with EINVAL");
    char *q = malloc(1000);
    check(q != 0, "malloc works on top of sbrk");
    free(q);
}

static void store_null(void)
{
    *(volatile int *)0 = 1;
}

static int depth(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    if (n < 1000000000) /* never reached: the 32 KiB stack ends long before */
        return depth(n + 1) + pad[0];
    return 0;
}

static void overflow_stack(void)
{
    depth(0);
}

static void exec_kernel_addr(void)
{
    ((void (*)(void))0x80200000UL)();
}

static void sleep_forever(void)
{
    for (;;)
        sleep_ms(1000);
}

static void test_processes(void)
{
    check(in_child(store_null) == -1, "a child storing to address 0 is killed (status -1)");
    check(in_child(overflow_stack) == -1,
          "a child overflowing its stack hits the guard page and is killed");
    check(in_child(exec_kernel_addr) == -1, "a child jumping into kernel memory is killed");
    check(wait(-1, 0) == -ECHILD, "wait with no children fails with ECHILD");

    int pid = fork();
    if (pid == 0)
        sleep_forever();
    sleep_ms(20);
    check(kill(pid) == 0, "kill of a sleeping child succeeds");
    int status = 0;
    check(wait(pid, &status) == pid && status == -1, "a killed child is reaped with status -1");
    check(kill(pid) == -ESRCH, "kill of a reaped pid fails with ESRCH");

    pid = fork();
    if (pid == 0)
        exit(7);
    check(wait(pid, (int *)addr_0x10) == -EFAULT,
          "wait with a bad status pointer fails with EFAULT");
    check(wait(pid, &status) == pid && status == 7,
          "the child is still there to be reaped after that");

    long t0 = uptime_ms();
    sleep_ms(100);
    long t1 = uptime_ms();
    check(t1 - t0 >= 100 && t1 - t0 < 1000, "sleep_ms(100) sleeps at least 100 ms");

    int children = 0;
    for (;;) {
        int c = fork();
        if (c == 0) {
            sleep_ms(200);
            exit(0);
        }
        if (c < 0) {
            check(c == -EAGAIN, "fork fails with EAGAIN when the process table is full");
            break;
        }
        children++;
    }
    while (wait(-1, 0) > 0)
        children--;
    check(children == 0, "every child of the fork storm is reaped");
    check(raw_syscall(4242, 0, 0, 0) == -ENOSYS, "an unknown system call fails with ENOSYS");
}

int main(void)
{
    test_exec_errors();
    test_bad_pointers();
    test_files();
    test_memory();
    test_processes();
    printf("selftest: %d passed, %d failed\n", passed, failed);
    printf("selftest: done\n");
    return failed ? 1 : 0;
}
