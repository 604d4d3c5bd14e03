/* For bpfload's workload on several harts (tests/kernel/smp.test.mjs):
 * every sys_getpid of a bpfload process is counted three ways at once, from
 * whichever hart it runs on - an atomic add into one array slot, an atomic
 * add into the slot of the hart (bpf_get_smp_processor_id), and a hash map
 * keyed by pid, whose first element for a pid two harts may insert at the
 * same time.  The test compares each with the number of calls it asked for. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
    unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct legacy_map_def calls SEC("maps") = {BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(__u64), 1, 0};
struct legacy_map_def per_hart SEC("maps") = {BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(__u64), 8, 0};
struct legacy_map_def per_pid SEC("maps") = {BPF_MAP_TYPE_HASH, sizeof(__u32), sizeof(__u64), 64, 0};

SEC("kprobe/sys_getpid")
int count_getpid(void *ctx)
{
    char comm[16];
    if (bpf_get_current_comm(comm, sizeof comm) || comm[0] != 'b' || comm[1] != 'p' ||
        comm[2] != 'f' || comm[3] != 'l' || comm[4] != 'o' || comm[5] != 'a' || comm[6] != 'd' ||
        comm[7] != 0)
        return 0;
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&calls, &key);
    if (v)
        __sync_fetch_and_add(v, 1);
    key = bpf_get_smp_processor_id();
    v = bpf_map_lookup_elem(&per_hart, &key);
    if (v)
        __sync_fetch_and_add(v, 1);
    key = (__u32)(bpf_get_current_pid_tgid() >> 32);
    v = bpf_map_lookup_elem(&per_pid, &key);
    if (!v) {
        __u64 one = 1;
        if (bpf_map_update_elem(&per_pid, &key, &one, BPF_NOEXIST) == 0)
            return 0;
        v = bpf_map_lookup_elem(&per_pid, &key); /* another hart inserted it first */
    }
    if (v)
        __sync_fetch_and_add(v, 1);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
