/*
 * Side-stub server.  Requests arrive in the debug channel's receive
 * interrupt and are answered there; probe handlers never touch the
 * channel: they put events in a ring (dropping, and counting, when it is
 * full), and the timer interrupt drains the ring to the host.
 *
 * Several harts.  Probes fire on any hart, and the PLIC may hand the
 * channel's interrupt to any hart.  ss_lock covers everything but the
 * ring: the link, the pending reply, the object and probe tables, and the
 * sending of events (one drainer at a time); the timer and the return to
 * user mode only try it (another hart is at it: nothing to do).  The ring
 * takes events from every hart without a lock: one compare-and-swap on
 * `ticket` takes the next sequence number and, if the ring has room, the
 * next slot together, so slots fill in sequence order and the host sees
 * the numbers in order, with a gap exactly where an event was dropped
 * (counted in `dropped`; produced = sent + dropped + waiting).  A slot is
 * sent once its producer has published it (`ready`).  Handlers find their
 * state through their probe and argument, never through a table a request
 * may be changing: an attached object's record is complete before its
 * probe is armed, and is reused only after kprobe_disarm/uprobe_detach,
 * which wait until no hart runs the handler.
 *
 * Implemented: qSupported, vTR (a kprobe with the built-in "registers"
 * program: every hit sends the trapped registers), vTU (the same on a user
 * program, in every process running it), vTObjNew/vTObjData/vTObjFree and
 * vTAttach (a clang-built eBPF object run as a kprobe, kretprobe, uprobe or
 * uretprobe; its printk text and ring-buffer records become events as it
 * makes them: bpf_prog_ringbuf_sink), vTMap,
 * vTGo, vTDetach, vTList, vTStat.  Other kinds are answered SS_ERR_KIND.
 */
#include "sidestub_server.h"
#include "bpf.h"
#include "format.h"
#include "kprobe.h"
#include "kstring.h"
#include "kt_lock.h"
#include "kt_print.h"
#include "kt_time.h"
#include "uprobe.h"
#include <osdbg/errno.h>
#include <sidestub.h>

/* Events waiting for the channel, a power of 2: a burst of logpoint hits, or
 * the host not reading for a while (about 0.1 s at 40,000 events/s). */
#define EV_RING    4096
#define EV_DRAIN   EV_RING /* events sent per timer tick, or return to user mode, at most */
/* A return to user mode sends once this many events wait, or the oldest
 * has waited POLL_US: one notification of the device per batch, not per
 * event, yet a slow trickle still goes out within a few milliseconds, not
 * at the 10 ms tick.  A notification is expensive in real time, not in
 * guest instructions: QEMU writes the buffers to its socket inside the
 * vCPU's MMIO exit and wakes the reader, and on a busy host the vCPU then
 * waits for a core.  Measured with a logpoint on getpid (issue 21, 2
 * harts): 1 ms batches held about 36 small events and kt_os_chan_send took
 * 280 us of hart time each, 7.9 us an event, nearly half of the hit's real
 * cost; 4 ms batches of up to 256 cut the logpoint's median loop time by
 * about 10 % in runs alternating both kernels. */
#define POLL_BATCH 256
#define POLL_US    4000
/* The largest transmit buffer of any port's channel (the C kernel's
 * virtio_console.c TX_BUF_SIZE, 4 KiB; the Rust kernel's drivers/virtqueue.rs
 * BUF_SIZE, 1 KiB): room is kept in whole buffers of this size, so it is
 * kept whatever size the channel cuts a send into, as long as that size
 * divides this one.  A port's channel must have more room than two of them. */
#define SEND_SLACK 4096
#define REPLY_MAX  512

static struct ss_link link;
static uint8_t rxbuf[SS_PACKET_SIZE];
static uint8_t txbuf[SS_FRAME_MAX(REPLY_MAX)];
static uint8_t nbuf[SS_FRAME_MAX(SS_PACKET_SIZE)];
static uint8_t scratch[SS_PACKET_SIZE];
static bool running;

