/*
 * maps.c - array, hash and ring buffer maps, all carved from the arena.
 *
 * Array: max_entries values of value_size bytes, each slot rounded up to 8
 * bytes (as Linux does), key is a u32 index.  Hash: a fixed pool of
 * max_entries entries (key, then value at an 8-byte boundary) on chained
 * buckets, with a free list; no allocation after creation.  Ring buffer:
 * Linux's record format (8-byte header: length with BUSY/DISCARD bits, then
 * data, padded to 8) over a power-of-two byte area.  Linux maps the area
 * twice so records may wrap; we instead never let a record wrap: when one
 * would not fit before the end, a discarded padding record fills the tail.
 */
#include "ebpf_int.h"

#define NIL UINT32_MAX

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static bool pow2(uint32_t n)
{
    return n && !(n & (n - 1));
}

/* The geometry comes from whoever creates the map (bpf() from user space,
 * an ELF object's definitions): every size is computed with overflow
 * checks, and no loop runs over a count before the memory for it exists.
 * A size that overflows is one no arena can hold: E2BIG. */
static int too_big(ebpf_vm *vm, const ebpf_map *m)
{
    const struct ebpf_map_def *d = &m->def;
    return ebpfA_fail(vm, EBPF_E2BIG, -1, "map %s: %u entries of %u+%u bytes do not fit in memory",
                      m->name, d->max_entries, d->key_size, d->value_size);
}

static int setup(ebpf_vm *vm, ebpf_map *m)
{
    const struct ebpf_map_def *d = &m->def;
    size_t buckets_len, next_len;
    switch (d->type) {
    case BPF_MAP_TYPE_ARRAY:
        if (d->key_size != 4 || !d->value_size || !d->max_entries)
            return ebpfA_fail(vm, EBPF_EINVAL, -1, "map %s: array needs key_size 4", m->name);
        if (__builtin_mul_overflow(round8(d->value_size), (size_t)d->max_entries, &m->data_len))
            return too_big(vm, m);
        m->data = ebpfA_alloc(vm, m->data_len);
        break;
    case BPF_MAP_TYPE_HASH:
        if (!d->key_size || !d->value_size || !d->max_entries)
            return ebpfA_fail(vm, EBPF_EINVAL, -1, "map %s: bad hash geometry", m->name);
        /* Buckets: the power of two at or above max_entries, which must
         * fit the 32-bit count (a larger one doubled until it wrapped to 0
         * and looped forever). */
        if (d->max_entries > (1u << 31))
            return too_big(vm, m);
        m->nbuckets = 1;
        while (m->nbuckets < d->max_entries)
            m->nbuckets <<= 1;
        m->entry_size = round8(d->key_size) + round8(d->value_size);
        if (__builtin_mul_overflow(m->entry_size, (size_t)d->max_entries, &m->data_len) ||
            __builtin_mul_overflow((size_t)m->nbuckets, sizeof(uint32_t), &buckets_len) ||
            __builtin_mul_overflow((size_t)d->max_entries, sizeof(uint32_t), &next_len))
            return too_big(vm, m);
        m->data = ebpfA_alloc(vm, m->data_len);
        m->buckets = m->data ? ebpfA_alloc(vm, buckets_len) : NULL;
        m->next = m->buckets ? ebpfA_alloc(vm, next_len) : NULL;
        m->used = m->next ? ebpfA_alloc(vm, d->max_entries) : NULL;
        if (!m->buckets || !m->next || !m->used)
            return ebpfA_fail(vm, EBPF_ENOMEM, -1, "map %s: arena exhausted", m->name);
        for (uint32_t i = 0; i < m->nbuckets; i++)
            m->buckets[i] = NIL;
        for (uint32_t i = 0; i < d->max_entries; i++)
            m->next[i] = i + 1 < d->max_entries ? i + 1 : NIL;
        m->free_head = 0;
        break;
    case BPF_MAP_TYPE_RINGBUF:
        if (d->key_size || d->value_size || !pow2(d->max_entries) || d->max_entries < 16)
            return ebpfA_fail(vm, EBPF_EINVAL, -1,
                              "map %s: ringbuf needs a power-of-two size and no key/value",
                              m->name);
        m->data_len = d->max_entries;
        m->data = ebpfA_alloc(vm, m->data_len);
        break;
    default:
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "map %s: unsupported map type %u", m->name, d->type);
    }
    if (!m->data)
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "map %s: arena exhausted", m->name);
    return 0;
}

ebpf_map *ebpf_map_create(ebpf_vm *vm, const struct ebpf_map_def *def, const char *name)
{
    if (vm->nmaps == EBPF_MAX_MAPS) {
        ebpfA_fail(vm, EBPF_E2BIG, -1, "too many maps");
        return NULL;
    }
    size_t mark = vm->arena_used;
    ebpf_map *m = ebpfA_alloc(vm, sizeof(*m));
    if (!m) {
        ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena exhausted");
        return NULL;
    }
    m->def = *def;
    ebpfA_strlcpy(m->name, name ? name : "", sizeof(m->name));
    m->vm = vm;
    if (setup(vm, m)) {
        vm->arena_used = mark;
        return NULL;
    }
    m->fd = vm->nmaps;
    vm->maps[vm->nmaps++] = m;
    return m;
}

