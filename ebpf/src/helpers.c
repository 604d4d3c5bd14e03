/*
 * helpers.c - the map and ring buffer helpers the library implements itself
 * (Linux ids and semantics; errors are negative Linux errno values, which
 * is what programs compiled against bpf_helpers.h expect).  Other helpers
 * (time, pid, probe_read...) belong to the embedder.
 *
 * In the bounds-checked mode the helpers check their pointer arguments the
 * same way loads and stores are checked, so an unverified program cannot
 * make a helper touch memory it could not touch itself.
 */
#include "ebpf_int.h"

#define LINUX_ENOENT 2
#define LINUX_E2BIG  7
#define LINUX_EAGAIN 11
#define LINUX_EEXIST 17
#define LINUX_EINVAL 22

bool ebpfH_mem_ok(ebpf_vm *vm, uint64_t addr, uint64_t len, int write)
{
    if (!vm->bounds_check)
        return true;
    return ebpfI_access_ok(vm, (uintptr_t)addr, (size_t)len, write, vm->run_ctx, vm->run_ctx_len);
}

/* A map argument is the address of a struct ebpf_map (lddw with
 * BPF_PSEUDO_MAP_FD resolves to it); check it names one of ours. */
ebpf_map *ebpfH_map_arg(ebpf_vm *vm, uint64_t p)
{
    if (!vm->bounds_check)
        return (ebpf_map *)(uintptr_t)p;
    for (int i = 0; i < vm->nmaps; i++)
        if ((uintptr_t)vm->maps[i] == (uintptr_t)p)
            return vm->maps[i];
    if (vm->tail_prog) /* a tail call's program passes its own maps */
        for (int i = 0; i < vm->tail_prog->nmaps; i++)
            if ((uintptr_t)vm->tail_prog->maps[i] == (uintptr_t)p)
                return vm->tail_prog->maps[i];
    for (int i = 0; i < vm->nmaps; i++) /* an inner map a lookup returned */
        if (vm->maps[i]->inner &&
            ebpfM_inner_holds(vm->maps[i], (const ebpf_map *)(uintptr_t)p, 0, 0))
            return (ebpf_map *)(uintptr_t)p;
    return NULL;
}

static uint64_t errno_of(int r)
{
    switch (-r) {
    case 0:
        return 0;
    case EBPF_ENOENT:
        return (uint64_t)-LINUX_ENOENT;
    case EBPF_EEXIST:
        return (uint64_t)-LINUX_EEXIST;
    case EBPF_E2BIG:
        return (uint64_t)-LINUX_E2BIG;
    }
    return (uint64_t)-LINUX_EINVAL;
}

static uint64_t h_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         ebpf_vm *vm)
{
    (void)r3, (void)r4, (void)r5;
    ebpf_map *m = ebpfH_map_arg(vm, r1);
    if (!m || !ebpfH_mem_ok(vm, r2, m->def.key_size, 0))
        return 0;
    if (m->def.type == BPF_MAP_TYPE_ARRAY) { /* the most used map: no call */
        uint32_t idx;
        __builtin_memcpy(&idx, (const void *)(uintptr_t)r2, 4); /* inlined: 4 bytes */
        return idx < m->def.max_entries ? (uint64_t)(uintptr_t)(m->data + m->slot * idx) : 0;
    }
    return (uint64_t)(uintptr_t)ebpfM_lookup(m, (const void *)(uintptr_t)r2, vm->cpu);
}

static uint64_t h_update(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         ebpf_vm *vm)
{
    (void)r5;
    ebpf_map *m = ebpfH_map_arg(vm, r1);
    if (!m || !ebpfH_mem_ok(vm, r2, m->def.key_size, 0) ||
        !ebpfH_mem_ok(vm, r3, m->def.value_size, 0))
        return (uint64_t)-LINUX_EINVAL;
    /* A program-side failure is not a VM error: no message (the map's VM
     * may be running on another hart).  Per-CPU: this hart's copy. */
    return errno_of(
        ebpfM_update(m, (const void *)(uintptr_t)r2, (const void *)(uintptr_t)r3, r4, vm->cpu));
}

