/*
 * maps_special.c - the maps that hold something other than plain values:
 * program arrays (tail calls), maps of maps, stack traces (get_stackid) and
 * perf event arrays (perf_event_output), and which helper may take which map
 * type (Linux's check_map_func_compatibility, in both directions).
 *
 * PROG_ARRAY and ARRAY_OF_MAPS use the array layout of maps.c with 8-byte
 * slots holding a pointer (NULL: empty), written with one release store and
 * read with acquire, so a tail call or lookup racing an update sees the old
 * or the new pointer.  HASH_OF_MAPS is a hash whose values are such
 * pointers.  STACK_TRACE: a power-of-two number of buckets, each a header
 * {hash, depth} and value_size / 8 return addresses; a stack's id is its
 * hash's bucket (Linux's scheme); buckets are written under the map's lock.
 * PERF_EVENT_ARRAY: its values are perf descriptors user space stores
 * (kept, unused); records go to a ring buffer the map owns, read with
 * ebpf_ringbuf_consume[_tag] like a RINGBUF's, one ring for all CPUs (the
 * producer's tag says which hart made a record).
 */
#include "ebpf_int.h"

#define LINUX_ENOENT 2
#define LINUX_E2BIG  7
#define LINUX_EFAULT 14
#define LINUX_EEXIST 17
#define LINUX_EINVAL 22
#define LINUX_ENOSPC 28

/* Linux sysctl kernel.perf_event_max_stack: the deepest stack stored. */
#define STACK_MAX_DEPTH 127

struct stack_bucket {
    uint32_t hash;
    uint32_t nr; /* 0: empty */
    uint64_t ips[];
};

static int setup_stack_trace(ebpf_vm *vm, ebpf_map *m)
{
    const struct ebpf_map_def *d = &m->def;
    if (d->key_size != 4)
        return ebpfM_bad_field(vm, m, "key_size", d->key_size, "a stack id is 4 bytes");
    if (!d->value_size || d->value_size % 8 || d->value_size / 8 > STACK_MAX_DEPTH)
        return ebpfM_bad_field(vm, m, "value_size", d->value_size,
                               "a stack is 1 to 127 8-byte addresses");
    if (!d->max_entries || d->max_entries > (1u << 24))
        return ebpfM_bad_field(vm, m, "max_entries", d->max_entries,
                               "must be between 1 and 16777216");
    m->nbuckets = 1;
    while (m->nbuckets < d->max_entries)
        m->nbuckets <<= 1;
    m->entry_size = sizeof(struct stack_bucket) + d->value_size;
    if (__builtin_mul_overflow(m->entry_size, (size_t)m->nbuckets, &m->data_len))
        return ebpfA_fail(vm, EBPF_E2BIG, -1, "map %s: too big", m->name);
    m->vsize = d->value_size;
    m->data = ebpfA_alloc(vm, m->data_len);
    return 0;
}

static int setup_perf_ring(ebpf_vm *vm, ebpf_map *m)
{
    ebpf_map *r = ebpfA_alloc(vm, sizeof(*r));
    uint8_t *data = r ? ebpfA_alloc(vm, EBPF_PERF_RING_SIZE) : NULL;
    if (!data)
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "map %s: arena exhausted", m->name);
    r->def.type = BPF_MAP_TYPE_RINGBUF;
    r->def.max_entries = EBPF_PERF_RING_SIZE;
    ebpfA_strlcpy(r->name, m->name, sizeof(r->name));
    r->vm = vm;
    r->fd = -1;
    r->data = data;
    r->data_len = EBPF_PERF_RING_SIZE;
    m->ring = r;
    return 0;
}

int ebpfM_setup_special(ebpf_vm *vm, ebpf_map *m)
{
    switch (m->def.type) {
    case BPF_MAP_TYPE_STACK_TRACE:
        return setup_stack_trace(vm, m);
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
        return setup_perf_ring(vm, m);
    }
    return ebpfM_bad_field(vm, m, "type", m->def.type, "map type not supported");
}

/* ---- which helper takes which map ------------------------------------- */

static bool only_helper(uint32_t type, uint32_t id)
{
    switch (type) {
    case BPF_MAP_TYPE_PROG_ARRAY:
        return id == BPF_FUNC_tail_call;
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
        return id == BPF_FUNC_perf_event_output;
    case BPF_MAP_TYPE_STACK_TRACE:
        return id == BPF_FUNC_get_stackid;
    case BPF_MAP_TYPE_RINGBUF:
        return id == BPF_FUNC_ringbuf_output || id == BPF_FUNC_ringbuf_reserve ||
               id == BPF_FUNC_ringbuf_query;
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
        return id == BPF_FUNC_map_lookup_elem;
    }
    return id == BPF_FUNC_map_lookup_elem || id == BPF_FUNC_map_update_elem ||
           id == BPF_FUNC_map_delete_elem;
}

