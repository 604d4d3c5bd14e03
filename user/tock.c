/* tock: tick's twin (user/tick.c), a program of its own whose counting
 * loop lies at the same virtual addresses as tick's.  `tock N` counts N
 * rounds (default 2000000). */
#include "ulib.h"

long tock_count(long rounds)
{
    volatile long total = 0;
    for (long i = 0; i < rounds; i++) {
        total += i % 7; /* tock: the loop's line */
        total -= i % 3;
    }
    return total;
}

int main(int argc, char *argv[])
{
    long rounds = argc > 1 ? atol(argv[1]) : 2000000;
    long total = tock_count(rounds);
    printf("tock: done, total %ld\n", total);
    return 0;
}
