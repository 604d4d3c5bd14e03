/*
 * The debug channel: a virtio console (virtio 1.2, 5.3 "Console Device") on
 * a virtio-mmio slot (4.2), legacy (version 1) or modern (version 2).
 *
 * Ports (5.3.2, 5.3.6.2).  The channel is one of two ports:
 *   - port 1, a generic serial port (QEMU: -device virtserialport,nr=1),
 *     reached through the MULTIPORT feature and its control queues.  The
 *     host throttles it: when the host does not read, QEMU stops taking
 *     transmit buffers instead of dropping bytes, so the channel itself
 *     never loses data and the side-stub's events wait in its ring, where
 *     an overflow is counted.  This is the channel osdbg starts.
 *   - port 0, the console port (QEMU: -device virtconsole), the only port a
 *     driver without MULTIPORT sees.  QEMU discards what a console cannot
 *     write to a full host socket (its console mode), so bytes can be lost
 *     on the way; the host then sees gaps in the event sequence numbers.
 * Port 1 is used when the device announces it, port 0 otherwise.
 *
 * Queues (5.3.2): 0/1 receive/transmit for port 0, 2/3 the control
 * receive/transmit queues, 4/5 receive/transmit for port 1.
 *
 * Buffers: every descriptor owns a fixed BUF_SIZE slice of one page per
 * queue (a TX_BUF_SIZE slice of a static array for the ports' transmit
 * queues), so descriptor id == buffer index and nothing is allocated after
 * init.  All receive descriptors stay posted; a transmit copies the bytes
 * into free transmit slices.  The transmit ring fills when the host stalls
 * (port 1); then dbgchan_send polls the used ring for a bounded time and
 * drops what still does not fit, and dbgchan_room tells callers that can
 * wait how much fits now.
 *
 * Until a receiver is installed, received buffers are left in the used ring
 * (at most QUEUE_SIZE * BUF_SIZE bytes; then QEMU stops reading the socket),
 * so bytes the host sends while the kernel boots are not lost.
 *
 * Locks: rx_lock covers queue 0 and the receiver call, tx_lock covers queue
 * 1.  The receiver runs with rx_lock held and may call dbgchan_send (echo),
 * so the order is always rx_lock, then tx_lock.
 */
#include "virtio_console.h"
#include "kalloc.h"
#include "kstring.h"
#include "plic.h"
#include "printf.h"
#include "spinlock.h"
#include "virtio_mmio.h"
#include "virtqueue.h"
#include <osdbg/dbgchan.h>
#include <osdbg/memlayout.h>

/* Console feature bits (5.3.3).  We accept MULTIPORT only. */
#define VIRTIO_CONSOLE_F_SIZE        0
#define VIRTIO_CONSOLE_F_MULTIPORT   1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* 5.3.4 "Device configuration layout": max_nr_ports follows cols, rows. */
#define CONFIG_MAX_NR_PORTS 4

/* 5.3.6.2 "Multiport Device Operation": control messages. */
struct console_control {
    uint32_t id; /* port number */
    uint16_t event;
    uint16_t value;
};
#define VIRTIO_CONSOLE_DEVICE_READY  0
#define VIRTIO_CONSOLE_DEVICE_ADD    1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY    3
#define VIRTIO_CONSOLE_CONSOLE_PORT  4
#define VIRTIO_CONSOLE_RESIZE        5
#define VIRTIO_CONSOLE_PORT_OPEN     6
#define VIRTIO_CONSOLE_PORT_NAME     7

#define NPORTS    (DBGCHAN_SERIAL_PORT + 1) /* ports we drive: 0 (console) to the serial port */
#define CTRL_RXQ  2
#define CTRL_TXQ  3
#define NQUEUES   (2 * NPORTS + 2)
#define RXQ(port) ((port) == 0 ? 0 : 2 * (port) + 2)
#define TXQ(port) (RXQ(port) + 1)

#define QUEUE_SIZE 16                    /* entries per queue (device max may be larger) */
#define BUF_SIZE   (PGSIZE / QUEUE_SIZE) /* one page of buffers per queue */
/* The ports' transmit queues have bigger buffers (issue 21): QEMU writes
 * each buffer to its socket with one write, so 256-byte buffers cost the
 * host a system call per side-stub event; 4 KiB ones carry a dozen.
 * ktrace/src/sidestub_server.c's SEND_SLACK must stay a multiple. */