static uint64_t h_delete(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         ebpf_vm *vm)
{
    (void)r3, (void)r4, (void)r5;
    ebpf_map *m = ebpfH_map_arg(vm, r1);
    if (!m || !ebpfH_mem_ok(vm, r2, m->def.key_size, 0))
        return (uint64_t)-LINUX_EINVAL;
    return errno_of(ebpfM_delete(m, (const void *)(uintptr_t)r2));
}

static uint64_t h_rb_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            ebpf_vm *vm)
{
    (void)r4, (void)r5;
    ebpf_map *m = ebpfH_map_arg(vm, r1);
    if (!m || m->def.type != BPF_MAP_TYPE_RINGBUF || !ebpfH_mem_ok(vm, r2, r3, 0))
        return (uint64_t)-LINUX_EINVAL;
    return (uint64_t)ebpfM_ringbuf_output(m, (const void *)(uintptr_t)r2, r3, vm->ringbuf_tag);
}

static uint64_t h_rb_reserve(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                             ebpf_vm *vm)
{
    (void)r3, (void)r4, (void)r5;
    ebpf_map *m = ebpfH_map_arg(vm, r1);
    if (!m || m->def.type != BPF_MAP_TYPE_RINGBUF)
        return 0;
    return (uint64_t)(uintptr_t)ebpfM_ringbuf_reserve(m, r2, vm->ringbuf_tag);
}

/* The ring buffer holding a record the program reserved, or NULL; in the
 * bounds-checked mode NULL also means "not a record" (the helper does
 * nothing).  Its sink, if any, takes the record at submit. */
static ebpf_map *ring_of(ebpf_vm *vm, uint64_t rec, bool *ok)
{
    *ok = !vm->bounds_check && rec != 0;
    for (int i = 0; i < vm->nmaps; i++) {
        ebpf_map *m = vm->maps[i];
        if (m->def.type == BPF_MAP_TYPE_RINGBUF &&
            ebpfM_contains(m, (uintptr_t)rec - BPF_RINGBUF_HDR_SZ, BPF_RINGBUF_HDR_SZ) &&
            ((uintptr_t)rec & 7) == ((uintptr_t)m->data & 7)) {
            *ok = true;
            return m;
        }
    }
    return NULL;
}

static uint64_t h_rb_submit(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            ebpf_vm *vm)
{
    (void)r2, (void)r3, (void)r4, (void)r5;
    bool ok;
    ebpf_map *m = ring_of(vm, r1, &ok);
    if (ok)
        ebpfM_ringbuf_commit(m, (void *)(uintptr_t)r1, false);
    return 0;
}

static uint64_t h_rb_discard(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                             ebpf_vm *vm)
{
    (void)r2, (void)r3, (void)r4, (void)r5;
    bool ok;
    ebpf_map *m = ring_of(vm, r1, &ok);
    if (ok)
        ebpfM_ringbuf_commit(m, (void *)(uintptr_t)r1, true);
    return 0;
}

static uint64_t h_rb_query(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                           ebpf_vm *vm)
{
    (void)r3, (void)r4, (void)r5;
    ebpf_map *m = ebpfH_map_arg(vm, r1);
    if (!m || m->def.type != BPF_MAP_TYPE_RINGBUF)
        return 0;
    return ebpfM_ringbuf_query(m, r2);
}

/* bpf_tail_call(ctx, prog_array, index).  The interpreter and the JIT
 * recognise this function and jump instead of calling it; called as a
 * plain function (callx) it cannot jump, and fails like an empty slot. */
uint64_t ebpfH_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         ebpf_vm *vm)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)vm;
    return (uint64_t)-LINUX_ENOENT;
}

