/* Compatibility suite: one program attached to two kernel functions with a
 * cookie each (BPF_LINK_CREATE kprobe_multi.cookies); it counts its runs per
 * bpf_get_attach_cookie in a hash map and checks bpf_get_func_ip against
 * the probe it runs for.  The loader calls getpid twice and getppid three
 * times: cookie 111 (sys_getpid) twice, 222 (sys_getppid) three times. */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

static __u64 (*compat_get_func_ip)(void *ctx) = (void *)173;
static __u64 (*compat_get_attach_cookie)(void *ctx) = (void *)174;

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 8);
    __type(key, __u64);
    __type(value, __u64);
} by_cookie SEC(".maps");

struct {
    __u32 target_pid;
    __u32 ip_mismatches;
} g;

SEC("kprobe")
int BPF_KPROBE(count_by_cookie)
{
    if (g.target_pid && (__u32)(bpf_get_current_pid_tgid() >> 32) != g.target_pid)
        return 0;
    if (compat_get_func_ip(ctx) != PT_REGS_IP(ctx))
        g.ip_mismatches++;
    __u64 cookie = compat_get_attach_cookie(ctx), one = 1;
    __u64 *n = bpf_map_lookup_elem(&by_cookie, &cookie);
    if (n)
        *n += 1;
    else
        bpf_map_update_elem(&by_cookie, &cookie, &one, BPF_NOEXIST);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
