/* Run on several threads at once by tests/ebpf/test_smp.c, each thread on
 * its own replica of one VM: an atomic counter in an array, a hash map
 * whose keys every thread inserts at the same time, and a ring buffer with
 * many producers.  a0 is the hash key, a1 the record (thread << 32 | n). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "regs.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} total SEC(".maps"); /* [0] runs, [1] ring buffer records refused (full) */

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} per_key SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 14);
} records SEC(".maps");

SEC("kprobe/smp")
int smp(struct pt_regs *ctx)
{
    __u32 zero = 0, one_key = 1, key = (__u32)PT_REGS_PARM1(ctx);
    __u64 *v = bpf_map_lookup_elem(&total, &zero);
    if (v)
        __sync_fetch_and_add(v, 1);
    v = bpf_map_lookup_elem(&per_key, &key);
    if (!v) {
        __u64 one = 1;
        /* Another thread may insert the key between the lookup and here:
         * then add to its element instead. */
        if (bpf_map_update_elem(&per_key, &key, &one, BPF_NOEXIST) == 0)
            goto out;
        v = bpf_map_lookup_elem(&per_key, &key);
    }
    if (v)
        __sync_fetch_and_add(v, 1);
out:;
    __u64 rec = PT_REGS_PARM2(ctx);
    if (bpf_ringbuf_output(&records, &rec, sizeof rec, 0) != 0) {
        v = bpf_map_lookup_elem(&total, &one_key);
        if (v)
            __sync_fetch_and_add(v, 1);
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
