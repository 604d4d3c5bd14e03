/* hello: the smallest program; the first one students put a breakpoint in. */
#include "ulib.h"

int main(int argc, char *argv[])
{
    int pid = getpid();
    printf("Hello, world! (pid %d)\n", pid);
    for (int i = 1; i < argc; i++)
        printf("hello: argument %d is %s\n", i, argv[i]);
    return 0;
}
