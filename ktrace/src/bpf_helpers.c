/*
 * Helpers the kernel gives eBPF programs, with Linux's ids and prototypes
 * (the library's ebpf_linux_proto), so programs built against libbpf's
 * bpf_helpers.h run unchanged.  Which helpers: the X-macro list in
 * include/osdbg/bpf_kernel_helpers.h, shared with ebpf-run --verify; each
 * name NAME there is function h_NAME here.  docs/ebpf.md has the table of
 * Linux's tracing helpers, offered or not, and why.
 *
 * A helper runs inside a program's run: on one hart, interrupts off, and
 * maybe on every hart at once.  So no helper takes a lock or sleeps; per-hart
 * state (the run's context, the random generator) is indexed by cpuid().
 * Nothing a program passes may fault the kernel: every address it gives is
 * read through a page table walk (the kernel's, RAM only, or the current
 * process's) and buffers are the verifier's (pointer and size checked).
 */
#include "bpf_helpers.h"
#include "bpf.h"
#include "bpf_stack.h"
#include "cpu.h"
#include "kstring.h"
#include "param.h"
#include "printf.h"
#include "proc.h"
#include "riscv.h"
#include "vm.h"
#include <osdbg/bpf_ids.h>
#include <osdbg/bpf_kernel_helpers.h>
#include <osdbg/errno.h>
#include <osdbg/memlayout.h>

extern char etext[]; /* end of kernel text (kernel.ld) */

#define UNUSED5(a, b, c, d, e) ((void)(a), (void)(b), (void)(c), (void)(d), (void)(e))

/* ---- the run on this hart ---- */

static struct helper_run {
    const void *ctx;  /* the running program's context */
    uint64_t func_ip; /* the probe's function, or 0 */
    uint64_t cookie;  /* the probe's cookie, or 0 */
} runs[NCPU];

void bpf_helpers_run_begin(const void *ctx, uint64_t func_ip, uint64_t cookie)
{
    runs[cpuid()] = (struct helper_run){ctx, func_ip, cookie};
}

void bpf_helpers_run_end(void)
{
    runs[cpuid()] = (struct helper_run){0, 0, 0};
}

/* The program runs for a probe in user code (a uprobe): its context's pc
 * is not kernel text. */
static bool probe_in_user_code(void)
{
    const uint64_t *ctx = runs[cpuid()].ctx;
    return ctx && !(ctx[0] >= KERNBASE && ctx[0] < (uint64_t)etext);
}

/* ---- memory ---- */

/* Every page of [addr, addr+len) readable kernel RAM?  Device registers
 * (below KERNBASE) are refused: reading one may have an effect (the UART's
 * receive register takes a byte). */
static bool kernel_readable(uint64_t addr, uint64_t len)
{
    if (addr + len < addr || addr < KERNBASE)
        return false;
    for (uint64_t a = PGROUNDDOWN(addr); a < addr + len; a += PGSIZE) {
        pte_t *pte = walk(kernel_pagetable, a, false);
        if (!pte || !(*pte & PTE_V) || !(*pte & PTE_R))
            return false;
    }
    return true;
}

static long read_kernel(void *dst, uint64_t size, uint64_t src)
{
    if (!kernel_readable(src, size)) {
        memset(dst, 0, size);
        return -EFAULT;
    }
    memmove(dst, (const void *)src, size);
    return 0;
}

static long read_user(void *dst, uint64_t size, uint64_t src)
{
    struct proc *p = myproc();
    if (!p || copyin(p->pagetable, dst, src, size) < 0) {
        memset(dst, 0, size);
        return -EFAULT;
    }
    return 0;
}

/* bpf_probe_read_{user,kernel}_str, as Linux: at most size - 1 bytes up to
 * and with the NUL, which is always written; returns the length with the
 * NUL (size when cut short), or -EFAULT with dst zeroed when a byte before
 * the NUL cannot be read.  user: that process's page table, else kernel
 * memory.  One page-table walk per page, not per byte. */
static long read_str(char *dst, uint64_t size, uint64_t src, pagetable_t user)
{
    if (size == 0)
        return -EINVAL;
    uint64_t i = 0;
    while (i + 1 < size) {
        uint64_t va = src + i, page = PGROUNDDOWN(va);
        const char *from;
        if (va < src) /* wrapped around the address space */
            goto fault;
        if (user) {
            uint64_t pa = walkaddr(user, page);
            if (!pa)
                goto fault;
            from = (const char *)(pa + (va - page));
        } else {
            if (!kernel_readable(va, 1))
                goto fault;
            from = (const char *)va;
        }
        for (uint64_t n = PGSIZE - (va - page); n > 0 && i + 1 < size; n--, i++) {
            dst[i] = *from++;
            if (!dst[i])
                return (long)(i + 1);
        }
    }
    dst[size - 1] = 0;
    return (long)size;
fault:
    memset(dst, 0, size);
    return -EFAULT;
}

