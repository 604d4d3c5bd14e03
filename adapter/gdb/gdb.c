#include "gdb/gdb.h"
#include "gdb/gdbexpr.h"
#include "core/buf.h"
#include "dap/dap.h"
#include "core/loop.h"
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool frame_unsettled; /* a stop came since GDB last selected a frame */
static pid_t gdb_pid = -1;
static int to_gdb = -1, from_gdb = -1;
static struct buf inbuf;
static long next_token = 1;
static long timeout_ms = 10000;
static struct gdb_handlers handlers;

/* Records waiting to be handed to the handlers. */
static struct mi_record *queue;
static size_t queue_len, queue_cap;
static long drain_timer;

void gdb_set_timeout(long ms)
{
    timeout_ms = ms;
}

bool gdb_alive(void)
{
    return gdb_pid > 0;
}

static void drain(void *data)
{
    (void)data;
    drain_timer = 0;
    /* Each record leaves the queue before its handler runs.  Handlers run
     * GDB commands, which queue more records (handled next, in order), and
     * may wait for a stop (gdb_wait_stopped, which takes *stopped records
     * from the queue): a record still in the queue while it is handled was
     * found there again and handled twice (a GDB logpoint printed twice for
     * one hit). */
    while (queue_len) {
        struct mi_record rec = queue[0];
        memmove(&queue[0], &queue[1], (queue_len - 1) * sizeof *queue);
        queue_len--;
        if (rec.kind == MI_CONSOLE || rec.kind == MI_TARGET || rec.kind == MI_LOG) {
            if (handlers.stream)
                handlers.stream(&rec);
        } else if (handlers.async) {
            handlers.async(&rec);
        }
        mi_record_free(&rec);
    }
}

static void enqueue(struct mi_record *rec)
{
    if (queue_len == queue_cap) {
        queue_cap = queue_cap ? queue_cap * 2 : 16;
        queue = realloc(queue, queue_cap * sizeof *queue);
        if (!queue)
            abort();
    }
    queue[queue_len++] = *rec;
    if (!drain_timer)
        drain_timer = loop_timer(0, drain, 0);
}

static void gdb_died(void)
{
    if (gdb_pid <= 0)
        return;
    loop_unwatch(from_gdb);
    close(from_gdb);
    close(to_gdb);
    waitpid(gdb_pid, 0, WNOHANG);
    gdb_pid = -1;
    dap_log("gdb exited");
    if (handlers.exited)
        handlers.exited();
}

/* Parse every complete line in inbuf.  A result record whose token is
 * `want` is returned through *found (and 1); everything else is queued. */
static int take_lines(long want, struct mi_record *found)
{
    int got = 0;
    char *nl;
    while (!got && inbuf.len && (nl = memchr(inbuf.data, '\n', inbuf.len))) {
        size_t len = (size_t)(nl - inbuf.data);
        dap_log("gdb> %.*s", (int)len, inbuf.data);
        struct mi_record rec;
        char err[256];
        if (mi_parse_line(inbuf.data, len, &rec, err, sizeof err) == 0) {
            if (rec.kind == MI_PROMPT) {
                mi_record_free(&rec);
            } else if (rec.kind == MI_RESULT && want >= 0 && rec.token == want) {
                *found = rec;
                got = 1;
            } else if (rec.kind == MI_RESULT) {
                mi_record_free(&rec); /* a result nobody waits for (timed out) */
            } else {
                if (rec.kind == MI_EXEC_ASYNC && rec.klass && !strcmp(rec.klass, "stopped"))
                    frame_unsettled = true;
                enqueue(&rec);
            }
        } else {
            dap_log("unparsable MI line (%s): %.*s", err, (int)len, inbuf.data);
        }
        buf_consume(&inbuf, len + 1);
    }
    return got;
}

/* Read what GDB has written.  The pipe is non-blocking: gdb_run() may
 * already have consumed what poll() reported.  Returns false if GDB is gone. */
static bool read_gdb(void)
{
    long n = buf_read_fd(&inbuf, from_gdb);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
        return true;
    gdb_died();
    return false;
}

static void on_gdb_output(int fd, void *data)
{
    (void)fd;
    (void)data;
    if (read_gdb())
        take_lines(-1, 0);
}

int gdb_start(const char *gdb_path, const struct gdb_handlers *h, char *err, size_t errlen)
{
    const char *argv[] = {gdb_path, "--interpreter=mi3", "-nx", "-q", 0};
    pid_t pid = spawn_piped(0, argv, &to_gdb, &from_gdb, err, errlen);
    if (pid < 0)
        return -1;
    gdb_pid = pid;
    fcntl(from_gdb, F_SETFL, O_NONBLOCK);
    fcntl(to_gdb, F_SETFL, O_NONBLOCK); /* see vrun: never block on a write */
    handlers = *h;
    loop_watch(from_gdb, on_gdb_output, 0);
    return 0;
}

