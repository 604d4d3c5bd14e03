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
 * state (the run's context, the random generator) is indexed by kt_os_hart().
 * Nothing a program passes may fault the kernel: every address it gives is
 * read through the OS's port (kernel memory where kt_os_kernel_readable
 * says, RAM only; the current process's through kt_os_user_read) and
 * buffers are the verifier's (pointer and size checked).
 */
#include "bpf_helpers.h"
#include "bpf.h"
#include "bpf_stack.h"
#include "kt_time.h"
#include "ktrace_os.h"
#include "format.h"
#include "kstring.h"
#include <osdbg/bpf_ids.h>
#include <osdbg/bpf_kernel_helpers.h>
#include <osdbg/errno.h>

#define UNUSED5(a, b, c, d, e) ((void)(a), (void)(b), (void)(c), (void)(d), (void)(e))

/* ---- the run on this hart ---- */

struct bpf_helper_run bpf_helper_runs[KT_MAX_HARTS]; /* bpf_helpers_run_begin/_end */

/* The program runs for a probe in user code (a uprobe): its context's pc
 * is not kernel text. */
static bool probe_in_user_code(void)
{
    const uint64_t *ctx = bpf_helper_runs[kt_os_hart()].ctx;
    uint64_t lo, hi;
    kt_os_kernel_text(&lo, &hi);
    return ctx && !(ctx[0] >= lo && ctx[0] < hi);
}

/* ---- memory ---- */

/* Every byte of [addr, addr+len) readable kernel RAM?  Device registers
 * are refused: reading one may have an effect (the UART's receive register
 * takes a byte). */
static bool kernel_readable(uint64_t addr, uint64_t len)
{
    return kt_os_kernel_readable(addr, len);
}

/* The current process's address space, 0 if none runs on this hart. */
static uint64_t current_space(void)
{
    uint64_t space = 0;
    return kt_os_current_task(0, &space) ? space : 0;
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
    uint64_t space = current_space();
    if (!space || kt_os_user_read(space, src, dst, size) < 0) {
        memset(dst, 0, size);
        return -EFAULT;
    }
    return 0;
}

/* bpf_probe_read_{user,kernel}_str, as Linux: at most size - 1 bytes up to
 * and with the NUL, which is always written; returns the length with the
 * NUL (size when cut short), or -EFAULT with dst zeroed when a byte before
 * the NUL cannot be read.  space: a process's (kt_os_user_read, in
 * pieces that stay in one page, so a string ending just before an unmapped
 * page is read), else kernel memory (one check per page, not per byte).
 * Nothing after the NUL is written. */
long bpf_read_str(char *dst, uint64_t size, uint64_t src, uint64_t space)
{
    if (size == 0)
        return -EINVAL;
    uint64_t i = 0;
    while (i + 1 < size) {
        uint64_t va = src + i, in_page = KT_PAGE_SIZE - va % KT_PAGE_SIZE;
        char piece[64];
        const char *from;
        if (va < src) /* wrapped around the address space */
            goto fault;
        uint64_t n = in_page < size - 1 - i ? in_page : size - 1 - i;
        if (space) {
            if (n > sizeof piece)
                n = sizeof piece;
            if (kt_os_user_read(space, va, piece, n) < 0)
                goto fault;
            from = piece;
        } else {
            if (!kernel_readable(va, 1))
                goto fault;
            from = (const char *)va;
        }
        for (; n > 0; n--, i++) {
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
    uint64_t space = current_space();
    if (!space) {
        memset(dst, 0, size);
        return size ? -EFAULT : -EINVAL;
    }
    return bpf_read_str(dst, size, src, space);
}

/*
 * The legacy bpf_probe_read and bpf_probe_read_str (ids 4 and 45) do not
 * say which address space they read.  Linux decides by address on
 * architectures whose user and kernel ranges do not overlap (below
 * TASK_SIZE: user).  Here they may overlap (the C kernel's stacks lie in
 * the same range as a process's user stack, just below the trampoline).
 * So: an address the current process maps for user mode is read there if
 * it lies below the kernel's text (the kernel maps no RAM there, only
 * device registers, which these helpers never read) or if the probe
 * stopped in user code; every other address is read as kernel memory.  New
 * programs should say which they mean (probe_read_user / probe_read_kernel).
 */
static bool compat_reads_user(uint64_t addr)
{
    uint64_t space = current_space(), lo, hi;
    uint8_t byte;
    if (!space || kt_os_user_read(space, addr, &byte, 1) < 0)
        return false;
    kt_os_kernel_text(&lo, &hi);
    return addr < lo || probe_in_user_code();
}

/* ---- the helpers ---- */

static uint64_t h_ktime_get_ns(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                               ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return kt_rdtime() * (1000000000UL / kt_os_timebase_hz());
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

/* Timer ticks since boot (kt_os_tick_hz a second: the C kernel's 100). */
static uint64_t h_jiffies64(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                            ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return kt_os_jiffies();
}

static uint64_t h_get_smp_processor_id(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                       ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return (uint64_t)kt_os_hart();
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
    struct kt_task t;
    kt_os_current(&t); /* pid 0 when no process runs here */
    return (uint64_t)(uint32_t)t.tgid << 32 | (uint32_t)t.pid;
}

/* The kernel has no users or groups: every process runs as uid 0, gid 0,
 * so the answer is 0 (gid << 32 | uid).  With no current process Linux
 * answers -EINVAL, and so does this. */
static uint64_t h_get_current_uid_gid(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                      ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return kt_os_current_task(0, 0) ? 0 : (uint64_t)-EINVAL;
}

/* The current task's structure (kt_task.task: the C kernel's struct proc *,
 * kernel/proc.h; its layout for programs is include/bpf/osdbg.h), 0 on a
 * hart running none.  A program reads its fields with
 * bpf_probe_read_kernel (BPF_CORE_READ). */
static uint64_t h_get_current_task(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                   ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    return kt_os_current_task(0, 0);
}

static uint64_t h_get_current_comm(uint64_t buf, uint64_t size, uint64_t c, uint64_t d,
                                   uint64_t e, ebpf_vm *vm)
{
    (void)c, (void)d, (void)e, (void)vm;
    struct kt_task t;
    char *dst = (char *)buf;
    if (!size)
        return (uint64_t)-EINVAL;
    kt_os_current(&t); /* comm "" when no process runs here */
    memset(dst, 0, size); /* zero-padded, as Linux's strscpy_pad */
    strlcpy(dst, t.comm, size);
    return 0;
}

/* A pseudo-random number per hart (splitmix64: add the golden-ratio
 * constant, then mix), no lock: a hart runs one program at a time with
 * interrupts off.  Seeded from the timer and the hart at first use.  Not
 * for secrets, as Linux's is not. */
static uint64_t prandom_state[KT_MAX_HARTS];

static uint64_t h_get_prandom_u32(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                  ebpf_vm *vm)
{
    UNUSED5(a, b, c, d, e), (void)vm;
    uint64_t *s = &prandom_state[kt_os_hart()];
    if (*s == 0)
        *s = kt_rdtime() ^ ((uint64_t)(kt_os_hart() + 1) << 56);
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
    return (uint64_t)bpf_read_str((char *)dst, size, src, 0);
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
    return (uint64_t)bpf_read_str((char *)dst, size, src, 0);
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
    uint64_t ip = bpf_helper_runs[kt_os_hart()].func_ip;
    return ip ? ip : *(const uint64_t *)ctx;
}

/* The cookie BPF_LINK_CREATE gave the probe that runs the program
 * (kprobe_multi.cookies), else 0, Linux's answer for a probe attached
 * without one (uprobe links take none). */
static uint64_t h_get_attach_cookie(uint64_t ctx, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                    ebpf_vm *vm)
{
    UNUSED5(ctx, b, c, d, e), (void)vm;
    return bpf_helper_runs[kt_os_hart()].cookie;
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
        bpf_read_str(f, sizeof f, fmt, 0) <= 0 || strnlen(f, sizeof f) == sizeof f - 1) {
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
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const struct ebpf_helper_proto *proto = ebpf_linux_proto(table[i].id);
        if (proto)
            ebpf_register_helper(vm, table[i].id, table[i].fn, proto);
    }
}
