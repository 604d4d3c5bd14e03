/*
 * init: the first user program.  The kernel passes it the boot command line
 * (QEMU -append) as arguments.
 *   run=prog1,prog2,...  run each program in order, each to completion, then
 *                        power the machine off (QEMU exits with status 0);
 *   otherwise            start the shell, and power off when it exits.
 * Orphaned processes are re-parented to init, which reaps them.
 */
#include "ulib.h"

static int run(const char *prog)
{
    char *argv[] = {(char *)prog, 0};
    int pid = fork();
    if (pid < 0) {
        printf("init: fork failed: %s\n", strerror(pid));
        return -1;
    }
    if (pid == 0) {
        int err = exec(prog, argv);
        printf("init: cannot run %s: %s\n", prog, strerror(err));
        exit(127);
    }
    int status = 0;
    /* Reap orphans too, until our child is back. */
    for (;;) {
        int got = wait(-1, &status);
        if (got == pid || got < 0)
            break;
    }
    if (status != 0)
        printf("init: %s exited with status %d\n", prog, status);
    return status;
}

int main(int argc, char *argv[])
{
    const char *list = 0;
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "run=", 4) == 0)
            list = argv[i] + 4;

    if (list) {
        char name[64];
        while (*list) {
            size_t n = 0;
            while (list[n] && list[n] != ',' && n + 1 < sizeof name) {
                name[n] = list[n];
                n++;
            }
            name[n] = 0;
            list += n;
            while (*list && *list != ',')
                list++; /* a name too long for the buffer: skip the rest */
            if (*list == ',')
                list++;
            if (n > 0)
                run(name);
        }
        printf("init: all programs done, powering off\n");
        shutdown();
    }

    run("sh");
    printf("init: shell exited, powering off\n");
    shutdown();
}
