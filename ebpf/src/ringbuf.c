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
#define LINUX_EAGAIN 11 /* what Linux's bpf_ringbuf_output returns on a full ring */

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

/* A ring with a sink has no other consumer: the records it has handed on
 * (committed as discarded) are freed as soon as they reach the front.  A
 * record still reserved (BUSY) holds those behind it, as it would hold a
 * consumer. */
static void free_handed_on(ebpf_map *m)
{
    uint64_t mask = m->def.max_entries - 1;
    ebpfM_lock(&m->cons_lock);
    uint64_t cons = m->cons_pos, prod = __atomic_load_n(&m->prod_pos, __ATOMIC_ACQUIRE);
    while (cons < prod) {
        uint8_t *hdr = m->data + (cons & mask);
        uint32_t h = __atomic_load_n((uint32_t *)hdr, __ATOMIC_ACQUIRE);
        if ((h & BPF_RINGBUF_BUSY_BIT) || !(h & BPF_RINGBUF_DISCARD_BIT))
            break;
        cons += round8((uint64_t)(h & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ);
    }
    __atomic_store_n(&m->cons_pos, cons, __ATOMIC_RELEASE);
    ebpfM_unlock(&m->cons_lock);
}

void ebpfM_ringbuf_commit(ebpf_map *m, void *rec, bool discard)
{
    uint32_t *hdr = (uint32_t *)((uint8_t *)rec - BPF_RINGBUF_HDR_SZ);
    uint32_t len = *hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    ebpf_ringbuf_sink sink = m ? __atomic_load_n(&m->sink, __ATOMIC_ACQUIRE) : NULL;
    if (sink && !discard) {
        sink(m->sink_ctx, rec, len, hdr[1]);
        discard = true; /* handed on: its space is free */
    }
    __atomic_store_n(hdr, len | (discard ? BPF_RINGBUF_DISCARD_BIT : 0), __ATOMIC_RELEASE);
    if (sink)
        free_handed_on(m);
}

/* bpf_ringbuf_output (and bpf_perf_event_output into its ring).  With a
 * sink the record never enters the ring: a logpoint's hit was a reserve, a
 * copy and a commit here, then a consume and another copy on the same hart
 * before the side-stub queued it (issue 21). */
long ebpfM_ringbuf_output(ebpf_map *m, const void *data, uint64_t size, uint32_t tag)
{
    ebpf_ringbuf_sink sink = __atomic_load_n(&m->sink, __ATOMIC_ACQUIRE);
    if (sink) {
        if (!size || size > m->def.max_entries / 2) /* what reserve refuses */
            return -LINUX_EAGAIN;
        return sink(m->sink_ctx, data, (size_t)size, tag) < 0 ? -LINUX_EAGAIN : 0;
    }
    void *rec = ebpfM_ringbuf_reserve(m, size, tag);
    if (!rec)
        return -LINUX_EAGAIN;
    ebpfA_memcpy(rec, data, size);
    ebpfM_ringbuf_commit(m, rec, false);
    return 0;
}

void ebpf_ringbuf_set_sink(ebpf_map *m, ebpf_ringbuf_sink fn, void *ctx)
{
    if (m && m->def.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
        m = m->ring; /* its records are in the ring it owns */
    if (!m || m->def.type != BPF_MAP_TYPE_RINGBUF)
        return;
    m->sink_ctx = ctx;
    __atomic_store_n(&m->sink, fn, __ATOMIC_RELEASE);
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
