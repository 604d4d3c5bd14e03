/*
 * Split virtqueues, the driver side (virtio 1.2, 2.7 "Split Virtqueues").
 *
 * A queue is three parts in guest memory: the descriptor table, the
 * available ring (driver -> device) and the used ring (device -> driver).
 * This module lays them out, keeps the free descriptor list and does the
 * ordering the spec asks for; it knows nothing of transports or devices.
 * Buffers here are always a single descriptor (no chains, no indirect
 * descriptors: those features are never negotiated).
 *
 * Not locked: the caller serialises all calls on one queue.
 */
#ifndef KERNEL_VIRTQUEUE_H
#define KERNEL_VIRTQUEUE_H

#include "types.h"

/* 2.7.5 The Virtqueue Descriptor Table */
struct vring_desc {
    uint64_t addr; /* guest-physical */
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
#define VRING_DESC_F_NEXT  1
#define VRING_DESC_F_WRITE 2 /* device writes the buffer (else reads it) */

/* 2.7.6 The Virtqueue Available Ring (used_event follows ring[num]) */
struct vring_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};
#define VRING_AVAIL_F_NO_INTERRUPT 1

/* 2.7.8 The Virtqueue Used Ring (avail_event follows ring[num]) */
struct vring_used_elem {
    uint32_t id;  /* head descriptor of the buffer */
    uint32_t len; /* bytes the device wrote into it */
};
struct vring_used {
    uint16_t flags;
    uint16_t idx;
    struct vring_used_elem ring[];
};
#define VRING_USED_F_NO_NOTIFY 1

struct virtqueue {
    uint16_t index; /* queue number on the device (QueueSel, QueueNotify) */
    uint16_t num;   /* ring size: a power of 2 */
    volatile struct vring_desc *desc;
    volatile struct vring_avail *avail;
    volatile struct vring_used *used;
    uint16_t avail_idx; /* our copy of avail->idx: free-running, mod 2^16 */
    uint16_t last_used; /* next used->ring entry to consume, free-running */
    uint16_t free_head; /* free descriptors, chained through desc[].next */
    uint16_t nfree;
};

/* Bytes of ring memory for num entries with the used ring aligned to
 * used_align (a power of 2; the legacy interface uses QueueAlign, 2.7.2). */
size_t vq_ring_size(uint16_t num, size_t used_align);
/* Lay the queue out in mem (zeroed, vq_ring_size bytes, page aligned) with
 * every descriptor free. */
void vq_init(struct virtqueue *vq, uint16_t index, uint16_t num, void *mem, size_t used_align);
/* A free descriptor's index, or -1 if all are in flight. */
int vq_alloc(struct virtqueue *vq);
void vq_free(struct virtqueue *vq, uint16_t id);
/* Make descriptor id (one buffer at guest-physical addr) available to the
 * device.  The device sees it only after the next notification check. */
void vq_submit(struct virtqueue *vq, uint16_t id, uint64_t addr, uint32_t len, uint16_t flags);
/* Whether the device wants a notification after vq_submit (2.7.10). */
bool vq_should_notify(struct virtqueue *vq);
/* The next buffer the device has finished with: true and its descriptor and
 * written length, or false if there is none.  Ids outside the ring (a broken
 * device) are skipped. */
bool vq_pop_used(struct virtqueue *vq, uint16_t *id, uint32_t *len);

#endif
