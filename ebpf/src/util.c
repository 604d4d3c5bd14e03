/*
 * util.c - the arena, error reporting and the few libc pieces the library
 * needs (it is built -ffreestanding -nostdlib for the kernel).
 */
#include "ebpf_int.h"

/* Word at a time when both ends are 8-byte aligned: the verifier copies
 * kilobyte-sized states at every branch.  may_alias: these words alias
 * whatever the caller copies. */
typedef uint64_t __attribute__((may_alias)) word_t;

void ebpfA_memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(word_t *)d = *(const word_t *)s;
    }
    while (n--)
        *d++ = *s++;
}

void ebpfA_memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    if (((uintptr_t)d & 7) == 0) {
        uint64_t w = 0x0101010101010101ull * (uint8_t)c;
        for (; n >= 8; n -= 8, d += 8)
            *(word_t *)d = w;
    }
    while (n--)
        *d++ = (uint8_t)c;
}

int ebpfA_memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t ebpfA_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int ebpfA_strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (uint8_t)*a < (uint8_t)*b ? -1 : 1;
        if (!*a)
            return 0;
    }
    return 0;
}

int ebpfA_strcmp(const char *a, const char *b)
{
    return ebpfA_strncmp(a, b, (size_t)-1);
}

/* Always NUL-terminates when n > 0. */
void ebpfA_strlcpy(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    if (!n)
        return;
    for (; i + 1 < n && src[i]; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

/*
 * Bump allocation from the embedder's block.  Blocks are 16-byte aligned and
 * zeroed; nothing is ever freed except by the verifier, which rolls
 * arena_used back to where it started (its scratch space is temporary).
 */
void *ebpfA_alloc(ebpf_vm *vm, size_t size)
{
    size_t at = (vm->arena_used + 15) & ~(size_t)15;
    if (at > vm->arena_size || size > vm->arena_size - at)
        return NULL;
    vm->arena_used = at + size;
    ebpfA_memset(vm->arena + at, 0, size);
    return vm->arena + at;
}

/* ---- a small vsnprintf -------------------------------------------------- */

struct out {
    char *buf;
    size_t len;
    size_t n; /* characters that would have been written */
};

static void put(struct out *o, char c)
{
    if (o->n + 1 < o->len)
        o->buf[o->n] = c;
    o->n++;
}

static void put_num(struct out *o, uint64_t v, int base, bool neg, int width, char pad)
{
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = "0123456789abcdef"[v % (unsigned)base];
        v /= (unsigned)base;
    } while (v);
    if (neg)
        tmp[i++] = '-';
    for (int w = i; w < width; w++)
        put(o, pad);
    while (i)
        put(o, tmp[--i]);
}

int ebpfA_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
    struct out o = {buf, len, 0};
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0')
            pad = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            lng += *fmt == 'z' ? 2 : 1;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num(&o, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = lng >= 2 ? va_arg(ap, unsigned long long)
                         : lng    ? va_arg(ap, unsigned long)
                                  : va_arg(ap, unsigned);
            put_num(&o, v, *fmt == 'x' ? 16 : 10, false, width, pad);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int l = (int)ebpfA_strlen(s);
            for (; l < width; l++)
                put(&o, ' ');
            while (*s)
                put(&o, *s++);
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            return -1;
        }
    }
    if (len)
        buf[o.n < len ? o.n : len - 1] = 0;
    return (int)o.n;
}

int ebpf_snprintf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = ebpfA_vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n;
}

/*
 * Records an error: "insn N: reason" when the error belongs to an
 * instruction, else just the reason.  Returns -code so callers can write
 * `return ebpfA_fail(...)`.
 */
int ebpfA_fail(ebpf_vm *vm, int code, int insn, const char *fmt, ...)
{
    va_list ap;
    vm->err_insn = insn;
    if (!vm->err || !vm->errlen)
        return -code;
    size_t n = 0;
    if (insn >= 0)
        n = (size_t)ebpf_snprintf(vm->err, vm->errlen, "insn %d: ", insn);
    if (n >= vm->errlen)
        return -code;
    va_start(ap, fmt);
    ebpfA_vsnprintf(vm->err + n, vm->errlen - n, fmt, ap);
    va_end(ap);
    return -code;
}

/* ---- VM life cycle ------------------------------------------------------ */

