/*
 * Side-stub server.  Requests arrive in the debug channel's receive
 * interrupt and are answered there; probe handlers never touch the
 * channel: they put events in a ring (dropping, and counting, when it is
 * full), and the timer interrupt drains the ring to the host.  Everything
 * runs with interrupts off on one hart, so the ring needs no lock.
 *
 * Implemented: qSupported, vTR (a kprobe with the built-in "registers"
 * program: every hit sends the trapped registers), vTU (the same on a user
 * program, in every process running it), vTDetach, vTList, vTStat.  The
 * other packets of the protocol are answered E0a ("not supported by this
 * OS yet") until the kernel gains uprobes and object upload.
 */
#include "sidestub_server.h"
#include "cpu.h"
#include "kprobe.h"
#include "kstring.h"
#include "ksyms.h"
#include "uprobe.h"
#include "param.h"
#include "printf.h"
#include "proc.h"
#include "types.h"
#include "riscv.h"
#include "virtio_console.h"
#include <osdbg/memlayout.h>
#include <sidestub.h>

#define EV_RING   256 /* events waiting for the channel */
#define EV_DRAIN  64  /* events sent per timer tick at most */
#define REPLY_MAX 512

static struct ss_link link;
static uint8_t rxbuf[SS_PACKET_SIZE];
static uint8_t txbuf[SS_FRAME_MAX(REPLY_MAX)];
static uint8_t nbuf[SS_FRAME_MAX(SS_PACKET_SIZE)];
static uint8_t scratch[SS_PACKET_SIZE];
static bool running;

static struct event {
    uint32_t probe;
    uint64_t seq, time;
    uint32_t hart, pid;
    char comm[SS_COMM_MAX + 1];
    struct rvprobe_regs regs;
} ring[EV_RING];
static uint32_t ring_head, ring_tail; /* head: next to send; tail: next free */
static uint64_t next_seq, produced, dropped;

static bool traced[KPROBE_MAX]; /* probes this server armed (vTR) */

/* Ids of uprobes (vTU) in the protocol: after the kprobes' ids. */
#define UPROBE_ID_BASE 0x100

static uint64_t now(void)
{
    return r_time();
}

static void chan_write(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    dbgchan_send(data, len);
}

/* The built-in "registers" program: one event with the trapped registers. */
static int on_hit(struct rvprobe *p, struct rvprobe_regs *regs, void *arg)
{
    (void)p;
    uint64_t seq = next_seq++;
    produced++;
    if (ring_tail - ring_head == EV_RING) {
        dropped++; /* the host sees the gap in the sequence numbers */
        return 0;
    }
    struct event *e = &ring[ring_tail++ % EV_RING];
    struct proc *cur = myproc();
    e->probe = (uint32_t)(uint64_t)arg;
    e->seq = seq;
    e->time = r_time();
    e->hart = (uint32_t)cpuid();
    e->pid = cur ? (uint32_t)cur->pid : 0;
    strlcpy(e->comm, cur ? cur->name : "", sizeof e->comm);
    e->regs = *regs;
    return 0;
}

static size_t reply_err(char *out, int code)
{
    return ss_reply_err(out, REPLY_MAX, code);
}

static size_t trace_kernel(uint64_t addr, char *out)
{
    uint64_t func = ksym_func_start(addr);
    if (!func)
        return reply_err(out, SS_ERR_ADDR); /* not inside a kernel function */
    /* The probe's id is its index in the table, which arm picks: the
     * first free entry; find it first to hand it to the handler. */
    int id;
    for (id = 0; id < KPROBE_MAX; id++)
        if (!kprobe_get(id) || kprobe_get(id)->state == RVPROBE_FREE)
            break;
    if (id == KPROBE_MAX)
        return reply_err(out, SS_ERR_NOMEM);
    const char *why;
    int got = kprobe_arm(RVPROBE_KPROBE, func, addr, on_hit, 0, (void *)(uint64_t)id, &why);
    if (got == RVPROBE_EREFUSED)
        return reply_err(out, SS_ERR_REFUSED);
    if (got == RVPROBE_ENOTBOUNDARY || got == RVPROBE_ERANGE)
        return reply_err(out, SS_ERR_ADDR);
    if (got == RVPROBE_EEXIST || got == RVPROBE_ENOSPC)
        return reply_err(out, got == RVPROBE_ENOSPC ? SS_ERR_NOMEM : SS_ERR_BUSY);
    if (got < 0)
        return reply_err(out, SS_ERR_FAULT);
    traced[got] = true;
    return ss_reply_ok_id(out, REPLY_MAX, (uint32_t)got);
}

