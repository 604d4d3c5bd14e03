/*
 * orphan: a child that outlives its parent.  The parent forks and exits at
 * once; the child (re-parented to init) waits a little, then calls
 * orphan_work() and prints its result.  A debugger that arms a program's
 * breakpoints only while the program has a process must know of the child,
 * which never exec'd: it is the program's only process once the parent is
 * gone.
 */
#include "ulib.h"

long orphan_work(long n)
{
    long sum = 0;
    for (long i = 1; i <= n; i++)
        sum += i;
    return sum;
}

int main(void)
{
    int pid = fork();
    if (pid < 0) {
        printf("orphan: fork failed: %s\n", strerror(pid));
        return 1;
    }
    if (pid > 0) {
        printf("orphan: parent exits, child %d runs on\n", pid);
        return 0;
    }
    sleep_ms(200);
    printf("orphan: child %d: orphan_work(10) = %ld\n", getpid(), orphan_work(10));
    return 0;
}
