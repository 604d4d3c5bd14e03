#include "core/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_WATCH  32
#define MAX_TIMERS 64

static struct watch {
    int fd;
    loop_fd_fn fn;
    void *data;
} watches[MAX_WATCH];
static int nwatch;

static struct timer {
    long id;
    int64_t due;
    loop_timer_fn fn;
    void *data;
} timers[MAX_TIMERS];
static long next_timer_id = 1;

/* Output queues of loop_send: at most one per fd. */
static struct outq {
    int fd; /* -1: free */
    char *data;
    size_t off, len, cap; /* pending bytes are data[off..len) */
} outqs[MAX_WATCH];
static int noutq;

static bool stopping;
static int stop_code;

int64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int loop_watch(int fd, loop_fd_fn fn, void *data)
{
    for (int i = 0; i < nwatch; i++) {
        if (watches[i].fd == fd) {
            watches[i].fn = fn;
            watches[i].data = data;
            return 0;
        }
    }
    if (nwatch == MAX_WATCH)
        return -1;
    watches[nwatch++] = (struct watch){fd, fn, data};
    return 0;
}

void loop_unwatch(int fd)
{
    for (int i = 0; i < nwatch; i++) {
        if (watches[i].fd == fd) {
            watches[i] = watches[--nwatch];
            return;
        }
    }
}

long loop_timer(long ms, loop_timer_fn fn, void *data)
{
    for (int i = 0; i < MAX_TIMERS; i++) {
        if (timers[i].id == 0) {
            timers[i] = (struct timer){next_timer_id++, loop_now_ms() + ms, fn, data};
            return timers[i].id;
        }
    }
    fprintf(stderr, "osdbg: too many timers\n");
    abort();
}

void loop_cancel(long id)
{
    for (int i = 0; i < MAX_TIMERS; i++)
        if (timers[i].id == id)
            timers[i].id = 0;
}

void loop_stop(int code)
{
    stopping = true;
    stop_code = code;
}

static struct outq *outq_of(int fd)
{
    for (int i = 0; i < noutq; i++)
        if (outqs[i].fd == fd)
            return &outqs[i];
    return 0;
}

size_t loop_queued(int fd)
{
    struct outq *q = outq_of(fd);
    return q ? q->len - q->off : 0;
}

void loop_drop_queue(int fd)
{
    struct outq *q = outq_of(fd);
    if (!q)
        return;
    free(q->data);
    *q = outqs[--noutq];
}

/* Writes what fd takes now from q; -1 if fd is broken. */
static int outq_flush(struct outq *q)
{
    while (q->off < q->len) {
        ssize_t n = write(q->fd, q->data + q->off, q->len - q->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        q->off += (size_t)n;
    }
    q->off = q->len = 0;
    return 0;
}

int loop_send(int fd, const void *data, size_t len, size_t limit)
{
    struct outq *q = outq_of(fd);
    if (!q) {
        if (noutq == MAX_WATCH) {
            errno = EMFILE;
            return -1;
        }
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
            return -1;
        q = &outqs[noutq++];
        *q = (struct outq){.fd = fd};
    }
    if (limit && q->len - q->off + len > limit) {
        errno = ENOBUFS;
        return -1;
    }
    if (q->off == q->len) { /* nothing waiting: try to write it now */
        q->off = q->len = 0;
        while (len > 0) {
            ssize_t n = write(fd, data, len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (n <= 0)
                return -1;
            data = (const char *)data + n;
            len -= (size_t)n;
        }
        if (len == 0)
            return 0;
    }
    if (q->off > 0 && q->off == q->len)
        q->off = q->len = 0;
    if (q->len + len > q->cap) {
        if (q->off) { /* move the pending bytes to the front first */
            memmove(q->data, q->data + q->off, q->len - q->off);
            q->len -= q->off;
            q->off = 0;
        }
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + len)
            cap *= 2;
        char *d = realloc(q->data, cap);
        if (!d) {
            errno = ENOMEM;
            return -1;
        }
        q->data = d;
        q->cap = cap;
    }
    memcpy(q->data + q->len, data, len);
    q->len += len;
    return 0;
}

void loop_flush(long ms)
{
    int64_t end = loop_now_ms() + ms;
    for (;;) {
        struct pollfd pfd[MAX_WATCH];
        int n = 0;
        for (int i = 0; i < noutq; i++)
            if (outqs[i].off < outqs[i].len)
                pfd[n++] = (struct pollfd){.fd = outqs[i].fd, .events = POLLOUT};
        int64_t left = end - loop_now_ms();
        if (n == 0 || left <= 0)
            return;
        if (poll(pfd, n, (int)left) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            struct outq *q = pfd[i].revents ? outq_of(pfd[i].fd) : 0;
            if (q && outq_flush(q) < 0)
                q->off = q->len = 0;
        }
    }
}

static void run_due_timers(void)
{
    int64_t now = loop_now_ms();
    for (int i = 0; i < MAX_TIMERS; i++) {
        if (timers[i].id && timers[i].due <= now) {
            struct timer t = timers[i];
            timers[i].id = 0;
            t.fn(t.data);
        }
    }
}

int loop_run(void)
{
    while (!stopping) {
        int64_t now = loop_now_ms(), wait = -1;
        for (int i = 0; i < MAX_TIMERS; i++) {
            if (timers[i].id) {
                int64_t d = timers[i].due - now;
                if (d < 0)
                    d = 0;
                if (wait < 0 || d < wait)
                    wait = d;
            }
        }
        struct pollfd pfd[2 * MAX_WATCH];
        int n = nwatch;
        for (int i = 0; i < n; i++)
            pfd[i] = (struct pollfd){.fd = watches[i].fd, .events = POLLIN};
        int nw = n; /* then the queues with bytes waiting */
        for (int i = 0; i < noutq; i++)
            if (outqs[i].off < outqs[i].len)
                pfd[nw++] = (struct pollfd){.fd = outqs[i].fd, .events = POLLOUT};
        int r = poll(pfd, nw, (int)wait);
        if (r < 0 && errno != EINTR) {
            perror("osdbg: poll");
            return 1;
        }
        for (int i = n; r > 0 && i < nw; i++) {
            struct outq *q = pfd[i].revents ? outq_of(pfd[i].fd) : 0;
            if (q && outq_flush(q) < 0)
                q->off = q->len = 0; /* broken: its reader is gone */
        }
        /* Dispatch by fd: a callback may add or remove watches. */
        for (int i = 0; r > 0 && i < n && !stopping; i++) {
            if (!pfd[i].revents)
                continue;
            for (int k = 0; k < nwatch; k++) {
                if (watches[k].fd == pfd[i].fd) {
                    watches[k].fn(watches[k].fd, watches[k].data);
                    break;
                }
            }
        }
        run_due_timers();
    }
    return stop_code;
}
