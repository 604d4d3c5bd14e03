/*
 * maps.c - array, hash and ring buffer maps and their per-CPU and LRU
 * forms, all carved from the arena (maps_special.c has the maps that hold
 * programs, maps, stacks and perf records).
 *
 * Array: max_entries values of value_size bytes, each slot rounded up to 8
 * bytes (as Linux does), key is a u32 index.  Hash: a fixed pool of
 * max_entries entries (key, then value at an 8-byte boundary) on chained
 * buckets, with a free list; no allocation after creation.  Ring buffers
 * are created here; their records are ringbuf.c's.
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

size_t ebpfM_round8(size_t n)
{
    return round8(n);
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

/* A refusal says which field of the definition is wrong and why, so that a
 * student can find it in the object's `struct { __uint(...) } SEC(".maps")`. */
int ebpfM_bad_field(ebpf_vm *vm, const ebpf_map *m, const char *field, uint32_t value,
                    const char *why)
{
    return ebpfA_fail(vm, EBPF_EINVAL, -1, "map %s: %s %u: %s", m->name, field, value, why);
}

static bool is_percpu(uint32_t type)
{
    return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
           type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_hash(uint32_t type)
{
    return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH ||
           type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
           type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static bool is_lru(uint32_t type)
{
    return type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_array(uint32_t type)
{
    return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
           type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_PROG_ARRAY;
}

/* Value layout (see struct ebpf_map): maps holding pointers store 8 bytes
 * whatever value_size says (4 in Linux: user space passes fds). */
static int value_layout(ebpf_vm *vm, ebpf_map *m)
{
    const struct ebpf_map_def *d = &m->def;
    bool ptrs = d->type == BPF_MAP_TYPE_PROG_ARRAY || d->type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
                d->type == BPF_MAP_TYPE_HASH_OF_MAPS;
    if (!d->value_size)
        return ebpfM_bad_field(vm, m, "value_size", 0, "a value needs at least one byte");
    if (ptrs && d->value_size != 4)
        return ebpfM_bad_field(vm, m, "value_size", d->value_size,
                               "must be 4 (a program or map descriptor) in this map type");
    m->percpu = is_percpu(d->type);
    m->ncpus = m->percpu ? (vm->ncpus ? vm->ncpus : 1) : 1;
    m->vsize = ptrs ? 8 : d->value_size;
    m->vstride = round8(m->vsize);
    if (__builtin_mul_overflow(m->vstride, (size_t)m->ncpus, &m->slot))
        return too_big(vm, m);
    return 0;
}

static int setup_array(ebpf_vm *vm, ebpf_map *m)
{
    const struct ebpf_map_def *d = &m->def;
    if (d->key_size != 4)
        return ebpfM_bad_field(vm, m, "key_size", d->key_size, "an array's key is a 4-byte index");
    if (!d->max_entries)
        return ebpfM_bad_field(vm, m, "max_entries", 0, "must be at least 1");
    int r = value_layout(vm, m);
    if (r)
        return r;
    if (__builtin_mul_overflow(m->slot, (size_t)d->max_entries, &m->data_len))
        return too_big(vm, m);
    m->data = ebpfA_alloc(vm, m->data_len);
    return 0;
}

static int setup_hash(ebpf_vm *vm, ebpf_map *m)
{
    const struct ebpf_map_def *d = &m->def;
    size_t buckets_len, next_len, stamp_len = 0;
    if (!d->key_size)
        return ebpfM_bad_field(vm, m, "key_size", 0, "a hash key needs at least one byte");
    if (!d->max_entries)
        return ebpfM_bad_field(vm, m, "max_entries", 0, "must be at least 1");
    int r = value_layout(vm, m);
    if (r)
        return r;
    /* Buckets: the power of two at or above max_entries, which must
     * fit the 32-bit count (a larger one doubled until it wrapped to 0
     * and looped forever). */
    if (d->max_entries > (1u << 31))
        return too_big(vm, m);
    m->nbuckets = 1;
    while (m->nbuckets < d->max_entries)
        m->nbuckets <<= 1;
    if (__builtin_add_overflow(round8(d->key_size), m->slot, &m->entry_size) ||
        __builtin_mul_overflow(m->entry_size, (size_t)d->max_entries, &m->data_len) ||
        __builtin_mul_overflow((size_t)m->nbuckets, sizeof(uint32_t), &buckets_len) ||
        __builtin_mul_overflow((size_t)d->max_entries, sizeof(uint32_t), &next_len) ||
        (is_lru(d->type) &&
         __builtin_mul_overflow((size_t)d->max_entries, sizeof(uint64_t), &stamp_len)))
        return too_big(vm, m);
    m->data = ebpfA_alloc(vm, m->data_len);
    m->buckets = m->data ? ebpfA_alloc(vm, buckets_len) : NULL;
    m->next = m->buckets ? ebpfA_alloc(vm, next_len) : NULL;
    m->used = m->next ? ebpfA_alloc(vm, d->max_entries) : NULL;
    m->stamp = m->used && stamp_len ? ebpfA_alloc(vm, stamp_len) : NULL;
    if (!m->buckets || !m->next || !m->used || (stamp_len && !m->stamp))
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "map %s: arena exhausted", m->name);
    for (uint32_t i = 0; i < m->nbuckets; i++)
        m->buckets[i] = NIL;
    for (uint32_t i = 0; i < d->max_entries; i++)
        m->next[i] = i + 1 < d->max_entries ? i + 1 : NIL;
    m->free_head = 0;
    return 0;
}

/* Linux ringbuf_map_alloc: no key, no value, a power-of-two data size
 * (Linux also wants a page multiple; libbpf rounds it up to one). */
static int setup_ringbuf(ebpf_vm *vm, ebpf_map *m)
{
    const struct ebpf_map_def *d = &m->def;
    if (d->key_size)
        return ebpfM_bad_field(vm, m, "key_size", d->key_size,
                               "a ring buffer has no keys (declare no key)");
    if (d->value_size)
        return ebpfM_bad_field(vm, m, "value_size", d->value_size,
                               "a ring buffer has no values: remove __type(value, ...) or "
                               "value_size (Linux refuses it too); records have any size");
    if (!pow2(d->max_entries) || d->max_entries < 16)
        return ebpfM_bad_field(vm, m, "max_entries", d->max_entries,
                               "a ring buffer's size in bytes must be a power of 2, at least 16");
    m->data_len = d->max_entries;
    m->data = ebpfA_alloc(vm, m->data_len);
    return 0;
}

static int setup(ebpf_vm *vm, ebpf_map *m)
{
    int r;
    uint32_t t = m->def.type;
    if (t == BPF_MAP_TYPE_RINGBUF)
        r = setup_ringbuf(vm, m);
    else if (is_hash(t))
        r = setup_hash(vm, m);
    else if (is_array(t))
        r = setup_array(vm, m);
    else if (t == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
        /* its values are perf event descriptors (ignored: records go to
         * the map's own ring); libbpf makes max_entries 0 the CPU count */
        if (!m->def.max_entries)
            m->def.max_entries = vm->ncpus ? vm->ncpus : 1;
        if (m->def.value_size != 4)
            return ebpfM_bad_field(vm, m, "value_size", m->def.value_size,
                                   "a perf event array holds 4-byte descriptors");
        r = setup_array(vm, m);
        if (!r && m->data)
            r = ebpfM_setup_special(vm, m);
    } else
        r = ebpfM_setup_special(vm, m);
    if (r)
        return r;
    if (!m->data)
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "map %s: arena exhausted", m->name);
    return 0;
}

static ebpf_map *create(ebpf_vm *vm, const struct ebpf_map_def *def, const char *name,
                        const ebpf_map *inner, bool template_only)
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
    m->inner = inner;
    m->template_only = template_only;
    bool of_maps =
        def->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || def->type == BPF_MAP_TYPE_HASH_OF_MAPS;
    int r = 0;
    if (of_maps && !inner)
        r = ebpfA_fail(vm, EBPF_EINVAL, -1,
                       "map %s: a map of maps needs an inner map (__array(values, ...))", m->name);
    else if (template_only)
        r = value_layout(vm, m); /* geometry only: the verifier's view of inner maps */
    else
        r = setup(vm, m);
    if (r) {
        vm->arena_used = mark;
        return NULL;
    }
    m->fd = vm->nmaps;
    vm->maps[vm->nmaps++] = m;
    return m;
}