static uint64_t h_perf_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                              ebpf_vm *vm)
{
    (void)r1;
    ebpf_map *m = ebpfH_map_arg(vm, r2);
    if (!m || !ebpfH_mem_ok(vm, r4, r5, 0))
        return (uint64_t)-LINUX_EINVAL;
    return (uint64_t)ebpfM_perf_output(vm, m, r3, (const void *)(uintptr_t)r4, r5);
}

static uint64_t h_get_stackid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                              ebpf_vm *vm)
{
    (void)r4, (void)r5;
    ebpf_map *m = ebpfH_map_arg(vm, r2);
    if (!m)
        return (uint64_t)-LINUX_EINVAL;
    return (uint64_t)ebpfM_get_stackid(vm, m, (void *)(uintptr_t)r1, r3);
}

static const struct ebpf_helper_proto p_lookup = {
    "map_lookup_elem", EBPF_RET_MAP_VALUE_OR_NULL, {EBPF_ARG_MAP, EBPF_ARG_MAP_KEY}};
static const struct ebpf_helper_proto p_update = {
    "map_update_elem",
    EBPF_RET_INTEGER,
    {EBPF_ARG_MAP, EBPF_ARG_MAP_KEY, EBPF_ARG_MAP_VALUE, EBPF_ARG_ANYTHING}};
static const struct ebpf_helper_proto p_delete = {
    "map_delete_elem", EBPF_RET_INTEGER, {EBPF_ARG_MAP, EBPF_ARG_MAP_KEY}};
static const struct ebpf_helper_proto p_rb_output = {
    "ringbuf_output",
    EBPF_RET_INTEGER,
    {EBPF_ARG_MAP, EBPF_ARG_MEM, EBPF_ARG_SIZE_OR_ZERO, EBPF_ARG_ANYTHING}};
static const struct ebpf_helper_proto p_rb_reserve = {
    "ringbuf_reserve",
    EBPF_RET_ALLOC_MEM_OR_NULL,
    {EBPF_ARG_MAP, EBPF_ARG_ALLOC_SIZE, EBPF_ARG_ANYTHING}};
static const struct ebpf_helper_proto p_rb_submit = {
    "ringbuf_submit", EBPF_RET_VOID, {EBPF_ARG_ALLOC_MEM, EBPF_ARG_ANYTHING}};
static const struct ebpf_helper_proto p_rb_discard = {
    "ringbuf_discard", EBPF_RET_VOID, {EBPF_ARG_ALLOC_MEM, EBPF_ARG_ANYTHING}};
static const struct ebpf_helper_proto p_rb_query = {
    "ringbuf_query", EBPF_RET_INTEGER, {EBPF_ARG_MAP, EBPF_ARG_ANYTHING}};
/* Linux: tail_call returns nothing a program may read (RET_VOID) */
static const struct ebpf_helper_proto p_tail_call = {
    "tail_call", EBPF_RET_VOID, {EBPF_ARG_CTX, EBPF_ARG_MAP, EBPF_ARG_ANYTHING}};
static const struct ebpf_helper_proto p_perf_output = {
    "perf_event_output",
    EBPF_RET_INTEGER,
    {EBPF_ARG_CTX, EBPF_ARG_MAP, EBPF_ARG_ANYTHING, EBPF_ARG_MEM, EBPF_ARG_SIZE_OR_ZERO}};
static const struct ebpf_helper_proto p_get_stackid = {
    "get_stackid", EBPF_RET_INTEGER, {EBPF_ARG_CTX, EBPF_ARG_MAP, EBPF_ARG_ANYTHING}};

