/* Where osdbg is (paths.h). */
#include "core/paths.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void canonical(char *path, size_t n)
{
    char *real = realpath(path, 0);
    if (real) {
        snprintf(path, n, "%s", real);
        free(real);
    }
}

void osdbg_locate(char *build, char *root, size_t n)
{
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
    char *bin = dirname(exe);
    snprintf(build, n, "%s/..", bin);
    snprintf(root, n, "%s/../..", bin);
    canonical(build, n);
    canonical(root, n);
}