ebpf_vm *ebpf_create(void *mem, size_t size, char *err, size_t errlen)
{
    uintptr_t p = ((uintptr_t)mem + 15) & ~(uintptr_t)15;
    size_t skip = p - (uintptr_t)mem;
    if (err && errlen)
        err[0] = 0;
    if (!mem || size < skip + sizeof(ebpf_vm) + 64) {
        if (err && errlen)
            ebpf_snprintf(err, errlen, "arena of %zu bytes is too small", size);
        return NULL;
    }
    ebpf_vm *vm = (ebpf_vm *)p;
    ebpfA_memset(vm, 0, sizeof(*vm));
    vm->arena = (uint8_t *)p;
    vm->arena_size = size - skip;
    vm->arena_used = sizeof(*vm);
    vm->err = err;
    vm->errlen = errlen;
    vm->err_insn = -1;
    vm->stack = ebpfA_alloc(vm, (size_t)BPF_MAX_FRAMES * BPF_STACK_SIZE);
    vm->helpers = ebpfA_alloc(vm, BPF_FUNC_MAX_ID * sizeof *vm->helpers);
    if (!vm->stack || !vm->helpers) {
        if (err && errlen)
            ebpf_snprintf(err, errlen, "arena of %zu bytes is too small", size);
        return NULL;
    }
    return vm;
}

/*
 * A replica runs the same program on another hart.  Everything a run only
 * reads is shared with the original: instructions, pre-decoded code (its
 * handlers filled now, for the original's bounds-check mode, so no run
 * writes them), compiled code, helpers, maps, regions.  Everything a run
 * writes is the replica's own: the stack (given, or carved from the
 * original's arena), the context of the run under way, the count of
 * executed instructions, JIT bookkeeping and the error buffer.  So one
 * replica per hart runs without any lock.  The original must not change
 * afterwards (load, verify, compile, register, share, mode).
 */
ebpf_vm *ebpf_replicate(ebpf_vm *vm, void *stack, char *err, size_t errlen)
{
    if (vm->origin || !vm->code) {
        ebpfA_fail(vm, EBPF_EINVAL, -1, vm->origin ? "a replica cannot be replicated"
                                                   : "no program loaded to replicate");
        return NULL;
    }
    ebpf_vm *r = ebpfA_alloc(vm, sizeof *r);
    if (r && !stack)
        stack = ebpfA_alloc(vm, (size_t)BPF_MAX_FRAMES * BPF_STACK_SIZE);
    if (!r || !stack) {
        ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena exhausted: no room for a replica");
        return NULL;
    }
    ebpfI_thread(vm);
    *r = *vm;
    r->origin = vm;
    r->arena_size = r->arena_used; /* nothing more comes from the arena through it */
    r->stack = stack;
    r->err = err;
    r->errlen = errlen;
    r->err_insn = -1;
    if (err && errlen)
        err[0] = 0;
    return r;
}

void ebpf_set_ringbuf_tag(ebpf_vm *vm, uint32_t tag)
{
    vm->ringbuf_tag = tag;
}

void ebpf_set_ncpus(ebpf_vm *vm, uint32_t ncpus)
{
    vm->ncpus = ncpus ? ncpus : 1;
}

void ebpf_set_cpu(ebpf_vm *vm, uint32_t cpu)
{
    vm->cpu = cpu;
}

void ebpf_set_stack_walker(ebpf_vm *vm, ebpf_stack_fn fn)
{
    vm->stack_fn = fn;
}

const char *ebpf_error(const ebpf_vm *vm)
{
    return vm->err ? vm->err : "";
}

int ebpf_error_insn(const ebpf_vm *vm)
{
    return vm->err_insn;
}

size_t ebpf_arena_used(const ebpf_vm *vm)
{
    return vm->arena_used;
}

void ebpf_set_user(ebpf_vm *vm, void *user)
{
    vm->user = user;
}

void *ebpf_user(const ebpf_vm *vm)
{
    return vm->user;
}

int ebpf_register_helper(ebpf_vm *vm, uint32_t id, ebpf_helper_fn fn,
                         const struct ebpf_helper_proto *proto)
{
    if (id >= BPF_FUNC_MAX_ID || !fn)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "helper id %u out of range", id);
    vm->helpers[id].fn = fn;
    vm->helpers[id].proto = proto;
    return 0;
}

void ebpf_set_bounds_check(ebpf_vm *vm, int on)
{
    vm->bounds_check = on;
}

void ebpf_set_insn_budget(ebpf_vm *vm, uint64_t limit)
{
    vm->budget = limit;
}

int ebpf_add_region(ebpf_vm *vm, const void *base, size_t len, int writable)
{
    if (vm->nregions == EBPF_MAX_REGIONS)
        return ebpfA_fail(vm, EBPF_E2BIG, -1, "too many memory regions");
    struct ebpf_region *r = &vm->regions[vm->nregions++];
    r->base = (uintptr_t)base;
    r->end = (uintptr_t)base + len;
    r->writable = writable;
    return 0;
}

void ebpf_set_icache_flush(ebpf_vm *vm, ebpf_icache_flush_fn fn)
{
    vm->flush = fn;
}

const char *ebpf_license(const ebpf_vm *vm)
{
    return vm->license;
}