ebpf_map *ebpf_map_by_fd(ebpf_vm *vm, int fd)
{
    return fd >= 0 && fd < vm->nmaps ? vm->maps[fd] : NULL;
}

/* A map created by another VM becomes usable here too (programs in several
 * VMs sharing one map, as the programs of one object do).  Its fd in this VM
 * is returned; the map keeps living in the arena of the VM that created it. */
int ebpf_map_share(ebpf_vm *vm, ebpf_map *map)
{
    int fd = ebpfM_index(vm, map);
    if (fd >= 0)
        return fd;
    if (vm->nmaps == EBPF_MAX_MAPS)
        return ebpfA_fail(vm, EBPF_E2BIG, -1, "too many maps");
    vm->maps[vm->nmaps] = map;
    return vm->nmaps++;
}

int ebpfM_index(const ebpf_vm *vm, const ebpf_map *map)
{
    for (int i = 0; i < vm->nmaps; i++)
        if (vm->maps[i] == map)
            return i;
    return -1;
}

ebpf_map *ebpf_map_by_name(ebpf_vm *vm, const char *name)
{
    for (int i = 0; i < vm->nmaps; i++)
        if (!ebpfA_strcmp(vm->maps[i]->name, name))
            return vm->maps[i];
    return NULL;
}

void ebpf_map_freeze(ebpf_map *map)
{
    map->prog_rdonly = 1;
}

int ebpf_map_count(const ebpf_vm *vm)
{
    return vm->nmaps;
}

int ebpf_map_fd(const ebpf_map *map)
{
    return map->fd;
}

const char *ebpf_map_name(const ebpf_map *map)
{
    return map->name;
}

const struct ebpf_map_def *ebpf_map_def(const ebpf_map *map)
{
    return &map->def;
}

bool ebpfM_contains(const ebpf_map *m, uintptr_t addr, size_t len)
{
    uintptr_t b = (uintptr_t)m->data, e = b + m->data_len;
    return addr >= b && addr <= e && len <= e - addr;
}

/* ---- hash ----------------------------------------------------------------
 * Chains are threaded through entry indices.  Writers (update, delete) hold
 * the map's lock; lookups hold none, so every link is read and written with
 * atomics, and a new entry is complete before the release store that makes
 * it reachable.  A lookup that raced a delete may step from a freed entry
 * onto the free list or another chain: it only compares keys, so at worst
 * it misses, and the walk is bounded by max_entries so it always ends. */

