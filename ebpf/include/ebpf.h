/*
 * ebpf.h - public interface of the osdbg eBPF runtime.
 *
 * One freestanding library: no libc and no allocation inside.  The embedder
 * hands ebpf_create() one block of memory (the arena) from which the VM, its
 * program, its maps and the verifier's scratch state are carved.  Helpers are
 * functions of the embedder, registered by id with a prototype the verifier
 * checks calls against.  Every failing call returns a negative number and
 * leaves "insn N: reason" (or just "reason") in the caller-owned error buffer
 * given to ebpf_create(); ebpf_error_insn() gives N (-1 if none).
 *
 * Numbers (opcodes, helper ids, map types) come from <osdbg/bpf_ids.h>.
 * A VM is single threaded and not reentrant: to run one program on several
 * harts at once, give each hart a replica (ebpf_replicate).  Maps may be
 * used from several harts at once (see docs/ebpf.md, "Several harts").
 */
#ifndef EBPF_H
#define EBPF_H

#include <stddef.h>
#include <stdint.h>

#include "osdbg/bpf_ids.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 9669 3: one 64-bit instruction slot (little-endian hosts). */
struct ebpf_insn {
    uint8_t code;
    uint8_t dst : 4;
    uint8_t src : 4;
    int16_t off;
    int32_t imm;
};

typedef struct ebpf_vm ebpf_vm;
typedef struct ebpf_map ebpf_map;

/* Error codes (negated on return). */
enum {
    EBPF_OK = 0,
    EBPF_EINVAL = 1, /* malformed program or argument */
    EBPF_ENOMEM = 2, /* arena exhausted */
    EBPF_EACCES = 3, /* verifier rejected the program */
    EBPF_EFAULT = 4, /* runtime memory access outside every region */
    EBPF_ENOENT = 5, /* no such map element / helper / section */
    EBPF_EEXIST = 6, /* element exists (BPF_NOEXIST) */
    EBPF_E2BIG = 7,  /* map full, program too large */
    EBPF_ENOSYS = 8, /* feature not available (e.g. JIT on this target) */
    EBPF_ELOOP = 9,  /* run exceeded its instruction budget */
};

/* ---- VM life cycle ---------------------------------------------------- */

/* Carves a VM out of mem[0..size).  err/errlen is where messages go. */
ebpf_vm *ebpf_create(void *mem, size_t size, char *err, size_t errlen);
const char *ebpf_error(const ebpf_vm *vm);
int ebpf_error_insn(const ebpf_vm *vm);
size_t ebpf_arena_used(const ebpf_vm *vm);
void ebpf_set_user(ebpf_vm *vm, void *user); /* opaque pointer for helpers */
void *ebpf_user(const ebpf_vm *vm);

/* Another VM running vm's program, for another hart: it shares the
 * program, its compiled code, helpers and maps, and owns only what a run
 * writes (stack, run context, error buffer err/errlen).  stack is
 * BPF_MAX_FRAMES * BPF_STACK_SIZE bytes (a hart running one program at a
 * time may give all its replicas the same one), or NULL to carve it from
 * vm's arena; the replica itself (about 3 KiB) comes from the arena.
 * Replicate once vm is loaded, verified and compiled: vm must not change
 * afterwards.  A replica only runs (ebpf_exec, ebpf_jit_exec).  NULL, with
 * the reason in vm's error buffer, if the arena is full. */
ebpf_vm *ebpf_replicate(ebpf_vm *vm, void *stack, char *err, size_t errlen);
/* A number stored with every ring buffer record this VM makes (the
 * embedder's: a hart, a pid); ebpf_ringbuf_consume_tag returns it. */
void ebpf_set_ringbuf_tag(ebpf_vm *vm, uint32_t tag);
/* Per-CPU maps.  ncpus (default 1) is how many copies of each value the
 * per-CPU maps created in vm from now on keep (Linux: possible CPUs): set
 * it before creating or loading maps.  cpu (default 0) is the hart a VM
 * or replica runs on: a program's per-CPU lookups, updates and
 * bpf_perf_event_output(BPF_F_CURRENT_CPU) use that hart's copy.  A
 * replica copies both from its original; give each its own cpu. */
