/* Uploaded by tests/kernel/sidestub.test.mjs: BTF-defined maps, a ring
 * buffer, a .rodata format string, bpf_printk, compiled at test time with clang -target bpf. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} calls SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

SEC("kprobe/sys_getpid")
int count_getpid(void *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&calls, &key);
    if (v) {
        __u64 n = __sync_fetch_and_add(v, 1) + 1;
        bpf_ringbuf_output(&events, &n, sizeof n, 0);
        if (n == 3)
            bpf_printk("third getpid, pid %d", (int)(bpf_get_current_pid_tgid() >> 32));
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