/* FNV-1a: simple, and good enough for fixed-size binary keys. */
static uint32_t hash_key(const void *key, uint32_t n)
{
    const uint8_t *p = key;
    uint32_t h = 2166136261u;
    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

static uint8_t *entry(const ebpf_map *m, uint32_t i)
{
    return m->data + (size_t)i * m->entry_size;
}

static uint32_t link_load(const uint32_t *l)
{
    return __atomic_load_n(l, __ATOMIC_ACQUIRE);
}

static void link_store(uint32_t *l, uint32_t v)
{
    __atomic_store_n(l, v, __ATOMIC_RELEASE);
}

static uint32_t hash_find(const ebpf_map *m, const void *key, uint32_t *bucket)
{
    uint32_t b = hash_key(key, m->def.key_size) & (m->nbuckets - 1);
    if (bucket)
        *bucket = b;
    uint32_t steps = 0;
    for (uint32_t i = link_load(&m->buckets[b]); i < m->def.max_entries && steps++ <= m->def.max_entries;
         i = link_load(&m->next[i]))
        if (!ebpfA_memcmp(entry(m, i), key, m->def.key_size))
            return i;
    return NIL;
}

static void *value_of(const ebpf_map *m, uint32_t i)
{
    return entry(m, i) + round8(m->def.key_size);
}

/* ---- generic operations ---------------------------------------------- */

void *ebpf_map_lookup(ebpf_map *m, const void *key)
{
    switch (m->def.type) {
    case BPF_MAP_TYPE_ARRAY: {
        uint32_t idx;
        ebpfA_memcpy(&idx, key, 4);
        if (idx >= m->def.max_entries)
            return NULL;
        return m->data + round8(m->def.value_size) * idx;
    }
    case BPF_MAP_TYPE_HASH: {
        uint32_t i = hash_find(m, key, NULL);
        return i == NIL ? NULL : value_of(m, i);
    }
    }
    return NULL;
}

static int hash_update(ebpf_map *m, const void *key, const void *value, uint64_t flags)
{
    int r = 0;
    ebpfM_lock(&m->lock);
    uint32_t b, i = hash_find(m, key, &b);
    if (i != NIL) {
        if (flags == BPF_NOEXIST)
            r = -EBPF_EEXIST;
        else
            ebpfA_memcpy(value_of(m, i), value, m->def.value_size);
    } else if (flags == BPF_EXIST) {
        r = -EBPF_ENOENT;
    } else if (m->free_head == NIL) {
        r = -EBPF_E2BIG;
    } else {
        i = m->free_head;
        m->free_head = link_load(&m->next[i]);
        ebpfA_memcpy(entry(m, i), key, m->def.key_size);
        ebpfA_memcpy(value_of(m, i), value, m->def.value_size);
        __atomic_store_n(&m->used[i], 1, __ATOMIC_RELAXED);
        link_store(&m->next[i], link_load(&m->buckets[b]));
        link_store(&m->buckets[b], i); /* publishes the complete entry */
        m->count++;
    }
    ebpfM_unlock(&m->lock);
    return r;
}

int ebpfM_update(ebpf_map *m, const void *key, const void *value, uint64_t flags)
{
    if (flags > BPF_EXIST)
        return -EBPF_EINVAL;
    switch (m->def.type) {
    case BPF_MAP_TYPE_ARRAY: {
        void *v = ebpf_map_lookup(m, key);
        if (!v)
            return -EBPF_E2BIG;
        if (flags == BPF_NOEXIST)
            return -EBPF_EEXIST;
        ebpfA_memcpy(v, value, m->def.value_size);
        return 0;
    }
    case BPF_MAP_TYPE_HASH:
        return hash_update(m, key, value, flags);
    }
    return -EBPF_EINVAL;
}

int ebpf_map_update(ebpf_map *m, const void *key, const void *value, uint64_t flags)
{
    int r = ebpfM_update(m, key, value, flags);
    switch (-r) {
    case 0:
        return 0;
    case EBPF_E2BIG:
        return m->def.type == BPF_MAP_TYPE_ARRAY
                   ? ebpfA_fail(m->vm, EBPF_E2BIG, -1, "array index out of range")
                   : ebpfA_fail(m->vm, EBPF_E2BIG, -1, "map %s is full", m->name);
    case EBPF_EEXIST:
        return m->def.type == BPF_MAP_TYPE_ARRAY
                   ? ebpfA_fail(m->vm, EBPF_EEXIST, -1, "array elements always exist")
                   : ebpfA_fail(m->vm, EBPF_EEXIST, -1, "element exists");
    case EBPF_ENOENT:
        return ebpfA_fail(m->vm, EBPF_ENOENT, -1, "no such element");
    }
    if (flags > BPF_EXIST)
        return ebpfA_fail(m->vm, EBPF_EINVAL, -1, "bad update flags %llu",
                          (unsigned long long)flags);
    return ebpfA_fail(m->vm, EBPF_EINVAL, -1, "map %s does not support update", m->name);
}

int ebpfM_delete(ebpf_map *m, const void *key)
{
    if (m->def.type != BPF_MAP_TYPE_HASH)
        return -EBPF_EINVAL;
    int r = 0;
    ebpfM_lock(&m->lock);
    uint32_t b, i = hash_find(m, key, &b);
    if (i == NIL) {
        r = -EBPF_ENOENT;
    } else {
        uint32_t *link = &m->buckets[b];
        while (link_load(link) != i)
            link = &m->next[link_load(link)];
        link_store(link, link_load(&m->next[i])); /* unreachable from here on */
        __atomic_store_n(&m->used[i], 0, __ATOMIC_RELAXED);
        link_store(&m->next[i], m->free_head);
        m->free_head = i;
        m->count--;
    }
    ebpfM_unlock(&m->lock);
    return r;
}

int ebpf_map_delete(ebpf_map *m, const void *key)
{
    int r = ebpfM_delete(m, key);
    if (r == -EBPF_EINVAL)
        return ebpfA_fail(m->vm, EBPF_EINVAL, -1, "map %s does not support delete", m->name);
    if (r == -EBPF_ENOENT)
        return ebpfA_fail(m->vm, EBPF_ENOENT, -1, "no such element");
    return r;
}

int ebpf_map_get_next_key(ebpf_map *m, const void *key, void *next_key)
{
    switch (m->def.type) {
    case BPF_MAP_TYPE_ARRAY: {
        uint32_t idx = 0;
        if (key) {
            ebpfA_memcpy(&idx, key, 4);
            /* Linux: a missing key restarts at 0. */
            idx = idx >= m->def.max_entries ? 0 : idx + 1;
        }
        if (idx >= m->def.max_entries)
            return -EBPF_ENOENT;
        ebpfA_memcpy(next_key, &idx, 4);
        return 0;
    }
    case BPF_MAP_TYPE_HASH: {
        uint32_t i = 0;
        if (key) {
            uint32_t at = hash_find(m, key, NULL);
            i = at == NIL ? 0 : at + 1;
        }
        for (; i < m->def.max_entries; i++) {
            if (__atomic_load_n(&m->used[i], __ATOMIC_ACQUIRE)) {
                ebpfA_memcpy(next_key, entry(m, i), m->def.key_size);
                return 0;
            }
        }
        return -EBPF_ENOENT;
    }
    }
    return ebpfA_fail(m->vm, EBPF_EINVAL, -1, "map %s has no keys", m->name);
}

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