ebpf_map *ebpf_map_create(ebpf_vm *vm, const struct ebpf_map_def *def, const char *name)
{
    return create(vm, def, name, NULL, false);
}

/* Linux: an inner map is never itself a map of maps nor a program array. */
ebpf_map *ebpfM_create_of_maps(ebpf_vm *vm, const struct ebpf_map_def *def, const char *name,
                               const struct ebpf_map_def *inner)
{
    if (def->type != BPF_MAP_TYPE_ARRAY_OF_MAPS && def->type != BPF_MAP_TYPE_HASH_OF_MAPS) {
        ebpfA_fail(vm, EBPF_EINVAL, -1, "map %s: type %u is not a map of maps", name, def->type);
        return NULL;
    }
    if (!inner || inner->type == BPF_MAP_TYPE_PROG_ARRAY ||
        inner->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || inner->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
        ebpfA_fail(vm, EBPF_EINVAL, -1,
                   "map %s: the inner map must not be a map of maps or a program array", name);
        return NULL;
    }
    /* The template lives in vm: the verifier names maps by their index. */
    char tname[EBPF_NAME_LEN];
    ebpf_snprintf(tname, sizeof tname, "%s.inner", name ? name : "");
    ebpf_map *t = create(vm, inner, tname, NULL, true);
    return t ? create(vm, def, name, t, false) : NULL;
}

