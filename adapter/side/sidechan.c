#include "side/sidechan.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "core/loop.h"
#include "machine/qemu.h"
#include "target/state.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_SUBSCRIBERS 256

static struct side_client *side;
static int side_fd = -1;
static const struct sidechan_listener *listeners[4];
static uint64_t first_time;
static bool have_first_time;
static struct {
    uint32_t probe;
    sidechan_event_fn fn;
    void *arg;
} subs[MAX_SUBSCRIBERS];
static int nsubs;

void sidechan_listen(const struct sidechan_listener *l)
{
    for (size_t i = 0; i < sizeof listeners / sizeof listeners[0]; i++) {
        if (!listeners[i] || listeners[i] == l) {
            listeners[i] = l;
            return;
        }
    }
    abort(); /* a fifth listener: raise the bound */
}

#define EACH_LISTENER(member, ...)                                                                 \
    for (size_t i_ = 0; i_ < sizeof listeners / sizeof listeners[0]; i_++)                         \
        if (listeners[i_] && listeners[i_]->member)                                                \
            listeners[i_]->member(__VA_ARGS__);

double sidechan_seconds(const struct ss_event *ev)
{
    if (!have_first_time) {
        first_time = ev->time;
        have_first_time = true;
    }
    uint64_t hz = side ? side_time_hz(side) : 0;
    return hz ? (double)(ev->time - first_time) / (double)hz : 0;
}

void sidechan_subscribe(uint32_t probe, sidechan_event_fn fn, void *arg)
{
    for (int i = 0; i < nsubs; i++) {
        if (subs[i].probe == probe) {
            subs[i].fn = fn;
            subs[i].arg = arg;
            return;
        }
    }
    if (nsubs < MAX_SUBSCRIBERS)
        subs[nsubs++] = (typeof(subs[0])){probe, fn, arg};
    else
        dap_log("sidechan: no room for a subscriber of probe %u", probe);
}

void sidechan_unsubscribe(uint32_t probe)
{
    for (int i = 0; i < nsubs; i++) {
        if (subs[i].probe == probe) {
            subs[i] = subs[--nsubs];
            return;
        }
    }
}

static void on_event(const struct ss_event *ev, uint64_t lost, void *arg)
{
    (void)arg;
    if (lost)
        EACH_LISTENER(lost, lost)
    (void)sidechan_seconds(ev); /* time counts from the first event of any probe */
    for (int i = 0; i < nsubs; i++) {
        if (subs[i].probe == ev->probe) {
            subs[i].fn(ev, subs[i].arg);
            return;
        }
    }
    /* A probe nobody here knows: one whose attach was given up (it is
     * being detached), or a client's that went away.  Not the user's. */
    dap_log("event of unknown probe %u (%s/%u, %c, %zu bytes) dropped", ev->probe, ev->comm,
            ev->pid, ev->type, ev->len);
}

static void on_readable(int fd, void *data)
{
    (void)fd;
    (void)data;
    if (side && side_poll(side, 0) < 0)
        sidechan_close();
    else if (side && T.state == TARGET_RUNNING)
        side_idle(side); /* undo what requests given up had made */
    EACH_LISTENER(after_read)
}

/* The side-stub answers only while the OS runs: a request waiting for it
 * gives up when the OS stops (a breakpoint, an internal hook of the
 * adapter's), instead of blocking the loop that would resume it. */
static bool os_stopped(void *arg)
{
    (void)arg;
    return T.state == TARGET_STOPPED || gdb_stop_queued();
}

struct side_client *sidechan_get(char *err, size_t errlen)
{
    return sidechan_connect(3000, err, errlen);
}

struct side_client *sidechan_connect(long ms, char *err, size_t errlen)
{
    if (side)
        return side;
    if (T.profile && !T.profile->side_stub) {
        snprintf(err, errlen,
                 "%s has no side-stub (its profile says \"sideStub\": false): eBPF tracing "
                 "runs in the OS, through one (docs/porting.md)",
                 T.profile->name);
        return 0;
    }
    if (!qemu_running() || !qemu_side_socket()[0]) {
        snprintf(err, errlen, "no side channel: trace needs a launched OS");
        return 0;
    }
    side = side_connect_checked(qemu_side_socket(), on_event, 0, os_stopped, 0, ms, err, errlen);
    if (!side)
        return 0;
    side_fd = side_fd_of(side);
    loop_watch(side_fd, on_readable, 0);
    return side;
}

struct side_client *sidechan_current(void)
{
    return side;
}

void sidechan_close(void)
{
    EACH_LISTENER(closed)
    nsubs = 0;
    have_first_time = false;
    if (side) {
        loop_unwatch(side_fd);
        side_close(side);
        side = 0;
        side_fd = -1;
    }
}