static size_t trace_user(const struct ss_request *req, char *out)
{
    char program[PROC_NAME_LEN];
    if (req->name.n >= sizeof program)
        return reply_err(out, SS_ERR_NOENT); /* longer than any process name */
    memcpy(program, req->name.p, req->name.n);
    program[req->name.n] = 0;
    if (req->addr < USER_BASE || req->addr >= MAXVA)
        return reply_err(out, SS_ERR_ADDR);
    /* Every event of this probe carries its protocol id: the handler's arg. */
    int id;
    for (id = 0; id < UPROBE_MAX_SPECS; id++) {
        const char *pr;
        uint64_t a;
        if (!uprobe_info(id, &pr, &a))
            break;
    }
    int got = uprobe_attach(program, req->addr, on_hit, (void *)(uint64_t)(UPROBE_ID_BASE + id));
    if (got == RVPROBE_EREFUSED)
        return reply_err(out, SS_ERR_REFUSED);
    if (got == RVPROBE_ENOSPC)
        return reply_err(out, SS_ERR_NOMEM);
    if (got < 0)
        return reply_err(out, SS_ERR_FAULT);
    return ss_reply_ok_id(out, REPLY_MAX, (uint32_t)(UPROBE_ID_BASE + got));
}

static size_t stats(char *out)
{
    return (size_t)snprintf(out, REPLY_MAX, "%s=%lx;%s=%lx;%s=%lx;%s=%lx;%s=%lx", SS_STAT_EVENTS,
                            produced, SS_STAT_DROPPED, dropped, SS_STAT_BAD_PACKETS,
                            link.rx.stats.bad_checksum + link.rx.stats.cut + link.rx.stats.oversize,
                            SS_STAT_RETRANSMITS, link.stats.retransmits, SS_STAT_CHAN_DROPS,
                            dbgchan_dropped());
}

/* vTList[:<after>]: the probes this server armed, in pages that fit a reply. */
static size_t list(const struct ss_request *req, char *out)
{
    size_t n = 1;
    out[0] = SS_REPLY_LAST;
    for (int id = req->has_after ? (int)req->id + 1 : 0; id < KPROBE_MAX; id++) {
        if (!traced[id])
            continue;
        const struct rvprobe *p = kprobe_get(id);
        struct ss_probe_info info = {
            .id = (uint32_t)id,
            .kind = SS_KPROBE,
            .hits = p->hits,
            .prog = {"registers", 9},
            .addr = p->def.addr,
        };
        char item[128];
        size_t k = ss_probe_info_format(&info, item, sizeof item);
        if (n + 1 + k >= REPLY_MAX - 1) {
            out[0] = SS_REPLY_MORE; /* the host asks again after the last id */
            break;
        }
        if (n > 1)
            out[n++] = ';';
        memcpy(out + n, item, k);
        n += k;
    }
    for (int id = 0; id < UPROBE_MAX_SPECS && out[0] == SS_REPLY_LAST; id++) {
        const char *program;
        uint64_t addr;
        uint32_t pid = UPROBE_ID_BASE + (uint32_t)id;
        if ((req->has_after && pid <= req->id) || !uprobe_info(id, &program, &addr))
            continue;
        struct ss_probe_info info = {
            .id = pid,
            .kind = SS_UPROBE,
            .hits = uprobe_hits(id),
            .prog = {"registers", 9},
            .name = {program, strlen(program)},
            .addr = addr,
        };
        char item[160];
        size_t k = ss_probe_info_format(&info, item, sizeof item);
        if (n + 1 + k >= REPLY_MAX - 1) {
            out[0] = SS_REPLY_MORE;
            break;
        }
        if (n > 1)
            out[n++] = ';';
        memcpy(out + n, item, k);
        n += k;
    }
    return n;
}

/* vTGo: the host has set its probes; a boot held by sidestub_wait goes on. */
#define SS_CMD_GO SS_CMD_USER
static volatile bool go;
/* The debugger sets this (through GDB, before the first instruction) when
 * it wants its probes in place before init runs.  In .data, not .bss: the
 * boot code clears .bss after the debugger wrote it. */
__attribute__((section(".data"))) volatile uint64_t sidestub_wait_ms;

