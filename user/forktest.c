/*
 * forktest: exercises fork, exec, exit status, wait and getppid.
 *  1. N children exit with distinct statuses; the parent collects each one.
 *  2. A child execs `hello` with arguments; the parent waits for it.
 *  3. wait() with no children left fails with ECHILD.
 *  4. A forked child sees its own copy of memory.
 * Prints "forktest: OK" when every check held.
 */
#include "ulib.h"

#define NCHILD 5

static int failures;

static void expect(int cond, const char *what)
{
    if (!cond) {
        printf("forktest: FAILED: %s\n", what);
        failures++;
    }
}

static int shared_value = 1;

int main(void)
{
    int me = getpid();
    int pids[NCHILD];
    for (int i = 0; i < NCHILD; i++) {
        int pid = fork();
        if (pid == 0) {
            expect(getppid() == me, "child's parent is the forking process");
            exit(10 + i);
        }
        expect(pid > 0, "fork returns a child pid");
        pids[i] = pid;
    }
    int seen = 0;
    for (int i = 0; i < NCHILD; i++) {
        int status = -1;
        int pid = wait(-1, &status);
        for (int k = 0; k < NCHILD; k++)
            if (pids[k] == pid && status == 10 + k)
                seen |= 1 << k;
    }
    expect(seen == (1 << NCHILD) - 1, "every child's exit status reaches the parent");
    printf("forktest: %d children exited with their own status\n", NCHILD);

    int pid = fork();
    if (pid == 0) {
        char *argv[] = {"hello", "from", "forktest", 0};
        exec("hello", argv);
        exit(99); /* exec failed */
    }
    int status = -1;
    expect(wait(pid, &status) == pid && status == 0, "exec'd child (hello) exits 0");

    expect(wait(-1, 0) == -ECHILD, "wait without children fails with ECHILD");

    pid = fork();
    if (pid == 0) {
        shared_value = 42;
        exit(shared_value);
    }
    wait(pid, &status);
    expect(status == 42 && shared_value == 1, "child writes its own copy of memory");

    if (failures == 0)
        printf("forktest: OK\n");
    return failures ? 1 : 0;
}
