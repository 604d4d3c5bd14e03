/* A user program for `trace kprobe sys_write <this file>`: counts writes
 * per process in a BTF-defined hash map and prints each one's comm.
 * Built by osdbg with clang against the project's include/bpf headers. */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} writes SEC(".maps");

SEC("kprobe/sys_write")
int BPF_KPROBE(on_write, void *unused)
{
    __u32 pid = (__u32)bpf_get_current_pid_tgid();
    __u64 one = 1, *n = bpf_map_lookup_elem(&writes, &pid);
    if (n)
        __sync_fetch_and_add(n, 1);
    else
        bpf_map_update_elem(&writes, &pid, &one, BPF_NOEXIST);
    char comm[16];
    bpf_get_current_comm(comm, sizeof comm);
    bpf_printk("write by %s", comm);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
