/* twins: two processes of the same program running the same loop at the
 * same addresses, preempting each other: the case where a debugger's step
 * can land in the wrong process.  Each prints its total when done. */
#include "ulib.h"

long count(long rounds)
{
    volatile long total = 0;
    for (long i = 0; i < rounds; i++) {
        total += i % 7;
        total -= i % 3;
    }
    return total;
}

int main(void)
{
    int child = fork();
    long total = count(3000000);
    printf("twins: %s done, total %ld\n", child == 0 ? "child" : "parent", total);
    if (child > 0)
        wait(child, 0);
    return 0;
}