void ebpf_set_ncpus(ebpf_vm *vm, uint32_t ncpus);
void ebpf_set_cpu(ebpf_vm *vm, uint32_t cpu);
/* bpf_get_stackid's source of call stacks: writes at most max return
 * addresses (innermost first, after skipping `skip` frames) of the kernel
 * (user 0) or the user (user 1) stack at the probe whose context is ctx,
 * and returns how many (0: no stack).  Called on the running hart, from a
 * helper, with vm the running VM (ebpf_user(vm) works).  Replicas copy it. */
typedef int (*ebpf_stack_fn)(ebpf_vm *vm, void *ctx, int user, uint64_t *ips, int max, int skip);
void ebpf_set_stack_walker(ebpf_vm *vm, ebpf_stack_fn fn);

/* ---- helpers ---------------------------------------------------------- */

/* Argument kinds of a helper prototype (checked by the verifier). */
enum ebpf_arg {
    EBPF_ARG_NONE = 0,     /* unused argument */
    EBPF_ARG_ANYTHING,     /* any initialised value */
    EBPF_ARG_MAP,          /* map pointer from lddw */
    EBPF_ARG_MAP_KEY,      /* pointer to key_size readable bytes */
    EBPF_ARG_MAP_VALUE,    /* pointer to value_size readable bytes */
    EBPF_ARG_MEM,          /* pointer to readable bytes, size in next arg */
    EBPF_ARG_UNINIT_MEM,   /* pointer to writable bytes, size in next arg */
    EBPF_ARG_SIZE,         /* size of the previous memory argument, > 0 */
    EBPF_ARG_SIZE_OR_ZERO, /* same, may be 0 */
    EBPF_ARG_CTX,          /* the context pointer */
    EBPF_ARG_ALLOC_SIZE,   /* constant size of a ring buffer reservation */
    EBPF_ARG_ALLOC_MEM,    /* record returned by ringbuf_reserve */
};

enum ebpf_ret {
    EBPF_RET_INTEGER = 0,       /* scalar */
    EBPF_RET_VOID,              /* r0 undefined after the call */
    EBPF_RET_MAP_VALUE_OR_NULL, /* value of the map in r1, or NULL */
    EBPF_RET_ALLOC_MEM_OR_NULL, /* ring buffer record of r2 bytes, or NULL */
};

struct ebpf_helper_proto {
    const char *name;
    uint8_t ret;     /* enum ebpf_ret */
    uint8_t args[5]; /* enum ebpf_arg, for r1..r5 */
};

typedef uint64_t (*ebpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                   ebpf_vm *vm);

int ebpf_register_helper(ebpf_vm *vm, uint32_t id, ebpf_helper_fn fn,
                         const struct ebpf_helper_proto *proto);
/* Map and ring buffer helpers implemented by the library: map_lookup_elem 1,
 * map_update_elem 2, map_delete_elem 3, tail_call 12, perf_event_output 25,
 * get_stackid 27, ringbuf_output/reserve/submit/discard/query 130-134. */
int ebpf_register_map_helpers(ebpf_vm *vm);
/* Linux's prototype for helper `id` (ktime_get_ns, trace_printk,
 * get_current_comm, probe_read_*, ...), for embedders that implement the
 * helper; NULL if the library does not know it. */
const struct ebpf_helper_proto *ebpf_linux_proto(uint32_t id);

/* ---- maps ------------------------------------------------------------- */

/* Map types: ARRAY, HASH, PERCPU_ARRAY, PERCPU_HASH, LRU_HASH,
 * LRU_PERCPU_HASH, PROG_ARRAY, PERF_EVENT_ARRAY, STACK_TRACE, ARRAY_OF_MAPS,
 * HASH_OF_MAPS, RINGBUF (docs/ebpf.md "Maps" has their rules). */
