/*
 * sysbench: make N cheap system calls (getpid), then print one line.
 *   sysbench [N]    N defaults to 1000
 * The adapter benchmark (bench/adapter/) runs it while breakpoints of
 * another program are set: every program is linked at 0x10000, so this
 * loop runs at the addresses of that program's code, and any breakpoint
 * there that the debugger keeps armed makes GDB stop here.
 */
#include "ulib.h"

int main(int argc, char *argv[])
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    long start = uptime_ms();
    int pid = 0;
    for (long i = 0; i < n; i++)
        pid = getpid();
    long ms = uptime_ms() - start;
    printf("sysbench: %ld getpid() calls (pid %d) in %ld ms\n", n, pid, ms);
    return 0;
}
