/*
 * The parts of Linux's `union bpf_attr` (include/uapi/linux/bpf.h) that
 * the reference kernel's bpf() system call understands, with Linux's field
 * offsets, so that a program written against Linux's layout works
 * unchanged.  Command numbers are in osdbg/bpf_ids.h.  Pointers are u64.
 */
#ifndef OSDBG_BPF_ATTR_H
#define OSDBG_BPF_ATTR_H

#include <stdint.h>

#include "osdbg/bpf_ids.h"

#define BPF_OBJ_NAME_LEN 16

struct bpf_attr_map_create { /* BPF_MAP_CREATE */
    uint32_t map_type;
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries;
    uint32_t map_flags;
    uint32_t inner_map_fd;
    uint32_t numa_node;
    char map_name[BPF_OBJ_NAME_LEN];
};

struct bpf_attr_map_elem { /* BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM, BPF_MAP_GET_NEXT_KEY */
    uint32_t map_fd;
    uint32_t pad;
    uint64_t key;
    uint64_t value; /* next_key for BPF_MAP_GET_NEXT_KEY */
    uint64_t flags;
};

struct bpf_attr_prog_load { /* BPF_PROG_LOAD */
    uint32_t prog_type;
    uint32_t insn_cnt;
    uint64_t insns;
    uint64_t license;
    uint32_t log_level;
    uint32_t log_size;
    uint64_t log_buf;
    uint32_t kern_version;
    uint32_t prog_flags;
    char prog_name[BPF_OBJ_NAME_LEN];
};

struct bpf_attr_test_run { /* BPF_PROG_TEST_RUN */
    uint32_t prog_fd;
    uint32_t retval;
    uint32_t data_size_in;
    uint32_t data_size_out;
    uint64_t data_in;
    uint64_t data_out;
    uint32_t repeat;
    uint32_t duration;
    uint32_t ctx_size_in;
    uint32_t ctx_size_out;
    uint64_t ctx_in;
    uint64_t ctx_out;
};

struct bpf_attr_link_create { /* BPF_LINK_CREATE */
    uint32_t prog_fd;
    uint32_t target_fd;
    uint32_t attach_type; /* BPF_TRACE_KPROBE_MULTI or BPF_TRACE_UPROBE_MULTI */
    uint32_t flags;
    union {
        struct {
            uint32_t flags; /* BPF_F_KPROBE_MULTI_RETURN: a kretprobe */
            uint32_t cnt;
            uint64_t syms;    /* const char *[cnt]: kernel function names, or 0 */
            uint64_t addrs;   /* uint64_t[cnt]: kernel addresses, when syms is 0 */
            uint64_t cookies; /* uint64_t[cnt]: each probe's bpf_get_attach_cookie, or 0 */
        } kprobe_multi;
        struct {
            uint64_t path;    /* const char *: the program's name in the file system */
            uint64_t offsets; /* uint64_t[cnt]: virtual addresses in the program (osdbg:
                                 programs are static ELFs at 0x10000, not file offsets) */
            uint64_t ref_ctr_offsets; /* unused, must be 0 */
            uint64_t cookies;         /* unused, must be 0 */
            uint32_t cnt;
            uint32_t flags; /* BPF_F_UPROBE_MULTI_RETURN: a uretprobe */
            uint32_t pid;   /* 0: every process of the program */
        } uprobe_multi;
    };
};

#define BPF_TRACE_KPROBE_MULTI    42       /* uapi enum bpf_attach_type */
#define BPF_F_KPROBE_MULTI_RETURN (1u << 0)
#define BPF_TRACE_UPROBE_MULTI    48       /* uapi enum bpf_attach_type (Linux 6.6) */
#define BPF_F_UPROBE_MULTI_RETURN (1u << 0)

/* Linux's offsets, checked where the layouts are used. */
#define BPF_ATTR_CHECK_LAYOUT()                                                                    \
    _Static_assert(__builtin_offsetof(struct bpf_attr_map_create, map_name) == 28, "bpf_attr");   \
    _Static_assert(__builtin_offsetof(struct bpf_attr_map_elem, flags) == 24, "bpf_attr");        \
    _Static_assert(__builtin_offsetof(struct bpf_attr_prog_load, log_buf) == 32, "bpf_attr");     \
    _Static_assert(__builtin_offsetof(struct bpf_attr_prog_load, prog_name) == 48, "bpf_attr");   \
    _Static_assert(__builtin_offsetof(struct bpf_attr_test_run, ctx_in) == 48, "bpf_attr");       \
    _Static_assert(__builtin_offsetof(struct bpf_attr_link_create, kprobe_multi.addrs) == 32,     \
                   "bpf_attr");                                                                    \
    _Static_assert(sizeof(struct bpf_attr_test_run) <= BPF_ATTR_SIZE, "bpf_attr")

#endif