struct ebpf_map_def {
    uint32_t type; /* BPF_MAP_TYPE_* */
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries; /* ring buffer: data size in bytes, a power of 2 */
};

/* Bytes of the ring every PERF_EVENT_ARRAY owns for its records. */
#define EBPF_PERF_RING_SIZE 16384
/* Linux MAX_TAIL_CALL_CNT: tail calls one run may make. */
#define EBPF_MAX_TAIL_CALLS 33

/* Creates a map in the arena; its fd is its index in the VM (0, 1, ...). */
ebpf_map *ebpf_map_create(ebpf_vm *vm, const struct ebpf_map_def *def, const char *name);
/* ARRAY_OF_MAPS / HASH_OF_MAPS (def->value_size 4, as Linux): inner is the
 * template every inner map must match (type, key and value sizes, max
 * entries; Linux's inner_map_fd).  The verifier checks programs' uses of
 * looked-up inner maps against it. */
ebpf_map *ebpf_map_create_of_maps(ebpf_vm *vm, const struct ebpf_map_def *def, const char *name,
                                  const ebpf_map *inner);
/* Stores inner (NULL: removes the element) under key of a map of maps. */
int ebpf_map_set_inner(ebpf_map *outer, const void *key, ebpf_map *inner);
/* The inner map stored under key, or NULL. */
ebpf_map *ebpf_map_get_inner(ebpf_map *outer, const void *key);
/* PROG_ARRAY: slot index runs target's program on a tail call (NULL
 * empties it).  target is a loaded (and verified) VM, threaded for the
 * interpreter mode its callers use, or compiled if they are compiled: a
 * tail call into a program that cannot run the caller's way falls through. */
int ebpf_prog_array_set(ebpf_map *map, uint32_t index, ebpf_vm *target);
ebpf_vm *ebpf_prog_array_get(ebpf_map *map, uint32_t index);
/* Per-CPU maps as Linux's bpf() sees them: values holds ncpus copies of
 * the value, each rounded up to 8 bytes (ebpf_map_value_bytes in all). */
int ebpf_map_lookup_percpu(ebpf_map *map, const void *key, void *values);
int ebpf_map_update_percpu(ebpf_map *map, const void *key, const void *values, uint64_t flags);
/* One CPU's copy of a per-CPU map's value (any map: cpu 0 is the value). */
void *ebpf_map_lookup_cpu(ebpf_map *map, const void *key, uint32_t cpu);
uint32_t ebpf_map_ncpus(const ebpf_map *map);
/* Bytes of a value as bpf() passes it: value_size, or for per-CPU maps
 * round_up(value_size, 8) * ncpus. */
size_t ebpf_map_value_bytes(const ebpf_map *map);
/* PERF_EVENT_ARRAY: records bpf_perf_event_output could not store (its
 * ring was full).  Its records are read with ebpf_ringbuf_consume[_tag]. */
uint64_t ebpf_perf_lost(const ebpf_map *map);
ebpf_map *ebpf_map_by_fd(ebpf_vm *vm, int fd);
/* From now on the verifier refuses program stores into the map's values
 * (Linux BPF_F_RDONLY_PROG; the ELF loader freezes .rodata). */
void ebpf_map_freeze(ebpf_map *map);
/* Makes another VM's map usable in vm (returns its fd here).  The ELF loader
 * reuses maps of the same name, so sharing a VM's maps before loading a
 * second program of the same object makes both programs use one map. */
int ebpf_map_share(ebpf_vm *vm, ebpf_map *map);
ebpf_map *ebpf_map_by_name(ebpf_vm *vm, const char *name);
int ebpf_map_count(const ebpf_vm *vm);
int ebpf_map_fd(const ebpf_map *map);
const char *ebpf_map_name(const ebpf_map *map);
const struct ebpf_map_def *ebpf_map_def(const ebpf_map *map);
void *ebpf_map_lookup(ebpf_map *map, const void *key);
int ebpf_map_update(ebpf_map *map, const void *key, const void *value, uint64_t flags);
int ebpf_map_delete(ebpf_map *map, const void *key);
/* ebpf_map_lookup on a per-CPU map gives CPU 0's copy, ebpf_map_update
 * writes value into every CPU's copy; on a STACK_TRACE map the key is a
 * stack id and the value the stack (unused entries zero); on a map of maps
 * or PROG_ARRAY use the functions above.
 * key NULL: first key.  Returns -EBPF_ENOENT after the last key. */