#define TX_BUF_SIZE 4096
/* The legacy interface wants the used ring on a QueueAlign boundary and
 * the whole ring physically contiguous (4.2.4); Linux and the spec's
 * "usually page size" pick 4096, so a ring spans two pages.  kalloc() gives
 * single pages, so the rings live in page-aligned .bss (VA == PA). */
#define RING_ALIGN PGSIZE
#define RING_BYTES (2 * PGSIZE)
/* How many used-ring polls a full transmit ring waits before dropping. */
#define TX_POLL_LIMIT 1000000
/* Bound on waiting for a modern device to finish a reset (2.4.1). */
#define RESET_POLL_LIMIT 1000000

static uint8_t ring_mem[NQUEUES][RING_BYTES] __attribute__((aligned(PGSIZE)));
/* Transmit buffers of each port's data queue (TXQ), in .bss (VA == PA). */
static uint8_t tx_mem[NPORTS][QUEUE_SIZE * TX_BUF_SIZE] __attribute__((aligned(PGSIZE)));

static struct {
    bool present;
    bool legacy;
    bool multiport;
    int slot;
    int irq;
    uint64_t base;
    struct virtqueue vq[NQUEUES];
    bool vq_ready[NQUEUES];
    uint8_t *buf[NQUEUES]; /* one page per queue: BUF_SIZE bytes per descriptor */
    /* Ports the device announced (DEVICE_ADD), and their host ends. */
    bool added[NPORTS];
    bool host_open[NPORTS];
    char name[NPORTS][32];
    struct spinlock rx_lock;
    struct spinlock tx_lock;
    struct spinlock ctrl_lock;
    volatile dbgchan_receiver receiver;
    volatile bool receiver_set; /* until then received buffers are held */
    uint64_t rx_bytes;
    uint64_t tx_bytes;
    uint64_t tx_dropped;
} con;

static uint32_t reg_read(uint32_t reg)
{
    return virtio_mmio_read(con.base, reg);
}

static void reg_write(uint32_t reg, uint32_t val)
{
    virtio_mmio_write(con.base, reg, val);
}

static void set_status(uint32_t bits)
{
    reg_write(VIRTIO_MMIO_STATUS, reg_read(VIRTIO_MMIO_STATUS) | bits);
}

