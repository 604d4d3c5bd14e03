/* Formatted output to file descriptors, on the shared formatter
 * (common/format.c).  Output is buffered per call so that one printf is one
 * write system call: lines of concurrent processes do not interleave. */
#include "ulib.h"
#include "format.h"

struct fdout {
    int fd;
    char buf[256];
    size_t len;
    int total;
};

static void flush(struct fdout *o)
{
    if (o->len) {
        write(o->fd, o->buf, o->len);
        o->len = 0;
    }
}

static void put_fd(void *arg, char c)
{
    struct fdout *o = arg;
    if (o->len == sizeof o->buf)
        flush(o);
    o->buf[o->len++] = c;
}

int vfprintf(int fd, const char *fmt, va_list ap)
{
    struct fdout o = {.fd = fd};
    int n = vformat(put_fd, &o, fmt, ap);
    flush(&o);
    return n;
}

int fprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(fd, fmt, ap);
    va_end(ap);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(1, fmt, ap);
    va_end(ap);
    return n;
}

const char *strerror(long err)
{
    switch (err < 0 ? -err : err) {
    case ENOENT:
        return "no such file";
    case ENOEXEC:
        return "not an executable";
    case ENOMEM:
        return "out of memory";
    case EFAULT:
        return "bad address";
    case EBADF:
        return "bad file descriptor";
    case ECHILD:
        return "no child processes";
    case EAGAIN:
        return "no free process slot";
    case EINVAL:
        return "invalid argument";
    case E2BIG:
        return "argument list too long";
    case EMFILE:
        return "too many open files";
    case EPERM:
        return "read-only file system";
    case ESRCH:
        return "no such process";
    case ENOSYS:
        return "no such system call";
    case EINTR:
        return "interrupted";
    default:
        return "error";
    }
}
