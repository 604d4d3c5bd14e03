/* Every macro of include/bpf/ compiled once, with -Wall -Werror
 * -Werror=int-conversion (clang 15's default): test_headers.sh builds it
 * with <linux/bpf.h> before and after bpf_helpers.h (-DLINUX_BPF_FIRST /
 * -DLINUX_BPF_AFTER) and without it. */
#ifdef LINUX_BPF_FIRST
#include <linux/bpf.h>
#endif
#include <bpf/bpf_helpers.h>
#ifdef LINUX_BPF_AFTER
#include <linux/bpf.h>
#endif
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/osdbg.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct event {
    int pid, parent_pid;
    char name[16];
    __u64 a0;
};

/* Integer and pointer parameters: both must compile without a warning. */
SEC("kprobe/sys_write")
int BPF_KPROBE(on_write, int fd, const char *buf, unsigned long n, void *p4, long p5, __u64 p6)
{
    __u32 key = (__u32)fd;
    __u64 one = n + (unsigned long)buf + (unsigned long)p4 + (__u64)p5 + p6, *v;
    v = bpf_map_lookup_elem(&counts, &key);
    if (v)
        __sync_fetch_and_add(v, one);
    else
        bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
    bpf_printk("write %d %lu", fd, n);
    return 0;
}

SEC("kretprobe/sys_write")
int BPF_KRETPROBE(on_write_ret, long ret)
{
    return ret > 0;
}

SEC("kretprobe/kalloc")
int BPF_KRETPROBE(on_kalloc_ret, void *page)
{
    return page != NULL;
}

SEC("uprobe/user/_hello:main")
int BPF_UPROBE(on_main, int argc, char **argv)
{
    return argc + (argv != NULL);
}

SEC("kprobe/sys_getpid")
int read_task(struct pt_regs *ctx)
{
    struct proc *p = (void *)bpf_get_current_task();
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    e->pid = BPF_CORE_READ(p, pid);
    e->parent_pid = BPF_CORE_READ(p, parent, pid);
    BPF_CORE_READ_INTO(&e->a0, p, trapframe, a0);
    BPF_CORE_READ_STR_INTO(&e->name, p, parent, name);
    if (bpf_core_field_exists(p->xstatus) && bpf_core_type_exists(struct cpu))
        e->a0 += bpf_core_field_size(p->name) + bpf_core_type_size(struct trapframe) +
                 bpf_core_field_offset(struct proc, trapframe);
    __u64 sp = 0;
    bpf_core_read(&sp, sizeof(sp), &p->context.sp);
    e->a0 += sp + PT_REGS_PARM1_CORE(ctx) + PT_REGS_IP(ctx) + PT_REGS_SP(ctx) + PT_REGS_FP(ctx) +
             PT_REGS_RET(ctx) + PT_REGS_PARM8(ctx);
    e->a0 += BPF_CORE_READ(p, trapframe, epc) + bpf_get_current_uid_gid() + bpf_get_prandom_u32();
    bpf_ringbuf_submit(e, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