int ebpf_register_map_helpers(ebpf_vm *vm)
{
    int r = 0;
    r |= ebpf_register_helper(vm, BPF_FUNC_map_lookup_elem, h_lookup, &p_lookup);
    r |= ebpf_register_helper(vm, BPF_FUNC_map_update_elem, h_update, &p_update);
    r |= ebpf_register_helper(vm, BPF_FUNC_map_delete_elem, h_delete, &p_delete);
    r |= ebpf_register_helper(vm, BPF_FUNC_ringbuf_output, h_rb_output, &p_rb_output);
    r |= ebpf_register_helper(vm, BPF_FUNC_ringbuf_reserve, h_rb_reserve, &p_rb_reserve);
    r |= ebpf_register_helper(vm, BPF_FUNC_ringbuf_submit, h_rb_submit, &p_rb_submit);
    r |= ebpf_register_helper(vm, BPF_FUNC_ringbuf_discard, h_rb_discard, &p_rb_discard);
    r |= ebpf_register_helper(vm, BPF_FUNC_ringbuf_query, h_rb_query, &p_rb_query);
    r |= ebpf_register_helper(vm, BPF_FUNC_tail_call, ebpfH_tail_call, &p_tail_call);
    r |= ebpf_register_helper(vm, BPF_FUNC_perf_event_output, h_perf_output, &p_perf_output);
    r |= ebpf_register_helper(vm, BPF_FUNC_get_stackid, h_get_stackid, &p_get_stackid);
    return r ? -EBPF_EINVAL : 0;
}

/* ---- Linux prototypes of the helpers embedders implement ---------------- */

static const struct ebpf_helper_proto p_noargs[] = {
    {"ktime_get_ns", EBPF_RET_INTEGER, {0}},
    {"get_prandom_u32", EBPF_RET_INTEGER, {0}},
    {"get_smp_processor_id", EBPF_RET_INTEGER, {0}},
    {"get_current_pid_tgid", EBPF_RET_INTEGER, {0}},
    {"get_current_uid_gid", EBPF_RET_INTEGER, {0}},
};
/* as Linux: the up to three format arguments are not checked (may be unset) */
static const struct ebpf_helper_proto p_trace_printk = {
    "trace_printk", EBPF_RET_INTEGER, {EBPF_ARG_MEM, EBPF_ARG_SIZE}};
static const struct ebpf_helper_proto p_comm = {
    "get_current_comm", EBPF_RET_INTEGER, {EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE}};
/* probe_read*(dst, size, unsafe_ptr): the helper checks unsafe_ptr itself */
static const struct ebpf_helper_proto p_probe[] = {
    {"probe_read",
     EBPF_RET_INTEGER,
     {EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE_OR_ZERO, EBPF_ARG_ANYTHING}},
    {"probe_read_str",
     EBPF_RET_INTEGER,
     {EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE_OR_ZERO, EBPF_ARG_ANYTHING}},
    {"probe_read_user",
     EBPF_RET_INTEGER,
     {EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE_OR_ZERO, EBPF_ARG_ANYTHING}},
    {"probe_read_kernel",
     EBPF_RET_INTEGER,
     {EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE_OR_ZERO, EBPF_ARG_ANYTHING}},
    {"probe_read_user_str",
     EBPF_RET_INTEGER,
     {EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE_OR_ZERO, EBPF_ARG_ANYTHING}},
    {"probe_read_kernel_str",
     EBPF_RET_INTEGER,
     {EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE_OR_ZERO, EBPF_ARG_ANYTHING}},
};

/* The rest of the tracing set the reference kernel offers (ktrace/src/bpf_helpers.c). */
static const struct ebpf_helper_proto p_tracing_noargs[] = {
    {"get_current_task", EBPF_RET_INTEGER, {0}},
    {"get_numa_node_id", EBPF_RET_INTEGER, {0}},
    {"jiffies64", EBPF_RET_INTEGER, {0}},
    {"ktime_get_boot_ns", EBPF_RET_INTEGER, {0}},
    {"ktime_get_coarse_ns", EBPF_RET_INTEGER, {0}},
};
static const struct ebpf_helper_proto p_get_stack = {
    "get_stack",
    EBPF_RET_INTEGER,
    {EBPF_ARG_CTX, EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE_OR_ZERO, EBPF_ARG_ANYTHING}};
