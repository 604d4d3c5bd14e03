/* Uploaded by tests/kernel/rprobeall.test.mjs: a program attached as a
 * kprobe and as a kretprobe to every probeable function of the Rust
 * kernel.  Each run calls every eBPF helper that reaches the OS's port
 * (ktrace_os.h) inside a hit - time, hart, current task, comm, kernel and
 * user memory reads, kernel and user stack walks, jiffies, the function's
 * address - and counts its runs (the attachments of one upload share the
 * map).  A probe on a function the port calls during a hit is hit again
 * from inside the program: ktrace runs no program on a hart already
 * running one, so that must end, not recurse. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} runs SEC(".maps");

SEC("kretprobe/any")
int touch_port(void *ctx)
{
    __u64 stack[8];
    char comm[16], text[8];
    __u64 word = 0;
    __u64 sp = ((__u64 *)ctx)[2]; /* struct user_regs_struct: pc, ra, sp */
    __u64 sum = bpf_ktime_get_ns() + bpf_get_smp_processor_id() + bpf_get_current_pid_tgid();
    sum += bpf_get_current_task() + bpf_jiffies64() + bpf_get_func_ip(ctx);
    bpf_get_current_comm(comm, sizeof comm);
    bpf_probe_read_kernel(&word, sizeof word, (void *)sp);
    bpf_probe_read_user(&word, sizeof word, (void *)0x10000);
    bpf_probe_read_user_str(text, sizeof text, (void *)0x10000);
    bpf_get_stack(ctx, stack, sizeof stack, 0);
    bpf_get_stack(ctx, stack, sizeof stack, BPF_F_USER_STACK);
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&runs, &key);
    if (v)
        __sync_fetch_and_add(v, 1 + (sum & 0) + (word & 0));
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