static int vrun(struct mi_record *rec, char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (gdb_pid <= 0) {
        snprintf(err, errlen, "GDB is not running");
        return -1;
    }
    long token = next_token++;
    struct buf cmd = {0};
    buf_printf(&cmd, "%ld", token);
    buf_vprintf(&cmd, fmt, ap);
    dap_log("gdb< %s", cmd.data);
    buf_append(&cmd, "\n", 1);
    /* The command goes out while GDB's output is read: a long command to a
     * GDB that is itself blocked writing to us must not deadlock, and a
     * GDB that reads nothing must not hang the adapter past the timeout. */
    int64_t deadline = loop_now_ms() + timeout_ms;
    size_t off = 0;
    while (off < cmd.len) {
        ssize_t w = write(to_gdb, cmd.data + off, cmd.len - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int64_t left = deadline - loop_now_ms();
            struct pollfd p[2] = {{.fd = to_gdb, .events = POLLOUT},
                                  {.fd = from_gdb, .events = POLLIN}};
            if (left <= 0 || poll(p, 2, (int)left) == 0) {
                buf_free(&cmd);
                snprintf(err, errlen, "GDB did not take a command within %ld ms", timeout_ms);
                return -1;
            }
            if ((p[1].revents & (POLLIN | POLLHUP)) && !read_gdb()) {
                buf_free(&cmd);
                snprintf(err, errlen, "GDB exited");
                return -1;
            }
            continue;
        }
        buf_free(&cmd);
        snprintf(err, errlen, "GDB is gone");
        gdb_died();
        return -1;
    }
    /* The command without its token, for a message if it goes unanswered */
    char cmd_text[160];
    snprintf(cmd_text, sizeof cmd_text, "%.*s", (int)(cmd.len - 1), cmd.data);
    char *after_token = cmd_text;
    while (*after_token >= '0' && *after_token <= '9')
        after_token++;
    memmove(cmd_text, after_token, strlen(after_token) + 1);
    buf_free(&cmd);

    struct mi_record found;
    while (!take_lines(token, &found)) {
        int64_t left = deadline - loop_now_ms();
        if (left <= 0) {
            snprintf(err, errlen, "GDB did not answer within %ld ms", timeout_ms);
            if (handlers.unanswered)
                handlers.unanswered(cmd_text, timeout_ms);
            return -1;
        }
        struct pollfd p = {.fd = from_gdb, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return -1;
        }
        if (r > 0 && !read_gdb()) {
            snprintf(err, errlen, "GDB exited");
            return -1;
        }
    }
    /* Lines that came in the same read after our result (a *running, a
     * *stopped) must not wait in inbuf for the next poll wake-up, which
     * may never come: queue them now. */
    take_lines(-1, 0);
    const char *k = found.klass ? found.klass : "";
    if (strcmp(k, "done") == 0 || strcmp(k, "running") == 0 || strcmp(k, "connected") == 0) {
        if (rec)
            *rec = found;
        else
            mi_record_free(&found);
        return 0;
    }
    const char *msg = mi_str(found.results, "msg");
    snprintf(err, errlen, "%s", msg ? msg : k);
    mi_record_free(&found);
    return -1;
}

int gdb_run(struct mi_record *rec, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vrun(rec, err, errlen, fmt, ap);
    va_end(ap);
    return r;
}

int gdb_cmd(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vrun(0, err, errlen, fmt, ap);
    va_end(ap);
    return r;
}

int gdb_console(char **out, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    char *quoted = mi_quote(line);
    free(line);
    /* Console output of this command arrives as ~ records before its
     * result: collect those queued after this point. */
    size_t mark = queue_len;
    int r = gdb_cmd(err, errlen, "-interpreter-exec console %s", quoted);
    free(quoted);
    if (out) {
        struct buf text = {0};
        size_t keep = mark;
        for (size_t i = mark; i < queue_len; i++) {
            /* A monitor command's reply (QEMU's, through qRcmd) is GDB's
             * target stream, '@': it belongs to the command too. */
            if ((queue[i].kind == MI_CONSOLE || queue[i].kind == MI_TARGET) && queue[i].text) {
                buf_append(&text, queue[i].text, strlen(queue[i].text));
                mi_record_free(&queue[i]);
            } else {
                queue[keep++] = queue[i];
            }
        }
        queue_len = keep;
        *out = text.data ? text.data : strdup("");
    }
    return r;
}

bool gdb_frame_unsettled_take(void)
{
    bool was = frame_unsettled;
    frame_unsettled = false;
    return was;
}

int gdb_wait_stopped(struct mi_record *rec, long ms)
{
    int64_t deadline = loop_now_ms() + ms;
    for (;;) {
        for (size_t i = 0; i < queue_len; i++) {
            if (queue[i].kind == MI_EXEC_ASYNC && queue[i].klass &&
                strcmp(queue[i].klass, "stopped") == 0) {
                *rec = queue[i];
                memmove(&queue[i], &queue[i + 1], (queue_len - i - 1) * sizeof *queue);
                queue_len--;
                return 0;
            }
        }
        int64_t left = deadline - loop_now_ms();
        if (left <= 0 || gdb_pid <= 0)
            return -1;
        struct pollfd p = {.fd = from_gdb, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r > 0) {
            if (!read_gdb())
                return -1;
            take_lines(-1, 0);
        }
    }
}

bool gdb_stop_queued(void)
{
    if (gdb_pid <= 0)
        return false;
    struct pollfd p = {.fd = from_gdb, .events = POLLIN};
    if (poll(&p, 1, 0) > 0 && read_gdb())
        take_lines(-1, 0);
    for (size_t i = 0; i < queue_len; i++)
        if (queue[i].kind == MI_EXEC_ASYNC && queue[i].klass &&
            strcmp(queue[i].klass, "stopped") == 0)
            return true;
    return false;
}

void gdb_stop(void)
{
    if (gdb_pid <= 0)
        return;
    pid_t pid = gdb_pid;
    loop_unwatch(from_gdb);
    close(to_gdb);
    close(from_gdb);
    gdb_pid = -1;
    /* GDB exits when its input closes; make sure. */
    for (int i = 0; i < 50; i++) {
        if (waitpid(pid, 0, WNOHANG) == pid)
            return;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, 0, 0);
}