static struct kt_lock ss_lock;

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct event {
    uint32_t ready; /* slot number + 1 once its producer filled it, 0 while free */
    uint32_t probe;
    uint64_t seq, time;
    uint32_t hart, pid;
    char comm[SS_COMM_MAX + 1];
    char type; /* SS_EVT_REGS, SS_EVT_TEXT */
    uint16_t len;
    /* the registers (struct rvprobe_regs) or printk text; aligned for copy_bytes */
    uint8_t data[SS_EVENT_DATA_MAX] __attribute__((aligned(8)));
} ring[EV_RING];
/* Slot numbers count modulo 2^24 (SLOT_MASK); ring[n % EV_RING] holds slot n. */
#define SLOT_BITS 24
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
/* next sequence number << SLOT_BITS | next slot: taken together by one CAS
 * (40 bits of sequence: a million events a second for 12 days) */
static uint64_t ticket;
static uint32_t ring_head; /* next slot to send (ss_lock; read by producers) */
static uint64_t dropped, sent;
static uint64_t send_ticks; /* time CSR ticks spent in drain (ss_lock) */
static uint64_t last_send;  /* when events were last sent (time CSR ticks) */


/* The functions every event runs, at -O2 whatever the kernel's OPT (issue
 * 21): the kernel's memcpy is a byte loop at -O0, and an event's data was
 * copied and framed byte by byte several times over. */
#define KT_HOT __attribute__((optimize("O2", "no-tree-loop-distribute-patterns")))
/* Inlined into the -O2 paths (an -O2 function does not inline an -O0 one). */
#define KT_INLINE inline __attribute__((always_inline))

static KT_INLINE uint32_t ring_tail(void)
{
    return (uint32_t)__atomic_load_n(&ticket, __ATOMIC_ACQUIRE) & SLOT_MASK;
}

static bool traced[KPROBE_MAX]; /* probes this server armed (vTR) */

/* Ids of uprobes (vTU) in the protocol: after the kprobes' ids. */
#define UPROBE_ID_BASE 0x100

/* Events are stamped, and the link's timeouts counted, in time CSR ticks. */
static KT_INLINE uint64_t now(void)
{
    /* kt_rdtime's read, inline: an -O2 path does not inline the -O0
     * static inline of kt_time.h, and made a call of it (issue 21). */
    uint64_t t;
    asm volatile("rdtime %0" : "=r"(t));
    return t;
}

static void chan_write(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    kt_os_chan_send(data, len);
}


/* Copies n bytes, a word at a time when both ends are aligned (the
 * registers of a probe hit always are). */
static KT_INLINE void copy_bytes(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(uint64_t *)d = *(const uint64_t *)s;
    }
    while (n--)
        *d++ = *s++;
}

/* A process name into an event: up to SS_COMM_MAX bytes and a NUL (the
 * kernel's strlcpy is a call per byte at -O0). */
