/*
 * interp.c - the interpreter: operand helpers, the memory region check of the
 * bounds-checked mode, and ebpf_exec().  The loop itself is in
 * interp_body.h, compiled twice (checked and unchecked).
 */
#include "ebpf_int.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the interpreter assumes a little-endian host"
#endif

typedef uint64_t u64;
typedef int64_t s64;
typedef uint32_t u32;
typedef int32_t s32;

struct frame {
    const struct ebpf_dinsn *ret;
    uint64_t saved[5]; /* r6-r9, r10 */
};

/* RFC 9669 4.1: "If execution would result in division by zero, the
 * destination register is instead set to zero"; modulo by zero leaves the
 * dividend (ALU64) or its low 32 bits (ALU).  Signed overflow wraps, so
 * INT_MIN / -1 = INT_MIN and INT_MIN % -1 = 0; handled without the C
 * operators, which would trap on x86 and are undefined in C. */
static inline u64 udiv64(u64 a, u64 b)
{
    return b ? a / b : 0;
}
static inline u64 umod64(u64 a, u64 b)
{
    return b ? a % b : a;
}
static inline u64 udiv32(u32 a, u32 b)
{
    return b ? a / b : 0;
}
static inline u64 umod32(u32 a, u32 b)
{
    return b ? a % b : a;
}
static inline u64 sdiv64(u64 a, u64 b)
{
    if (!b)
        return 0;
    if ((s64)b == -1)
        return 0 - a;
    return (u64)((s64)a / (s64)b);
}
static inline u64 smod64(u64 a, u64 b)
{
    if (!b)
        return a;
    if ((s64)b == -1)
        return 0;
    return (u64)((s64)a % (s64)b);
}
static inline u64 sdiv32(u32 a, u32 b)
{
    if (!b)
        return 0;
    if ((s32)b == -1)
        return (u32)(0 - a);
    return (u32)((s32)a / (s32)b);
}
static inline u64 smod32(u32 a, u32 b)
{
    if (!b)
        return a;
    if ((s32)b == -1)
        return 0;
    return (u32)((s32)a % (s32)b);
}

/* movsx: sign-extend the low `bits` bits. */
static inline u64 sext(u64 v, unsigned bits)
{
    switch (bits) {
    case 8:
        return (u64)(s64)(int8_t)v;
    case 16:
        return (u64)(s64)(int16_t)v;
    default:
        return (u64)(s64)(s32)v;
    }
}

/* Byte swaps by shifts: __builtin_bswap* may become libgcc calls on rv64. */
static inline u64 bswap16(u64 v)
{
    return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}
static inline u64 bswap32(u64 v)
{
    return bswap16(v) << 16 | bswap16(v >> 16);
}
static inline u64 bswap64(u64 v)
{
    return bswap32(v) << 32 | bswap32(v >> 32);
}

/* Unaligned-safe loads and stores (programs may access any alignment). */
static inline u64 load1(uintptr_t a)
{
    return *(const uint8_t *)a;
}
static inline u64 load2(uintptr_t a)
{
    uint16_t v;
    __builtin_memcpy(&v, (const void *)a, 2);
    return v;
}
static inline u64 load4(uintptr_t a)
{
    u32 v;
    __builtin_memcpy(&v, (const void *)a, 4);
    return v;
}
static inline u64 load8(uintptr_t a)
{
    u64 v;
    __builtin_memcpy(&v, (const void *)a, 8);
    return v;
}
static inline void store1(uintptr_t a, u64 v)
{
    *(uint8_t *)a = (uint8_t)v;
}
static inline void store2(uintptr_t a, u64 v)
{
    uint16_t x = (uint16_t)v;
    __builtin_memcpy((void *)a, &x, 2);
}
static inline void store4(uintptr_t a, u64 v)
{
    u32 x = (u32)v;
    __builtin_memcpy((void *)a, &x, 4);
}
static inline void store8(uintptr_t a, u64 v)
{
    __builtin_memcpy((void *)a, &v, 8);
}

/* RFC 9669 5.3 atomics.  The *_FETCH forms and XCHG put the old value in
 * src; CMPXCHG compares with r0 and always loads the old value into r0.
 * 32-bit forms zero-extend what they write back to registers. */