static uint32_t map_type_of_helper(uint32_t id)
{
    switch (id) {
    case BPF_FUNC_tail_call:
        return BPF_MAP_TYPE_PROG_ARRAY;
    case BPF_FUNC_perf_event_output:
        return BPF_MAP_TYPE_PERF_EVENT_ARRAY;
    case BPF_FUNC_get_stackid:
        return BPF_MAP_TYPE_STACK_TRACE;
    case BPF_FUNC_ringbuf_output:
    case BPF_FUNC_ringbuf_reserve:
    case BPF_FUNC_ringbuf_query:
        return BPF_MAP_TYPE_RINGBUF;
    }
    return BPF_MAP_TYPE_UNSPEC;
}

const char *ebpfM_helper_refused(const ebpf_map *m, uint32_t id)
{
    uint32_t want = map_type_of_helper(id);
    if (want != BPF_MAP_TYPE_UNSPEC && m->def.type != want)
        return "this helper does not take this map type";
    bool generic = id == BPF_FUNC_map_lookup_elem || id == BPF_FUNC_map_update_elem ||
                   id == BPF_FUNC_map_delete_elem;
    if ((want != BPF_MAP_TYPE_UNSPEC || generic) && !only_helper(m->def.type, id))
        return "this map type does not support this helper";
    return NULL;
}

/* ---- program arrays ------------------------------------------------------ */

int ebpf_prog_array_set(ebpf_map *m, uint32_t index, ebpf_vm *target)
{
    if (m->def.type != BPF_MAP_TYPE_PROG_ARRAY)
        return ebpfA_fail(m->vm, EBPF_EINVAL, -1, "map %s is not a program array", m->name);
    if (index >= m->def.max_entries)
        return ebpfA_fail(m->vm, EBPF_E2BIG, -1, "program array index %u out of range", index);
    if (target) {
        if (target->origin)
            target = (ebpf_vm *)target->origin;
        if (!target->code)
            return ebpfA_fail(m->vm, EBPF_EINVAL, -1, "tail call target has no program");
        if (!target->jit_code && !target->threaded)
            ebpfI_thread(target); /* now, not in a run on some hart */
    }
    return ebpfM_set_pointer(m, &index, target);
}

ebpf_vm *ebpf_prog_array_get(ebpf_map *m, uint32_t index)
{
    if (m->def.type != BPF_MAP_TYPE_PROG_ARRAY || index >= m->def.max_entries)
        return NULL;
    return __atomic_load_n((ebpf_vm **)(m->data + m->slot * index), __ATOMIC_ACQUIRE);
}

/* Linux bpf_tail_call: the index is a u32; out of range or an empty slot,
 * and the program goes on after the call. */
const ebpf_vm *ebpfM_tail_target(ebpf_map *m, uint64_t index)
{
    if (!m || m->def.type != BPF_MAP_TYPE_PROG_ARRAY)
        return NULL;
    return ebpf_prog_array_get(m, (uint32_t)index);
}

/* ---- maps of maps -------------------------------------------------------- */

static bool same_geometry(const ebpf_map *a, const ebpf_map *b)
{
    return a->def.type == b->def.type && a->def.key_size == b->def.key_size &&
           a->def.value_size == b->def.value_size && a->def.max_entries == b->def.max_entries;
}

int ebpf_map_set_inner(ebpf_map *outer, const void *key, ebpf_map *inner)
{
    if (!outer->inner)
        return ebpfA_fail(outer->vm, EBPF_EINVAL, -1, "map %s is not a map of maps", outer->name);
    if (inner && (inner->template_only || !same_geometry(inner, outer->inner)))
        return ebpfA_fail(outer->vm, EBPF_EINVAL, -1,
                          "map %s: inner map %s differs from the template (type, key_size, "
                          "value_size, max_entries)",
                          outer->name, inner->name);
    int r = ebpfM_set_pointer(outer, key, inner);
    if (r == -EBPF_E2BIG)
        return ebpfA_fail(outer->vm, EBPF_E2BIG, -1, "map %s: index out of range or full",
                          outer->name);
    if (r == -EBPF_ENOENT && !inner)
        return ebpfA_fail(outer->vm, EBPF_ENOENT, -1, "no such element");
    return r;
}

/* The bounds-checked mode's view of maps of maps: whether [addr, addr+len)
 * lies in an inner map's storage, or p is an inner map, of outer.  Every
 * element is looked at: callers ask only after the VM's own maps failed
 * (the slow path of a run that uses inner maps). */
static const ebpf_map *inner_at(const ebpf_map *outer, uint32_t i)
{
    const uint8_t *v;
    if (outer->def.type == BPF_MAP_TYPE_ARRAY_OF_MAPS)
        v = outer->data + outer->slot * i;
    else if (__atomic_load_n(&outer->used[i], __ATOMIC_ACQUIRE))
        v = outer->data + (size_t)i * outer->entry_size + ebpfM_round8(outer->def.key_size);
    else
        return NULL;
    return __atomic_load_n((const ebpf_map *const *)v, __ATOMIC_ACQUIRE);
}

bool ebpfM_inner_holds(const ebpf_map *outer, const ebpf_map *p, uintptr_t addr, size_t len)
{
    if (!outer->inner || outer->template_only)
        return false;
    for (uint32_t i = 0; i < outer->def.max_entries; i++) {
        const ebpf_map *in = inner_at(outer, i);
        if (in && (p ? in == p : ebpfM_contains(in, addr, len)))
            return true;
    }
    return false;
}