static long read_user_str(char *dst, uint64_t size, uint64_t src)
{
    struct proc *p = myproc();
    if (!p) {
        memset(dst, 0, size);
        return size ? -EFAULT : -EINVAL;
    }
    return read_str(dst, size, src, p->pagetable);
}

/*
 * The legacy bpf_probe_read and bpf_probe_read_str (ids 4 and 45) do not
 * say which address space they read.  Linux decides by address on
 * architectures whose user and kernel ranges do not overlap (below
 * TASK_SIZE: user).  Here they overlap: the kernel's stacks lie in the same
 * range as a process's user stack, just below the trampoline.  So: an
 * address the current process maps for user mode is read there if it lies
 * below KERNBASE (the kernel maps only device registers there, which these
 * helpers never read) or if the probe stopped in user code; every other
 * address is read as kernel memory.  New programs should say which they
 * mean (probe_read_user / probe_read_kernel).
 */
static bool compat_reads_user(uint64_t addr)
{
    struct proc *p = myproc();
    if (!p || !p->pagetable || !walkaddr(p->pagetable, PGROUNDDOWN(addr)))
        return false;
    return addr < KERNBASE || probe_in_user_code();
}

/* ---- the helpers ---- */

static uint64_t h_ktime_get_ns(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                               ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return r_time() * (1000000000UL / TIMEBASE_HZ);
}

/* The machine never suspends: time since boot is the monotonic time. */
static uint64_t h_ktime_get_boot_ns(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                    ebpf_vm *vm)
{
    return h_ktime_get_ns(a, b, c, d, e, vm);
}

/* Linux's coarse clock is cheaper and tick-grained; reading time here is
 * as cheap as it gets, so it is the same clock. */
static uint64_t h_ktime_get_coarse_ns(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                      ebpf_vm *vm)
{
    return h_ktime_get_ns(a, b, c, d, e, vm);
}

/* Timer ticks since boot (100 Hz, the kernel's HZ). */
static uint64_t h_jiffies64(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                            ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return ticks_now();
}

static uint64_t h_get_smp_processor_id(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                       ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return (uint64_t)cpuid();
}

/* One memory node. */
static uint64_t h_get_numa_node_id(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                   ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return 0;
}

static uint64_t h_get_current_pid_tgid(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                       ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    struct proc *p = myproc();
    uint64_t pid = p ? (uint64_t)p->pid : 0;
    return pid << 32 | pid; /* one thread per process: tgid == pid */
}

/* The kernel has no users or groups: every process runs as uid 0, gid 0,
 * so the answer is 0 (gid << 32 | uid).  With no current process Linux
 * answers -EINVAL, and so does this. */
static uint64_t h_get_current_uid_gid(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                      ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return myproc() ? 0 : (uint64_t)-EINVAL;
}

/* The current process's struct proc * (kernel/proc.h; its layout for
 * programs is include/bpf/osdbg.h), 0 on a hart running none.  A program
 * reads its fields with bpf_probe_read_kernel (BPF_CORE_READ). */
static uint64_t h_get_current_task(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                   ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return (uint64_t)myproc();
}

static uint64_t h_get_current_comm(uint64_t buf, uint64_t size, uint64_t c, uint64_t d,
                                   uint64_t e, ebpf_vm *vm)
{
    (void)c, (void)d, (void)e, (void)vm;
    struct proc *p = myproc();
    char *dst = (char *)buf;
    if (!size)
        return (uint64_t)-EINVAL;
    memset(dst, 0, size); /* zero-padded, as Linux's strscpy_pad */
    strlcpy(dst, p ? p->name : "", size);
    return 0;
}

/* A pseudo-random number per hart (splitmix64: add the golden-ratio
 * constant, then mix), no lock: a hart runs one program at a time with
 * interrupts off.  Seeded from the timer and the hart at first use.  Not
 * for secrets, as Linux's is not. */
static uint64_t prandom_state[NCPU];

