#include "machine/console.h"
#include "dap/dap.h"
#include "core/loop.h"
#include "machine/qemu.h"
#include "core/usock.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#define MAX_TERMINALS 4
/* The console's last bytes, replayed to every terminal that connects: the
 * editor starts its terminal after the OS has begun to print, and a user
 * who reopens one wants to see what is on the screen. */
#define CONSOLE_HISTORY (64 * 1024)

static int listen_fd = -1;
static int terminals[MAX_TERMINALS];
static int nterminals;
static char sock_path[108];
static char history[CONSOLE_HISTORY];
static uint64_t history_total; /* bytes ever written; the ring holds the last ones */
/* A terminal was asked for and has not connected yet: the output waits for
 * it in the history, from held_from on, until held_timer gives up. */
static bool holding;
static uint64_t held_from;
static long held_timer;
static void (*held_fallback)(const char *data, size_t len);

static void history_add(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        history[(history_total + i) % CONSOLE_HISTORY] = data[i];
    history_total += len;
}

/* Bytes [from, history_total) still in the ring, in at most two pieces. */
static void history_since(uint64_t from, void (*fn)(const char *, size_t, void *), void *arg)
{
    if (history_total > CONSOLE_HISTORY && from < history_total - CONSOLE_HISTORY)
        from = history_total - CONSOLE_HISTORY;
    while (from < history_total) {
        size_t at = (size_t)(from % CONSOLE_HISTORY);
        size_t n = CONSOLE_HISTORY - at;
        if (n > history_total - from)
            n = (size_t)(history_total - from);
        fn(history + at, n, arg);
        from += n;
    }
}

static void stop_holding(void)
{
    holding = false;
    if (held_timer)
        loop_cancel(held_timer);
    held_timer = 0;
}

static void drop_terminal(int fd)
{
    loop_unwatch(fd);
    loop_drop_queue(fd);
    close(fd);
    for (int i = 0; i < nterminals; i++)
        if (terminals[i] == fd)
            terminals[i] = terminals[--nterminals];
}

static void on_terminal_input(int fd, void *data)
{
    (void)data;
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        drop_terminal(fd);
        return;
    }
    qemu_console_input(buf, (size_t)n);
}

/* What a terminal has not read yet waits for it, up to this much; a
 * terminal that falls further behind is dropped (it can reconnect and gets
 * the history). */
#define TERMINAL_MAX_QUEUED (4u << 20)

static void send_to_terminal(const char *data, size_t len, void *arg)
{
    loop_send(*(int *)arg, data, len, TERMINAL_MAX_QUEUED);
}

static void on_accept(int fd, void *data)
{
    (void)data;
    int c = accept4(fd, 0, 0, SOCK_CLOEXEC);
    if (c < 0)
        return;
    if (nterminals == MAX_TERMINALS) {
        close(c);
        return;
    }
    terminals[nterminals++] = c;
    loop_watch(c, on_terminal_input, 0);
    history_since(0, send_to_terminal, &c);
    stop_holding();
}

static void give_up_holding(void *data)
{
    (void)data;
    held_timer = 0;
    console_relay_not_coming();
}

void console_relay_expect(long ms, void (*fallback)(const char *data, size_t len))
{
    stop_holding();
    if (nterminals)
        return;
    holding = true;
    held_from = history_total;
    held_fallback = fallback;
    held_timer = loop_timer(ms, give_up_holding, 0);
}

static void to_fallback(const char *data, size_t len, void *arg)
{
    (void)arg;
    held_fallback(data, len);
}

void console_relay_not_coming(void)
{
    if (!holding)
        return;
    stop_holding();
    if (!nterminals)
        history_since(held_from, to_fallback, 0);
}

int console_relay_start(const char *path, char *err, size_t errlen)
{
    int s = usock_listen(path, 2, err, errlen);
    if (s < 0)
        return -1;
    listen_fd = s;
    history_total = 0;
    snprintf(sock_path, sizeof sock_path, "%s", path);
    loop_watch(s, on_accept, 0);
    return 0;
}

bool console_relay_output(const char *data, size_t len)
{
    if (listen_fd < 0)
        return false;
    history_add(data, len);
    for (int i = 0; i < nterminals;) {
        if (loop_send(terminals[i], data, len, TERMINAL_MAX_QUEUED) < 0) {
            drop_terminal(terminals[i]);
            continue; /* terminals[i] is now another one */
        }
        i++;
    }
    return nterminals > 0 || holding;
}

bool console_relay_reset(const char *data, size_t len)
{
    if (listen_fd < 0)
        return false;
    history_total = 0;
    history_add(data, len);
    /* ECMA-48: ED 2 erases the screen, xterm's ED 3 its scrollback, CUP
     * homes the cursor; then the console as it was at this point. */
    static const char clear[] = "\033[H\033[2J\033[3J";
    for (int i = 0; i < nterminals;) {
        if (loop_send(terminals[i], clear, sizeof clear - 1, TERMINAL_MAX_QUEUED) < 0 ||
            loop_send(terminals[i], data, len, TERMINAL_MAX_QUEUED) < 0) {
            drop_terminal(terminals[i]);
            continue;
        }
        i++;
    }
    return nterminals > 0 || holding;
}

void console_relay_stop(void)
{
    stop_holding();
    while (nterminals)
        drop_terminal(terminals[0]);
    if (listen_fd >= 0) {
        loop_unwatch(listen_fd);
        close(listen_fd);
        unlink(sock_path);
        listen_fd = -1;
    }
}

static struct termios saved;
static bool raw_mode;

static void restore_terminal(void)
{
    if (raw_mode)
        tcsetattr(0, TCSANOW, &saved);
}

/* The terminal side: raw keys to the OS, the OS's bytes to the screen.
 * Ctrl-] leaves (like telnet). */
int console_client_main(const char *path)
{
    char err[256];
    int s = usock_connect(path, err, sizeof err);
    if (s < 0) {
        fprintf(stderr, "osdbg console: %s\n", err);
        return 1;
    }
    if (isatty(0) && tcgetattr(0, &saved) == 0) {
        struct termios raw = saved;
        cfmakeraw(&raw);
        raw.c_oflag |= OPOST | ONLCR;
        tcsetattr(0, TCSANOW, &raw);
        raw_mode = true;
        atexit(restore_terminal);
        fprintf(stderr, "[osdbg console: the OS's terminal; Ctrl-] leaves]\r\n");
    }
    struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = s, .events = POLLIN}};
    bool stdin_open = true;
    char buf[4096];
    for (;;) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return 1;
        if (stdin_open && (p[0].revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n <= 0) {
                stdin_open = false;
                p[0].fd = -1;
            } else {
                if (raw_mode && memchr(buf, 0x1d, (size_t)n))
                    return 0;
                if (write(s, buf, (size_t)n) < 0)
                    return 1;
            }
        }
        if (p[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(s, buf, sizeof buf);
            if (n <= 0) {
                /* The OS is gone.  Say so: in an editor's terminal the
                 * shell that ran us comes back, and it is the host's. */
                fprintf(stderr, "\r\n[osdbg console: the debug session ended; this terminal "
                                "is no longer the OS's]\r\n");
                return 0;
            }
            if (write(1, buf, (size_t)n) < 0)
                return 1;
        }
    }
}