ebpf_map *ebpf_map_get_inner(ebpf_map *outer, const void *key)
{
    if (!outer->inner)
        return NULL;
    return ebpfM_lookup(outer, key, 0);
}

/* ---- stack traces -------------------------------------------------------- */

static struct stack_bucket *bucket_at(const ebpf_map *m, uint32_t id)
{
    return (struct stack_bucket *)(m->data + (size_t)id * m->entry_size);
}

static uint32_t hash_ips(const uint64_t *ips, uint32_t n)
{
    const uint8_t *p = (const uint8_t *)ips;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < (size_t)n * 8; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Linux bpf_get_stackid: the stack's id, or a negative errno:
 * -EFAULT no stack, -EEXIST another stack holds its bucket (without
 * BPF_F_REUSE_STACKID, which replaces it).  BPF_F_FAST_STACK_CMP compares
 * only the hashes. */
long ebpfM_get_stackid(ebpf_vm *vm, ebpf_map *m, void *ctx, uint64_t flags)
{
    if (m->def.type != BPF_MAP_TYPE_STACK_TRACE ||
        (flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP |
                   BPF_F_REUSE_STACKID)))
        return -LINUX_EINVAL;
    if (!vm->stack_fn)
        return -LINUX_EFAULT;
    uint64_t ips[STACK_MAX_DEPTH];
    int max = (int)(m->def.value_size / 8);
    int n = vm->stack_fn(vm, ctx, (flags & BPF_F_USER_STACK) != 0, ips, max,
                         (int)(flags & BPF_F_SKIP_FIELD_MASK));
    if (n <= 0)
        return -LINUX_EFAULT;
    if (n > max)
        n = max;
    uint32_t h = hash_ips(ips, (uint32_t)n), id = h & (m->nbuckets - 1);
    struct stack_bucket *b = bucket_at(m, id);
    long r = id;
    ebpfM_lock(&m->lock);
    bool same = b->nr && b->hash == h &&
                ((flags & BPF_F_FAST_STACK_CMP) ||
                 (b->nr == (uint32_t)n && !ebpfA_memcmp(b->ips, ips, (size_t)n * 8)));
    if (!same) {
        if (b->nr && !(flags & BPF_F_REUSE_STACKID)) {
            r = -LINUX_EEXIST;
        } else {
            ebpfA_memcpy(b->ips, ips, (size_t)n * 8);
            ebpfA_memset(b->ips + n, 0, (size_t)(max - n) * 8);
            b->hash = h;
            b->nr = (uint32_t)n;
        }
    }
    ebpfM_unlock(&m->lock);
    return r;
}

void *ebpfM_stack_lookup(ebpf_map *m, const void *key)
{
    uint32_t id;
    ebpfA_memcpy(&id, key, 4);
    if (id >= m->nbuckets)
        return NULL;
    struct stack_bucket *b = bucket_at(m, id);
    return b->nr ? b->ips : NULL;
}

int ebpfM_stack_delete(ebpf_map *m, const void *key)
{
    uint32_t id;
    ebpfA_memcpy(&id, key, 4);
    if (id >= m->nbuckets)
        return -EBPF_ENOENT;
    int r = 0;
    struct stack_bucket *b = bucket_at(m, id);
    ebpfM_lock(&m->lock);
    if (!b->nr)
        r = -EBPF_ENOENT;
    b->nr = 0;
    ebpfM_unlock(&m->lock);
    return r;
}

int ebpfM_stack_next_key(ebpf_map *m, const void *key, void *next)
{
    uint32_t id = 0;
    if (key) {
        ebpfA_memcpy(&id, key, 4);
        id = id >= m->nbuckets ? 0 : id + 1;
    }
    for (; id < m->nbuckets; id++) {
        if (bucket_at(m, id)->nr) {
            ebpfA_memcpy(next, &id, 4);
            return 0;
        }
    }
    return -EBPF_ENOENT;
}

/* ---- perf event arrays --------------------------------------------------- */

/* Linux bpf_perf_event_output: flags is the CPU's index, or
 * BPF_F_CURRENT_CPU; -E2BIG past max_entries; a full ring drops the record
 * (-ENOSPC) and counts it lost. */
long ebpfM_perf_output(ebpf_vm *vm, ebpf_map *m, uint64_t flags, const void *data, uint64_t size)
{
    if (m->def.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || (flags & ~BPF_F_INDEX_MASK))
        return -LINUX_EINVAL;
    uint64_t idx = flags == BPF_F_CURRENT_CPU ? vm->cpu : flags;
    if (idx >= m->def.max_entries)
        return -LINUX_E2BIG;
    if (!size)
        return 0;
    if (ebpfM_ringbuf_output(m->ring, data, size, vm->ringbuf_tag) < 0) {
        __atomic_add_fetch(&m->lost, 1, __ATOMIC_RELAXED);
        return -LINUX_ENOSPC;
    }
    return 0;
}

uint64_t ebpf_perf_lost(const ebpf_map *m)
{
    return __atomic_load_n(&m->lost, __ATOMIC_RELAXED);
}
