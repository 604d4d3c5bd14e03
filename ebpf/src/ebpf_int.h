/*
 * ebpf_int.h - private definitions shared by the library's files.
 *
 * Prefixes tell where a function lives: ebpfA_ arena and text (util.c),
 * ebpfL_ loading (load.c), ebpfI_ interpreter, ebpfM_ maps, ebpfV_ verifier,
 * ebpfE_ ELF/BTF, ebpfJ_ JIT.
 */
#ifndef EBPF_INT_H
#define EBPF_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf.h"

#define EBPF_MAX_MAPS    64
#define EBPF_MAX_REGIONS 16
#define EBPF_MAX_INSNS   (1u << 20)
#define EBPF_MAX_FUNCS   256
#define EBPF_NAME_LEN    48

/*
 * Pre-decoded instruction.  Jump targets are absolute instruction indices,
 * immediates are already widened the way the instruction uses them (sign
 * extended for ALU64/JMP, the full value for lddw), so the interpreter does
 * no arithmetic on operands it could have done at load time.
 */
struct ebpf_dinsn {
    const void *h; /* interpreter handler (direct threading), set lazily */
    uint8_t code;
    uint8_t dst;
    uint8_t src;
    uint8_t aux;  /* atomic op, movsx width / signedness, 1 on backward jumps */
    int32_t off;  /* memory offset, or jump/call target index */
    uint64_t imm; /* operand for K forms, lddw value, helper id */
};

struct ebpf_helper_slot {
    ebpf_helper_fn fn;
    const struct ebpf_helper_proto *proto;
};

struct ebpf_region {
    uintptr_t base;
    uintptr_t end;
    int writable;
};

/*
 * Maps are shared by programs that may run on several harts at once
 * (ktrace/src/bpf.c runs one replica per hart).  What a run may change:
 *   array values   the program's own loads, stores and atomics (BPF_ATOMIC
 *                  is a real atomic: amo*.w/d or lr/sc), as in Linux;
 *   hash entries   update and delete take `lock`; lookups take no lock and
 *                  walk chains published with release stores, so a lookup
 *                  racing an update sees the entry or not, never half a
 *                  chain (Linux's preallocated hash maps behave alike: an
 *                  element a program holds may be deleted and reused);
 *   ring buffer    reservations take `lock` (many producers); commits are
 *                  one release store of the header; consumers take
 *                  `cons_lock` (the kernel drains from more than one hart).
 * The locks are spin words (an atomic swap, RISC-V A extension amoswap.w):
 * critical sections are a few dozen instructions and never call out.  An
 * embedder that also runs programs from interrupt or trap context must call
 * the map functions with interrupts off on that hart, or a program could
 * spin on a lock its own hart holds.
 */
struct ebpf_map {
    struct ebpf_map_def def;
    uint32_t lock;      /* hash update/delete, ring buffer reserve */
    uint32_t cons_lock; /* ring buffer consumers */
    char name[EBPF_NAME_LEN];
    int fd;
    int prog_rdonly; /* programs may only read values (.rodata) */
    ebpf_vm *vm;
    uint8_t *data;   /* array values, hash entries or ring buffer data */
    size_t data_len; /* bytes at data */
    /* hash: open hashing with chains threaded through entry indices */
    uint32_t *buckets; /* nbuckets heads, UINT32_MAX = empty */
    uint32_t *next;    /* per entry chain link / free list link */
    uint8_t *used;     /* per entry: 1 if live */
    uint32_t nbuckets;
    uint32_t free_head;
    uint32_t count;
    size_t entry_size; /* hash: key + value rounded up to 8 */
    /* ring buffer: free-running byte positions (Linux layout) */
    uint64_t cons_pos;
    uint64_t prod_pos;
    /* Values.  vsize bytes are one CPU's copy (value_size, or 8 for the
     * pointers of PROG_ARRAY and maps of maps), vstride that rounded up
     * to 8, slot all copies of an element (vstride * ncpus if per-CPU). */
    uint32_t ncpus;
    uint32_t vsize;
    size_t vstride, slot;
    bool percpu;
    /* LRU hash: when each entry was last used (a clock a use advances),
     * and where the next eviction starts looking */
    uint64_t *stamp;
    uint64_t clock;
    uint32_t lru_cursor;
    struct ebpf_map *ring;     /* PERF_EVENT_ARRAY: the ring its records go to */
    uint64_t lost;             /* PERF_EVENT_ARRAY: records the full ring refused */
    ebpf_ringbuf_sink sink;    /* RINGBUF: takes each record as it is committed, or NULL */
    void *sink_ctx;
    const struct ebpf_map *inner; /* map of maps: the template of inner maps */
    bool template_only;        /* an inner map template: geometry, no storage */
};

