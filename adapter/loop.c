#include "loop.h"

#include <errno.h>
#include <poll.h>
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
        struct pollfd pfd[MAX_WATCH];
        int n = nwatch;
        for (int i = 0; i < n; i++)
            pfd[i] = (struct pollfd){.fd = watches[i].fd, .events = POLLIN};
        int r = poll(pfd, n, (int)wait);
        if (r < 0 && errno != EINTR) {
            perror("osdbg: poll");
            return 1;
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