static const struct ebpf_helper_proto p_ctx_only[] = {
    {"get_func_ip", EBPF_RET_INTEGER, {EBPF_ARG_CTX}},
    {"get_attach_cookie", EBPF_RET_INTEGER, {EBPF_ARG_CTX}},
};
/* snprintf(out, out_size, fmt, data, data_len): Linux checks fmt as a
 * constant string; here the helper reads it with care at run time */
static const struct ebpf_helper_proto p_snprintf = {
    "snprintf",
    EBPF_RET_INTEGER,
    {EBPF_ARG_UNINIT_MEM, EBPF_ARG_SIZE_OR_ZERO, EBPF_ARG_ANYTHING, EBPF_ARG_MEM,
     EBPF_ARG_SIZE_OR_ZERO}};

static const struct ebpf_helper_proto *tracing_proto(uint32_t id)
{
    switch (id) {
    case BPF_FUNC_get_current_task:
        return &p_tracing_noargs[0];
    case BPF_FUNC_get_numa_node_id:
        return &p_tracing_noargs[1];
    case BPF_FUNC_jiffies64:
        return &p_tracing_noargs[2];
    case BPF_FUNC_ktime_get_boot_ns:
        return &p_tracing_noargs[3];
    case BPF_FUNC_ktime_get_coarse_ns:
        return &p_tracing_noargs[4];
    case BPF_FUNC_get_stack:
        return &p_get_stack;
    case BPF_FUNC_get_func_ip:
        return &p_ctx_only[0];
    case BPF_FUNC_get_attach_cookie:
        return &p_ctx_only[1];
    case BPF_FUNC_snprintf:
        return &p_snprintf;
    }
    return NULL;
}

const struct ebpf_helper_proto *ebpf_linux_proto(uint32_t id)
{
    switch (id) {
    case BPF_FUNC_map_lookup_elem:
        return &p_lookup;
    case BPF_FUNC_map_update_elem:
        return &p_update;
    case BPF_FUNC_map_delete_elem:
        return &p_delete;
    case BPF_FUNC_ringbuf_output:
        return &p_rb_output;
    case BPF_FUNC_ringbuf_reserve:
        return &p_rb_reserve;
    case BPF_FUNC_ringbuf_submit:
        return &p_rb_submit;
    case BPF_FUNC_ringbuf_discard:
        return &p_rb_discard;
    case BPF_FUNC_ringbuf_query:
        return &p_rb_query;
    case BPF_FUNC_tail_call:
        return &p_tail_call;
    case BPF_FUNC_perf_event_output:
        return &p_perf_output;
    case BPF_FUNC_get_stackid:
        return &p_get_stackid;
    case BPF_FUNC_ktime_get_ns:
        return &p_noargs[0];
    case BPF_FUNC_get_prandom_u32:
        return &p_noargs[1];
    case BPF_FUNC_get_smp_processor_id:
        return &p_noargs[2];
    case BPF_FUNC_get_current_pid_tgid:
        return &p_noargs[3];
    case BPF_FUNC_get_current_uid_gid:
        return &p_noargs[4];
    case BPF_FUNC_trace_printk:
        return &p_trace_printk;
    case BPF_FUNC_get_current_comm:
        return &p_comm;
    case BPF_FUNC_probe_read:
        return &p_probe[0];
    case BPF_FUNC_probe_read_str:
        return &p_probe[1];
    case BPF_FUNC_probe_read_user:
        return &p_probe[2];
    case BPF_FUNC_probe_read_kernel:
        return &p_probe[3];
    case BPF_FUNC_probe_read_user_str:
        return &p_probe[4];
    case BPF_FUNC_probe_read_kernel_str:
        return &p_probe[5];
    }
    return tracing_proto(id);
}
