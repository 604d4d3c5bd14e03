/*
 * `trace` in the debug console (issue: eBPF from the editor):
 *   trace kprobe <symbol|address|file:line>
 *   trace uprobe <program>:<symbol|address|file:line>
 *   trace list | trace detach <id>
 * Probes run the kernel's built-in registers program; their hits arrive as
 * events on the side channel and become console output while the OS keeps
 * running.  The side channel is watched by the adapter's event loop.
 */
#include "tracecmd.h"
#include "dap.h"
#include "debuginfo.h"
#include "loop.h"
#include "qemu.h"
#include "session.h"
#include "sideclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct side_client *side;
static int side_fd = -1;

bool tracecmd_is(const char *line)
{
    return strncmp(line, "trace ", 6) == 0 || strcmp(line, "trace") == 0;
}

static void on_event(const struct ss_event *ev, uint64_t lost, void *arg)
{
    (void)arg;
    if (lost)
        dap_output("console", "[trace] %llu events lost\n", (unsigned long long)lost);
    if (ev->type != SS_EVT_REGS || ev->len < 256) {
        dap_output("console", "[trace %u] %s/%u: %c event of %zu bytes\n", ev->probe, ev->comm,
                   ev->pid, ev->type, ev->len);
        return;
    }
    uint64_t r[32];
    memcpy(r, ev->data, sizeof r);
    const char *func = 0;
    struct debuginfo *di = r[0] >= S.kernel_base ? S.kernel_di : user_debuginfo(ev->comm);
    const char *file = 0;
    int line = 0;
    if (di) {
        func = debuginfo_function_at(di, r[0]);
        debuginfo_addr_to_line(di, r[0], &file, &line);
    }
    const char *base = file ? strrchr(file, '/') : 0;
    dap_output("console", "[trace %u] %s/%u %s%s%s:%d pc=0x%llx a0=0x%llx a1=0x%llx a2=0x%llx\n",
               ev->probe, ev->comm[0] ? ev->comm : "-", ev->pid, func ? func : "?", func ? " " : "",
               base ? base + 1 : "?", line, (unsigned long long)r[0], (unsigned long long)r[10],
               (unsigned long long)r[11], (unsigned long long)r[12]);
}

static void on_side_readable(int fd, void *data)
{
    (void)fd;
    (void)data;
    if (side && side_poll(side, 0) < 0)
        tracecmd_close();
}

static bool connect_side(char *err, size_t errlen)
{
    if (side)
        return true;
    if (!qemu_running() || !qemu_side_socket()[0]) {
        snprintf(err, errlen, "no side channel: trace needs a launched OS");
        return false;
    }
    side = side_connect(qemu_side_socket(), on_event, 0, err, errlen);
    if (!side)
        return false;
    side_fd = side_fd_of(side);
    loop_watch(side_fd, on_side_readable, 0);
    return true;
}

void tracecmd_close(void)
{
    if (side) {
        loop_unwatch(side_fd);
        side_close(side);
        side = 0;
    }
}

/* A symbol, an address or file:line in one ELF; 0 if not found. */
static uint64_t resolve(struct debuginfo *di, const char *what)
{
    char *end;
    unsigned long long v = strtoull(what, &end, 0);
    if (end != what && *end == 0)
        return v;
    uint64_t addr;
    if (di && debuginfo_function_addr(di, what, false, &addr) == 0)
        return addr;
    const char *colon = strrchr(what, ':');
    if (di && colon && colon[1]) {
        char file[512];
        snprintf(file, sizeof file, "%.*s", (int)(colon - what), what);
        uint64_t addrs[4];
        int actual;
        if (debuginfo_line_to_addrs(di, file, atoi(colon + 1), addrs, 4, &actual) > 0)
            return addrs[0];
    }
    return 0;
}

static void respond_text(json_t *req, const char *text)
{
    dap_respond(req, json_pack("{s:s, s:i}", "result", text, "variablesReference", 0));
}

void tracecmd_run(json_t *req, const char *line)
{
    char err[512], reply[1024], cmd[600], what[512] = "";
    if (S.state == TARGET_STOPPED) {
        dap_error(req, "trace: the OS is stopped; probes are set while it runs (continue first)");
        return;
    }
    if (sscanf(line, "trace %15s %511s", cmd, what) < 1) {
        dap_error(req, "usage: trace kprobe <symbol|address|file:line> | trace uprobe "
                       "<program>:<symbol|address|file:line> | trace list | trace detach <id>");
        return;
    }
    if (!connect_side(err, sizeof err)) {
        dap_error(req, "trace: %s", err);
        return;
    }
    char packet[600];
    if (strcmp(cmd, "kprobe") == 0) {
        uint64_t addr = resolve(S.kernel_di, what);
        if (!addr) {
            dap_error(req, "trace: no kernel function or line %s", what);
            return;
        }
        snprintf(packet, sizeof packet, "vTR%llx", (unsigned long long)addr);
    } else if (strcmp(cmd, "uprobe") == 0) {
        char *colon = strchr(what, ':');
        if (!colon) {
            dap_error(req, "trace uprobe wants <program>:<symbol|address|file:line>");
            return;
        }
        *colon = 0;
        uint64_t addr = resolve(user_debuginfo(what), colon + 1);
        if (!addr) {
            dap_error(req, "trace: nothing called %s in %s", colon + 1, what);
            return;
        }
        snprintf(packet, sizeof packet, "vTU%s:%llx", what, (unsigned long long)addr);
    } else if (strcmp(cmd, "list") == 0) {
        snprintf(packet, sizeof packet, "vTList");
    } else if (strcmp(cmd, "detach") == 0) {
        snprintf(packet, sizeof packet, "vTDetach:%lx", strtoul(what, 0, 0));
    } else {
        dap_error(req, "trace: unknown command %s", cmd);
        return;
    }
    if (side_request(side, packet, reply, sizeof reply, 3000, err, sizeof err) < 0) {
        dap_error(req, "trace: %s", err);
        return;
    }
    if (reply[0] == 'E') {
        dap_error(req, "trace: the kernel refused (%s: %s)", reply,
                  strcmp(reply, "E05") == 0   ? "not probeable"
                  : strcmp(reply, "E02") == 0 ? "not an instruction of a kernel function"
                                              : "see docs/side-stub-protocol.md");
        return;
    }
    if (strncmp(reply, "OK", 2) == 0 && reply[2]) {
        char text[256];
        snprintf(text, sizeof text, "probe %ld attached; its hits appear here while the OS runs",
                 strtol(reply + 2, 0, 16));
        respond_text(req, text);
        return;
    }
    respond_text(req, reply);
}