static uint64_t h_get_prandom_u32(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                  ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    uint64_t *s = &prandom_state[cpuid()];
    if (*s == 0)
        *s = r_time() ^ ((uint64_t)(cpuid() + 1) << 56);
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static uint64_t h_probe_read_kernel(uint64_t dst, uint64_t size, uint64_t src, uint64_t d,
                                    uint64_t e, ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    return (uint64_t)read_kernel((void *)dst, size, src);
}

static uint64_t h_probe_read_user(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e,
                                  ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    return (uint64_t)read_user((void *)dst, size, src);
}

static uint64_t h_probe_read_kernel_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t d,
                                        uint64_t e, ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    return (uint64_t)read_str((char *)dst, size, src, 0);
}

static uint64_t h_probe_read_user_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t d,
                                      uint64_t e, ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    return (uint64_t)read_user_str((char *)dst, size, src);
}

static uint64_t h_probe_read(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e,
                             ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    if (compat_reads_user(src))
        return (uint64_t)read_user((void *)dst, size, src);
    return (uint64_t)read_kernel((void *)dst, size, src);
}

static uint64_t h_probe_read_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t d,
                                 uint64_t e, ebpf_vm *vm)
{
    (void)d, (void)e, (void)vm;
    if (compat_reads_user(src))
        return (uint64_t)read_user_str((char *)dst, size, src);
    return (uint64_t)read_str((char *)dst, size, src, 0);
}

/* bpf_get_stack(ctx, buf, size, flags), as Linux: the low 8 bits of flags
 * frames to skip, BPF_F_USER_STACK for the user stack; build ids are not
 * offered (-EINVAL).  Returns the bytes written (8 per frame, the rest of
 * buf zeroed), or -errno with buf zeroed: -EINVAL for bad flags or a size
 * not a multiple of 8, -EFAULT when there is no stack to walk. */
static uint64_t h_get_stack(uint64_t ctx, uint64_t buf, uint64_t size, uint64_t flags, uint64_t e,
                            ebpf_vm *vm)
{
    (void)e, (void)vm;
    uint64_t *ips = (uint64_t *)buf;
    long err = -EINVAL;
    if (!(flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK)) && size % 8 == 0) {
        int n = bpf_stack_walk((const void *)ctx, (flags & BPF_F_USER_STACK) != 0, ips,
                               (int)(size / 8), (int)(flags & BPF_F_SKIP_FIELD_MASK));
        if (n > 0) {
            memset(ips + n, 0, size - 8 * (uint64_t)n);
            return 8 * (uint64_t)n;
        }
        err = -EFAULT;
    }
    memset(ips, 0, size);
    return (uint64_t)err;
}

/* The probed function's address (a kprobe's or uprobe's address; for a
 * return probe, its function's), else the context's pc. */
static uint64_t h_get_func_ip(uint64_t ctx, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                              ebpf_vm *vm)
{
    (void)b, (void)c, (void)d, (void)e, (void)vm;
    uint64_t ip = runs[cpuid()].func_ip;
    return ip ? ip : *(const uint64_t *)ctx;
}

/* The cookie BPF_LINK_CREATE gave the probe that runs the program
 * (kprobe_multi.cookies), else 0, Linux's answer for a probe attached
 * without one (uprobe links take none). */
static uint64_t h_get_attach_cookie(uint64_t ctx, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                    ebpf_vm *vm)
{
    UNUSED5(ctx, b, c, d, e), (void)vm;
    return runs[cpuid()].cookie;
}

/* ---- formatted text: trace_printk and snprintf ---- */

/* Output that counts every byte it would write, as snprintf does. */
struct fmt_out {
    char *buf;
    size_t size, len;
};

