#include "core/usock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int address(const char *path, struct sockaddr_un *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a->sun_path) {
        snprintf(err, errlen, "socket path too long: %s", path);
        return -1;
    }
    strcpy(a->sun_path, path);
    return 0;
}

int usock_listen(const char *path, int backlog, char *err, size_t errlen)
{
    struct sockaddr_un a;
    if (address(path, &a, err, errlen) < 0)
        return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, backlog) < 0) {
        snprintf(err, errlen, "socket %s: %s", path, strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    return s;
}

int usock_connect(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un a;
    if (address(path, &a, err, errlen) < 0)
        return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    return s;
}

int usock_send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
