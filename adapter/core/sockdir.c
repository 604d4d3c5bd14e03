/*
 * sockdir.c - the session's private socket folder (sockdir.h).
 *
 * Ownership: the folder holds a file "owner" with the pid of the adapter
 * that made it.  A folder whose owner no longer runs (kill(pid, 0) says
 * ESRCH) is stale.  A folder of our name pattern without an owner file is
 * stale once it is a minute old (older adapters made none; a minute is far
 * more than the moment between mkdtemp and writing the file).  Only folders
 * of this user, named osdbg-XXXXXX, are ever touched.
 */
#include "core/sockdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PREFIX     "osdbg-"
#define OWNER_FILE "owner"

static const char *tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

void sockdir_remove(const char *dir)
{
    if (!dir || !dir[0])
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char path[PATH_MAX + 300];
            if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
                unlink(path); /* sockets and the owner file; nothing nests */
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Is this folder (an osdbg-XXXXXX of ours) one no live process owns? */
static int stale(const char *dir, const struct stat *st)
{
    char path[PATH_MAX + 300];
    if (snprintf(path, sizeof path, "%s/" OWNER_FILE, dir) >= (int)sizeof path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return time(0) - st->st_mtime > 60;
    long pid = 0;
    int ok = fscanf(f, "%ld", &pid) == 1;
    fclose(f);
    if (!ok || pid <= 0)
        return 1;
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int sockdir_sweep(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) != 0 ||
            strlen(e->d_name) != strlen(PREFIX) + 6)
            continue;
        char path[PATH_MAX + 300];
        if (snprintf(path, sizeof path, "%s/%s", tmp, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
            continue;
        if (stale(path, &st)) {
            sockdir_remove(path);
            n++;
        }
    }
    closedir(d);
    return n;
}

int sockdir_create(char *dir, size_t len, char *err, size_t errlen)
{
    const char *tmp = tmpdir();
    sockdir_sweep(tmp);
    snprintf(dir, len, "%s/" PREFIX "XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot create a socket directory in %s: %s", tmp, strerror(errno));
        dir[0] = 0;
        return -1;
    }
    char path[PATH_MAX + 300];
    FILE *f = snprintf(path, sizeof path, "%s/" OWNER_FILE, dir) < (int)sizeof path
                  ? fopen(path, "w")
                  : 0;
    if (f) {
        fprintf(f, "%ld\n", (long)getpid());
        fclose(f);
    }
    return 0;
}
