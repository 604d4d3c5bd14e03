/*
 * The debug channel: a virtio console (virtio 1.2, 5.3 "Console Device") on
 * a virtio-mmio slot (4.2), legacy (version 1) or modern (version 2).
 *
 * We negotiate no console feature, in particular not MULTIPORT, so the
 * device is a single port with two queues (5.3.2): queue 0 receives
 * (host -> kernel), queue 1 transmits (kernel -> host).
 *
 * Buffers: every descriptor owns a fixed BUF_SIZE slice of one page per
 * queue, so descriptor id == buffer index and nothing is allocated after
 * init.  All receive descriptors stay posted; a transmit copies the bytes
 * into free transmit slices.  QEMU's virtconsole consumes transmits as soon
 * as it is notified (and discards them when no client is connected), so
 * the transmit ring only fills if the host stalls; then dbgchan_send polls
 * the used ring for a bounded time and drops what still does not fit.
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
#include <osdbg/memlayout.h>

/* Console feature bits (5.3.3): we accept none of them. */
#define VIRTIO_CONSOLE_F_SIZE        0
#define VIRTIO_CONSOLE_F_MULTIPORT   1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

#define RXQ        0
#define TXQ        1
#define QUEUE_SIZE 16                    /* entries per queue (device max may be larger) */
#define BUF_SIZE   (PGSIZE / QUEUE_SIZE) /* one page of buffers per queue */
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

static uint8_t ring_mem[2][RING_BYTES] __attribute__((aligned(PGSIZE)));

static struct {
    bool present;
    bool legacy;
    int slot;
    int irq;
    uint64_t base;
    struct virtqueue vq[2];
    uint8_t *buf[2]; /* one page per queue: BUF_SIZE bytes per descriptor */
    struct spinlock rx_lock;
    struct spinlock tx_lock;
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
    return 0;
}

/* Post receive descriptor id (device-writable, 5.3.6.1). */
static void rx_post(uint16_t id)
{
    struct virtqueue *vq = &con.vq[RXQ];
    vq_submit(vq, id, (uint64_t)(con.buf[RXQ] + (size_t)id * BUF_SIZE), BUF_SIZE,
              VRING_DESC_F_WRITE);
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

    /* 4. Feature negotiation (2.2).  No console feature: MULTIPORT would
     * add control queues and ports, SIZE and EMERG_WRITE are unused.  No
     * ring feature either (INDIRECT_DESC, EVENT_IDX).  Modern devices need
     * VERSION_1 (6); the legacy interface has no feature word 1. */
    reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t offered = reg_read(VIRTIO_MMIO_DEVICE_FEATURES);
    if (!con.legacy) {
        reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        offered |= (uint64_t)reg_read(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    }
    uint64_t wanted = con.legacy ? 0 : 1ULL << VIRTIO_F_VERSION_1;
    if ((offered & wanted) != wanted) {
        *why = "device does not offer VIRTIO_F_VERSION_1";
        goto fail;
    }
    uint64_t accepted = offered & wanted;
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

    /* 7. Device-specific setup: the two queues and their buffers. */
    for (int q = 0; q < 2; q++) {
        if (setup_queue(q) < 0) {
            *why = "queue unavailable";
            goto fail;
        }
    }
    /* 5.3.5: fill the receive queue before the device may need it. */
    for (uint16_t i = 0; i < con.vq[RXQ].num; i++) {
        int id = vq_alloc(&con.vq[RXQ]);
        rx_post((uint16_t)id);
    }

    /* Enable the PLIC source before the device can interrupt: QEMU's PLIC
     * may not re-evaluate a level already pending when only its enable bit
     * changes, and such an interrupt would then never arrive. */
    plic_enable(con.irq);
    set_status(VIRTIO_STATUS_DRIVER_OK); /* 8. */
    /* Only now may the device be notified (3.1.1). */
    notify(&con.vq[RXQ]);
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
    if (!con.buf[RXQ])
        con.buf[RXQ] = kalloc();
    if (!con.buf[TXQ])
        con.buf[TXQ] = kalloc();
    if (!con.buf[RXQ] || !con.buf[TXQ]) {
        *why = "out of memory";
        return -1;
    }
    return device_init(why);
}

int virtio_console_init(void)
{
    spin_init(&con.rx_lock, "dbgchan rx");
    spin_init(&con.tx_lock, "dbgchan tx");
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
        printf("[kernel] debug channel: virtio console at slot %d (%s)\n", slot,
               con.legacy ? "legacy" : "modern");
        return 0;
    }
    if (con.buf[RXQ])
        kfree(con.buf[RXQ]);
    if (con.buf[TXQ])
        kfree(con.buf[TXQ]);
    con.buf[RXQ] = con.buf[TXQ] = 0;
    printf("[kernel] debug channel: none\n");
    return -1;
}