struct ebpf_func {
    uint32_t start; /* first instruction */
    uint32_t end;   /* one past the last instruction */
};

struct ebpf_vm {
    uint8_t *arena;
    size_t arena_size;
    size_t arena_used;
    char *err;
    size_t errlen;
    int err_insn;
    void *user;

    /* BPF_FUNC_MAX_ID slots in the arena: a pointer keeps the VM (and a
     * replica, which copies it) small. */
    struct ebpf_helper_slot *helpers;
    ebpf_map *maps[EBPF_MAX_MAPS];
    int nmaps;

    struct ebpf_insn *insns; /* the program as loaded, lddw resolved */
    uint32_t ninsns;
    struct ebpf_dinsn *code; /* pre-decoded copy for the interpreter */
    int threaded;            /* which interpreter loop filled code[].h */
    struct ebpf_func funcs[EBPF_MAX_FUNCS];
    uint32_t nfuncs;
    char license[EBPF_NAME_LEN];

    uint8_t *stack; /* BPF_MAX_FRAMES * BPF_STACK_SIZE bytes */
    struct ebpf_region regions[EBPF_MAX_REGIONS];
    int nregions;
    int bounds_check;
    uint64_t budget;
    void *run_ctx; /* context of the run under way (for helper checks) */
    uint64_t run_ctx_len;

    uint32_t *jit_code; /* compiled code, filled by ebpf_jit_compile */
    size_t jit_len;
    ebpf_icache_flush_fn flush;
    int jit_no_rvc;         /* JIT: 32-bit encodings only */
    uint64_t jit_bad_callx; /* 1 + the unknown helper id a compiled callx met */

    /* A replica (ebpf_replicate) shares the program, its code and maps with
     * `origin` and owns only what a run writes: stack, run_ctx, executed,
     * jit_bad_callx, the toggled bounds_check and the error buffer. */
    const struct ebpf_vm *origin;
    uint32_t ringbuf_tag; /* stored in the header of the ring buffer records it makes */
    uint32_t ncpus;       /* copies of a value in per-CPU maps created here (0 = 1) */
    uint32_t cpu;         /* the hart this VM runs on (per-CPU maps) */
    ebpf_stack_fn stack_fn;
    /* Tail calls (run state): how many this run made, the program a tail
     * call is running now (NULL: this VM's own), the one to run next. */
    uint32_t tail_calls;
    const struct ebpf_vm *tail_prog;
    const struct ebpf_vm *tail_next;

    uint32_t verify_processed;
    size_t verify_scratch; /* peak scratch bytes of the last verification */
    uint64_t executed;     /* instructions run by the last bounds-checked run */
    char notice[160];      /* warnings of the last ELF load (ebpf_notice): cold, kept last */
};

/* util.c */
void *ebpfA_alloc(ebpf_vm *vm, size_t size);
int ebpfA_fail(ebpf_vm *vm, int code, int insn, const char *fmt, ...);
int ebpfA_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
void ebpfA_memcpy(void *dst, const void *src, size_t n);
void ebpfA_memset(void *dst, int c, size_t n);
int ebpfA_memcmp(const void *a, const void *b, size_t n);
size_t ebpfA_strlen(const char *s);
int ebpfA_strcmp(const char *a, const char *b);
int ebpfA_strncmp(const char *a, const char *b, size_t n);
void ebpfA_strlcpy(char *dst, const char *src, size_t n);

