/*
 * bpf_ids.h - the one place for eBPF numbers shared by the eBPF library, the
 * kernel, the host tools and the tests.
 *
 * Opcode fields follow RFC 9669 (BPF Instruction Set Architecture), section 3
 * and 4; helper ids, map types and bpf(2) command numbers follow Linux uapi
 * (include/uapi/linux/bpf.h) so that programs built against libbpf's
 * bpf_helpers.h run unchanged.  Only numbers live here: no types, no code.
 */
#ifndef OSDBG_BPF_IDS_H
#define OSDBG_BPF_IDS_H

/* RFC 9669 3: instruction classes (low 3 bits of the opcode). */
#define BPF_CLASS(code) ((code)&0x07)
#define BPF_LD          0x00
#define BPF_LDX         0x01
#define BPF_ST          0x02
#define BPF_STX         0x03
#define BPF_ALU         0x04
#define BPF_JMP         0x05
#define BPF_JMP32       0x06
#define BPF_ALU64       0x07

/* RFC 9669 3.1: source operand (bit 3) for arithmetic and jumps. */
#define BPF_SRC(code) ((code)&0x08)
#define BPF_K         0x00
#define BPF_X         0x08
/* For BPF_ALU byte swaps the same bit selects the target order. */
#define BPF_TO_LE 0x00
#define BPF_TO_BE 0x08

/* RFC 9669 4.1: arithmetic operation codes (high 4 bits). */
#define BPF_OP(code) ((code)&0xf0)
#define BPF_ADD      0x00
#define BPF_SUB      0x10
#define BPF_MUL      0x20
#define BPF_DIV      0x30
#define BPF_OR       0x40
#define BPF_AND      0x50
#define BPF_LSH      0x60
#define BPF_RSH      0x70
#define BPF_NEG      0x80
#define BPF_MOD      0x90
#define BPF_XOR      0xa0
#define BPF_MOV      0xb0
#define BPF_ARSH     0xc0
#define BPF_END      0xd0

/* RFC 9669 4.3: jump operation codes (high 4 bits). */
#define BPF_JA   0x00
#define BPF_JEQ  0x10
#define BPF_JGT  0x20
#define BPF_JGE  0x30
#define BPF_JSET 0x40
#define BPF_JNE  0x50
#define BPF_JSGT 0x60
#define BPF_JSGE 0x70
#define BPF_CALL 0x80 /* with BPF_X: "callx", the helper id in dst (bpf_conformance) */
#define BPF_EXIT 0x90
#define BPF_JLT  0xa0
#define BPF_JLE  0xb0
#define BPF_JSLT 0xc0
#define BPF_JSLE 0xd0

/* RFC 9669 5: load/store size (bits 3-4) and mode (bits 5-7). */
#define BPF_SIZE(code) ((code)&0x18)
#define BPF_W          0x00
#define BPF_H          0x08
#define BPF_B          0x10
#define BPF_DW         0x18
#define BPF_MODE(code) ((code)&0xe0)
#define BPF_IMM        0x00
#define BPF_ABS        0x20
#define BPF_IND        0x40
#define BPF_MEM        0x60
#define BPF_MEMSX      0x80
#define BPF_ATOMIC     0xc0

/* RFC 9669 5.3: atomic operations (imm field). */
#define BPF_FETCH   0x01
#define BPF_XCHG    (0xe0 | BPF_FETCH)
#define BPF_CMPXCHG (0xf0 | BPF_FETCH)

/* RFC 9669 5.4: src_reg of the 64-bit immediate load. */
#define BPF_PSEUDO_MAP_FD        1 /* imm = map fd: dst = map pointer */
#define BPF_PSEUDO_MAP_IDX       5 /* imm = map index: dst = map pointer */
#define BPF_PSEUDO_MAP_VALUE     2 /* imm = map fd, next imm = offset: dst = value address */
#define BPF_PSEUDO_VAR_ADDR      3 /* imm = variable index (not supported) */
#define BPF_PSEUDO_CODE_ADDR     4 /* imm = instruction offset (not supported) */
#define BPF_PSEUDO_MAP_IDX_VALUE 6

/* RFC 9669 4.3.1: src_reg of CALL. */
#define BPF_PSEUDO_HELPER 0 /* imm = helper id */
#define BPF_PSEUDO_CALL   1 /* imm = relative offset of a local function */
#define BPF_PSEUDO_KFUNC  2 /* imm = BTF id (not supported) */

/* Registers: r0 return value, r1-r5 arguments, r6-r9 callee saved, r10 frame. */
#define BPF_NREGS      11
#define BPF_REG_FP     10
#define BPF_STACK_SIZE 512 /* bytes per call frame */
#define BPF_MAX_FRAMES 8   /* call depth, as Linux MAX_CALL_FRAMES */

