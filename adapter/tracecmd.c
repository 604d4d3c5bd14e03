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

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct side_client *side;
static int side_fd = -1;

bool tracecmd_is(const char *line)
{
    return strncmp(line, "trace ", 6) == 0 || strcmp(line, "trace") == 0;
}

static bool logpoint_event(const struct ss_event *ev, const uint64_t r[32]);

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
    if (logpoint_event(ev, r))
        return;
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
    side = side_connect(qemu_side_socket(), on_event, 0, 3000, err, errlen);
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

/* ---- logpoints as probes ---- */

static const char *const reg_names[32] = {"pc", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
                                          "s0", "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
                                          "a6", "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
                                          "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

static int reg_index(const char *name, size_t n)
{
    for (int i = 0; i < 32; i++)
        if (strlen(reg_names[i]) == n && strncmp(reg_names[i], name, n) == 0)
            return i;
    if (n == 2 && strncmp(name, "fp", 2) == 0)
        return 8;
    return -1;
}

bool logpoint_ebpf_ok(const char *msg, const char **why)
{
    static char reason[160];
    for (const char *p = strchr(msg, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        size_t n = (size_t)(end - p - 1);
        const char *name = p + 1;
        if (reg_index(name, n) >= 0 || (n == 3 && !strncmp(name, "pid", 3)) ||
            (n == 4 && !strncmp(name, "comm", 4)) || (n == 4 && !strncmp(name, "time", 4)))
            continue;
        snprintf(reason, sizeof reason,
                 "{%.*s} needs GDB (probes give registers, pid, comm and time for now)", (int)n,
                 name);
        *why = reason;
        return false;
    }
    return true;
}

static bool logpoints_pending;

bool logpoints_wanted(void)
{
    for (int i = 0; i < S.nbps; i++)
        if (S.bps[i].ebpf)
            return true;
    return false;
}

void logpoint_attach(struct bp *b)
{
    if (!side || S.state != TARGET_RUNNING) {
        logpoints_pending = true; /* logpoints_start or the next run attaches it */
        return;
    }
    char err[256], reply[64], packet[128];
    for (int k = 0; k < b->nlocs && k < 8; k++) {
        if (b->probe_ids[k] >= 0)
            continue;
        if (b->locs[k].program[0])
            snprintf(packet, sizeof packet, "vTU%s:%llx", b->locs[k].program,
                     (unsigned long long)b->locs[k].addr);
        else
            snprintf(packet, sizeof packet, "vTR%llx", (unsigned long long)b->locs[k].addr);
        if (side_request(side, packet, reply, sizeof reply, 3000, err, sizeof err) < 0 ||
            strncmp(reply, "OK", 2) != 0) {
            dap_output("stderr", "osdbg: logpoint at %s:%d: %s\n", b->source, b->line,
                       reply[0] == 'E' ? reply : err);
            continue;
        }
        b->probe_ids[k] = (int)strtol(reply + 2, 0, 16);
    }
}

void logpoint_detach(struct bp *b)
{
    char err[256], reply[64], packet[64];
    for (int k = 0; k < 8; k++) {
        if (b->probe_ids[k] < 0 || !side)
            continue;
        snprintf(packet, sizeof packet, "vTDetach:%x", b->probe_ids[k]);
        side_request(side, packet, reply, sizeof reply, 3000, err, sizeof err);
        b->probe_ids[k] = -1;
    }
}

static void attach_pending(void)
{
    for (int i = 0; i < S.nbps; i++)
        if (S.bps[i].ebpf)
            logpoint_attach(&S.bps[i]);
    logpoints_pending = false;
}

static int start_tries;

static void try_start(void *data)
{
    (void)data;
    char err[256], reply[64];
    if (!side) {
        if (!qemu_running() || ++start_tries > 100) {
            dap_output("stderr", "osdbg: the side-stub did not answer; eBPF logpoints are off\n");
            return;
        }
        side = side_connect(qemu_side_socket(), on_event, 0, 200, err, sizeof err);
        if (!side) {
            loop_timer(50, try_start, 0);
            return;
        }
        side_fd = side_fd_of(side);
        loop_watch(side_fd, on_side_readable, 0);
    }
    attach_pending();
    side_request(side, "vTGo", reply, sizeof reply, 3000, err, sizeof err);
}

void logpoints_start(void)
{
    start_tries = 0;
    try_start(0);
}

/* A logpoint's hit: the message with the probe's registers in it. */
static bool logpoint_event(const struct ss_event *ev, const uint64_t r[32])
{
    for (int i = 0; i < S.nbps; i++) {
        struct bp *b = &S.bps[i];
        if (!b->ebpf)
            continue;
        for (int k = 0; k < 8; k++) {
            if (b->probe_ids[k] != (int)ev->probe)
                continue;
            char out[1024];
            size_t n = 0;
            for (const char *p = b->log_message; *p && n + 1 < sizeof out;) {
                const char *end = *p == '{' ? strchr(p, '}') : 0;
                if (!end) {
                    out[n++] = *p++;
                    continue;
                }
                const char *name = p + 1;
                size_t len = (size_t)(end - name);
                int reg = reg_index(name, len);
                int w;
                if (reg >= 0)
                    w = snprintf(out + n, sizeof out - n, "0x%llx", (unsigned long long)r[reg]);
                else if (len == 3 && !strncmp(name, "pid", 3))
                    w = snprintf(out + n, sizeof out - n, "%u", ev->pid);
                else if (len == 4 && !strncmp(name, "comm", 4))
                    w = snprintf(out + n, sizeof out - n, "%s", ev->comm);
                else
                    w = snprintf(out + n, sizeof out - n, "%llu", (unsigned long long)ev->time);
                n += w > 0 && (size_t)w < sizeof out - n ? (size_t)w : 0;
                p = end + 1;
            }
            out[n] = 0;
            json_t *body = json_pack("{s:s, s:s, s:{s:s}, s:i}", "category", "console", "output",
                                     "", "source", "path", b->source, "line", b->line);
            char *text = malloc(n + 2);
            memcpy(text, out, n);
            text[n] = '\n';
            text[n + 1] = 0;
            json_object_set_new(body, "output", json_string(text));
            free(text);
            dap_event("output", body);
            return true;
        }
    }
    return false;
}