static KT_INLINE void copy_comm(char *dst, const char *src)
{
    size_t i = 0;
    for (; i < SS_COMM_MAX && src[i]; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

/* Queue one event from the hart and process that made it (probe handlers,
 * any hart; never blocks, never sends).  False if the ring was full (the
 * event is counted in `dropped`). */
static KT_INLINE bool emit_as(uint32_t probe, char type, const void *data, size_t len, int hart, int pid,
                    const char *comm)
{
    uint64_t t = __atomic_load_n(&ticket, __ATOMIC_RELAXED), next;
    bool full;
    do {
        uint32_t tail = (uint32_t)t & SLOT_MASK;
        uint32_t head = __atomic_load_n(&ring_head, __ATOMIC_ACQUIRE);
        full = ((tail - head) & SLOT_MASK) >= EV_RING;
        next = ((t >> SLOT_BITS) + 1) << SLOT_BITS | (full ? tail : (tail + 1) & SLOT_MASK);
    } while (!__atomic_compare_exchange_n(&ticket, &t, next, true, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    if (full) {
        __atomic_fetch_add(&dropped, 1, __ATOMIC_RELAXED); /* the host sees the gap */
        return false;
    }
    uint32_t slot = (uint32_t)t & SLOT_MASK;
    struct event *e = &ring[slot % EV_RING];
    e->probe = probe;
    e->seq = t >> SLOT_BITS;
    e->time = now();
    e->hart = (uint32_t)hart;
    e->pid = (uint32_t)pid;
    copy_comm(e->comm, comm);
    e->type = type;
    e->len = (uint16_t)(len < sizeof e->data ? len : sizeof e->data);
    copy_bytes(e->data, data, e->len);
    __atomic_store_n(&e->ready, slot + 1, __ATOMIC_RELEASE);
    return true;
}

/* An event of the probe hit this hart is handling. */
static KT_HOT bool emit(uint32_t probe, char type, const void *data, size_t len)
{
    struct kt_task cur;
    kt_os_current(&cur); /* pid 0 and "" if none */
    return emit_as(probe, type, data, len, (int)kt_os_hart(), cur.pid, cur.comm);
}

/* The built-in "registers" program: one event with the trapped registers.
 * The event's probe id is the probe's own (its entry), so it is right from
 * the first hit on, whatever other harts arm meanwhile. */
static int on_hit_kernel(struct rvprobe *p, struct rvprobe_regs *regs, void *arg)
{
    (void)arg;
    emit((uint32_t)kprobe_id(p), SS_EVT_REGS, regs, sizeof *regs);
    return 0;
}

static int on_hit_user(struct rvprobe *p, struct rvprobe_regs *regs, void *arg)
{
    (void)arg;
    emit(UPROBE_ID_BASE + (uint32_t)uprobe_id_of(p), SS_EVT_REGS, regs, sizeof *regs);
    return 0;
}

/* ---- eBPF objects uploaded by the host (vTObj*, vTAttach, vTMap) ---- */

#define NOBJ       2
#define OBJ_MAX    (64 * 1024)
#define MAX_ATTACH 40

/* Per hart: the probe whose program runs now (for printk and records).  Defined
 * in this order, after the ring's counters: a hit reads and writes them,
 * and the attached table, on as few pages as possible (each page costs a
 * refill of QEMU's TLB, which the system call's page-table switch flushed). */
static uint32_t running_probe[KT_MAX_HARTS];

/* Attached object programs: protocol probe id -> program. */
static struct attached {
    bool used;
    uint32_t probe;             /* protocol id */
    int prog;                   /* bpf.c program id */
    int entry_prog;             /* kretprobe: the program run at the entry, or -1 */
    int obj;                    /* the object it came from */
    bool user;                  /* a uprobe spec, else a kprobe id */
    int handle;                 /* kprobe id or uprobe spec */
    char name[SS_NAME_MAX + 1]; /* the program's name in its object */
} attached[MAX_ATTACH];

static struct object {
    bool used, complete;
    uint32_t size, received;
    int maps_prog; /* the first program attached from it: its maps are the object's, or -1 */
    uint8_t data[OBJ_MAX] __attribute__((aligned(16))); /* the ELF loader reads it in place */
} objects[NOBJ];


static void on_printk(const char *text, size_t len)
{
    emit(running_probe[kt_os_hart()], SS_EVT_TEXT, text, len);
}

/* The ring-buffer sink of every attached program (bpf_prog_ringbuf_sink):
 * a record becomes an event as the program outputs it, on the hart of the
 * hit, while the process that hit the probe is current.  It used to wait in
 * the program's ring buffer until run_object took it out again (another
 * copy, and a consume at -O0 in bpf.c): over a third of a logpoint hit's
 * guest instructions (issue 21).  A full event ring refuses the record
 * (the helper returns -EAGAIN, the event is counted dropped). */
static KT_HOT long on_record(void *ctx, const void *data, size_t len, uint32_t tag)
{
    (void)ctx, (void)tag;
    struct kt_task cur;
    kt_os_current(&cur); /* pid 0 and "" if none */
    unsigned hart = kt_os_hart();
    return emit_as(running_probe[hart], SS_EVT_DATA, data, len, (int)hart, cur.pid, cur.comm) ? 0
                                                                                              : -1;
}

/* The protocol id of an attached object's probe entry p. */
static KT_INLINE uint32_t probe_id(const struct attached *a, const struct rvprobe *p)
{
    return a->user ? UPROBE_ID_BASE + (uint32_t)uprobe_id_of(p) : (uint32_t)kprobe_id(p);
}

/* Runs the program of a hit.  Its ring-buffer records become events inside
 * the run (on_record), so nothing is left to take from its ring here. */
static KT_INLINE void run_object(const struct attached *a, uint32_t probe, struct rvprobe_regs *regs,
                              bool entry)
{
    int prog = entry && a->entry_prog >= 0 ? a->entry_prog : a->prog;
    running_probe[kt_os_hart()] = probe;
    bpf_prog_run_probe(prog, regs, sizeof *regs);
}

/* At -O2 with run_object inlined: a hit's every call and return costs QEMU a
 * lookup after the page-table switch of the system call flushed its caches. */
static KT_HOT int on_object_hit(struct rvprobe *p, struct rvprobe_regs *regs, void *arg)
{
    const struct attached *a = arg;
    run_object(a, probe_id(a, p), regs, true);
    return 0;
}

static KT_HOT void on_object_return(struct rvprobe *p, struct rvprobe_regs *regs, uint64_t sp, void *arg)
{
    (void)sp;
    const struct attached *a = arg;
    run_object(a, probe_id(a, p), regs, false);
}

static size_t reply_err(char *out, int code)
{
    return ss_reply_err(out, REPLY_MAX, code);
}

static size_t trace_kernel(uint64_t addr, char *out)
{
    uint64_t func = kt_os_ksym_func_start(addr);
    if (!func)
        return reply_err(out, SS_ERR_ADDR); /* not inside a kernel function */
    /* The probe's id is its index in the table: the handler reads it
     * from its entry. */
    const char *why;
    int got = kprobe_arm(RVPROBE_KPROBE, func, addr, on_hit_kernel, 0, 0, &why);
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
    char program[KT_COMM_LEN];
    if (req->name.n >= sizeof program)
        return reply_err(out, SS_ERR_NOENT); /* longer than any process name */
    memcpy(program, req->name.p, req->name.n);
    program[req->name.n] = 0;
    if (!kt_os_user_addr(req->addr))
        return reply_err(out, SS_ERR_ADDR);
    /* Every event of this probe carries its protocol id: the handler
     * finds it from its entry. */
    int got = uprobe_attach(program, req->addr, on_hit_user, 0);
    if (got == RVPROBE_EREFUSED)
        return reply_err(out, SS_ERR_REFUSED);
    if (got == RVPROBE_EINVAL)
        return reply_err(out, SS_ERR_NOENT); /* no such program */
    if (got == RVPROBE_ENOTBOUNDARY || got == RVPROBE_ERANGE)
        return reply_err(out, SS_ERR_ADDR); /* not an instruction of the program */
    if (got == RVPROBE_ENOSPC)
        return reply_err(out, SS_ERR_NOMEM);
    if (got < 0)
        return reply_err(out, SS_ERR_FAULT);
    return ss_reply_ok_id(out, REPLY_MAX, (uint32_t)(UPROBE_ID_BASE + got));
}

static size_t obj_new(const struct ss_request *req, char *out)
{
    if (req->size == 0 || req->size > OBJ_MAX)
        return reply_err(out, SS_ERR_RANGE);
    for (int i = 0; i < NOBJ; i++) {
        if (!objects[i].used) {
            objects[i].used = true;
            objects[i].size = req->size;
            objects[i].received = 0;
            objects[i].maps_prog = -1;
            return ss_reply_ok_id(out, REPLY_MAX, (uint32_t)i);
        }
    }
    return reply_err(out, SS_ERR_NOMEM);
}

static size_t obj_data(const struct ss_request *req, char *out)
{
    if (req->obj >= NOBJ || !objects[req->obj].used)
        return reply_err(out, SS_ERR_NOENT);
    struct object *o = &objects[req->obj];
    if (req->off > o->size || req->len > o->size - req->off)
        return reply_err(out, SS_ERR_RANGE);
    memcpy(o->data + req->off, req->data, req->len);
    if (req->off + req->len > o->received)
        o->received = (uint32_t)(req->off + req->len);
    return ss_reply_ok(out, REPLY_MAX);
}

static size_t obj_free(const struct ss_request *req, char *out)
{
    if (req->obj >= NOBJ || !objects[req->obj].used)
        return reply_err(out, SS_ERR_NOENT);
    objects[req->obj].used = false; /* loaded programs keep their own copy */
    return ss_reply_ok(out, REPLY_MAX);
}

/* vTAttach:<obj>,<kind>,<prog>,<target>: load the program from the object
 * (with its maps), verify it, and attach it. */
static size_t attach(const struct ss_request *req, char *out)
{
    if (req->obj >= NOBJ || !objects[req->obj].used)
        return reply_err(out, SS_ERR_NOENT);
    struct object *o = &objects[req->obj];
    if (o->received < o->size)
        return reply_err(out, SS_ERR_BUSY); /* not all of it uploaded */
    int slot;
    for (slot = 0; slot < MAX_ATTACH; slot++)
        if (!attached[slot].used)
            break;
    if (slot == MAX_ATTACH)
        return reply_err(out, SS_ERR_NOMEM);
    char name[SS_NAME_MAX + 1];
    size_t n = req->prog.n < SS_NAME_MAX ? req->prog.n : SS_NAME_MAX;
    memcpy(name, req->prog.p, n);
    name[n] = 0;
    static char log[512];
    int prog = bpf_load_object(o->data, o->size, name, o->maps_prog, log, sizeof log);
    if (prog < 0) {
        kt_printf("[kernel] side-stub: %s rejected: %s\n", name, log);
        return reply_err(out, prog == -ENOSPC ? SS_ERR_NOMEM : SS_ERR_BADOBJ);
    }
    bpf_prog_ringbuf_sink(prog, on_record, 0); /* before it can run */
    int entry = -1;
    if (req->entry.n) { /* a kretprobe's entry program, sharing the maps */
        n = req->entry.n < SS_NAME_MAX ? req->entry.n : SS_NAME_MAX;
        char ename[SS_NAME_MAX + 1];
        memcpy(ename, req->entry.p, n);
        ename[n] = 0;
        entry = bpf_load_object(o->data, o->size, ename, o->maps_prog >= 0 ? o->maps_prog : prog,
                                log, sizeof log);
        if (entry < 0) {
            kt_printf("[kernel] side-stub: %s rejected: %s\n", ename, log);
            bpf_prog_unload(prog);
            return reply_err(out, entry == -ENOSPC   ? SS_ERR_NOMEM
                                  : entry == -ENOENT ? SS_ERR_NOENT
                                                     : SS_ERR_BADOBJ);
        }
        bpf_prog_ringbuf_sink(entry, on_record, 0);
    }
    struct attached *a = &attached[slot];
    /* Complete before its probe is armed: a hit may come at once. */
    *a = (struct attached){.used = true,
                           .prog = prog,
                           .entry_prog = entry,
                           .obj = (int)req->obj,
                           .user = req->kind == SS_UPROBE || req->kind == SS_URETPROBE};
    memcpy(a->name, name, sizeof a->name);
    int got;
    const char *why;
    if (req->kind == SS_KPROBE || req->kind == SS_KRETPROBE) {
        uint64_t func = kt_os_ksym_func_start(req->addr);
        bool ret = req->kind == SS_KRETPROBE;
        got = !func ? RVPROBE_ERANGE
                    : kprobe_arm(ret ? RVPROBE_KRETPROBE : RVPROBE_KPROBE, func,
                                 ret ? func : req->addr, !ret || entry >= 0 ? on_object_hit : 0,
                                 ret ? on_object_return : 0, a, &why);
        if (got >= 0) {
            traced[got] = true;
            a->probe = (uint32_t)got;
            a->handle = got;
        }
    } else if (req->kind == SS_UPROBE || req->kind == SS_URETPROBE) {
        char program[KT_COMM_LEN];
        size_t k = req->name.n < sizeof program - 1 ? req->name.n : sizeof program - 1;
        memcpy(program, req->name.p, k);
        program[k] = 0;
        bool ret = req->kind == SS_URETPROBE;
        got = uprobe_attach_kind(program, req->addr, ret ? RVPROBE_KRETPROBE : RVPROBE_KPROBE,
                                 !ret || entry >= 0 ? on_object_hit : 0, ret ? on_object_return : 0,
                                 a);
        if (got >= 0) {
            a->handle = got;
            a->probe = UPROBE_ID_BASE + (uint32_t)got;
        }
    } else {
        got = RVPROBE_EINVAL;
        bpf_prog_unload(entry);
        bpf_prog_unload(prog);
        a->used = false;
        return reply_err(out, SS_ERR_KIND);
    }
    if (got < 0) {
        bpf_prog_unload(entry);
        bpf_prog_unload(prog);
        a->used = false;
        return reply_err(out, got == RVPROBE_EREFUSED ? SS_ERR_REFUSED
                              : got == RVPROBE_EEXIST ? SS_ERR_BUSY
                              : got == RVPROBE_ENOSPC ? SS_ERR_NOMEM
                                                      : SS_ERR_ADDR);
    }
    if (o->maps_prog < 0)
        o->maps_prog = prog; /* later programs of the object share its maps */
    return ss_reply_ok_id(out, REPLY_MAX, a->probe);
}

/* The last probe of an object is gone: the next attach starts with new maps
 * (bpf.c has freed or will free the old ones). */
static void forget_maps(int obj)
{
    for (int i = 0; i < MAX_ATTACH; i++)
        if (attached[i].used && attached[i].obj == obj)
            return;
    if (obj >= 0 && obj < NOBJ)
        objects[obj].maps_prog = -1;
}

/* An attached object's entry for a protocol probe id, or 0. */
static struct attached *attached_by_probe(uint32_t probe)
{
    for (int i = 0; i < MAX_ATTACH; i++)
        if (attached[i].used && attached[i].probe == probe)
            return &attached[i];
    return 0;
}

/* vTMap:<id>[,<map>[,<after-key>]]: a page of <hexkey>=<hexvalue> items. */
static size_t map_read(const struct ss_request *req, char *out)
{
    struct attached *a = attached_by_probe(req->id);
    if (!a)
        return reply_err(out, SS_ERR_NOENT);
    char map[SS_NAME_MAX + 1];
    size_t mn = req->prog.n < SS_NAME_MAX ? req->prog.n : SS_NAME_MAX;
    memcpy(map, req->prog.p, mn);
    map[mn] = 0;
    static uint8_t key[256], next[256], value[256];
    bool have = false;
    if (req->key.n) {
        size_t k = ss_hex_decode(req->key.p, req->key.n, key, sizeof key);
        if (k == (size_t)-1)
            return reply_err(out, SS_ERR_SYNTAX);
        have = true;
    }
    size_t n = 1;
    out[0] = SS_REPLY_LAST;
    for (;;) {
        uint32_t ks, vs;
        int r = bpf_prog_map_next(a->prog, map, have ? key : 0, next, value, &ks, &vs);
        if (r == -ENOENT)
            break; /* past the last key, or an empty map: "l" alone */
        if (r < 0)
            return reply_err(out, r == -ESRCH ? SS_ERR_NOENT : SS_ERR_SYNTAX);
        if (ks > 100 || vs > 100 || n + 2 * (ks + vs) + 3 >= REPLY_MAX - 1) {
            out[0] = SS_REPLY_MORE; /* the host asks again after the last key */
            break;
        }
        if (n > 1)
            out[n++] = ';';
        n += ss_hex_encode(next, ks, out + n, REPLY_MAX - n);
        out[n++] = '=';
        n += ss_hex_encode(value, vs, out + n, REPLY_MAX - n);
        memcpy(key, next, ks);
        have = true;
    }
    return n;
}

static size_t stats(char *out)
{
    uint64_t produced = __atomic_load_n(&ticket, __ATOMIC_ACQUIRE) >> SLOT_BITS;
    uint64_t mhz = kt_os_timebase_hz() / 1000000;
    return (size_t)snprintf(
        out, REPLY_MAX, "%s=%lx;%s=%lx;%s=%lx;%s=%lx;%s=%lx;%s=%lx;%s=%lx", SS_STAT_EVENTS, produced,
        SS_STAT_DROPPED, __atomic_load_n(&dropped, __ATOMIC_RELAXED), SS_STAT_BAD_PACKETS,
        link.rx.stats.bad_checksum + link.rx.stats.cut + link.rx.stats.oversize,
        SS_STAT_RETRANSMITS, link.stats.retransmits, SS_STAT_CHAN_DROPS, kt_os_chan_dropped(),
        SS_STAT_SENT, sent, SS_STAT_SEND_US, send_ticks / (mhz ? mhz : 1));
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
        struct attached *att = attached_by_probe((uint32_t)id);
        if (att) {
            info.prog = (struct ss_str){att->name, strlen(att->name)};
            info.kind = p->def.kind == RVPROBE_KRETPROBE ? SS_KRETPROBE : SS_KPROBE;
        }
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
            .kind = uprobe_kind(id) == RVPROBE_KRETPROBE ? SS_URETPROBE : SS_UPROBE,
            .hits = uprobe_hits(id),
            .prog = {"registers", 9},
            .name = {program, strlen(program)},
            .addr = addr,
        };
        struct attached *att = attached_by_probe(pid);
        if (att)
            info.prog = (struct ss_str){att->name, strlen(att->name)};
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

static const struct ss_cmd_desc extra_cmds[] = {{SS_PKT_GO, SS_CMD_GO, parse_go}};

static char pending[REPLY_MAX];
static size_t npending;
static bool pending_empty;

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
            n = ss_reply_supported(out, sizeof out, SS_PACKET_SIZE, kt_os_timebase_hz());
            break;
        case SS_CMD_TRACE_K:
            n = trace_kernel(req.addr, out);
            break;
        case SS_CMD_OBJ_NEW:
            n = obj_new(&req, out);
            break;
        case SS_CMD_OBJ_DATA:
            n = obj_data(&req, out);
            break;
        case SS_CMD_OBJ_FREE:
            n = obj_free(&req, out);
            break;
        case SS_CMD_ATTACH:
            n = attach(&req, out);
            break;
        case SS_CMD_MAP:
            n = map_read(&req, out);
            break;
        case SS_CMD_GO:
            go = true;
            n = ss_reply_ok(out, sizeof out);
            break;
        case SS_CMD_TRACE_U:
            n = trace_user(&req, out);
            break;
        case SS_CMD_DETACH:
            if (attached_by_probe(req.id)) {
                struct attached *a = attached_by_probe(req.id);
                if (a->user)
                    uprobe_detach(a->handle);
                else
                    kprobe_disarm(a->handle), traced[a->handle] = false;
                bpf_prog_unload(a->entry_prog);
                bpf_prog_unload(a->prog);
                a->used = false;
                forget_maps(a->obj);
                n = ss_reply_ok(out, sizeof out);
            } else if (req.id >= UPROBE_ID_BASE && req.id < UPROBE_ID_BASE + UPROBE_MAX_SPECS &&
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
    if (ss_link_send(l, out, n, now()) == SS_LINK_BUSY && !npending) {
        /* The previous reply is not acknowledged yet (the host sent two
         * requests in a row): this one goes out after it. */
        memcpy(pending, out, n);
        npending = n ? n : 1;
        pending_empty = n == 0;
    }
}

/* A reply that waited for the one in flight. */
static void send_pending(void)
{
    if (npending && link.txlen == 0) {
        ss_link_send(&link, pending, pending_empty ? 0 : npending, now());
        npending = 0;
    }
}

/* The channel's receive interrupt, on whichever hart the OS picked. */
void kt_sidestub_input(const uint8_t *data, size_t len)
{
    if (!running)
        return;
    kt_lock_acquire(&ss_lock);
    ss_link_input(&link, data, len, now());
    send_pending();
    kt_lock_release(&ss_lock);
}

static const struct ss_link_ops ops = {
    .write = chan_write,
    .packet = on_packet,
};

void kt_sidestub_init(void)
{
    struct ss_link_config cfg = {
        .ops = &ops,
        .rxbuf = rxbuf,
        .rxcap = sizeof rxbuf,
        .txbuf = txbuf,
        .txcap = sizeof txbuf,
        .nbuf = nbuf,
        .ncap = sizeof nbuf,
        /* Two seconds without '+': send again.  Half a second was too short
         * once events flow at tens of thousands a second: a host busy
         * decoding them acks late, takes the copy for the answer to its
         * next request (tests/kernel/smp.test.mjs got 'OK101' for 'OK'). */
        .timeout = 2 * kt_os_timebase_hz(),
        .max_retries = 5,
    };
    kt_lock_init(&ss_lock, "side-stub");
    ss_link_init(&link, &cfg);
    bpf_set_printk_hook(on_printk);
    running = true; /* the OS hands the channel's bytes to kt_sidestub_input from now on */
    kt_printf("[kernel] side-stub: listening on the debug channel\n");
}

void kt_sidestub_wait(void)
{
    if (!running || !sidestub_wait_ms)
        return;
    kt_printf("[kernel] side-stub: waiting up to %lu ms for the debugger's probes\n",
              (uint64_t)sidestub_wait_ms);
    uint64_t deadline = kt_os_jiffies() + sidestub_wait_ms * kt_os_tick_hz() / 1000;
    while (!go && kt_os_jiffies() < deadline)
        kt_os_wait_interrupt();
}

static KT_HOT void drain(int max);
static void tick_locked(void);

/* Before the machine powers off: the events still in the ring go out (a
 * tick again while some are left, the channel being full). */
void kt_sidestub_flush(void)
{
    if (!running)
        return;
    kt_lock_acquire(&ss_lock);
    for (int i = 0; i < EV_RING && ring_head != ring_tail(); i++)
        tick_locked();
    kt_lock_release(&ss_lock);
}

KT_HOT void kt_sidestub_poll(void)
{
    uint32_t head = __atomic_load_n(&ring_head, __ATOMIC_RELAXED);
    if (!running || head == ring_tail())
        return; /* the common case: nothing, no cost */
    if (((ring_tail() - head) & SLOT_MASK) < POLL_BATCH &&
        now() - last_send < kt_os_timebase_hz() / (1000000 / POLL_US))
        return; /* a batch is filling: the next return sends it */
    /* Another hart sending, or the timer: it takes these events too. */
    if (!kt_lock_try_acquire(&ss_lock))
        return;
    last_send = now();
    drain(EV_DRAIN);
    kt_lock_release(&ss_lock);
}

void kt_sidestub_tick(void)
{
    if (!running || !kt_lock_try_acquire(&ss_lock))
        return; /* busy with a request or sending: the next tick */
    tick_locked();
    kt_lock_release(&ss_lock);
}

/* Retransmits, a reply that waited, and the events queued.  ss_lock held. */
static void tick_locked(void)
{
    last_send = now();
    ss_link_poll(&link, now());
    send_pending();
    drain(EV_DRAIN);
}

/* What a send may fill of the channel now: its room less what a reply
 * needs.  While a reply waits for its '+', events leave room for it to be
 * sent again (with every hart flooding the ring they filled the channel at
 * each tick, and a reply, which does not wait for room, was dropped at each
 * of its five tries); otherwise one buffer stays free for the next reply.
 * Room is counted whole buffers (SEND_SLACK): a send of n bytes never takes
 * the buffers kept, however the channel cuts it. */
static size_t send_room(void)
{
    size_t room = kt_os_chan_room();
    size_t reply = link.txlen || npending ? sizeof txbuf : 0;
    size_t keep = SEND_SLACK + (reply + SEND_SLACK - 1) / SEND_SLACK * SEND_SLACK;
    return room > keep ? room - keep : 0;
}

/* The longest frame of an event: every byte of its longest payload escaped. */
#define EVENT_FRAME_MAX SS_FRAME_MAX(sizeof "vTE:" + 8 + 16 + 16 + 8 + 8 + 5 + SS_COMM_MAX + 2 + \
                                     SS_EVENT_DATA_MAX)

/* Send up to max queued events, in sequence order.  ss_lock held.  At -O2
 * (KT_HOT): it runs for every event. */
static KT_HOT void drain(int max)
{
    /* Frames go out in batches that fill the channel's free buffers: one
     * notification of the device per batch, not per event.  The channel's
     * room is asked again before each batch: the device usually empties its
     * buffers within the notification (QEMU writes them to its socket at
     * once), so a drain goes on as long as the host reads.  Only whole
     * frames that fit the channel now are taken from the ring: when the host
     * does not read, events wait in the ring (and the ring's overflow is
     * counted), never cut in the middle of a frame. */
    static uint8_t batch[16384] __attribute__((aligned(8)));
    int taken = 0;
    uint64_t start = now();
    while (taken < max && ring_head != ring_tail()) {
        size_t batched = 0, room = send_room();
        if (room > sizeof batch)
            room = sizeof batch;
        while (taken < max && ring_head != ring_tail()) {
            struct event *e = &ring[ring_head % EV_RING];
            if (__atomic_load_n(&e->ready, __ATOMIC_ACQUIRE) != ring_head + 1)
                break; /* its producer is still filling it: the next time */
            struct ss_event ev = {
                .probe = e->probe,
                .seq = e->seq,
                .time = e->time,
                .hart = e->hart,
                .pid = e->pid,
                .type = e->type,
                .data = e->data,
                .len = e->len,
            };
            copy_bytes(ev.comm, e->comm, sizeof ev.comm);
            /* Framed in place: 0 when it does not fit in what is left
             * (an event always fits in EVENT_FRAME_MAX). */
            size_t n = ss_event_frame(&ev, scratch, sizeof scratch, batch + batched, room - batched);
            if (!n && room - batched < EVENT_FRAME_MAX)
                break; /* the batch (or the channel) is full */
            __atomic_store_n(&e->ready, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&ring_head, (ring_head + 1) & SLOT_MASK, __ATOMIC_RELEASE); /* free */
            if (n) {
                sent++;
                batched += n;
            } else {
                __atomic_fetch_add(&dropped, 1, __ATOMIC_RELAXED); /* cannot be framed: never */
            }
            taken++;
        }
        if (!batched)
            break; /* the channel is full, or the next event is not ready: later */
        kt_os_chan_send(batch, batched);
    }
    if (taken)
        send_ticks += now() - start;
}
