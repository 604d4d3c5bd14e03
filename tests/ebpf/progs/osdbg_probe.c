/* Probe programs against osdbg's own headers (include/bpf), for
 * `ebpf-run --verify --section NAME`: the kernel's helpers, a read-only
 * 256-byte struct pt_regs as the context. */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/osdbg.h>

/* a0 + a1: an integer and a pointer parameter */
SEC("kprobe/sys_write")
int BPF_KPROBE(on_write, int fd, const char *buf)
{
    return fd + (int)(unsigned long)buf;
}

/* Reads kernel memory: on the host every such read faults (-EFAULT). */
SEC("kprobe/sys_close")
int on_close(struct pt_regs *ctx)
{
    struct proc *p = (void *)PT_REGS_PARM1(ctx);
    int pid = 7;
    long r = bpf_probe_read_kernel(&pid, sizeof(pid), &p->pid);
    return r == -14 && pid == 0 ? 99 : 1;
}

/* The probe context is read-only in the kernel. */
SEC("kprobe/writes_ctx")
int writes_ctx(struct pt_regs *ctx)
{
    ctx->a0 = 1;
    return 0;
}

/* A helper the kernel does not offer (Linux's skb_load_bytes, 26). */
static long (*skb_load_bytes)(const void *skb, __u32 off, void *to, __u32 len) = (void *)26;
SEC("kprobe/other_helper")
int other_helper(struct pt_regs *ctx)
{
    char b[4];
    return (int)skb_load_bytes(ctx, 0, b, 4);
}

char LICENSE[] SEC("license") = "GPL";
