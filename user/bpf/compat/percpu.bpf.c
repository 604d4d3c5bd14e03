/* Compatibility suite: per-CPU counters.  A BPF_MAP_TYPE_PERCPU_ARRAY slot
 * and a BPF_MAP_TYPE_PERCPU_HASH element (keyed by pid) count the loader's
 * sys_getpid calls, each hart in its own copy, with no atomic operation.
 * Read through bpf(), a per-CPU value is one copy per CPU: their sum is the
 * number of calls.  Each run also prints its hart and that hart's count for
 * the pid so far (under osdbg trace, each hart's last count adds up too). */
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} calls SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} calls_by_pid SEC(".maps");

struct {
    __u32 target_pid;
} g;

SEC("kprobe/sys_getpid")
int count_calls(void *ctx)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (g.target_pid && pid != g.target_pid) /* 0 (osdbg trace): every process */
        return 0;
    __u32 zero = 0;
    __u64 *v = bpf_map_lookup_elem(&calls, &zero);
    if (v)
        *v += 1; /* this hart's copy: no other hart writes it */
    __u64 mine = 1;
    v = bpf_map_lookup_elem(&calls_by_pid, &pid);
    if (v)
        mine = *v += 1;
    else
        bpf_map_update_elem(&calls_by_pid, &pid, &mine, BPF_NOEXIST);
    /* this hart's count for this pid so far (osdbg trace adds up each hart's last) */
    bpf_printk("hart %u: call %lu", bpf_get_smp_processor_id(), mine);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