bool dbgchan_present(void)
{
    return con.present;
}

/* Return finished transmit descriptors to the free list.  tx_lock held. */
static void tx_reclaim(void)
{
    uint16_t id;
    uint32_t len;
    while (vq_pop_used(&con.vq[TXQ], &id, &len))
        vq_free(&con.vq[TXQ], id);
}

/* A free transmit descriptor, waiting a bounded time for the device if the
 * ring is full; -1 if none came free.  tx_lock held.  *unnotified says
 * whether buffers were submitted without a notification yet. */
static int tx_alloc(bool *unnotified)
{
    struct virtqueue *vq = &con.vq[TXQ];
    int id = vq_alloc(vq);
    if (id >= 0)
        return id;
    tx_reclaim();
    if ((id = vq_alloc(vq)) >= 0)
        return id;
    if (*unnotified) {
        notify(vq);
        *unnotified = false;
    }
    for (int n = 0; n < TX_POLL_LIMIT; n++) {
        tx_reclaim();
        if ((id = vq_alloc(vq)) >= 0)
            return id;
    }
    return -1;
}

size_t dbgchan_send(const void *data, size_t len)
{
    if (!con.present || len == 0)
        return 0;
    const uint8_t *p = data;
    size_t done = 0;
    bool unnotified = false;
    acquire(&con.tx_lock);
    while (done < len) {
        int id = tx_alloc(&unnotified);
        if (id < 0)
            break;
        size_t n = len - done < BUF_SIZE ? len - done : BUF_SIZE;
        uint8_t *slice = con.buf[TXQ] + (size_t)id * BUF_SIZE;
        memcpy(slice, p + done, n);
        vq_submit(&con.vq[TXQ], (uint16_t)id, (uint64_t)slice, (uint32_t)n, 0);
        unnotified = true;
        done += n;
    }
    if (unnotified)
        notify(&con.vq[TXQ]);
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
    tx_reclaim();
    size_t room = (size_t)con.vq[TXQ].nfree * BUF_SIZE;
    release(&con.tx_lock);
    return room;
}

uint64_t dbgchan_dropped(void)
{
    return con.tx_dropped;
}

/* Deliver every filled receive buffer and post it again (5.3.6). */
static void rx_drain(void)
{
    struct virtqueue *vq = &con.vq[RXQ];
    uint16_t id;
    uint32_t len;
    bool reposted = false;
    if (!con.receiver_set)
        return;
    acquire(&con.rx_lock);
    while (vq_pop_used(vq, &id, &len)) {
        if (len > BUF_SIZE)
            len = BUF_SIZE;
        con.rx_bytes += len;
        dbgchan_receiver fn = con.receiver;
        if (fn && len)
            fn(con.buf[RXQ] + (size_t)id * BUF_SIZE, len);
        rx_post(id);
        reposted = true;
    }
    if (reposted)
        notify(vq);
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
    rx_drain();
    acquire(&con.tx_lock);
    tx_reclaim();
    release(&con.tx_lock);
}