ebpf_map *ebpf_map_create_of_maps(ebpf_vm *vm, const struct ebpf_map_def *def, const char *name,
                                  const ebpf_map *inner)
{
    return ebpfM_create_of_maps(vm, def, name, inner ? &inner->def : NULL);
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
    /* a map of maps comes with its inner template (the verifier's view of
     * what a lookup returns must have an index here too) */
    if (map->inner && ebpfM_index(vm, map->inner) < 0) {
        int r = ebpf_map_share(vm, (ebpf_map *)map->inner);
        if (r < 0)
            return r;
    }
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

/* FNV-1a: simple, good enough for fixed-size binary keys, and it spreads
 * consecutive integers (pids, indices) over distinct buckets. */
static uint32_t hash_key(const void *key, uint32_t n)
{
    const uint8_t *p = key;
    uint32_t h = 2166136261u;
    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

/* Keys compared 8 bytes at a time when both are 8-byte aligned (entries
 * always are; a program's key on its stack usually is): RISC-V has no
 * cheap unaligned load, so other keys go byte by byte. */
static bool keys_equal(const uint8_t *a, const uint8_t *b, uint32_t n)
{
    if (!(((uintptr_t)a | (uintptr_t)b) & 7))
        for (; n >= 8; n -= 8, a += 8, b += 8)
            if (*(const uint64_t *)a != *(const uint64_t *)b)
                return false;
    for (; n; n--)
        if (*a++ != *b++)
            return false;
    return true;
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
        if (keys_equal(entry(m, i), key, m->def.key_size))
            return i;
    return NIL;
}

static void *value_of(const ebpf_map *m, uint32_t i)
{
    return entry(m, i) + round8(m->def.key_size);
}

/* LRU: a use makes the entry the youngest (Linux's LRU is approximate too:
 * per-CPU lists; here a global clock, advanced without a lock). */
static void touch(ebpf_map *m, uint32_t i)
{
    uint64_t now = __atomic_add_fetch(&m->clock, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&m->stamp[i], now, __ATOMIC_RELAXED);
}

/* Arrays of values (PERF_EVENT_ARRAY keeps its descriptors so) and arrays
 * of pointers (PROG_ARRAY, ARRAY_OF_MAPS) share the array layout. */
static bool array_layout(uint32_t type)
{
    return is_array(type) || type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

/* All copies of the element's value, or NULL. */
static uint8_t *element(ebpf_map *m, const void *key)
{
    if (array_layout(m->def.type)) {
        uint32_t idx;
        ebpfA_memcpy(&idx, key, 4);
        return idx < m->def.max_entries ? m->data + m->slot * idx : NULL;
    }
    if (is_hash(m->def.type)) {
        uint32_t i = hash_find(m, key, NULL);
        if (i == NIL)
            return NULL;
        if (m->stamp)
            touch(m, i);
        return value_of(m, i);
    }
    return NULL;
}

/* A program's lookup (map_lookup_elem): its hart's copy of a per-CPU value,
 * the inner map itself for maps of maps.  Plain arrays and hashes first:
 * they are what programs use most (make bench-ebpf). */
void *ebpfM_lookup(ebpf_map *m, const void *key, uint32_t cpu)
{
    uint32_t t = m->def.type;
    if (t == BPF_MAP_TYPE_HASH) {
        uint32_t i = hash_find(m, key, NULL);
        return i == NIL ? NULL : value_of(m, i);
    }
    if (t == BPF_MAP_TYPE_ARRAY) {
        uint32_t idx;
        __builtin_memcpy(&idx, key, 4);
        return idx < m->def.max_entries ? m->data + m->slot * idx : NULL;
    }
    if (t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
        t == BPF_MAP_TYPE_STACK_TRACE || t == BPF_MAP_TYPE_RINGBUF)
        return NULL; /* not from programs (the verifier refuses it) */
    uint8_t *v = element(m, key);
    if (!v)
        return NULL;
    if (t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS)
        return __atomic_load_n((void **)v, __ATOMIC_ACQUIRE);
    if (m->percpu)
        return cpu < m->ncpus ? v + cpu * m->vstride : NULL;
    return v;
}

void *ebpf_map_lookup(ebpf_map *m, const void *key)
{
    if (m->def.type == BPF_MAP_TYPE_STACK_TRACE)
        return ebpf_map_lookup_cpu(m, key, 0);
    return element(m, key);
}

void *ebpf_map_lookup_cpu(ebpf_map *m, const void *key, uint32_t cpu)
{
    if (m->def.type == BPF_MAP_TYPE_STACK_TRACE) {
        return cpu ? NULL : ebpfM_stack_lookup(m, key);
    }
    uint8_t *v = element(m, key);
    if (!v || cpu >= m->ncpus)
        return NULL;
    return v + cpu * m->vstride;
}

uint32_t ebpf_map_ncpus(const ebpf_map *m)
{
    return m->ncpus ? m->ncpus : 1;
}

size_t ebpf_map_value_bytes(const ebpf_map *m)
{
    return m->percpu ? m->slot : m->def.value_size;
}

int ebpf_map_lookup_percpu(ebpf_map *m, const void *key, void *values)
{
    if (!m->percpu) {
        void *v = ebpf_map_lookup(m, key);
        if (!v)
            return -EBPF_ENOENT;
        ebpfA_memcpy(values, v, m->def.value_size);
        return 0;
    }
    uint8_t *v = element(m, key);
    if (!v)
        return -EBPF_ENOENT;
    ebpfA_memcpy(values, v, m->slot); /* padding bytes are zero: never written */
    return 0;
}

/* Writes one value (or all CPUs' copies, see EBPF_CPU_*) into storage v. */
static void write_value(const ebpf_map *m, uint8_t *v, const void *value, uint32_t cpu)
{
    const uint8_t *src = value;
    if (!m->percpu) {
        ebpfA_memcpy(v, src, m->vsize);
        return;
    }
    for (uint32_t c = 0; c < m->ncpus; c++) {
        if (cpu == EBPF_CPU_LAYOUT)
            ebpfA_memcpy(v + c * m->vstride, src + c * m->vstride, m->vsize);
        else if (cpu == EBPF_CPU_ALL || cpu == c)
            ebpfA_memcpy(v + c * m->vstride, src, m->vsize);
    }
}

/* Unlinks live entry i of bucket b (lock held): lookups that reach it
 * still end (see above); it goes to the free list. */
static void unlink_entry(ebpf_map *m, uint32_t i, uint32_t b)
{
    uint32_t *link = &m->buckets[b];
    while (link_load(link) != i)
        link = &m->next[link_load(link)];
    link_store(link, link_load(&m->next[i])); /* unreachable from here on */
    __atomic_store_n(&m->used[i], 0, __ATOMIC_RELAXED);
    link_store(&m->next[i], m->free_head);
    m->free_head = i;
    m->count--;
}

/* LRU eviction (lock held, map full): the least recently used entry of a
 * window of at most 1024 entries, the window moving on each time, so an
 * update costs a bounded scan however big the map (exact LRU up to 1024
 * entries). */
#define LRU_WINDOW 1024
static void evict_oldest(ebpf_map *m)
{
    uint32_t n = m->def.max_entries, w = n < LRU_WINDOW ? n : LRU_WINDOW, victim = NIL;
    uint64_t best = UINT64_MAX;
    for (uint32_t k = 0; k < w; k++) {
        uint32_t i = (uint32_t)(((uint64_t)m->lru_cursor + k) % n);
        uint64_t st = __atomic_load_n(&m->stamp[i], __ATOMIC_RELAXED);
        if (m->used[i] && st < best) {
            best = st;
            victim = i;
        }
    }
    m->lru_cursor = (uint32_t)(((uint64_t)m->lru_cursor + w) % n);
    if (victim == NIL)
        return;
    uint32_t b = hash_key(entry(m, victim), m->def.key_size) & (m->nbuckets - 1);
    unlink_entry(m, victim, b);
}

static int hash_update(ebpf_map *m, const void *key, const void *value, uint64_t flags,
                       uint32_t cpu)
{
    int r = 0;
    ebpfM_lock(&m->lock);
    uint32_t b, i = hash_find(m, key, &b);
    if (i != NIL) {
        if (flags == BPF_NOEXIST)
            r = -EBPF_EEXIST;
        else
            write_value(m, value_of(m, i), value, cpu);
        if (!r && m->stamp)
            touch(m, i);
    } else if (flags == BPF_EXIST) {
        r = -EBPF_ENOENT;
    } else {
        if (m->free_head == NIL && m->stamp)
            evict_oldest(m);
        if (m->free_head == NIL) {
            r = -EBPF_E2BIG;
        } else {
            i = m->free_head;
            m->free_head = link_load(&m->next[i]);
            ebpfA_memcpy(entry(m, i), key, m->def.key_size);
            if (m->percpu) /* a new element's other copies start at zero (Linux) */
                ebpfA_memset(value_of(m, i), 0, m->slot);
            write_value(m, value_of(m, i), value, cpu);
            if (m->stamp)
                touch(m, i);
            __atomic_store_n(&m->used[i], 1, __ATOMIC_RELAXED);
            link_store(&m->next[i], link_load(&m->buckets[b]));
            link_store(&m->buckets[b], i); /* publishes the complete entry */
            m->count++;
        }
    }
    ebpfM_unlock(&m->lock);
    return r;
}

int ebpfM_update(ebpf_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
    if (flags > BPF_EXIST)
        return -EBPF_EINVAL;
    uint32_t t = m->def.type;
    if (t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
        t == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
        uint8_t *v = element(m, key);
        if (!v)
            return -EBPF_E2BIG;
        if (flags == BPF_NOEXIST)
            return -EBPF_EEXIST;
        write_value(m, v, value, cpu);
        return 0;
    }
    if (is_hash(t) && t != BPF_MAP_TYPE_HASH_OF_MAPS)
        return hash_update(m, key, value, flags, cpu);
    return -EBPF_EINVAL; /* programs, inner maps, stacks: their own functions */
}

static int update_error(ebpf_map *m, int r, uint64_t flags)
{
    bool array = array_layout(m->def.type);
    switch (-r) {
    case 0:
        return 0;
    case EBPF_E2BIG:
        return array ? ebpfA_fail(m->vm, EBPF_E2BIG, -1, "array index out of range")
                     : ebpfA_fail(m->vm, EBPF_E2BIG, -1, "map %s is full", m->name);
    case EBPF_EEXIST:
        return array ? ebpfA_fail(m->vm, EBPF_EEXIST, -1, "array elements always exist")
                     : ebpfA_fail(m->vm, EBPF_EEXIST, -1, "element exists");
    case EBPF_ENOENT:
        return ebpfA_fail(m->vm, EBPF_ENOENT, -1, "no such element");
    }
    if (flags > BPF_EXIST)
        return ebpfA_fail(m->vm, EBPF_EINVAL, -1, "bad update flags %llu",
                          (unsigned long long)flags);
    return ebpfA_fail(m->vm, EBPF_EINVAL, -1, "map %s does not support update", m->name);
}

int ebpf_map_update(ebpf_map *m, const void *key, const void *value, uint64_t flags)
{
    return update_error(m, ebpfM_update(m, key, value, flags, EBPF_CPU_ALL), flags);
}

int ebpf_map_update_percpu(ebpf_map *m, const void *key, const void *values, uint64_t flags)
{
    return update_error(m, ebpfM_update(m, key, values, flags, EBPF_CPU_LAYOUT), flags);
}

/* Stores pointer p (a map, a program) into element key of a pointer map:
 * one release store for arrays, the hash's update for HASH_OF_MAPS. */
int ebpfM_set_pointer(ebpf_map *m, const void *key, const void *p)
{
    if (m->def.type == BPF_MAP_TYPE_HASH_OF_MAPS) {
        if (p)
            return hash_update(m, key, &p, BPF_ANY, 0);
        return ebpfM_delete(m, key);
    }
    uint8_t *v = element(m, key);
    if (!v)
        return -EBPF_E2BIG;
    __atomic_store_n((const void **)v, p, __ATOMIC_RELEASE);
    return 0;
}

int ebpfM_delete(ebpf_map *m, const void *key)
{
    uint32_t t = m->def.type;
    if (t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
        uint8_t *v = element(m, key);
        if (!v || !__atomic_load_n((void **)v, __ATOMIC_ACQUIRE))
            return -EBPF_ENOENT;
        __atomic_store_n((void **)v, NULL, __ATOMIC_RELEASE);
        return 0;
    }
    if (t == BPF_MAP_TYPE_STACK_TRACE) {
        return ebpfM_stack_delete(m, key);
    }
    if (!is_hash(t))
        return -EBPF_EINVAL;
    int r = 0;
    ebpfM_lock(&m->lock);
    uint32_t b, i = hash_find(m, key, &b);
    if (i == NIL)
        r = -EBPF_ENOENT;
    else
        unlink_entry(m, i, b);
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
    uint32_t t = m->def.type;
    if (array_layout(t)) {
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
    if (is_hash(t)) {
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
    if (t == BPF_MAP_TYPE_STACK_TRACE) {
        return ebpfM_stack_next_key(m, key, next_key);
    }
    return ebpfA_fail(m->vm, EBPF_EINVAL, -1, "map %s has no keys", m->name);
}
