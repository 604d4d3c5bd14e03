/*
 * kernels.c - benchmark kernels, compiled twice: by clang -target bpf (one
 * section per kernel, run by the interpreter and the JIT) and natively by
 * gcc -O2 (the "native" column).  ctx points to a 16 KiB buffer whose first
 * u64 is the iteration count; results are returned so nothing is dead.
 */
#ifdef __bpf__
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define KERNEL(name) SEC(name) __attribute__((used))
#else
#include <stdint.h>
typedef uint64_t __u64;
typedef uint32_t __u32;
typedef uint8_t __u8;
#define KERNEL(name) __attribute__((noinline))
#endif

#define BUF_WORDS 2048 /* 16 KiB */

KERNEL("xorshift") __u64 k_xorshift(__u64 *ctx)
{
    __u64 n = ctx[0], x = 88172645463325252ull, sum = 0;
    for (__u64 i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum += x;
    }
    return sum;
}

KERNEL("sieve") __u64 k_sieve(__u64 *ctx)
{
    __u8 *flags = (__u8 *)(ctx + 8);
    __u64 n = ctx[0], count = 0;
    for (__u64 r = 0; r < n; r++) {
        count = 0;
        for (__u32 i = 0; i < 8192; i++)
            flags[i] = (__u8)(i | 1); /* nonzero, and not a memset */
        for (__u32 i = 2; i < 8192; i++) {
            if (!flags[i])
                continue;
            count++;
            for (__u32 j = i + i; j < 8192; j += i)
                flags[j] = 0;
        }
    }
    return count;
}

KERNEL("memcpy") __u64 k_memcpy(__u64 *ctx)
{
    __u64 n = ctx[0], sum = 0;
    __u64 *src = ctx + 8, *dst = ctx + 1032;
    for (__u64 r = 0; r < n; r++) {
        for (__u32 i = 0; i < 1000; i++)
            dst[i] = src[i] + r;
        sum += dst[r % 1000];
    }
    return sum;
}

KERNEL("strcmp") __u64 k_strcmp(__u64 *ctx)
{
    const char *a = (const char *)(ctx + 8), *b = (const char *)(ctx + 520);
    __u64 n = ctx[0], diff = 0;
    for (__u64 r = 0; r < n; r++) {
        __u32 i = 0;
        while (a[i] && a[i] == b[i] && i < 4000)
            i++;
        diff += (__u64)(__u8)a[i] - (__u8)b[i] + i;
    }
    return diff;
}

KERNEL("switch") __u64 k_switch(__u64 *ctx)
{
    __u64 n = ctx[0], acc = 1;
    for (__u64 i = 0; i < n; i++) {
        switch ((i ^ acc) & 7) {
        case 0:
            acc += 3;
            break;
        case 1:
            acc ^= i;
            break;
        case 2:
            acc *= 5;
            break;
        case 3:
            acc -= i;
            break;
        case 4:
            acc = (acc << 3) | 1;
            break;
        case 5:
            acc >>= 1;
            break;
        case 6:
            acc += i * 7;
            break;
        default:
            acc ^= 0x5555;
            break;
        }
    }
    return acc;
}

KERNEL("log2") __u64 k_log2(__u64 *ctx)
{
    __u64 n = ctx[0], sum = 0;
    for (__u64 i = 1; i <= n; i++) {
        __u64 v = i * 0x9e3779b97f4a7c15ull, r = 0;
        if (v >> 32) {
            v >>= 32;
            r += 32;
        }
        if (v >> 16) {
            v >>= 16;
            r += 16;
        }
        if (v >> 8) {
            v >>= 8;
            r += 8;
        }
        if (v >> 4) {
            v >>= 4;
            r += 4;
        }
        if (v >> 2) {
            v >>= 2;
            r += 2;
        }
        if (v >> 1) {
            r += 1;
        }
        sum += r;
    }
    return sum;
}

#ifdef __bpf__
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u64);
} arr SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 256);
    __type(key, __u64);
    __type(value, __u64);
} hash SEC(".maps");

KERNEL("array_lookup") __u64 k_array(__u64 *ctx)
{
    __u64 n = ctx[0], sum = 0;
    for (__u64 i = 0; i < n; i++) {
        __u32 k = (__u32)(i & 255);
        __u64 *v = bpf_map_lookup_elem(&arr, &k);
        if (v)
            sum += *v + 1;
    }
    return sum;
}

KERNEL("hash_lookup") __u64 k_hash(__u64 *ctx)
{
    __u64 n = ctx[0], sum = 0;
    for (__u64 i = 0; i < n; i++) {
        __u64 k = i & 255;
        __u64 *v = bpf_map_lookup_elem(&hash, &k);
        if (v)
            sum += *v;
        else
            sum += 1;
    }
    return sum;
}

char LICENSE[] SEC("license") = "GPL";
#endif
