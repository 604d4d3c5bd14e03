/*
 * bpf_helpers.h - what an eBPF program for osdbg needs, compatible with
 * libbpf's header of the same name for the parts osdbg supports, so that
 * the usual `#include <bpf/bpf_helpers.h>` works with
 *     clang -O2 -g -target bpf -I<osdbg>/include -c prog.bpf.c
 * (which `trace kprobe <fn> prog.bpf.c` runs for you).  Self-contained: no
 * kernel headers needed.  Helper ids are Linux's (include/uapi/linux/bpf.h,
 * the same numbers as include/osdbg/bpf_ids.h); the osdbg kernel offers the
 * ones declared here.  Maps: BTF-defined (SEC(".maps") with __uint/__type)
 * or legacy (SEC("maps")).  Which helpers and map types the kernel
 * implements: docs/ebpf.md.  With <linux/bpf.h> too, either order works.
 */
#ifndef OSDBG_BPF_HELPERS_H
#define OSDBG_BPF_HELPERS_H

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;

/* Map types and flags.  Linux's <linux/bpf.h> (guard __LINUX_BPF_H__ in
 * the installed uapi header, _UAPI__LINUX_BPF_H__ in the kernel's tree) and
 * a vmlinux.h (__VMLINUX_H__) define them as enumerators, so they must not
 * be defined twice whichever header comes first: if <linux/bpf.h> can be
 * included here (its <asm/types.h> is on the path: -I/usr/include/<multiarch>)
 * it is, and a later #include <linux/bpf.h> is a no-op; otherwise the
 * numbers are declared here (the uapi values). */
#if !defined(__LINUX_BPF_H__) && !defined(_UAPI__LINUX_BPF_H__) && !defined(__VMLINUX_H__)
#if defined(__has_include)
#if __has_include(<linux/bpf.h>) && __has_include(<asm/types.h>)
#include <linux/bpf.h>
#endif
#endif
#endif
#if !defined(__LINUX_BPF_H__) && !defined(_UAPI__LINUX_BPF_H__) && !defined(__VMLINUX_H__)
enum {
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_ARRAY = 2,
    BPF_MAP_TYPE_PROG_ARRAY = 3,
    BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
    BPF_MAP_TYPE_PERCPU_HASH = 5,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
    BPF_MAP_TYPE_STACK_TRACE = 7,
    BPF_MAP_TYPE_LRU_HASH = 9,
    BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
    BPF_MAP_TYPE_HASH_OF_MAPS = 13,
    BPF_MAP_TYPE_RINGBUF = 27,
};
enum {
    BPF_ANY = 0,
    BPF_NOEXIST = 1,
    BPF_EXIST = 2,
};
enum {
    BPF_F_SKIP_FIELD_MASK = 0xff,
    BPF_F_USER_STACK = 1 << 8,
    BPF_F_FAST_STACK_CMP = 1 << 9,
    BPF_F_REUSE_STACKID = 1 << 10,
};
#define BPF_F_INDEX_MASK  0xffffffffULL
#define BPF_F_CURRENT_CPU BPF_F_INDEX_MASK
#endif

#define SEC(name) __attribute__((section(name), used))
#undef __always_inline /* <linux/stddef.h> has a weaker one */
#define __always_inline inline __attribute__((always_inline))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name
#define __array(name, val) __typeof__(val) *name[]
#define __kconfig __attribute__((section(".kconfig")))
#define __ksym    __attribute__((section(".ksyms")))
#define __weak    __attribute__((weak))
#ifndef NULL
#define NULL ((void *)0)
#endif

/* Helpers: calls of these pointers compile to `call <id>`. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
                                   __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static long (*bpf_probe_read)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)4;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static long (*bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *)6;
static __u32 (*bpf_get_prandom_u32)(void) = (void *)7;
static __u32 (*bpf_get_smp_processor_id)(void) = (void *)8;
static long (*bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *)12;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static __u64 (*bpf_get_current_uid_gid)(void) = (void *)15;
static long (*bpf_get_current_comm)(void *buf, __u32 size) = (void *)16;
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data,
                                     __u64 size) = (void *)25;
static long (*bpf_get_stackid)(void *ctx, void *map, __u64 flags) = (void *)27;
/* A pointer to the running process's struct proc (<bpf/osdbg.h>), as a
 * number: read it with bpf_probe_read_kernel / BPF_CORE_READ. */
static __u64 (*bpf_get_current_task)(void) = (void *)35;
static long (*bpf_probe_read_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)45;
static long (*bpf_get_stack)(void *ctx, void *buf, __u32 size, __u64 flags) = (void *)67;
static long (*bpf_probe_read_user)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)112;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)113;
static long (*bpf_probe_read_user_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)114;
static long (*bpf_probe_read_kernel_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)115;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *)130;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
static void (*bpf_ringbuf_discard)(void *data, __u64 flags) = (void *)133;
static __u64 (*bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)134;

/* bpf_printk("fmt", args...): the format lives on the stack, at most three
 * arguments (trace_printk's limit).  Its text arrives as a T event. */
#define bpf_printk(fmt, ...)                                                                   \
    ({                                                                                         \
        char ____fmt[] = fmt;                                                                  \
        bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__);                             \
    })

#endif