int ebpf_map_get_next_key(ebpf_map *map, const void *key, void *next_key);
/* Ring buffer (or PERF_EVENT_ARRAY): copies the next committed record into buf (at most len bytes)
 * and returns its size; 0 if empty.  Discarded records are skipped. */
long ebpf_ringbuf_consume(ebpf_map *map, void *buf, size_t len);
/* The same, with the record's tag in *tag (may be NULL).  With only_tag
 * non-zero it stops (returns 0) at the first record of another tag: a
 * reader takes only what its own producer made, in order.  Consumers may
 * call from several harts (they take turns); producers never wait for them. */
long ebpf_ringbuf_consume_tag(ebpf_map *map, void *buf, size_t len, uint32_t only_tag,
                              uint32_t *tag);
/* A consumer that takes records as they are made: from now on every record
 * committed to the ring buffer (bpf_ringbuf_output, bpf_ringbuf_submit;
 * for a PERF_EVENT_ARRAY bpf_perf_event_output) is handed to fn, on the
 * producing hart inside the program's run, instead of waiting in the ring
 * for ebpf_ringbuf_consume.  fn returns 0, or < 0 if it could not take the
 * record (the helper then fails as on a full ring).  Records arrive in the
 * order they are committed (a reserved record at its submit).  Set it
 * before the map's programs run; fn NULL: records wait in the ring again.
 * Ignored for other map types. */
typedef long (*ebpf_ringbuf_sink)(void *ctx, const void *data, size_t len, uint32_t tag);
void ebpf_ringbuf_set_sink(ebpf_map *map, ebpf_ringbuf_sink fn, void *ctx);

/* ---- programs --------------------------------------------------------- */

/* Copies and checks (structure only: opcodes, jump targets, lddw pairs,
 * function boundaries) a program; resolves lddw map pseudo sources. */
int ebpf_load(ebpf_vm *vm, const struct ebpf_insn *insns, uint32_t count);
/* Loads program `name` (a section such as "kprobe/do_sys_open", or a function
 * symbol such as "main") from an ELF object built with clang -target bpf.
 * A section holding several programs is refused by its name (the message
 * lists their function names): load each by its function name.
 * Creates its maps (legacy "maps", BTF ".maps", .rodata/.data/.bss). */
int ebpf_load_elf(ebpf_vm *vm, const void *elf, size_t size, const char *name);
/* Warnings of the last ebpf_load_elf/ebpf_elf_programs that did not stop
 * it (e.g. an EM_NONE object), one per line; "" if none. */
const char *ebpf_notice(const ebpf_vm *vm);
/* Lists the programs of an object, each by the name ebpf_load_elf takes:
 * executable sections other than .text, except that a section holding
 * several global functions (libbpf's several SEC("kprobe/x") functions)
 * lists each function instead; then global functions in .text.  Returns
 * their number or an error. */
int ebpf_elf_programs(ebpf_vm *vm, const void *elf, size_t size,
                      void (*fn)(const char *name, void *arg), void *arg);
/* The initialisers of the object's program arrays (`values = { [i] =
 * &prog }`): fn(map, i, prog, arg) for each.  The loader cannot fill them
 * (each program is a VM of its own): load prog, then ebpf_prog_array_set
 * the map's slot i.  A map of maps' initialisers (`values = { [i] =
 * &inner }`) are applied by ebpf_load_elf itself.  Returns how many. */
int ebpf_elf_prog_array_inits(ebpf_vm *vm, const void *elf, size_t size,
                              void (*fn)(const char *map, uint32_t index, const char *prog,
                                         void *arg),
                              void *arg);
