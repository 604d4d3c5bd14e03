#include "machine/qemu.h"
#include "dap/dap.h"
#include "core/loop.h"
#include "core/sockdir.h"
#include "core/spawn.h"

#include <errno.h>
#include <osdbg/dbgchan.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t pid = -1;
static int console_in = -1, console_out = -1;
static char dir[PATH_MAX], gdb_sock[PATH_MAX + 16], side_sock[PATH_MAX + 16];
static struct qemu_handlers handlers;

const char *qemu_gdb_socket(void)
{
    return gdb_sock;
}

const char *qemu_socket_dir(void)
{
    return dir;
}

const char *qemu_side_socket(void)
{
    return side_sock;
}

pid_t qemu_pid(void)
{
    return pid;
}

bool qemu_running(void)
{
    return pid > 0;
}

/* Every socket in it goes too (the console's and the trace relay's are
 * made by others, and a folder with one left in it cannot be removed). */
static void cleanup_dir(void)
{
    sockdir_remove(dir);
    dir[0] = 0;
}

/* QEMU is gone (pid reaped): its pipes are forgotten. */
static void forget_pipes(void)
{
    pid = -1;
    loop_unwatch(console_out);
    loop_drop_queue(console_in);
    close(console_out);
    close(console_in);
    console_in = console_out = -1;
}

static void reap(void)
{
    int status = 0;
    /* stdout closed: QEMU is exiting; give it a moment to finish. */
    for (int i = 0; i < 100; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            break;
        usleep(5000);
        if (i == 99) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    forget_pipes();
    cleanup_dir();
    if (handlers.exited)
        handlers.exited(status);
}

static void on_console(int fd, void *data)
{
    (void)data;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        reap();
        return;
    }
    if (handlers.console)
        handlers.console(buf, (size_t)n);
}

/* The last qemu_start's configuration, for qemu_restart (its strings are
 * the caller's, kept for the session). */
static struct qemu_config last_cfg;

static int spawn_qemu(const struct qemu_config *cfg, char *err, size_t errlen);

int qemu_start(const struct qemu_config *cfg, const struct qemu_handlers *h, char *err,
               size_t errlen)
{
    if (sockdir_create(dir, sizeof dir, err, errlen) < 0)
        return -1;
    snprintf(gdb_sock, sizeof gdb_sock, "%s/gdb.sock", dir);
    snprintf(side_sock, sizeof side_sock, "%s/side.sock", dir);
    last_cfg = *cfg;
    handlers = *h;
    return spawn_qemu(cfg, err, errlen);
}

/* Kill QEMU and forget its pipes, the socket directory kept. */
static void kill_qemu(void)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    waitpid(pid, 0, 0);
    forget_pipes();
}

int qemu_restart(char *err, size_t errlen)
{
    if (!dir[0]) {
        snprintf(err, errlen, "no QEMU was started");
        return -1;
    }
    kill_qemu();
    unlink(gdb_sock);
    unlink(side_sock);
    return spawn_qemu(&last_cfg, err, errlen);
}

static int spawn_qemu(const struct qemu_config *cfg, char *err, size_t errlen)
{
    const char *argv[96];
    int n = 0;
    char gdb_arg[PATH_MAX + 64], side_arg[PATH_MAX + 64];
    snprintf(gdb_arg, sizeof gdb_arg, "unix:%s,server=on,wait=off", gdb_sock);
    snprintf(side_arg, sizeof side_arg,
             "socket,id=" DBGCHAN_CHARDEV_ID ",path=%s,server=on,wait=off", side_sock);
    argv[n++] = cfg->binary;
    for (int i = 0; cfg->args && cfg->args[i] && n < 64; i++)
        argv[n++] = cfg->args[i];
    argv[n++] = "-display";
    argv[n++] = "none";
    argv[n++] = "-monitor";
    argv[n++] = "none";
    argv[n++] = "-serial";
    argv[n++] = "stdio";
    argv[n++] = "-kernel";
    argv[n++] = cfg->kernel;
    if (cfg->append && cfg->append[0]) {
        argv[n++] = "-append";
        argv[n++] = cfg->append;
    }
    argv[n++] = "-gdb";
    argv[n++] = gdb_arg;
    if (!cfg->no_debug_channel) {
        argv[n++] = "-device";
        argv[n++] = "virtio-serial-device";
        argv[n++] = "-chardev";
        argv[n++] = side_arg;
        argv[n++] = "-device";
        argv[n++] = cfg->debug_device ? cfg->debug_device : DBGCHAN_DEVICE_SERIALPORT;
    }
    for (int i = 0; cfg->extra_args && cfg->extra_args[i] && n < 90; i++)
        argv[n++] = cfg->extra_args[i];
    if (cfg->freeze)
        argv[n++] = "-S";
    argv[n] = 0;

    pid_t child = spawn_piped(cfg->dir, argv, &console_in, &console_out, err, errlen);
    if (child < 0) {
        cleanup_dir();
        return -1;
    }
    pid = child;
    loop_watch(console_out, on_console, 0);

    /* The gdbstub socket appears once QEMU has parsed its arguments; an
     * argument error makes QEMU exit instead. */
    for (int i = 0; i < 500; i++) {
        struct stat st;
        if (stat(gdb_sock, &st) == 0)
            return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char msg[512] = "";
            ssize_t k = read(console_out, msg, sizeof msg - 1);
            msg[k > 0 ? k : 0] = 0;
            pid = -1;
            loop_unwatch(console_out);
            close(console_out);
            close(console_in);
            cleanup_dir();
            snprintf(err, errlen, "QEMU exited at start (status %d): %s", WEXITSTATUS(status), msg);
            return -1;
        }
        usleep(10000);
    }
    snprintf(err, errlen, "QEMU did not open its gdbstub socket within 5 s");
    qemu_stop();
    return -1;
}

/* Typed text waits in the loop's queue while the OS reads slowly (its UART
 * takes a byte at a time): the adapter never blocks on it. */
#define CONSOLE_INPUT_MAX (64u << 20)

int qemu_console_input(const char *text, size_t len)
{
    if (console_in < 0)
        return -1;
    return loop_send(console_in, text, len, CONSOLE_INPUT_MAX);
}

void qemu_console_drain(void)
{
    struct pollfd p = {.fd = console_out, .events = POLLIN};
    while (console_out >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
        char buf[4096];
        ssize_t n = read(console_out, buf, sizeof buf);
        if (n <= 0)
            return; /* EOF: the loop sees it and reaps QEMU */
        if (handlers.console)
            handlers.console(buf, (size_t)n);
    }
}

int qemu_stop_gracefully(long ms)
{
    if (pid <= 0)
        return -1;
    kill(pid, SIGTERM);
    int status = 0;
    for (long waited = 0; waited < ms; waited += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            forget_pipes();
            cleanup_dir();
            return status;
        }
        usleep(10000);
    }
    qemu_stop();
    return -1;
}

void qemu_stop(void)
{
    kill_qemu();
    cleanup_dir();
}