/* Linux helper function ids (uapi __BPF_FUNC_MAPPER). */
#define BPF_FUNC_map_lookup_elem       1
#define BPF_FUNC_map_update_elem       2
#define BPF_FUNC_map_delete_elem       3
#define BPF_FUNC_probe_read            4
#define BPF_FUNC_ktime_get_ns          5
#define BPF_FUNC_trace_printk          6
#define BPF_FUNC_get_prandom_u32       7
#define BPF_FUNC_get_smp_processor_id  8
#define BPF_FUNC_tail_call             12
#define BPF_FUNC_get_current_pid_tgid  14
#define BPF_FUNC_get_current_uid_gid   15
#define BPF_FUNC_get_current_comm      16
#define BPF_FUNC_perf_event_output     25
#define BPF_FUNC_get_stackid           27
#define BPF_FUNC_get_current_task      35
#define BPF_FUNC_get_numa_node_id      42
#define BPF_FUNC_probe_read_str        45
#define BPF_FUNC_get_stack             67
#define BPF_FUNC_probe_read_user       112
#define BPF_FUNC_probe_read_kernel     113
#define BPF_FUNC_probe_read_user_str   114
#define BPF_FUNC_probe_read_kernel_str 115
#define BPF_FUNC_jiffies64             118
#define BPF_FUNC_ktime_get_boot_ns     125
#define BPF_FUNC_ringbuf_output        130
#define BPF_FUNC_ringbuf_reserve       131
#define BPF_FUNC_ringbuf_submit        132
#define BPF_FUNC_ringbuf_discard       133
#define BPF_FUNC_ringbuf_query         134
#define BPF_FUNC_ktime_get_coarse_ns   160
#define BPF_FUNC_snprintf              165
#define BPF_FUNC_get_func_ip           173
#define BPF_FUNC_get_attach_cookie     174
#define BPF_FUNC_MAX_ID                212 /* helper ids are below this */

/* Linux map types (uapi enum bpf_map_type). */
#define BPF_MAP_TYPE_UNSPEC           0
#define BPF_MAP_TYPE_HASH             1
#define BPF_MAP_TYPE_ARRAY            2
#define BPF_MAP_TYPE_PROG_ARRAY       3
#define BPF_MAP_TYPE_PERF_EVENT_ARRAY 4
#define BPF_MAP_TYPE_PERCPU_HASH      5
#define BPF_MAP_TYPE_PERCPU_ARRAY     6
#define BPF_MAP_TYPE_STACK_TRACE      7
#define BPF_MAP_TYPE_LRU_HASH         9
#define BPF_MAP_TYPE_LRU_PERCPU_HASH  10
#define BPF_MAP_TYPE_ARRAY_OF_MAPS    12
#define BPF_MAP_TYPE_HASH_OF_MAPS     13
#define BPF_MAP_TYPE_RINGBUF          27

/* Flags of bpf_perf_event_output and bpf_get_stackid (Linux uapi). */
#define BPF_F_INDEX_MASK     0xffffffffULL
#define BPF_F_CURRENT_CPU    BPF_F_INDEX_MASK
#define BPF_F_SKIP_FIELD_MASK 0xffULL
#define BPF_F_USER_STACK     (1ULL << 8)
#define BPF_F_FAST_STACK_CMP (1ULL << 9)
#define BPF_F_REUSE_STACKID  (1ULL << 10)
#define BPF_F_USER_BUILD_ID  (1ULL << 11) /* bpf_get_stack: build ids (not supported) */

/* Map update flags. */
#define BPF_ANY     0 /* create or update */
#define BPF_NOEXIST 1 /* create only */
#define BPF_EXIST   2 /* update only */

/* Ring buffer record header flags (Linux uapi). */
#define BPF_RINGBUF_BUSY_BIT    (1u << 31)
#define BPF_RINGBUF_DISCARD_BIT (1u << 30)
#define BPF_RINGBUF_HDR_SZ      8

/* bpf(2) commands (uapi enum bpf_cmd) and sizeof(union bpf_attr). */
#define BPF_MAP_CREATE       0
#define BPF_MAP_LOOKUP_ELEM  1
#define BPF_MAP_UPDATE_ELEM  2
#define BPF_MAP_DELETE_ELEM  3
#define BPF_MAP_GET_NEXT_KEY 4
#define BPF_PROG_LOAD        5
#define BPF_PROG_TEST_RUN    10
#define BPF_LINK_CREATE      28
#define BPF_ATTR_SIZE        144

/* Linux program types used by osdbg (uapi enum bpf_prog_type). */
#define BPF_PROG_TYPE_KPROBE 2

/* ELF relocation types for EM_BPF (llvm BPF backend). */
#define EM_BPF_MACHINE 247
#define R_BPF_NONE     0
#define R_BPF_64_64    1
#define R_BPF_64_ABS64 2
#define R_BPF_64_ABS32 3
#define R_BPF_64_32    10

#endif /* OSDBG_BPF_IDS_H */
