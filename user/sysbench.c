/*
 * sysbench: make N cheap system calls (getpid), then print one line.
 *   sysbench [N [P]]   N defaults to 1000; with P, P processes make N each,
 *                      all at once (on as many harts as there are)
 * The adapter benchmark (bench/adapter/) runs it while breakpoints of
 * another program are set: every program is linked at 0x10000, so this
 * loop runs at the addresses of that program's code, and any breakpoint
 * there that the debugger keeps armed makes GDB stop here.
 */
#include "ulib.h"

int main(int argc, char *argv[])
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    long procs = argc > 2 ? atol(argv[2]) : 0;
    if (procs > 0) {
        long start = uptime_ms();
        for (long c = 0; c < procs; c++) {
            int pid = fork();
            if (pid == 0) {
                for (long i = 0; i < n; i++)
                    getpid();
                exit(0);
            }
            if (pid < 0) {
                printf("sysbench: fork failed\n");
                return 1;
            }
        }
        for (long c = 0; c < procs; c++)
            wait(-1, 0);
        printf("sysbench: %ld processes x %ld getpid() calls in %ld ms\n", procs, n,
               uptime_ms() - start);
        return 0;
    }
    long start = uptime_ms();
    int pid = 0;
    for (long i = 0; i < n; i++)
        pid = getpid();
    long ms = uptime_ms() - start;
    printf("sysbench: %ld getpid() calls (pid %d) in %ld ms\n", n, pid, ms);
    return 0;
}