/* Spin locks of maps (see struct ebpf_map). */
static inline void ebpfM_lock(uint32_t *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(l, __ATOMIC_RELAXED))
            ;
}
static inline void ebpfM_unlock(uint32_t *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* load.c */
bool ebpfL_is_lddw(const struct ebpf_insn *in);
int ebpfL_func_of(const ebpf_vm *vm, uint32_t pc);

/* maps.c */
int ebpfM_index(const ebpf_vm *vm, const ebpf_map *map); /* fd in vm, or -1 */
bool ebpfM_contains(const ebpf_map *map, uintptr_t addr, size_t len);
void *ebpfM_ringbuf_reserve(ebpf_map *map, uint64_t size, uint32_t tag);
/* The map operations without an error message (helpers: a failure is the
 * program's business, and the map's VM may be another hart's).  cpu: the
 * copy of a per-CPU value a program's lookup or update uses; EBPF_CPU_ALL
 * writes the value into every copy, EBPF_CPU_LAYOUT takes all copies
 * (ebpf_map_update_percpu). */
#define EBPF_CPU_ALL    UINT32_MAX
#define EBPF_CPU_LAYOUT (UINT32_MAX - 1)
void *ebpfM_lookup(ebpf_map *map, const void *key, uint32_t cpu);
int ebpfM_update(ebpf_map *map, const void *key, const void *value, uint64_t flags, uint32_t cpu);
int ebpfM_delete(ebpf_map *map, const void *key);
/* maps_special.c: the geometry checks and storage of PROG_ARRAY,
 * PERF_EVENT_ARRAY, STACK_TRACE and maps of maps; NULL-or-reason. */
int ebpfM_setup_special(ebpf_vm *vm, ebpf_map *m);
/* Why a helper may not take map m (Linux check_map_func_compatibility),
 * or NULL. */
const char *ebpfM_helper_refused(const ebpf_map *m, uint32_t helper_id);
void *ebpfM_stack_lookup(ebpf_map *m, const void *key);
int ebpfM_stack_delete(ebpf_map *m, const void *key);
int ebpfM_stack_next_key(ebpf_map *m, const void *key, void *next);
/* maps_special.c: [addr, addr+len) is in an inner map of outer, or (p
 * non-NULL) p is one of its inner maps */
bool ebpfM_inner_holds(const ebpf_map *outer, const ebpf_map *p, uintptr_t addr, size_t len);
/* maps.c: a map of maps whose inner maps have geometry `inner` */
ebpf_map *ebpfM_create_of_maps(ebpf_vm *vm, const struct ebpf_map_def *def, const char *name,
                               const struct ebpf_map_def *inner);
/* maps.c: stores a map or program pointer into a pointer map's element */
int ebpfM_set_pointer(ebpf_map *m, const void *key, const void *p);
/* The program a tail call through map at index runs, or NULL. */
const ebpf_vm *ebpfM_tail_target(ebpf_map *map, uint64_t index);
long ebpfM_get_stackid(ebpf_vm *vm, ebpf_map *map, void *ctx, uint64_t flags);
long ebpfM_perf_output(ebpf_vm *vm, ebpf_map *map, uint64_t flags, const void *data, uint64_t size);
/* an error message naming the field of a map definition that is wrong */
int ebpfM_bad_field(ebpf_vm *vm, const ebpf_map *m, const char *field, uint32_t value,
                    const char *why);
size_t ebpfM_round8(size_t n);
/* ringbuf.c: commit a reserved record of ring m (NULL: not known, no
 * sink); output reserves, copies and commits, or hands data to m's sink. */
void ebpfM_ringbuf_commit(ebpf_map *m, void *rec, bool discard);
long ebpfM_ringbuf_output(ebpf_map *m, const void *data, uint64_t size, uint32_t tag);
uint64_t ebpfM_ringbuf_query(ebpf_map *map, uint64_t what);

/* helpers.c: true if [addr, addr+len) is memory the running program may
 * hand to a helper (always true outside the bounds-checked mode). */
bool ebpfH_mem_ok(ebpf_vm *vm, uint64_t addr, uint64_t len, int write);
ebpf_map *ebpfH_map_arg(ebpf_vm *vm, uint64_t p);
/* the tail_call helper (the interpreter and JIT recognise it by address) */
uint64_t ebpfH_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         ebpf_vm *vm);

/* interp.c */
/* Fills the pre-decoded code's handlers for the VM's bounds-check mode. */
void ebpfI_thread(ebpf_vm *vm);
bool ebpfI_access_ok(ebpf_vm *vm, uintptr_t addr, size_t len, int write, void *ctx,
                     uint64_t ctx_len);

/* The jump that is taken exactly when `op` is not (RFC 9669 section 4.4);
 * 0 for JSET, whose negation is no single eBPF jump.  The JIT branches
 * around, the verifier narrows the fall-through path with it. */
static inline uint8_t ebpf_jmp_negate(uint8_t op)
{
    switch (op) {
    case BPF_JEQ:
        return BPF_JNE;
    case BPF_JNE:
        return BPF_JEQ;
    case BPF_JGT:
        return BPF_JLE;
    case BPF_JLE:
        return BPF_JGT;
    case BPF_JGE:
        return BPF_JLT;
    case BPF_JLT:
        return BPF_JGE;
    case BPF_JSGT:
        return BPF_JSLE;
    case BPF_JSLE:
        return BPF_JSGT;
    case BPF_JSGE:
        return BPF_JSLT;
    case BPF_JSLT:
        return BPF_JSGE;
    }
    return 0;
}

#endif /* EBPF_INT_H */
