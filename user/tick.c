/* tick: runs next to tock, its twin of another name.  tick forks a child
 * that execs tock, then both count in a loop of the same shape, linked at
 * the same address: on two harts, two different programs run the same
 * virtual addresses at the same time, the case where a debugger must tell
 * by the process, not the address, whose breakpoint was hit.  Both print
 * their total when done.  `tick N` counts N rounds (default 2000000). */
#include "ulib.h"

long tick_count(long rounds)
{
    volatile long total = 0;
    for (long i = 0; i < rounds; i++) {
        total += i % 7; /* tick: the loop's line */
        total -= i % 3;
    }
    return total;
}

int main(int argc, char *argv[])
{
    long rounds = argc > 1 ? atol(argv[1]) : 2000000;
    char *tock_argv[] = {"tock", argc > 1 ? argv[1] : 0, 0};
    int child = fork();
    if (child == 0) {
        exec("tock", tock_argv);
        printf("tick: cannot exec tock\n");
        exit(1);
    }
    long total = tick_count(rounds);
    printf("tick: done, total %ld\n", total);
    if (child > 0)
        wait(child, 0);
    return 0;
}
