/*
 * bpf_core_read.h - libbpf's kernel-structure reading macros, for osdbg.
 *
 * libbpf's versions compile to CO-RE relocations (clang's
 * __builtin_preserve_access_index), which the loader adjusts to the running
 * kernel's BTF.  osdbg's kernel has one layout, given by <bpf/osdbg.h> and
 * checked against the kernel's DWARF by the tests, so these macros read at
 * the offsets the compiler computes from that header: no relocation, same
 * names and results.  An object with CO-RE relocations (from a vmlinux.h
 * whose types carry preserve_access_index, or the builtins used directly)
 * is refused by the loader with the relocation's kind, type and access
 * string (docs/ebpf.md, "ELF loader").
 *
 *   BPF_CORE_READ(src, a, b, c)           src->a->b->c, each step read with
 *                                         bpf_probe_read_kernel (up to 6)
 *   BPF_CORE_READ_INTO(&dst, src, a, b)   the same into dst
 *   BPF_CORE_READ_STR_INTO(&dst, src, a)  a string field into a char array
 *   BPF_CORE_READ_USER...                 the same in user memory
 *   bpf_core_read(dst, sz, src)           bpf_probe_read_kernel
 *   bpf_core_field_exists(s->f)           1: every field of osdbg.h exists
 *   bpf_core_field_size(s->f)             sizeof
 *   bpf_core_type_exists(T), bpf_core_type_size(T), bpf_core_field_offset(T, f)
 */
#ifndef OSDBG_BPF_CORE_READ_H
#define OSDBG_BPF_CORE_READ_H

#include "bpf_helpers.h"

#define bpf_core_read(dst, sz, src)          bpf_probe_read_kernel(dst, sz, (const void *)(src))
#define bpf_core_read_user(dst, sz, src)     bpf_probe_read_user(dst, sz, (const void *)(src))
#define bpf_core_read_str(dst, sz, src)      bpf_probe_read_kernel_str(dst, sz, (const void *)(src))
#define bpf_core_read_user_str(dst, sz, src) bpf_probe_read_user_str(dst, sz, (const void *)(src))

#define bpf_core_field_exists(field) ((void)sizeof(field), 1)
#define bpf_core_field_size(field)   sizeof(field)
#define bpf_core_type_exists(type)   ((void)sizeof(type), 1)
#define bpf_core_type_size(type)     sizeof(type)
#define bpf_core_field_offset(type, field) __builtin_offsetof(type, field)

/* One step: the value of field f of the structure s points to, read by
 * `rd` into a local named T (each depth has its own name, so a step's
 * source may be the previous step's statement expression). */
#define ___osdbg_core_step(rd, T, s, f)                                                        \
    ({                                                                                         \
        __typeof__((s)->f) T;                                                                  \
        rd((void *)&T, sizeof(T), (const void *)&(s)->f);                                      \
        T;                                                                                     \
    })

#define ___osdbg_core_nth(_1, _2, _3, _4, _5, _6, N, ...) N
#define ___osdbg_core_count(...) ___osdbg_core_nth(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define ___osdbg_core_cat2(a, b) a##b
#define ___osdbg_core_cat(a, b)  ___osdbg_core_cat2(a, b)

#define ___osdbg_core_rd1(rd, s, a) ___osdbg_core_step(rd, ___v1, s, a)
#define ___osdbg_core_rd2(rd, s, a, b) ___osdbg_core_step(rd, ___v2, ___osdbg_core_rd1(rd, s, a), b)
#define ___osdbg_core_rd3(rd, s, a, b, c)                                                      \
    ___osdbg_core_step(rd, ___v3, ___osdbg_core_rd2(rd, s, a, b), c)
#define ___osdbg_core_rd4(rd, s, a, b, c, d)                                                   \
    ___osdbg_core_step(rd, ___v4, ___osdbg_core_rd3(rd, s, a, b, c), d)
#define ___osdbg_core_rd5(rd, s, a, b, c, d, e)                                                \
    ___osdbg_core_step(rd, ___v5, ___osdbg_core_rd4(rd, s, a, b, c, d), e)
#define ___osdbg_core_rd6(rd, s, a, b, c, d, e, f)                                             \
    ___osdbg_core_step(rd, ___v6, ___osdbg_core_rd5(rd, s, a, b, c, d, e), f)
#define ___osdbg_core_rd(rd, s, ...)                                                           \
    ___osdbg_core_cat(___osdbg_core_rd, ___osdbg_core_count(__VA_ARGS__))(rd, s, __VA_ARGS__)

/* INTO: every step but the last read by rd, the last field by rl into *dst
 * (rl is the _str reader for STR_INTO, whose intermediate steps are
 * pointers). */
#define ___osdbg_core_into1(rd, rl, dst, s, a) rl((void *)(dst), sizeof(*(dst)), (const void *)&(s)->a)
#define ___osdbg_core_into2(rd, rl, dst, s, a, b)                                              \
    ___osdbg_core_into1(rd, rl, dst, ___osdbg_core_rd1(rd, s, a), b)
#define ___osdbg_core_into3(rd, rl, dst, s, a, b, c)                                           \
    ___osdbg_core_into1(rd, rl, dst, ___osdbg_core_rd2(rd, s, a, b), c)
#define ___osdbg_core_into4(rd, rl, dst, s, a, b, c, d)                                        \
    ___osdbg_core_into1(rd, rl, dst, ___osdbg_core_rd3(rd, s, a, b, c), d)
#define ___osdbg_core_into5(rd, rl, dst, s, a, b, c, d, e)                                     \
    ___osdbg_core_into1(rd, rl, dst, ___osdbg_core_rd4(rd, s, a, b, c, d), e)
#define ___osdbg_core_into6(rd, rl, dst, s, a, b, c, d, e, f)                                  \
    ___osdbg_core_into1(rd, rl, dst, ___osdbg_core_rd5(rd, s, a, b, c, d, e), f)
#define ___osdbg_core_into(rd, rl, dst, s, ...)                                                \
    ___osdbg_core_cat(___osdbg_core_into, ___osdbg_core_count(__VA_ARGS__))(rd, rl, dst, s,    \
                                                                             __VA_ARGS__)

#define BPF_CORE_READ(src, ...)      ___osdbg_core_rd(bpf_probe_read_kernel, src, __VA_ARGS__)
#define BPF_CORE_READ_USER(src, ...) ___osdbg_core_rd(bpf_probe_read_user, src, __VA_ARGS__)
#define BPF_CORE_READ_INTO(dst, src, ...)                                                      \
    ___osdbg_core_into(bpf_probe_read_kernel, bpf_probe_read_kernel, dst, src, __VA_ARGS__)
#define BPF_CORE_READ_USER_INTO(dst, src, ...)                                                 \
    ___osdbg_core_into(bpf_probe_read_user, bpf_probe_read_user, dst, src, __VA_ARGS__)
#define BPF_CORE_READ_STR_INTO(dst, src, ...)                                                  \
    ___osdbg_core_into(bpf_probe_read_kernel, bpf_probe_read_kernel_str, dst, src, __VA_ARGS__)
#define BPF_CORE_READ_USER_STR_INTO(dst, src, ...)                                             \
    ___osdbg_core_into(bpf_probe_read_user, bpf_probe_read_user_str, dst, src, __VA_ARGS__)
#define BPF_PROBE_READ      BPF_CORE_READ
#define BPF_PROBE_READ_INTO BPF_CORE_READ_INTO

#endif
