#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t spawn_piped(const char *dir, const char *const argv[], int *to_child, int *from_child,
                  char *err, size_t errlen)
{
    int in[2], out[2], status[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* dup2 clears close-on-exec on the copies. */
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        setpgid(0, 0); /* Ctrl-C in the adapter's terminal is not for the child */
        /* The child must not outlive the adapter, however the adapter ends
         * (even SIGKILL): a leftover QEMU keeps its sockets and CPU. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
            _exit(127); /* the adapter died already */
        int e = 0;
        if (dir && chdir(dir) < 0)
            e = -errno; /* negative: the directory, not the program */
        else
            execvp(argv[0], (char *const *)argv);
        /* The status pipe closes on a successful exec; an errno means failure. */
        if (!e)
            e = errno;
        if (write(status[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(status[1]);
    int child_errno;
    ssize_t n = read(status[0], &child_errno, sizeof child_errno);
    close(status[0]);
    if (n == sizeof child_errno) {
        waitpid(pid, 0, 0);
        close(in[1]);
        close(out[0]);
        if (child_errno < 0)
            snprintf(err, errlen, "cannot run %s in %s: %s", argv[0], dir, strerror(-child_errno));
        else
            snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(child_errno));
        return -1;
    }
    *to_child = in[1];
    *from_child = out[0];
    return pid;
}
