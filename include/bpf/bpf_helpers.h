/*
 * bpf_helpers.h - what an eBPF program for osdbg needs, compatible with
 * libbpf's header of the same name for the parts osdbg supports, so that
 * the usual `#include <bpf/bpf_helpers.h>` works with
 *     clang -O2 -g -target bpf -I<osdbg>/include -c prog.bpf.c
 * (which `trace kprobe <fn> prog.bpf.c` runs for you).  Self-contained: no
 * kernel headers needed.  Helper ids are Linux's (include/uapi/linux/bpf.h,
 * the same numbers as include/osdbg/bpf_ids.h); the osdbg kernel offers the
 * ones declared here.  Maps: BTF-defined (SEC(".maps") with __uint/__type)
 * or legacy (SEC("maps")); types ARRAY, HASH and RINGBUF.
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

/* Map types and update flags, unless <linux/bpf.h> came first. */
#ifndef _UAPI__LINUX_BPF_H__
enum {
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_ARRAY = 2,
    BPF_MAP_TYPE_RINGBUF = 27,
};
enum {
    BPF_ANY = 0,
    BPF_NOEXIST = 1,
    BPF_EXIST = 2,
};
#endif

#define SEC(name) __attribute__((section(name), used))
#define __always_inline inline __attribute__((always_inline))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name
#define __array(name, val) __typeof__(val) *name[]

/* Helpers: calls of these pointers compile to `call <id>`. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
                                   __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static long (*bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *)6;
static __u32 (*bpf_get_smp_processor_id)(void) = (void *)8;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_get_current_comm)(void *buf, __u32 size) = (void *)16;
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