static void put(struct fmt_out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_text(struct fmt_out *o, const char *s)
{
    while (*s)
        put(o, *s++);
}

/* A string a program points at: kernel memory, read page by page with
 * care, at most 64 bytes, unprintable bytes as '?'. */
static void put_kernel_str(struct fmt_out *o, uint64_t v)
{
    for (int k = 0; k < 64 && kernel_readable(v + (uint64_t)k, 1); k++) {
        char c = *(const char *)(v + (uint64_t)k);
        if (!c)
            break;
        put(o, c >= 32 && c < 127 ? c : '?');
    }
}

static bool is_conversion(char c)
{
    for (const char *k = "diuxpsc"; *k; k++)
        if (c == *k)
            return true;
    return false;
}

/* Formats f (fsz bytes at most) with args: %d %i %u %x %p %s %c %%, with
 * l/ll.  strict (bpf_snprintf): an unknown conversion or too few arguments
 * is -EINVAL; else (bpf_trace_printk) it is printed as is, a missing
 * argument as 0.  Returns the length it would have written (without NUL);
 * the output is NUL-terminated when o->size > 0. */
static long format(struct fmt_out *o, const char *f, size_t fsz, const uint64_t *args, int nargs,
                   bool strict)
{
    int next = 0;
    for (size_t i = 0; i < fsz && f[i]; i++) {
        if (f[i] != '%' || i + 1 >= fsz) {
            put(o, f[i]);
            continue;
        }
        size_t j = i + 1;
        int longs = 0;
        while (j < fsz && f[j] == 'l')
            longs++, j++;
        char conv = j < fsz ? f[j] : 0;
        if (conv == '%' && longs == 0) {
            put(o, '%');
            i = j;
            continue;
        }
        if (!is_conversion(conv) || (strict && next >= nargs)) {
            if (strict)
                return -EINVAL;
            put(o, '%');
            continue; /* not a conversion we know: printed as is */
        }
        uint64_t v = next < nargs ? args[next] : 0;
        next++;
        char tmp[24];
        tmp[0] = 0;
        switch (conv) {
        case 'd':
        case 'i':
            snprintf(tmp, sizeof tmp, "%ld", longs ? (long)v : (long)(int)v);
            break;
        case 'u':
            snprintf(tmp, sizeof tmp, "%lu", longs ? v : (uint64_t)(uint32_t)v);
            break;
        case 'x':
            snprintf(tmp, sizeof tmp, "%lx", longs ? v : (uint64_t)(uint32_t)v);
            break;
        case 'p':
            snprintf(tmp, sizeof tmp, "0x%lx", v);
            break;
        case 'c':
            put(o, (char)v);
            break;
        case 's':
            put_kernel_str(o, v);
            break;
        }
        put_text(o, tmp);
        i = j;
    }
    if (o->size)
        o->buf[o->len < o->size ? o->len : o->size - 1] = 0;
    return (long)o->len;
}

/* bpf_trace_printk(fmt, fmt_size, a1, a2, a3): the text goes to whoever
 * listens (the side-stub sends it to the host as a 'T' event). */
static void (*printk_hook)(const char *text, size_t len);

void bpf_set_printk_hook(void (*fn)(const char *text, size_t len))
{
    printk_hook = fn;
}

static uint64_t h_trace_printk(uint64_t fmt, uint64_t size, uint64_t a1, uint64_t a2, uint64_t a3,
                               ebpf_vm *vm)
{
    (void)vm;
    uint64_t args[3] = {a1, a2, a3};
    char out[256];
    struct fmt_out o = {out, sizeof out, 0};
    format(&o, (const char *)fmt, size, args, 3, false);
    size_t n = o.len < sizeof out ? o.len : sizeof out - 1;
    if (printk_hook)
        printk_hook(out, n);
    return n;
}

/* bpf_snprintf(out, out_size, fmt, data, data_len), as Linux: fmt a
 * NUL-terminated string (read here with care: the verifier cannot check a
 * constant string), data an array of data_len / 8 64-bit arguments (at most
 * 12); returns the length with the NUL it would write, or -EINVAL (bad
 * format, data_len not a multiple of 8, too many or too few arguments). */
#define SNPRINTF_MAX_ARGS 12
#define SNPRINTF_MAX_FMT  256

static uint64_t h_snprintf(uint64_t out, uint64_t size, uint64_t fmt, uint64_t data,
                           uint64_t data_len, ebpf_vm *vm)
{
    (void)vm;
    char f[SNPRINTF_MAX_FMT];
    struct fmt_out o = {(char *)out, size, 0};
    if (data_len % 8 || data_len / 8 > SNPRINTF_MAX_ARGS ||
        read_str(f, sizeof f, fmt, 0) <= 0 || strnlen(f, sizeof f) == sizeof f - 1) {
        if (size)
            ((char *)out)[0] = 0;
        return (uint64_t)-EINVAL;
    }
    long n = format(&o, f, sizeof f, (const uint64_t *)data, (int)(data_len / 8), true);
    if (n < 0) {
        if (size)
            ((char *)out)[0] = 0;
        return (uint64_t)n;
    }
    return (uint64_t)n + 1;
}

void bpf_register_helpers(ebpf_vm *vm)
{
    ebpf_register_map_helpers(vm);
    static const struct {
        uint32_t id;
        ebpf_helper_fn fn;
    } table[] = {
#define KERNEL_HELPER(name) {BPF_FUNC_##name, h_##name},
        OSDBG_KERNEL_HELPERS(KERNEL_HELPER)
#undef KERNEL_HELPER
    };
    for (size_t i = 0; i < NELEM(table); i++) {
        const struct ebpf_helper_proto *proto = ebpf_linux_proto(table[i].id);
        if (proto)
            ebpf_register_helper(vm, table[i].id, table[i].fn, proto);
    }
}