static void notify(struct virtqueue *vq)
{
    /* 4.2.3.3: the queue index goes to QueueNotify (no NOTIFICATION_DATA). */
    if (vq_should_notify(vq))
        reg_write(VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
}

/* The port that carries the channel: the serial port if the device has
 * one, else the console port. */
static int data_port(void)
{
    return con.multiport && con.added[DBGCHAN_SERIAL_PORT] ? DBGCHAN_SERIAL_PORT : 0;
}

static bool is_receive_queue(int q);

/* 4.2.3.2 (modern) and 4.2.4 (legacy): "Virtqueue Configuration". */
static int setup_queue(int q)
{
    reg_write(VIRTIO_MMIO_QUEUE_SEL, (uint32_t)q);
    uint32_t in_use =
        con.legacy ? reg_read(VIRTIO_MMIO_QUEUE_PFN) : reg_read(VIRTIO_MMIO_QUEUE_READY);
    if (in_use)
        return -1;
    uint32_t max = reg_read(VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max == 0)
        return -1;
    /* The largest power of 2 within both limits (split rings are 2^n). */
    uint16_t num = QUEUE_SIZE;
    while (num > max)
        num /= 2;

    void *mem = ring_mem[q];
    memset(mem, 0, RING_BYTES);
    if (vq_ring_size(num, RING_ALIGN) > RING_BYTES)
        panic("virtio console: ring does not fit");
    vq_init(&con.vq[q], (uint16_t)q, num, mem, RING_ALIGN);
    reg_write(VIRTIO_MMIO_QUEUE_NUM, num);

    struct virtqueue *vq = &con.vq[q];
    if (con.legacy) {
        reg_write(VIRTIO_MMIO_QUEUE_ALIGN, RING_ALIGN);
        reg_write(VIRTIO_MMIO_QUEUE_PFN, (uint32_t)((uint64_t)mem >> PGSHIFT));
    } else {
        uint64_t desc = (uint64_t)vq->desc, avail = (uint64_t)vq->avail;
        uint64_t used = (uint64_t)vq->used;
        reg_write(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
        reg_write(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
        reg_write(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
        reg_write(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
        reg_write(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
        reg_write(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
        reg_write(VIRTIO_MMIO_QUEUE_READY, 1);
    }
    /* 2.7.7 "Used Buffer Notification Suppression": no interrupt when the
     * device has sent a transmit buffer.  The driver takes sent buffers back
     * when it needs them (tx_alloc, dbgchan_room); an interrupt per batch
     * the side-stub sends cost a trap and six register accesses, each a
     * trip into QEMU, on some hart (issue 21). */
    if (!is_receive_queue(q))
        vq->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
    con.vq_ready[q] = true;
    return 0;
}

/* Queues 0, 2, 4, ... are the device's to write (5.3.2). */
static bool is_receive_queue(int q)
{
    return q % 2 == 0;
}

/* Post receive descriptor id of queue q (device-writable, 5.3.6.1). */
static void rx_post(int q, uint16_t id)
{
    vq_submit(&con.vq[q], id, (uint64_t)(con.buf[q] + (size_t)id * BUF_SIZE), BUF_SIZE,
              VRING_DESC_F_WRITE);
}

/* Post every descriptor of receive queue q. */
static void rx_fill(int q)
{
    int id;
    while ((id = vq_alloc(&con.vq[q])) >= 0)
        rx_post(q, (uint16_t)id);
}

/* Return finished transmit descriptors of queue q to the free list. */
static void tx_reclaim(int q)
{
    uint16_t id;
    uint32_t len;
    while (vq_pop_used(&con.vq[q], &id, &len))
        vq_free(&con.vq[q], id);
}

/* ---- control queues (multiport only); ctrl_lock held ---------------------- */

static void ctrl_send(uint32_t port, uint16_t event, uint16_t value)
{
    struct virtqueue *vq = &con.vq[CTRL_TXQ];
    int id = vq_alloc(vq);
    for (int n = 0; id < 0 && n < TX_POLL_LIMIT; n++) {
        tx_reclaim(CTRL_TXQ);
        id = vq_alloc(vq);
    }
    if (id < 0)
        return; /* the device stopped taking control messages */
    struct console_control msg = {.id = port, .event = event, .value = value};
    uint8_t *slice = con.buf[CTRL_TXQ] + (size_t)id * BUF_SIZE;
    memcpy(slice, &msg, sizeof msg);
    vq_submit(vq, (uint16_t)id, (uint64_t)slice, sizeof msg, 0);
    notify(vq);
}

/* One message from the device (5.3.6.2, "Device Operation: Multiport
 * Device Operation"). */
static void ctrl_handle(const uint8_t *data, uint32_t len)
{
    struct console_control msg;
    if (len < sizeof msg)
        return;
    memcpy(&msg, data, sizeof msg);
    bool ours = msg.id < NPORTS;
    switch (msg.event) {
    case VIRTIO_CONSOLE_DEVICE_ADD:
        /* "The driver ... MUST send a VIRTIO_CONSOLE_PORT_READY message":
         * value 1 for a port we drive, 0 for one we cannot (its queues are
         * not set up).  We open our ports at once, so the host may send. */
        if (ours && !con.vq_ready[RXQ(msg.id)])
            ours = false;
        if (ours)
            con.added[msg.id] = true;
        ctrl_send(msg.id, VIRTIO_CONSOLE_PORT_READY, ours);
        if (ours)
            ctrl_send(msg.id, VIRTIO_CONSOLE_PORT_OPEN, 1);
        break;
    case VIRTIO_CONSOLE_DEVICE_REMOVE:
        if (ours)
            con.added[msg.id] = con.host_open[msg.id] = false;
        break;
    case VIRTIO_CONSOLE_PORT_OPEN:
        if (ours)
            con.host_open[msg.id] = msg.value != 0;
        break;
    case VIRTIO_CONSOLE_PORT_NAME:
        if (ours) {
            uint32_t n = len - (uint32_t)sizeof msg;
            if (n >= sizeof con.name[0])
                n = sizeof con.name[0] - 1;
            memcpy(con.name[msg.id], data + sizeof msg, n);
            con.name[msg.id][n] = 0;
        }
        break;
    default: /* CONSOLE_PORT, RESIZE: nothing to do for a byte pipe */
        break;
    }
}

/* Hand every buffer the device filled in receive queue q to handle (with
 * q), post it again, and notify the device once (5.3.6).  true if there
 * was one. */
static bool rx_queue_drain(int q, void (*handle)(int q, const uint8_t *data, uint32_t len))
{
    struct virtqueue *vq = &con.vq[q];
    uint16_t id;
    uint32_t len;
    bool any = false;
    while (vq_pop_used(vq, &id, &len)) {
        if (len > BUF_SIZE)
            len = BUF_SIZE;
        handle(q, con.buf[q] + (size_t)id * BUF_SIZE, len);
        rx_post(q, id);
        any = true;
    }
    if (any)
        notify(vq);
    return any;
}

static void ctrl_message(int q, const uint8_t *data, uint32_t len)
{
    (void)q;
    ctrl_handle(data, len);
}

/* Handle every control message the device has sent; true if there was one. */
static bool ctrl_drain(void)
{
    bool any = rx_queue_drain(CTRL_RXQ, ctrl_message);
    tx_reclaim(CTRL_TXQ);
    return any;
}

/* 3.1.1 "Driver Requirements: Device Initialization", with the legacy
 * variations of 3.1.2 and 4.2.4.  Returns 0 with DRIVER_OK set, or -1 with
 * the device marked FAILED (or left reset). */
static int device_init(const char **why)
{
    reg_write(VIRTIO_MMIO_STATUS, 0); /* 1. reset */
    if (!con.legacy) {
        int n = 0;
        while (reg_read(VIRTIO_MMIO_STATUS) != 0 && n < RESET_POLL_LIMIT)
            n++;
        if (n == RESET_POLL_LIMIT) {
            *why = "reset did not complete";
            return -1;
        }
    }
    set_status(VIRTIO_STATUS_ACKNOWLEDGE); /* 2. */
    set_status(VIRTIO_STATUS_DRIVER);      /* 3. */

    /* 4. Feature negotiation (2.2).  MULTIPORT if offered (the serial port
     * and its flow control); SIZE and EMERG_WRITE are unused.  No ring
     * feature (INDIRECT_DESC, EVENT_IDX).  Modern devices need VERSION_1
     * (6); the legacy interface has no feature word 1. */
    reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t offered = reg_read(VIRTIO_MMIO_DEVICE_FEATURES);
    if (!con.legacy) {
        reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        offered |= (uint64_t)reg_read(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    }
    uint64_t required = con.legacy ? 0 : 1ULL << VIRTIO_F_VERSION_1;
    if ((offered & required) != required) {
        *why = "device does not offer VIRTIO_F_VERSION_1";
        goto fail;
    }
    uint64_t accepted = required | (offered & (1ULL << VIRTIO_CONSOLE_F_MULTIPORT));
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accepted);
    if (!con.legacy) {
        reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        reg_write(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accepted >> 32));
        /* 5-6. FEATURES_OK, and check the device kept it. */
        set_status(VIRTIO_STATUS_FEATURES_OK);
        if (!(reg_read(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
            *why = "device refused the features";
            goto fail;
        }
    } else {
        /* 4.2.4: legacy devices compute ring addresses from QueuePFN. */
        reg_write(VIRTIO_MMIO_GUEST_PAGE_SIZE, PGSIZE);
    }
    con.multiport = accepted & (1ULL << VIRTIO_CONSOLE_F_MULTIPORT);

    /* 7. Device-specific setup: port 0's queues always; with MULTIPORT
     * the control queues, and port 1's if the device has that many ports. */
    for (int q = 0; q < 2; q++) {
        if (setup_queue(q) < 0) {
            *why = "queue unavailable";
            goto fail;
        }
    }
    if (con.multiport) {
        /* The config field is little-endian (modern) or native (legacy,
         * also little-endian on RISC-V). */
        uint32_t max_ports = reg_read(VIRTIO_MMIO_CONFIG + CONFIG_MAX_NR_PORTS);
        if (setup_queue(CTRL_RXQ) < 0 || setup_queue(CTRL_TXQ) < 0) {
            *why = "control queues unavailable";
            goto fail;
        }
        for (int port = 1; port < NPORTS && port < (int)max_ports; port++) {
            if (setup_queue(RXQ(port)) < 0 || setup_queue(TXQ(port)) < 0) {
                *why = "a port's queues are unavailable";
                goto fail;
            }
        }
    }
    /* 5.3.5: fill the receive queues before the device may need them. */
    for (int q = 0; q < NQUEUES; q++)
        if (con.vq_ready[q] && is_receive_queue(q))
            rx_fill(q);

    /* Enable the PLIC source before the device can interrupt: QEMU's PLIC
     * may not re-evaluate a level already pending when only its enable bit
     * changes, and such an interrupt would then never arrive. */
    plic_enable(con.irq);
    set_status(VIRTIO_STATUS_DRIVER_OK); /* 8. */
    /* Only now may the device be notified (3.1.1). */
    for (int q = 0; q < NQUEUES; q++)
        if (con.vq_ready[q] && is_receive_queue(q))
            notify(&con.vq[q]);
    if (con.multiport) {
        /* 5.3.6.2: "the driver MUST send a VIRTIO_CONSOLE_DEVICE_READY",
         * then the device announces its ports.  QEMU answers within the
         * notification, so the ports are known before init returns; a
         * device that answers later is handled by the interrupt. */
        acquire(&con.ctrl_lock);
        ctrl_send(0, VIRTIO_CONSOLE_DEVICE_READY, 1);
        for (int n = 0; n < 1000; n++)
            if (!ctrl_drain() && n > 10)
                break;
        release(&con.ctrl_lock);
    }
    return 0;

fail:
    set_status(VIRTIO_STATUS_FAILED);
    return -1;
}

/* Try the device in slot; returns 0 if it is now the debug channel. */
static int probe_slot(int slot, const char **why)
{
    con.base = VIRTIO_MMIO_BASE + (uint64_t)slot * VIRTIO_MMIO_STRIDE;
    con.slot = slot;
    con.irq = VIRTIO_MMIO_IRQ(slot);
    con.legacy = reg_read(VIRTIO_MMIO_VERSION) == 1;
    memset(con.vq_ready, 0, sizeof con.vq_ready);
    memset(con.added, 0, sizeof con.added);
    for (int q = 0; q < NQUEUES; q++) {
        if (!con.buf[q])
            con.buf[q] = kalloc();
        if (!con.buf[q]) {
            *why = "out of memory";
            return -1;
        }
    }
    return device_init(why);
}

int virtio_console_init(void)
{
    spin_init(&con.rx_lock, "dbgchan rx");
    spin_init(&con.tx_lock, "dbgchan tx");
    spin_init(&con.ctrl_lock, "dbgchan ctrl");
    for (int slot = 0; slot < VIRTIO_MMIO_SLOTS; slot++) {
        uint64_t base = VIRTIO_MMIO_BASE + (uint64_t)slot * VIRTIO_MMIO_STRIDE;
        if (virtio_mmio_read(base, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC)
            continue;
        uint32_t version = virtio_mmio_read(base, VIRTIO_MMIO_VERSION);
        if (virtio_mmio_read(base, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_CONSOLE)
            continue;
        if (version != 1 && version != 2) {
            printf("[kernel] debug channel: slot %d: unknown virtio-mmio version %u\n", slot,
                   version);
            continue;
        }
        const char *why = "";
        if (probe_slot(slot, &why) < 0) {
            printf("[kernel] debug channel: slot %d: %s\n", slot, why);
            continue;
        }
        con.present = true;
        /* Acknowledge what the device raised during setup. */
        virtio_console_intr(con.irq);
        int port = data_port();
        printf("[kernel] debug channel: virtio console at slot %d (%s), port %d%s%s%s\n", slot,
               con.legacy ? "legacy" : "modern", port,
               port ? " (serial port, flow-controlled)" : " (console)",
               con.name[port][0] ? " " : "", con.name[port]);
        return 0;
    }
    for (int q = 0; q < NQUEUES; q++) {
        if (con.buf[q])
            kfree(con.buf[q]);
        con.buf[q] = 0;
    }
    printf("[kernel] debug channel: none\n");
    return -1;
}

bool dbgchan_present(void)
{
    return con.present;
}

/* A free transmit descriptor of queue q, waiting a bounded time for the
 * device if the ring is full; -1 if none came free.  tx_lock held.
 * *unnotified says whether buffers were submitted without a notification
 * yet. */
static int tx_alloc(int q, bool *unnotified)
{
    struct virtqueue *vq = &con.vq[q];
    int id = vq_alloc(vq);
    if (id >= 0)
        return id;
    tx_reclaim(q);
    if ((id = vq_alloc(vq)) >= 0)
        return id;
    if (*unnotified) {
        notify(vq);
        *unnotified = false;
    }
    for (int n = 0; n < TX_POLL_LIMIT; n++) {
        tx_reclaim(q);
        if ((id = vq_alloc(vq)) >= 0)
            return id;
    }
    return -1;
}

/* Copies into a transmit buffer a word at a time (both are 8-aligned for
 * the side-stub's batches), at -O2 whatever the kernel's OPT: every byte the
 * channel sends passes here, and the kernel's memcpy is a byte loop (issue
 * 21). */
static __attribute__((optimize("O2", "no-tree-loop-distribute-patterns"))) void
copy_to_slice(uint8_t *d, const uint8_t *s, size_t n)
{
    if ((((uint64_t)d | (uint64_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(uint64_t *)d = *(const uint64_t *)s;
    }
    while (n--)
        *d++ = *s++;
}

size_t dbgchan_send(const void *data, size_t len)
{
    if (!con.present || len == 0)
        return 0;
    const uint8_t *p = data;
    size_t done = 0;
    bool unnotified = false;
    acquire(&con.tx_lock);
    int port = data_port(), q = TXQ(port);
    while (done < len) {
        int id = tx_alloc(q, &unnotified);
        if (id < 0)
            break;
        size_t n = len - done < TX_BUF_SIZE ? len - done : TX_BUF_SIZE;
        uint8_t *slice = tx_mem[port] + (size_t)id * TX_BUF_SIZE;
        copy_to_slice(slice, p + done, n);
        vq_submit(&con.vq[q], (uint16_t)id, (uint64_t)slice, (uint32_t)n, 0);
        unnotified = true;
        done += n;
    }
    if (unnotified)
        notify(&con.vq[q]);
    con.tx_bytes += done;
    con.tx_dropped += len - done;
    release(&con.tx_lock);
    return done;
}

size_t dbgchan_room(void)
{
    if (!con.present)
        return 0;
    acquire(&con.tx_lock);
    int q = TXQ(data_port());
    tx_reclaim(q);
    size_t room = (size_t)con.vq[q].nfree * TX_BUF_SIZE;
    release(&con.tx_lock);
    return room;
}

uint64_t dbgchan_dropped(void)
{
    return con.tx_dropped;
}

/* Deliver every filled receive buffer of the channel's port and post it
 * again (5.3.6); bytes on the other port are dropped. */
/* Bytes from the host on a port: the channel's go to the receiver, the
 * other port's are dropped.  rx_lock held. */
static void port_bytes(int q, const uint8_t *data, uint32_t len)
{
    dbgchan_receiver fn = con.receiver;
    if (q != RXQ(data_port()))
        return;
    con.rx_bytes += len;
    if (fn && len)
        fn(data, len);
}

static void rx_drain(void)
{
    if (!con.receiver_set)
        return;
    acquire(&con.rx_lock);
    for (int port = 0; port < NPORTS; port++)
        if (con.vq_ready[RXQ(port)])
            rx_queue_drain(RXQ(port), port_bytes);
    release(&con.rx_lock);
}

/* Not from inside a receiver (rx_lock is held there). */
void dbgchan_set_receiver(dbgchan_receiver fn)
{
    con.receiver = fn;
    con.receiver_set = true;
    /* Hand over what arrived before there was a receiver. */
    if (con.present)
        rx_drain();
}

static void echo(const uint8_t *data, size_t len)
{
    dbgchan_send(data, len);
}

void dbgchan_echo_mode(void)
{
    dbgchan_set_receiver(echo);
}

void virtio_console_intr(int irq)
{
    if (!con.present || irq != con.irq)
        return;
    /* 4.2.3.4: acknowledge first, so buffers the device uses while we drain
     * raise a fresh interrupt instead of being lost. */
    uint32_t status = reg_read(VIRTIO_MMIO_INTERRUPT_STATUS);
    reg_write(VIRTIO_MMIO_INTERRUPT_ACK, status & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG));
    if (con.multiport) {
        acquire(&con.ctrl_lock);
        ctrl_drain();
        release(&con.ctrl_lock);
    }
    rx_drain();
    acquire(&con.tx_lock);
    for (int port = 0; port < NPORTS; port++)
        if (con.vq_ready[TXQ(port)])
            tx_reclaim(TXQ(port));
    release(&con.tx_lock);
}
