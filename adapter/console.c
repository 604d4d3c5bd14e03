#include "console.h"
#include "dap.h"
#include "loop.h"
#include "qemu.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define MAX_TERMINALS 4

static int listen_fd = -1;
static int terminals[MAX_TERMINALS];
static int nterminals;
static char sock_path[108];

static void drop_terminal(int fd)
{
    loop_unwatch(fd);
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
}

int console_relay_start(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        snprintf(err, errlen, "console socket path too long: %s", path);
        return -1;
    }
    strcpy(a.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 2) < 0) {
        snprintf(err, errlen, "console socket %s: %s", path, strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    listen_fd = s;
    snprintf(sock_path, sizeof sock_path, "%s", path);
    loop_watch(s, on_accept, 0);
    return 0;
}

bool console_relay_output(const char *data, size_t len)
{
    for (int i = 0; i < nterminals;) {
        ssize_t n = send(terminals[i], data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN) {
            drop_terminal(terminals[i]);
            continue; /* terminals[i] is now another one */
        }
        i++;
    }
    return nterminals > 0;
}

void console_relay_stop(void)
{
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
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        fprintf(stderr, "osdbg console: path too long\n");
        return 2;
    }
    strcpy(a.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "osdbg console: cannot connect to %s: %s\n", path, strerror(errno));
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
            if (n <= 0)
                return 0; /* the OS is gone */
            if (write(1, buf, (size_t)n) < 0)
                return 1;
        }
    }
}
