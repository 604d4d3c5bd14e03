/*
 * ringbuf.c - ring buffer records (BPF_MAP_TYPE_RINGBUF, and the ring a
 * PERF_EVENT_ARRAY owns): Linux's record format (8-byte header: length
 * with BUSY/DISCARD bits, then data, padded to 8) over a power-of-two byte
 * area.  Linux maps the area twice so records may wrap; we instead never
 * let a record wrap: when one would not fit before the end, a discarded
 * padding record fills the tail.  maps.c creates the map.
 */
#include "ebpf_int.h"

#define round8 ebpfM_round8

/* ---- ring buffer ------------------------------------------------------
 * Many producers (programs on several harts) reserve under the map's lock:
 * prod_pos moves and the BUSY header is written together.  A commit is one
 * release store of the header, so the consumer, which reads the header
 * with acquire, sees the record's bytes.  The header's second word (Linux:
 * the page offset, unused here) carries the producing VM's tag. */

static void put_hdr(uint8_t *at, uint32_t len, uint32_t tag)
{
    ((uint32_t *)at)[1] = tag;
    __atomic_store_n((uint32_t *)at, len, __ATOMIC_RELEASE);
}

void *ebpfM_ringbuf_reserve(ebpf_map *m, uint64_t size, uint32_t tag)
{
    uint64_t cap = m->def.max_entries, mask = cap - 1;
    if (m->def.type != BPF_MAP_TYPE_RINGBUF || !size || size > cap / 2)
        return NULL;
    uint64_t total = round8(size + BPF_RINGBUF_HDR_SZ);
    uint8_t *hdr = NULL;
    ebpfM_lock(&m->lock);
    uint64_t prod = m->prod_pos, cons = __atomic_load_n(&m->cons_pos, __ATOMIC_ACQUIRE);
    uint64_t tail = cap - (prod & mask); /* bytes before the end */
    uint64_t pad = total > tail ? tail : 0;
    if (prod + pad + total - cons <= cap) {
        if (pad) {
            put_hdr(m->data + (prod & mask),
                    (uint32_t)(pad - BPF_RINGBUF_HDR_SZ) | BPF_RINGBUF_DISCARD_BIT, tag);
            prod += pad;
        }
        hdr = m->data + (prod & mask);
        put_hdr(hdr, (uint32_t)size | BPF_RINGBUF_BUSY_BIT, tag);
        __atomic_store_n(&m->prod_pos, prod + total, __ATOMIC_RELEASE);
    }
    ebpfM_unlock(&m->lock);
    return hdr ? hdr + BPF_RINGBUF_HDR_SZ : NULL;
}

void ebpfM_ringbuf_commit(void *rec, bool discard)
{
    uint32_t *hdr = (uint32_t *)((uint8_t *)rec - BPF_RINGBUF_HDR_SZ);
    uint32_t len = *hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    __atomic_store_n(hdr, len | (discard ? BPF_RINGBUF_DISCARD_BIT : 0), __ATOMIC_RELEASE);
}

long ebpf_ringbuf_consume_tag(ebpf_map *m, void *buf, size_t len, uint32_t only_tag,
                              uint32_t *tag)
{
    if (m->def.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
        m = m->ring; /* its records are in the ring it owns */
    if (m->def.type != BPF_MAP_TYPE_RINGBUF)
        return -EBPF_EINVAL;
    uint64_t mask = m->def.max_entries - 1;
    long r = 0;
    ebpfM_lock(&m->cons_lock);
    uint64_t cons = m->cons_pos, prod = __atomic_load_n(&m->prod_pos, __ATOMIC_ACQUIRE);
    while (cons < prod) {
        uint8_t *hdr = m->data + (cons & mask);
        uint32_t h = __atomic_load_n((uint32_t *)hdr, __ATOMIC_ACQUIRE);
        if (h & BPF_RINGBUF_BUSY_BIT)
            break; /* oldest record not committed yet */
        uint32_t n = h & ~BPF_RINGBUF_DISCARD_BIT, t = ((uint32_t *)hdr)[1];
        if (round8((uint64_t)n + BPF_RINGBUF_HDR_SZ) > m->def.max_entries - (cons & mask)) {
            /* A header no reservation wrote (an unverified program scribbled
             * on the ring): drop everything rather than read past the end. */
            cons = prod;
            r = -EBPF_EFAULT;
            break;
        }
        if (!(h & BPF_RINGBUF_DISCARD_BIT) && only_tag && t != only_tag)
            break; /* another producer's record: for another reader */
        cons += round8(n + BPF_RINGBUF_HDR_SZ);
        if (h & BPF_RINGBUF_DISCARD_BIT)
            continue;
        ebpfA_memcpy(buf, hdr + BPF_RINGBUF_HDR_SZ, n < len ? n : len);
        if (tag)
            *tag = t;
        r = n;
        break;
    }
    __atomic_store_n(&m->cons_pos, cons, __ATOMIC_RELEASE); /* the space is free again */
    ebpfM_unlock(&m->cons_lock);
    return r;
}

long ebpf_ringbuf_consume(ebpf_map *m, void *buf, size_t len)
{
    return ebpf_ringbuf_consume_tag(m, buf, len, 0, NULL);
}

uint64_t ebpfM_ringbuf_query(ebpf_map *m, uint64_t what)
{
    uint64_t cons = __atomic_load_n(&m->cons_pos, __ATOMIC_ACQUIRE);
    uint64_t prod = __atomic_load_n(&m->prod_pos, __ATOMIC_ACQUIRE);
    switch (what) {
    case 0:
        return prod - cons;
    case 1:
        return m->def.max_entries;
    case 2:
        return cons;
    case 3:
        return prod;
    }
    return 0;
}