static void atomic64(u64 *p, uint8_t op, u64 *src, u64 *r0)
{
    u64 old;
    switch (op) {
    case BPF_ADD:
    case BPF_ADD | BPF_FETCH:
        old = __atomic_fetch_add(p, *src, __ATOMIC_SEQ_CST);
        break;
    case BPF_OR:
    case BPF_OR | BPF_FETCH:
        old = __atomic_fetch_or(p, *src, __ATOMIC_SEQ_CST);
        break;
    case BPF_AND:
    case BPF_AND | BPF_FETCH:
        old = __atomic_fetch_and(p, *src, __ATOMIC_SEQ_CST);
        break;
    case BPF_XOR:
    case BPF_XOR | BPF_FETCH:
        old = __atomic_fetch_xor(p, *src, __ATOMIC_SEQ_CST);
        break;
    case BPF_XCHG:
        old = __atomic_exchange_n(p, *src, __ATOMIC_SEQ_CST);
        break;
    default: /* BPF_CMPXCHG */
        old = *r0;
        __atomic_compare_exchange_n(p, &old, *src, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        *r0 = old;
        return;
    }
    if (op & BPF_FETCH)
        *src = old;
}

static void atomic32(u32 *p, uint8_t op, u64 *src, u64 *r0)
{
    u32 old, v = (u32)*src;
    switch (op) {
    case BPF_ADD:
    case BPF_ADD | BPF_FETCH:
        old = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
        break;
    case BPF_OR:
    case BPF_OR | BPF_FETCH:
        old = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
        break;
    case BPF_AND:
    case BPF_AND | BPF_FETCH:
        old = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST);
        break;
    case BPF_XOR:
    case BPF_XOR | BPF_FETCH:
        old = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST);
        break;
    case BPF_XCHG:
        old = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
        break;
    default: { /* BPF_CMPXCHG */
        /* GCC 12 for RISC-V compares lr.w's sign-extended value with the
         * "expected" register as it stands, without sign-extending it, so
         * a CAS whose expected value has bit 31 set always failed (found
         * by the JIT differential test).  The empty asm hides the value's
         * origin and forces the sext.w. */
        int64_t wide = (int64_t)(int32_t)*r0;
        __asm__("" : "+r"(wide));
        int32_t exp = (int32_t)wide;
        __atomic_compare_exchange_n((int32_t *)p, &exp, (int32_t)v, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
        *r0 = (u32)exp;
        return;
    }
    }
    if (op & BPF_FETCH)
        *src = old;
}

static inline bool in_range(uintptr_t base, uintptr_t end, uintptr_t addr, size_t len)
{
    return addr >= base && addr <= end && len <= end - addr;
}

/* Bounds-checked mode: the access must lie wholly inside one region. */
bool ebpfI_access_ok(ebpf_vm *vm, uintptr_t addr, size_t len, int write, void *ctx,
                     uint64_t ctx_len)
{
    uintptr_t st = (uintptr_t)vm->stack;
    if (in_range(st, st + BPF_MAX_FRAMES * BPF_STACK_SIZE, addr, len))
        return true;
    if (ctx && in_range((uintptr_t)ctx, (uintptr_t)ctx + ctx_len, addr, len))
        return true;
    for (int i = 0; i < vm->nmaps; i++)
        if (ebpfM_contains(vm->maps[i], addr, len))
            return true;
    if (vm->tail_prog) /* a tail call's program reaches its own maps */
        for (int i = 0; i < vm->tail_prog->nmaps; i++)
            if (ebpfM_contains(vm->tail_prog->maps[i], addr, len))
                return true;
    for (int i = 0; i < vm->nmaps; i++) /* and inner maps, through their outer maps */
        if (vm->maps[i]->inner && ebpfM_inner_holds(vm->maps[i], NULL, addr, len))
            return true;
    for (int i = 0; i < vm->nregions; i++) {
        const struct ebpf_region *r = &vm->regions[i];
        if (in_range(r->base, r->end, addr, len) && (r->writable || !write))
            return true;
    }
    return false;
}

/* The dispatch tables fill every slot with "bad" first, then override. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define INTERP_NAME    run_unchecked
#define INTERP_CHECKED 0
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_CHECKED

#define INTERP_NAME    run_checked
#define INTERP_CHECKED 1
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_CHECKED

void ebpfI_thread(ebpf_vm *vm)
{
    if (vm->bounds_check)
        run_checked(vm, vm, NULL, 0, NULL);
    else
        run_unchecked(vm, vm, NULL, 0, NULL);
}

/* A loop returns 1 for a tail call: the target (vm->tail_next) then runs
 * from its start with vm's run state, as Linux reuses the caller's frame. */
int ebpf_exec(ebpf_vm *vm, void *ctx, uint64_t ctx_len, uint64_t *ret)
{
    uint64_t r0 = 0;
    vm->err_insn = -1;
    if (!vm->code)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "no program loaded");
    vm->run_ctx = ctx;
    vm->run_ctx_len = ctx_len;
    vm->tail_calls = 0;
    vm->executed = 0;
    const ebpf_vm *prog = vm;
    int r;
    for (;;) {
        r = vm->bounds_check ? run_checked(vm, prog, ctx, ctx_len, &r0)
                             : run_unchecked(vm, prog, ctx, ctx_len, &r0);
        if (r != 1)
            break;
        prog = vm->tail_prog = vm->tail_next;
    }
    vm->tail_prog = NULL;
    if (ret)
        *ret = r0;
    return r;
}

uint64_t ebpf_executed(const ebpf_vm *vm)
{
    return vm->executed;
}
