/* Every map type of issue 18, declared the libbpf way (BTF .maps) and used
 * the way tracing tools use them: per-CPU counters, an LRU hash, a perf
 * event array, a stack-trace map, a program array with an initialiser and
 * tail calls, and an array of maps with an initialiser. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} pcpu_count SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} pcpu_hash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4);
    __type(key, __u64);
    __type(value, __u64);
} recent SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} recent_pcpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);
    __uint(max_entries, 64);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, 8 * sizeof(__u64));
} stacks SEC(".maps");

struct inner_map {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} inner0 SEC(".maps"), inner1 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner_map);
} outer SEC(".maps") = {
    .values = {[0] = &inner0, [1] = &inner1},
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __uint(max_entries, 8);
    __type(key, __u64);
    __array(values, struct inner_map);
} by_pid SEC(".maps");

int tail_target(void *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, int(void *));
} jumps SEC(".maps") = {
    .values = {[2] = (void *)&tail_target},
};

struct event {
    __u64 value;
    __s64 stack_id;
};

/* count on this hart, remember, report with a stack, read through the
 * map of maps, then jump to slot 2 */
SEC("kprobe/main")
int main_prog(void *ctx)
{
    __u32 zero = 0, one = 1;
    __u64 *c = bpf_map_lookup_elem(&pcpu_count, &zero);
    if (c)
        __sync_fetch_and_add(c, 1);
    __u64 key = 5, val = 50;
    bpf_map_update_elem(&recent, &key, &val, BPF_ANY);
    bpf_map_update_elem(&pcpu_hash, &one, &val, BPF_ANY);
    bpf_map_update_elem(&recent_pcpu, &one, &one, BPF_ANY);
    __u64 pid = bpf_get_current_pid_tgid();
    void *mine = bpf_map_lookup_elem(&by_pid, &pid);
    if (mine) {
        __u64 *v = bpf_map_lookup_elem(mine, &zero);
        if (v)
            val += *v; /* (never: no inner map for this pid) */
    }
    struct event e = {.value = 0};
    e.stack_id = bpf_get_stackid(ctx, &stacks, 0);
    void *in = bpf_map_lookup_elem(&outer, &one);
    if (in) {
        __u64 *v = bpf_map_lookup_elem(in, &one);
        if (v)
            e.value = *v;
    }
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
    bpf_tail_call(ctx, &jumps, 2);
    return 1; /* no program in slot 2 */
}

SEC("kprobe/target")
int tail_target(void *ctx)
{
    return 42;
}

char LICENSE[] SEC("license") = "GPL";