/* The section holding program `name` into sec[0..len) (for a section name,
 * that section): where a program named by its function attaches. */
int ebpf_elf_program_section(ebpf_vm *vm, const void *elf, size_t size, const char *name,
                             char *sec, size_t len);
const struct ebpf_insn *ebpf_insns(const ebpf_vm *vm, uint32_t *count);
const char *ebpf_license(const ebpf_vm *vm);

/* Verifier.  ctx_size: bytes of the context r1 points to; ctx_writable: whether
 * the program may store to it (optionally only a field range).  The log (may
 * be NULL) gets a Linux-style trace: level 0 the error and a summary line,
 * level 1 also every processed instruction, level 2 also the register and
 * stack state before each.  A program may be verified more than once. */
struct ebpf_verify_opts {
    uint32_t ctx_size;
    uint32_t ctx_writable; /* stores allowed in [wr_off, wr_off + wr_len), or the
                              whole context when wr_len is 0 */
    uint32_t ctx_wr_off, ctx_wr_len;
    char *log;
    size_t log_size;
    int log_level;
    uint32_t insn_limit;    /* processed instruction budget, 0 = 1000000 */
    uint32_t r2_is_ctx_len; /* r2 holds an initialised scalar at entry */
};
int ebpf_verify(ebpf_vm *vm, const struct ebpf_verify_opts *opts);
/* Statistics of the last ebpf_verify(). */
uint32_t ebpf_verify_processed(const ebpf_vm *vm);
/* Peak arena bytes the last ebpf_verify() used as scratch (given back). */
size_t ebpf_verify_scratch(const ebpf_vm *vm);

/* ---- execution -------------------------------------------------------- */

/* Bounds-checked mode: every load and store must fall inside the context,
 * the current stack, a map's storage or a region added here. */
void ebpf_set_bounds_check(ebpf_vm *vm, int on);
int ebpf_add_region(ebpf_vm *vm, const void *base, size_t len, int writable);
/* Stops a run after `limit` backward jumps and calls (0 = no limit). */
void ebpf_set_insn_budget(ebpf_vm *vm, uint64_t limit);

/* Interpreter: r1 = ctx, r2 = ctx_len; *ret = r0 at exit. */
int ebpf_exec(ebpf_vm *vm, void *ctx, uint64_t ctx_len, uint64_t *ret);

/* Instructions executed by the last bounds-checked ebpf_exec(). */
uint64_t ebpf_executed(const ebpf_vm *vm);

/* RV64 JIT.  Translates the loaded program into code[0..cap) (8-byte
 * aligned); *len is the size used.  The embedder makes it executable and
 * supplies an instruction cache flush (fence.i or a syscall), called after
 * code is written.  Helper addresses are bound now: register helpers first.
 * Compiled code is not bounds-checked: verify first. */
typedef void (*ebpf_icache_flush_fn)(void *start, size_t len);
int ebpf_jit_compile(ebpf_vm *vm, void *code, size_t cap, size_t *len);
void ebpf_set_icache_flush(ebpf_vm *vm, ebpf_icache_flush_fn fn);
/* Compressed (C extension) encodings where they exist: on by default. */
void ebpf_jit_set_rvc(ebpf_vm *vm, int on);
/* Runs compiled code (only on an rv64 build). */
int ebpf_jit_exec(ebpf_vm *vm, void *ctx, uint64_t ctx_len, uint64_t *ret);

/* ---- tools ------------------------------------------------------------ */

/* Linux-style text of instruction pc ("r0 = *(u32 *)(r1 +4)"). */
int ebpf_disasm(const struct ebpf_insn *insns, uint32_t count, uint32_t pc, char *buf, size_t len);
/* snprintf subset used by the library: %d %i %u %x %s %c %% with l/ll/z. */
int ebpf_snprintf(char *buf, size_t len, const char *fmt, ...);

#ifdef __cplusplus
}
#endif
#endif /* EBPF_H */
