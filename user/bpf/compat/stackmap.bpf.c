/* Compatibility suite: a stack-trace histogram.  On the loader's
 * sys_getpid, bpf_get_stackid stores the kernel stack and the user stack in
 * a BPF_MAP_TYPE_STACK_TRACE map and a hash map counts calls per stack id.
 * The loader calls getpid from two functions: one kernel stack id (the
 * kernel path is the same), two user stack ids, counted as called. */
#include <bpf/bpf_helpers.h>

#define DEPTH 16

struct {
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);
    __uint(max_entries, 64);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} kernel_counts SEC(".maps"), user_counts SEC(".maps");

struct {
    __u32 target_pid;
    __u32 failures;
} g;

static __always_inline void count(void *map, long id)
{
    if (id < 0) {
        g.failures++;
        return;
    }
    __u32 key = id;
    __u64 *v = bpf_map_lookup_elem(map, &key);
    if (v) {
        *v += 1;
    } else {
        __u64 one = 1;
        bpf_map_update_elem(map, &key, &one, BPF_NOEXIST);
    }
}

SEC("kprobe/sys_getpid")
int stack_histogram(void *ctx)
{
    if (g.target_pid && (__u32)(bpf_get_current_pid_tgid() >> 32) != g.target_pid)
        return 0;
    long kid = bpf_get_stackid(ctx, &stacks, 0), uid = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
    count(&kernel_counts, kid);
    count(&user_counts, uid);
    bpf_printk("kernel stack id %ld, user stack id %ld", kid, uid);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
