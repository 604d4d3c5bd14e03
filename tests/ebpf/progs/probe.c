/* A kprobe program against libbpf's headers, unchanged: BTF-defined maps,
 * a legacy map, globals in .rodata/.data/.bss, PT_REGS_PARM1 and a ring
 * buffer. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "regs.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u64);
    __type(value, __u64);
} counts SEC(".maps");

struct stat_value {
    __u64 hits;
    __u64 last;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct stat_value);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

/* libbpf 1.x dropped struct bpf_map_def; the legacy layout is this. */
struct legacy_map_def {
    unsigned int type, key_size, value_size, max_entries, map_flags;
};
struct legacy_map_def legacy SEC("maps") = {BPF_MAP_TYPE_ARRAY, 4, 8, 2, 0};

const volatile __u64 multiplier = 3; /* .rodata */
__u64 calls = 100;                   /* .data */
__u64 last_arg;                      /* .bss */

/* A .text function called from the kprobe section: R_BPF_64_32. */
static __attribute__((noinline)) __u64 scale(__u64 x)
{
    return x * multiplier;
}

struct event {
    __u64 arg;
    __u64 pid_tgid;
};

SEC("kprobe/do_sys_open")
int count_open(struct pt_regs *ctx)
{
    __u64 arg = PT_REGS_PARM1(ctx);
    __u64 one = 1, *v;
    __u32 k0 = 0;

    v = bpf_map_lookup_elem(&counts, &arg);
    if (v)
        __sync_fetch_and_add(v, 1);
    else
        bpf_map_update_elem(&counts, &arg, &one, BPF_NOEXIST);

    struct stat_value *s = bpf_map_lookup_elem(&stats, &k0);
    if (s) {
        s->hits++;
        s->last = arg;
    }
    __u64 *l = bpf_map_lookup_elem(&legacy, &k0);
    if (l)
        *l = scale(arg);

    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (e) {
        e->arg = arg;
        e->pid_tgid = bpf_get_current_pid_tgid();
        bpf_ringbuf_submit(e, 0);
    }
    calls++;
    last_arg = arg;
    return (int)(arg * multiplier);
}

SEC("kretprobe/do_sys_open")
int ret_open(struct pt_regs *ctx)
{
    return (int)PT_REGS_RC(ctx) + 1;
}

SEC("uprobe/libc:malloc")
int on_malloc(struct pt_regs *ctx)
{
    return (int)(PT_REGS_PARM2(ctx) - PT_REGS_PARM1(ctx));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
