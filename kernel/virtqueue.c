/*
 * Split virtqueues, driver side (virtio 1.2, 2.7).  See virtqueue.h.
 *
 * Memory ordering: the device runs concurrently with us (on QEMU, another
 * thread reading guest RAM), so the spec's barriers are full fences here
 * (__sync_synchronize() is RISC-V "fence rw,rw", which also orders these RAM
 * accesses against the later MMIO notify store).
 */
#include "virtqueue.h"
#include "printf.h"

#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((size_t)(a)-1))

static size_t used_offset(uint16_t num, size_t used_align)
{
    /* 2.7.2: descriptor table, then the available ring (flags, idx,
     * ring[num], used_event), then the used ring on the next used_align
     * boundary.  The same layout also meets the modern alignment
     * requirements of 2.7.1 (16, 2 and 4 bytes). */
    size_t avail_end = sizeof(struct vring_desc) * num + sizeof(uint16_t) * (3 + num);
    return ALIGN_UP(avail_end, used_align);
}

size_t vq_ring_size(uint16_t num, size_t used_align)
{
    /* used ring: flags, idx, ring[num], avail_event */
    return used_offset(num, used_align) + sizeof(uint16_t) * 3 +
           sizeof(struct vring_used_elem) * num;
}

void vq_init(struct virtqueue *vq, uint16_t index, uint16_t num, void *mem, size_t used_align)
{
    if (num == 0 || (num & (num - 1)))
        panic("vq_init: queue size %u is not a power of 2", num);
    uint8_t *base = mem;
    vq->index = index;
    vq->num = num;
    vq->desc = (volatile struct vring_desc *)base;
    vq->avail = (volatile struct vring_avail *)(base + sizeof(struct vring_desc) * num);
    vq->used = (volatile struct vring_used *)(base + used_offset(num, used_align));
    vq->avail_idx = 0;
    vq->last_used = 0;
    for (uint16_t i = 0; i < num; i++)
        vq->desc[i].next = (uint16_t)(i + 1);
    vq->free_head = 0;
    vq->nfree = num;
}

int vq_alloc(struct virtqueue *vq)
{
    if (vq->nfree == 0)
        return -1;
    uint16_t id = vq->free_head;
    vq->free_head = vq->desc[id].next;
    vq->nfree--;
    return id;
}

void vq_free(struct virtqueue *vq, uint16_t id)
{
    vq->desc[id].next = vq->free_head;
    vq->free_head = id;
    vq->nfree++;
}

void vq_submit(struct virtqueue *vq, uint16_t id, uint64_t addr, uint32_t len, uint16_t flags)
{
    vq->desc[id].addr = addr;
    vq->desc[id].len = len;
    vq->desc[id].flags = flags;
    /* 2.7.13.2: the head goes in the next free available-ring slot. */
    vq->avail->ring[vq->avail_idx & (vq->num - 1)] = id;
    /* 2.7.13.3.1: the device must see the descriptor and the ring entry
     * before it sees the new idx. */
    __sync_synchronize();
    vq->avail_idx++;
    vq->avail->idx = vq->avail_idx;
}

bool vq_should_notify(struct virtqueue *vq)
{
    /* 2.7.13.4 / 2.7.10: the idx store must be visible before we read the
     * device's suppression flag, or a notification could be lost. */
    __sync_synchronize();
    return !(vq->used->flags & VRING_USED_F_NO_NOTIFY);
}

bool vq_pop_used(struct virtqueue *vq, uint16_t *id, uint32_t *len)
{
    for (;;) {
        if (vq->last_used == vq->used->idx)
            return false;
        /* 2.7.14: read the entry only after seeing the idx that covers it. */
        __sync_synchronize();
        volatile struct vring_used_elem *e = &vq->used->ring[vq->last_used & (vq->num - 1)];
        uint32_t got = e->id;
        uint32_t n = e->len;
        vq->last_used++;
        if (got < vq->num) {
            *id = (uint16_t)got;
            *len = n;
            return true;
        }
    }
}