static int parse_go(const char *args, size_t n, struct ss_request *req)
{
    (void)args;
    (void)req;
    return n ? -SS_ERR_SYNTAX : 0;
}

static const struct ss_cmd_desc extra_cmds[] = {{"vTGo", SS_CMD_GO, parse_go}};

static void on_packet(void *ctx, struct ss_link *l, const uint8_t *data, size_t len)
{
    (void)ctx;
    static char out[REPLY_MAX];
    struct ss_request req;
    size_t n;
    int r = ss_parse_request(data, len, extra_cmds, NELEM(extra_cmds), &req);
    if (r < 0) {
        n = reply_err(out, -r);
    } else {
        switch (req.cmd) {
        case SS_CMD_SUPPORTED:
            n = ss_reply_supported(out, sizeof out, SS_PACKET_SIZE, TIMEBASE_HZ);
            break;
        case SS_CMD_TRACE_K:
            n = trace_kernel(req.addr, out);
            break;
        case SS_CMD_GO:
            go = true;
            n = ss_reply_ok(out, sizeof out);
            break;
        case SS_CMD_TRACE_U:
            n = trace_user(&req, out);
            break;
        case SS_CMD_DETACH:
            if (req.id >= UPROBE_ID_BASE && req.id < UPROBE_ID_BASE + UPROBE_MAX_SPECS &&
                uprobe_detach((int)(req.id - UPROBE_ID_BASE)) == 0) {
                n = ss_reply_ok(out, sizeof out);
            } else if (req.id < KPROBE_MAX && traced[req.id] && kprobe_disarm((int)req.id) == 0) {
                traced[req.id] = false;
                n = ss_reply_ok(out, sizeof out);
            } else {
                n = reply_err(out, SS_ERR_NOENT);
            }
            break;
        case SS_CMD_STAT:
            n = stats(out);
            break;
        case SS_CMD_LIST:
            n = list(&req, out);
            break;
        case SS_CMD_UNKNOWN:
            n = 0;
            break; /* the empty reply */
        default:
            n = reply_err(out, SS_ERR_KIND);
            break;
        }
    }
    ss_link_send(l, out, n, now());
}

static void on_bytes(const uint8_t *data, size_t len)
{
    ss_link_input(&link, data, len, now());
}

static const struct ss_link_ops ops = {
    .write = chan_write,
    .packet = on_packet,
};

void sidestub_init(void)
{
    struct ss_link_config cfg = {
        .ops = &ops,
        .rxbuf = rxbuf,
        .rxcap = sizeof rxbuf,
        .txbuf = txbuf,
        .txcap = sizeof txbuf,
        .nbuf = nbuf,
        .ncap = sizeof nbuf,
        .timeout = TIMEBASE_HZ / 2, /* half a second without '+': send again */
        .max_retries = 5,
    };
    ss_link_init(&link, &cfg);
    dbgchan_set_receiver(on_bytes);
    running = true;
    printf("[kernel] side-stub: listening on the debug channel\n");
}

void sidestub_wait(void)
{
    if (!running || !sidestub_wait_ms)
        return;
    printf("[kernel] side-stub: waiting up to %lu ms for the debugger's probes\n",
           (uint64_t)sidestub_wait_ms);
    uint64_t deadline = ticks_now() + sidestub_wait_ms * TICK_HZ / 1000;
    intr_on();
    while (!go && ticks_now() < deadline)
        asm volatile("wfi");
    intr_off();
}

/* Before the machine powers off: the events still in the ring go out. */
void sidestub_flush(void)
{
    for (int i = 0; running && ring_head != ring_tail && i < EV_RING; i++)
        sidestub_tick();
}

void sidestub_tick(void)
{
    if (!running)
        return;
    ss_link_poll(&link, now());
    for (int i = 0; i < EV_DRAIN && ring_head != ring_tail; i++) {
        struct event *e = &ring[ring_head++ % EV_RING];
        struct ss_event ev = {
            .probe = e->probe,
            .seq = e->seq,
            .time = e->time,
            .hart = e->hart,
            .pid = e->pid,
            .type = SS_EVT_REGS,
            .data = (const uint8_t *)&e->regs,
            .len = sizeof e->regs,
        };
        memcpy(ev.comm, e->comm, sizeof ev.comm);
        size_t n = ss_event_frame(&ev, scratch, sizeof scratch, nbuf, sizeof nbuf);
        if (n)
            dbgchan_send(nbuf, n);
    }
}
