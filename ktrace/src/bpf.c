/*
 * bpf(cmd, attr, size): Linux's command numbers and union bpf_attr
 * layouts (include/osdbg/bpf_attr.h), on the freestanding eBPF runtime
 * (ebpf/).  Every bad input returns an errno; nothing a program passes
 * can panic the kernel: attributes are copied in through the OS's
 * kt_os_user_read (ktrace_os.h), sizes are bounded, programs are verified before they can run and run with the
 * runtime's bounds checks on.
 *
 * Memory: the runtime allocates nothing itself.  All maps live in one VM
 * (the "map VM") whose arena is static; each program gets a VM of its own
 * from a fixed pool and reaches maps through ebpf_map_share().  Maps and
 * programs live until the machine stops (the runtime's arenas do not free
 * single objects); closing a descriptor only drops the process's reference.
 *
 * Several harts.  A program runs on whichever hart hits its probe, on
 * several at once, with no lock: each program has a replica of its VM per
 * hart (ebpf_replicate: the hart's own stack, run context and error
 * buffer; program, compiled code and maps shared), and each hart a flag
 * that it is running a program (a probe inside a program's own run, in a
 * helper's copyin say, is counted as missed instead of re-entering).  Runs
 * happen with interrupts off, so a run stays on its hart.  Maps take care
 * of several harts themselves (ebpf/src/ebpf_int.h, struct ebpf_map).
 * bpf_lock is the control lock: program slots, their references and the
 * map VM; nothing on the run path takes it.  A program is unloaded only
 * after its probes are disarmed, and disarming waits until no hart runs
 * their handlers (kprobe.c), so no run outlives its program.
 */
#include "bpf.h"
#include "bpf_helpers.h"
#include "bpf_stack.h"
#include "kprobe.h"
#include "kt_lock.h"
#include "kt_print.h"
#include "kt_time.h"
#include "ktrace.h"
#include "uprobe.h"
#include "format.h"
#include "kstring.h"
#include <ebpf.h>
#include <osdbg/bpf_attr.h>
#include <osdbg/errno.h>

BPF_ATTR_CHECK_LAYOUT();

#define MAP_ARENA_SIZE (512 * 1024)
/* Program slots, each with its arena (the VM, the program, an object's own
 * maps, the verifier's scratch while it runs, then the per-hart replicas),
 * in three sizes measured on the programs that use them (docs/ebpf.md
 * "Kernel arenas"; the verifier's peak is ebpf_verify_scratch, and every
 * load appends its figures to its log):
 *  - small, for what the debugger generates: logpoints need 28-115 KB (39 KB
 *    at most of VM, 16 KiB ring buffer and program, plus up to 76 KB of
 *    verifier scratch); the compatibility suite's programs through bpf()
 *    17-37 KB;
 *  - big, for a user's object with its maps (osdbg trace prog.bpf.c: the
 *    suite's stack-trace object needs 60 KB) and bigger programs;
 *  - huge, two of them, for programs whose verification keeps many states
 *    (the verifier's synthetic 993-instruction benchmark, 1,000 unrelated
 *    branches with 32 live spills, takes 855 KiB of scratch).
 * A load tries the smallest size with a free slot and moves up when its
 * arena runs out.  7.5 MiB of the kernel's 128 MiB. */
#define SMALL_PROGS      24
#define BIG_PROGS        10
#define HUGE_PROGS       2
#define MAX_PROGS        (SMALL_PROGS + BIG_PROGS + HUGE_PROGS)
#define SMALL_ARENA_SIZE (128 * 1024)
#define BIG_ARENA_SIZE   (256 * 1024)
#define HUGE_ARENA_SIZE  (1024 * 1024)
#define MAX_INSNS        4096
#define MAX_LOG          (64 * 1024)
#define MAX_KEY_VALUE    1024 /* bytes of a key or value passed through bpf() */
#define CTX_SIZE         256  /* struct pt_regs: pc, x1..x31 */

/* The run path (what every probe hit calls: on_kprobe, run_linked, prog_run)
 * is compiled at -O2 inside this -O0 file (issue 21, docs/benchmarks.md
 * "Where a kprobe hit goes"): at -O0 it cost ~250 guest instructions a hit.
 * The rest of the file, the bpf() system call that students and the
 * debugger's tests step through, keeps the kernel's flags. */
#define KT_HOT __attribute__((optimize("O2")))

/* sstatus.SIE (RISC-V privileged spec 4.1.1): are interrupts on here? */
static inline __attribute__((always_inline)) bool irqs_on(void)
{
    uint64_t s;
    asm volatile("csrr %0, sstatus" : "=r"(s));
    return (s & 2) != 0;
}

static struct kt_lock bpf_lock = KT_LOCK_INIT("bpf");
static bool initialised;

/* Per hart: running a program now?  Its interpreter stack, shared by its
 * replicas of every program (a hart runs one program at a time). */
static struct hart_run {
    bool busy;
    uint32_t done; /* runs finished (a tail call target's grace period) */
} hart_runs[KT_MAX_HARTS];
static uint8_t hart_stacks[KT_MAX_HARTS][BPF_MAX_FRAMES * BPF_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t map_arena[MAP_ARENA_SIZE] __attribute__((aligned(16)));
static ebpf_vm *map_vm;
/* References to maps of map_vm: open map files and programs' uses.  The
 * arena cannot free one map; when nothing refers to any, it starts over. */
static int live_maps;

static void maps_maybe_reset(void);
struct prog;
static void jit_free(struct prog *p);
static char map_err[128];

static struct prog {
    bool used;      /* loaded, or its slot reserved by a load in progress */
    bool unloading; /* unloaded, kept while other programs use its maps */
    int refs;       /* bpf(): its open files and the links that run it */
    int map_refs;   /* bpf(): maps of map_vm it uses (counted in live_maps) */
    int maps_from;  /* the program whose maps this one shares, or -1 */
    int borrowers;  /* programs sharing this one's maps (they live in its arena) */
    /* A tail-call target an object's .maps initialiser put in a program
     * array (side-stub loads): the program that owns it (-1: none), the
     * array and slot that hold it. */
    int tail_of;
    ebpf_map *tail_map;
    uint32_t tail_index;
    void *jit;      /* its compiled code (a page mapped R-X), or 0: interpreted */
    ebpf_vm *vm;
    char name[BPF_OBJ_NAME_LEN];
    char err[128];
    uint8_t *arena;
    size_t arena_size;
    ebpf_vm *replica[KT_MAX_HARTS]; /* the VM each hart runs it on */
    char rerr[KT_MAX_HARTS][64];    /* their error buffers */
} progs[MAX_PROGS];

static uint8_t small_arenas[SMALL_PROGS][SMALL_ARENA_SIZE] __attribute__((aligned(16)));
static uint8_t big_arenas[BIG_PROGS][BIG_ARENA_SIZE] __attribute__((aligned(16)));
static uint8_t huge_arenas[HUGE_PROGS][HUGE_ARENA_SIZE] __attribute__((aligned(16)));

/* Slots by arena size: [0, SMALL_PROGS) small, then big, then huge. */
enum { TIER_SMALL, TIER_BIG, TIER_HUGE, NTIERS };
static const struct tier {
    int first, count;
    size_t size;
    const char *name;
} tiers[NTIERS] = {
    {0, SMALL_PROGS, SMALL_ARENA_SIZE, "small"},
    {SMALL_PROGS, BIG_PROGS, BIG_ARENA_SIZE, "big"},
    {SMALL_PROGS + BIG_PROGS, HUGE_PROGS, HUGE_ARENA_SIZE, "huge"},
};

static int tier_of(int slot)
{
    return slot < SMALL_PROGS ? TIER_SMALL : slot < SMALL_PROGS + BIG_PROGS ? TIER_BIG : TIER_HUGE;
}

static uint8_t *arena_of(int slot)
{
    switch (tier_of(slot)) {
    case TIER_SMALL:
        return small_arenas[slot];
    case TIER_BIG:
        return big_arenas[slot - SMALL_PROGS];
    default:
        return huge_arenas[slot - SMALL_PROGS - BIG_PROGS];
    }
}

static struct ebpf_insn insn_buf[MAX_INSNS];
static char log_buf[MAX_LOG];

static KT_HOT long errno_of(int ebpf_err)
{
    switch (-ebpf_err) {
    case EBPF_EINVAL:
        return -EINVAL;
    case EBPF_ENOMEM:
        return -ENOMEM;
    case EBPF_EACCES:
        return -EACCES;
    case EBPF_EFAULT:
        return -EFAULT;
    case EBPF_ENOENT:
        return -ENOENT;
    case EBPF_EEXIST:
        return -EEXIST;
    case EBPF_E2BIG:
        return -E2BIG;
    case EBPF_ENOSYS:
        return -ENOSYS;
    default:
        return -EINVAL;
    }
}

void kt_bpf_init(void)
{
    if (initialised)
        return;
    map_vm = ebpf_create(map_arena, sizeof map_arena, map_err, sizeof map_err);
    if (!map_vm)
        kt_panic("bpf: cannot create the map VM: %s", map_err);
    ebpf_set_ncpus(map_vm, KT_MAX_HARTS); /* per-CPU maps: a value per hart */
    initialised = true;
}

/* ---- the calling process: its descriptors and its memory (ktrace_os.h) ---- */

/* The object of kind (KT_FD_*) the caller's descriptor fd refers to: its
 * id, or -EBADF. */
static int fd_id(uint32_t fd, int kind)
{
    return fd > (uint32_t)INT32_MAX ? -EBADF : kt_os_fd_lookup((int)fd, kind);
}

/* The calling process's address space. */
static uint64_t caller_space(void)
{
    struct kt_task t;
    return kt_os_current(&t) ? t.space : 0;
}

/* n bytes of the caller's memory at uaddr: 0 or -1. */
static int user_in(uint64_t space, void *dst, uint64_t uaddr, uint64_t n)
{
    return kt_os_user_read(space, uaddr, dst, n) < 0 ? -1 : 0;
}

static int user_out(uint64_t space, uint64_t uaddr, const void *src, uint64_t n)
{
    return kt_os_user_write(space, uaddr, src, n) < 0 ? -1 : 0;
}

/* A NUL-terminated string of the caller of at most max bytes with its NUL,
 * into dst[max + 1]: 0, or -1 if it cannot be read or is longer. */
static int user_string(uint64_t space, char *dst, uint64_t uaddr, uint64_t max)
{
    long n = space ? bpf_read_str(dst, max + 1, uaddr, space) : -1; /* (0: kernel memory) */
    return n > 0 && (uint64_t)n <= max ? 0 : -1;
}

/* ---- commands ---- */

/* bpf(2) attributes are unions of which a caller passes only the prefix it
 * knows; the rest of our copy stays zero (Linux: bpf_check_uarg_tail_zero). */
static int attr_copyin(void *a, uint64_t asize, uint64_t uattr, uint64_t size)
{
    return user_in(caller_space(), a, uattr, size < asize ? size : asize);
}

static bool map_type_supported(uint32_t t)
{
    switch (t) {
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_STACK_TRACE:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
    case BPF_MAP_TYPE_RINGBUF:
        return true;
    }
    return false;
}

static long map_create(uint64_t uattr, uint64_t size)
{
    struct bpf_attr_map_create a = {0};
    if (attr_copyin(&a, sizeof a, uattr, size) < 0)
        return -EFAULT;
    bool of_maps =
        a.map_type == BPF_MAP_TYPE_ARRAY_OF_MAPS || a.map_type == BPF_MAP_TYPE_HASH_OF_MAPS;
    if (a.map_flags || (a.inner_map_fd && !of_maps))
        return -EINVAL; /* no flags supported */
    if (!map_type_supported(a.map_type))
        return -EINVAL;
    /* (a perf event array's max_entries may be 0: one per hart) */
    if (a.map_type != BPF_MAP_TYPE_RINGBUF &&
        (a.key_size == 0 || a.value_size == 0 || a.key_size > MAX_KEY_VALUE ||
         a.value_size > MAX_KEY_VALUE ||
         (a.max_entries == 0 && a.map_type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)))
        return -EINVAL;
    ebpf_map *inner = 0;
    if (of_maps) {
        int inner_id = fd_id(a.inner_map_fd, KT_FD_MAP);
        if (inner_id < 0)
            return -EBADF;
        inner = ebpf_map_by_fd(map_vm, inner_id);
    }
    char name[BPF_OBJ_NAME_LEN];
    memcpy(name, a.map_name, sizeof name);
    name[sizeof name - 1] = 0;
    struct ebpf_map_def def = {a.map_type, a.key_size, a.value_size, a.max_entries};
    kt_lock_acquire(&bpf_lock);
    ebpf_map *m = of_maps ? ebpf_map_create_of_maps(map_vm, &def, name[0] ? name : "map", inner)
                          : ebpf_map_create(map_vm, &def, name[0] ? name : "map");
    int id = m ? ebpf_map_fd(m) : -1;
    if (m)
        live_maps++; /* at once: another hart's unload must not reset the map VM under it */
    kt_lock_release(&bpf_lock);
    if (!m)
        return strncmp(map_err, "arena", 5) == 0 ? -ENOMEM : -EINVAL;
    long fd = kt_os_fd_install(KT_FD_MAP, id);
    if (fd < 0) {
        kt_lock_acquire(&bpf_lock);
        live_maps--;
        maps_maybe_reset();
        kt_lock_release(&bpf_lock);
    }
    return fd;
}

/* The program slot running VM vm, or -1 (bpf_lock held). */
static int prog_of_vm(const ebpf_vm *vm)
{
    for (int i = 0; vm && i < MAX_PROGS; i++)
        if (progs[i].used && progs[i].vm == vm)
            return i;
    return -1;
}

static void prog_put(int id);

/* Waits until every hart that was running a program has finished that run
 * (runs are short, with interrupts off).  A program a program array held
 * may still run after the slot changed, on a hart that took the tail call
 * just before (Linux waits for an RCU grace period): dropping the array's
 * reference waits for this first. */
static void wait_for_runs(void)
{
    /* the slot's new value before the flags are read (with the fence after
     * a run sets busy: a run either is seen busy or sees the new slot) */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (int h = 0; h < KT_MAX_HARTS; h++) {
        if (!__atomic_load_n(&hart_runs[h].busy, __ATOMIC_ACQUIRE))
            continue;
        uint32_t seen = __atomic_load_n(&hart_runs[h].done, __ATOMIC_ACQUIRE);
        while (__atomic_load_n(&hart_runs[h].busy, __ATOMIC_ACQUIRE) &&
               __atomic_load_n(&hart_runs[h].done, __ATOMIC_ACQUIRE) == seen)
            ;
    }
}

/* bpf(BPF_MAP_UPDATE_ELEM / DELETE_ELEM) on a program array: the value is
 * a program's descriptor (Linux), stored as its VM.  The array holds a
 * reference to the program, so a tail call never jumps into an unloaded
 * one; the reference a replaced or deleted entry held is dropped. */
static long prog_array_elem(int cmd, ebpf_map *m, uint32_t index, uint32_t prog_fd)
{
    int add = -1;
    if (cmd == BPF_MAP_UPDATE_ELEM) {
        add = fd_id(prog_fd, KT_FD_PROG);
        if (add < 0)
            return -EBADF;
    } else if (cmd != BPF_MAP_DELETE_ELEM) {
        return -EINVAL; /* Linux: lookups of program arrays give ids, not supported here */
    }
    kt_lock_acquire(&bpf_lock);
    int old = prog_of_vm(ebpf_prog_array_get(m, index));
    int er = ebpf_prog_array_set(m, index, add >= 0 ? progs[add].vm : 0);
    if (er == 0 && add >= 0)
        progs[add].refs++;
    if (er == 0 && add < 0 && old < 0)
        er = -EBPF_ENOENT;
    kt_lock_release(&bpf_lock);
    if (er < 0)
        return errno_of(er);
    if (old >= 0) {
        wait_for_runs();
        prog_put(old);
    }
    return 0;
}

static long map_elem(int cmd, uint64_t uattr, uint64_t size)
{
    struct bpf_attr_map_elem a = {0};
    uint64_t space = caller_space();
    if (attr_copyin(&a, sizeof a, uattr, size) < 0)
        return -EFAULT;
    int map_id = fd_id(a.map_fd, KT_FD_MAP);
    if (map_id < 0)
        return -EBADF;
    ebpf_map *m = ebpf_map_by_fd(map_vm, map_id);
    const struct ebpf_map_def *def = ebpf_map_def(m);
    if (def->type == BPF_MAP_TYPE_RINGBUF)
        return -EINVAL; /* ring buffers are read by consumers, not by key */
    /* Values as Linux's bpf() passes them: a per-CPU map's are all harts'
     * copies, each rounded up to 8 bytes; a map of maps' or program
     * array's are descriptors (u32). */
    static uint8_t key[MAX_KEY_VALUE], val[MAX_KEY_VALUE * KT_MAX_HARTS];
    size_t vbytes = ebpf_map_value_bytes(m);
    bool percpu = def->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
                  def->type == BPF_MAP_TYPE_PERCPU_HASH ||
                  def->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
    bool fds = def->type == BPF_MAP_TYPE_PROG_ARRAY || def->type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
               def->type == BPF_MAP_TYPE_HASH_OF_MAPS;
    if (vbytes > sizeof val)
        return -E2BIG;
    bool have_key = !(cmd == BPF_MAP_GET_NEXT_KEY && a.key == 0);
    if (have_key && user_in(space, key, a.key, def->key_size) < 0)
        return -EFAULT;
    if (cmd == BPF_MAP_UPDATE_ELEM && user_in(space, val, a.value, vbytes) < 0)
        return -EFAULT;
    uint32_t vfd;
    memcpy(&vfd, val, sizeof vfd);
    if (def->type == BPF_MAP_TYPE_PROG_ARRAY && cmd != BPF_MAP_GET_NEXT_KEY) {
        uint32_t index;
        memcpy(&index, key, sizeof index);
        return prog_array_elem(cmd, m, index, vfd);
    }
    ebpf_map *inner = 0;
    if (fds && cmd == BPF_MAP_UPDATE_ELEM) {
        int inner_id = fd_id(vfd, KT_FD_MAP);
        if (inner_id < 0)
            return -EBADF;
        inner = ebpf_map_by_fd(map_vm, inner_id);
    }
    int er = 0; /* the runtime's result */
    kt_lock_acquire(&bpf_lock);
    switch (cmd) {
    case BPF_MAP_LOOKUP_ELEM:
        if (fds) {
            /* Linux gives the inner map's id: here its number in the map VM */
            ebpf_map *in = ebpf_map_get_inner(m, key);
            uint32_t id = in ? (uint32_t)ebpf_map_fd(in) : 0;
            memcpy(val, &id, sizeof id);
            er = in ? 0 : -EBPF_ENOENT;
        } else if (percpu) {
            er = ebpf_map_lookup_percpu(m, key, val);
        } else {
            void *v = ebpf_map_lookup(m, key);
            if (v)
                memcpy(val, v, def->value_size);
            else
                er = -EBPF_ENOENT;
        }
        break;
    case BPF_MAP_UPDATE_ELEM:
        if (a.flags > BPF_EXIST)
            er = -EBPF_EINVAL;
        else if (fds)
            er = ebpf_map_set_inner(m, key, inner);
        else if (percpu)
            er = ebpf_map_update_percpu(m, key, val, a.flags);
        else
            er = ebpf_map_update(m, key, val, a.flags);
        break;
    case BPF_MAP_DELETE_ELEM:
        er = ebpf_map_delete(m, key);
        break;
    case BPF_MAP_GET_NEXT_KEY:
        er = ebpf_map_get_next_key(m, have_key ? key : 0, val);
        break;
    }
    kt_lock_release(&bpf_lock);
    if (er < 0)
        return errno_of(er);
    if (cmd == BPF_MAP_LOOKUP_ELEM &&
        user_out(space, a.value, val, fds ? sizeof(uint32_t) : vbytes) < 0)
        return -EFAULT;
    if (cmd == BPF_MAP_GET_NEXT_KEY && user_out(space, a.value, val, def->key_size) < 0)
        return -EFAULT;
    return 0;
}

/* lddw with a map pseudo source names a map by the process's descriptor:
 * make it the program VM's index of that map. */
static long resolve_map_fds(ebpf_vm *vm, struct ebpf_insn *insns, uint32_t n)
{
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
            continue;
        if (insns[i].src == BPF_PSEUDO_MAP_FD || insns[i].src == BPF_PSEUDO_MAP_VALUE) {
            int map_id = fd_id((uint32_t)insns[i].imm, KT_FD_MAP);
            if (map_id < 0)
                return -EBADF;
            int idx = ebpf_map_share(vm, ebpf_map_by_fd(map_vm, map_id));
            if (idx < 0)
                return errno_of(idx);
            insns[i].imm = idx;
        }
        i++; /* the second half of lddw */
    }
    return 0;
}

static void jit_compile(struct prog *p);
static int replicate(struct prog *p);

/* bpf_get_stackid's stacks: the kernel's walker (bpf_stack.c). */
static int stack_walker(ebpf_vm *vm, void *ctx, int user, uint64_t *ips, int max, int skip)
{
    (void)vm;
    return bpf_stack_walk(ctx, user, ips, max, skip);
}

/* A program VM's per-hart facts, before its maps are made (an object's
 * per-CPU maps keep KT_MAX_HARTS copies) and before its replicas copy them. */
static void vm_for_harts(ebpf_vm *vm)
{
    ebpf_set_ncpus(vm, KT_MAX_HARTS);
    ebpf_set_stack_walker(vm, stack_walker);
}

/* A free program slot, taken at once (a load from bpf() and one from the
 * side-stub may interleave), or -ENOSPC: of the smallest arena size from
 * tier min_tier up that has one free. */
static int prog_reserve(int min_tier)
{
    kt_lock_acquire(&bpf_lock);
    int slot = MAX_PROGS;
    for (int t = min_tier; t < NTIERS && slot == MAX_PROGS; t++)
        for (int i = tiers[t].first; i < tiers[t].first + tiers[t].count && slot == MAX_PROGS; i++)
            if (!progs[i].used)
                slot = i;
    if (slot < MAX_PROGS) {
        struct prog *p = &progs[slot];
        p->arena = arena_of(slot);
        p->arena_size = tiers[tier_of(slot)].size;
        p->used = true;
        p->unloading = false;
        p->refs = p->map_refs = p->borrowers = 0;
        p->maps_from = -1;
        p->tail_of = -1;
        p->tail_map = 0;
        p->jit = 0;
    }
    kt_lock_release(&bpf_lock);
    return slot < MAX_PROGS ? slot : -ENOSPC;
}

/* bpf_lock held. */
static void maps_maybe_reset(void)
{
    if (live_maps > 0 || ebpf_map_count(map_vm) == 0)
        return;
    map_vm = ebpf_create(map_arena, sizeof map_arena, map_err, sizeof map_err);
    if (!map_vm)
        kt_panic("bpf: cannot create the map VM again: %s", map_err);
    ebpf_set_ncpus(map_vm, KT_MAX_HARTS);
}

/* The arena figures of a verified program, appended to its log: what the
 * arena sizes above are measured with (the compatibility suite prints
 * them; docs/ebpf.md "Kernel arenas"). */
static void log_arena(const struct prog *p, char *log, size_t logsz)
{
    size_t n = strnlen(log, logsz);
    if (n + 1 < logsz)
        snprintf(log + n, logsz - n, "arena: %lu bytes used, verifier scratch peak %lu, of %lu\n",
                 (unsigned long)ebpf_arena_used(p->vm), (unsigned long)ebpf_verify_scratch(p->vm),
                 (unsigned long)p->arena_size);
}

static long prog_load(uint64_t uattr, uint64_t size)
{
    struct bpf_attr_prog_load a = {0};
    uint64_t space = caller_space();
    if (attr_copyin(&a, sizeof a, uattr, size) < 0)
        return -EFAULT;
    if (a.insn_cnt == 0)
        return -EINVAL;
    if (a.insn_cnt > MAX_INSNS)
        return -E2BIG;
    if (a.log_level > 2 || (a.log_buf && a.log_size < 128) || a.log_size > (1u << 24))
        return -EINVAL;
    int slot = -1, min_tier = TIER_SMALL;
    struct prog *p;
again:
    /* (again: resolve_map_fds rewrote the map references of the last try) */
    if (user_in(space, insn_buf, a.insns, (uint64_t)a.insn_cnt * sizeof insn_buf[0]) < 0)
        return -EFAULT;
    slot = prog_reserve(min_tier);
    if (slot < 0)
        return slot;
    p = &progs[slot];
    p->vm = ebpf_create(p->arena, p->arena_size, p->err, sizeof p->err);
    if (!p->vm) {
        p->used = false;
        if (tier_of(slot) + 1 < NTIERS) {
            min_tier = tier_of(slot) + 1;
            goto again;
        }
        return -ENOMEM;
    }
    bpf_register_helpers(p->vm);
    vm_for_harts(p->vm);
    ebpf_set_bounds_check(p->vm, 1);
    ebpf_set_insn_budget(p->vm, 1000000);
    long r = resolve_map_fds(p->vm, insn_buf, a.insn_cnt);
    bool loaded = false;
    if (r == 0) {
        int lr = ebpf_load(p->vm, insn_buf, a.insn_cnt);
        if (lr < 0)
            r = errno_of(lr);
        else
            loaded = true;
    }
    size_t logsz = a.log_size < MAX_LOG ? a.log_size : MAX_LOG;
    log_buf[0] = 0;
    if (r == 0) {
        struct ebpf_verify_opts opts = {
            .ctx_size = CTX_SIZE,
            .log = a.log_buf ? log_buf : 0,
            .log_size = a.log_buf ? logsz : 0,
            .log_level = (int)a.log_level,
        };
        int v = ebpf_verify(p->vm, &opts);
        if (v < 0)
            r = errno_of(v);
        else if (a.log_buf)
            log_arena(p, log_buf, logsz);
    } else if (a.log_buf && !loaded) {
        /* A structural error: the loader's message is the log. */
        snprintf(log_buf, logsz, "%s\n", ebpf_error(p->vm));
    }
    if (r == -ENOMEM && tier_of(slot) + 1 < NTIERS) {
        p->used = false; /* its arena was too small: a bigger one */
        min_tier = tier_of(slot) + 1;
        goto again;
    }
    if (a.log_buf && logsz &&
        user_out(space, a.log_buf, log_buf, strnlen(log_buf, logsz - 1) + 1) < 0)
        r = r ? r : -EFAULT;
    if (r < 0) {
        p->used = false; /* the slot is free again: its arena is simply reused */
        return r;
    }
    memcpy(p->name, a.prog_name, sizeof p->name);
    p->name[sizeof p->name - 1] = 0;
    jit_compile(p);
    long fd = replicate(p) < 0 ? -ENOMEM : kt_os_fd_install(KT_FD_PROG, slot);
    if (fd < 0) {
        jit_free(p);
        p->used = false;
        return fd;
    }
    p->refs = 1;
    p->map_refs = ebpf_map_count(p->vm);
    kt_lock_acquire(&bpf_lock);
    live_maps += p->map_refs;
    kt_lock_release(&bpf_lock);
    return fd;
}

/* ---- links: programs attached to kprobes (BPF_LINK_CREATE, kprobe_multi) ---- */

#define MAX_LINKS       8
#define MAX_LINK_PROBES 8

static struct link {
    bool used;
    bool user; /* probes are uprobe specs (uprobe.c), else kprobe ids */
    int prog;
    int nprobes;
    int probes[MAX_LINK_PROBES];
    uint64_t addrs[MAX_LINK_PROBES];   /* kprobes: where each probe sits, and */
    uint64_t cookies[MAX_LINK_PROBES]; /* its cookie (bpf_get_attach_cookie) */
    uint64_t missed; /* hits while the runtime was busy (a probe inside a program's run) */
} links[MAX_LINKS];

/* Inlined into each caller, always: a probe hit's path from the engine's
 * handler call to the program is then one function (issue 21: the calls
 * and their saved registers cost ~60 guest instructions a hit). */
#define KT_HOT_INLINE KT_HOT inline __attribute__((always_inline))
/* noinline: inlined into a probe's handler for its rare path (interrupts
 * on), its registers were saved and restored on every hit. */
static KT_HOT __attribute__((noinline)) int prog_run(int id, void *ctx, uint64_t ctx_len, uint64_t *ret,
                                                     uint64_t func_ip, uint64_t cookie);

/* The cookie user space gave the link's probe p (kprobe links), or 0. */
static KT_HOT_INLINE uint64_t cookie_of(const struct link *l, const struct rvprobe *p)
{
    for (int i = 0; !l->user && i < l->nprobes; i++)
        if (l->addrs[i] == p->def.addr || l->addrs[i] == p->def.func_start)
            return l->cookies[i];
    return 0;
}

/* Probe p of the link hit: its address (a return probe's: its function's)
 * is what bpf_get_func_ip answers.  A probe's handler runs in a trap, with
 * interrupts off: prog_run's steps without its checks for a caller with
 * interrupts on, and ordered so that few values live across the calls
 * (issue 21: each saved register is two guest instructions a hit). */
static KT_HOT_INLINE void run_linked(int link_id, struct rvprobe *p, struct rvprobe_regs *regs)
{
    struct link *l = &links[link_id];
    int id = l->prog;
    uint64_t func_ip = p->def.addr, cookie = cookie_of(l, p);
    if (id < 0 || id >= MAX_PROGS || !progs[id].used || irqs_on()) {
        uint64_t ret;
        if (prog_run(id, regs, sizeof *regs, &ret, func_ip, cookie) == -EBUSY)
            __atomic_fetch_add(&l->missed, 1, __ATOMIC_RELAXED);
        return;
    }
    struct prog *pr = &progs[id];
    unsigned hart = kt_os_hart();
    struct hart_run *h = &hart_runs[hart];
    /* A probe in code a program itself runs (a helper's copyin, say) must
     * not re-enter the runtime: counted, and the hit goes on. */
    if (h->busy) {
        __atomic_fetch_add(&l->missed, 1, __ATOMIC_RELAXED);
        return;
    }
    h->busy = true;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* see wait_for_runs */
    ebpf_vm *vm = pr->replica[hart];
    int pid = 0;
    uint64_t task = kt_os_current_task(&pid, 0);
    /* Ring buffer records say which hart and process made them. */
    ebpf_set_ringbuf_tag(vm, bpf_record_tag((int)hart, task, pid));
    bpf_helpers_run_begin(hart, regs, func_ip, cookie);
    uint64_t ret;
    if (pr->jit)
        ebpf_jit_exec(vm, regs, sizeof *regs, &ret);
    else
        ebpf_exec(vm, regs, sizeof *regs, &ret);
    bpf_helpers_run_end(hart);
    h->busy = false;
    __atomic_add_fetch(&h->done, 1, __ATOMIC_RELEASE);
}

static KT_HOT int on_kprobe(struct rvprobe *p, struct rvprobe_regs *regs, void *arg)
{
    run_linked((int)(uint64_t)arg, p, regs);
    return 0;
}

static KT_HOT void on_kretprobe(struct rvprobe *p, struct rvprobe_regs *regs, uint64_t sp, void *arg)
{
    (void)sp;
    run_linked((int)(uint64_t)arg, p, regs);
}

/* A bpf() program loses a reference: unloaded after its last. */
static void prog_put(int id)
{
    if (id >= 0 && id < MAX_PROGS && progs[id].used && --progs[id].refs == 0)
        bpf_prog_unload(id);
}

static void link_release(int id)
{
    if (id < 0 || id >= MAX_LINKS || !links[id].used)
        return;
    for (int i = 0; i < links[id].nprobes; i++) {
        if (links[id].user)
            uprobe_detach(links[id].probes[i]);
        else
            kprobe_disarm(links[id].probes[i]);
    }
    links[id].used = false;
    prog_put(links[id].prog);
}

static long alloc_link(void)
{
    for (int id = 0; id < MAX_LINKS; id++)
        if (!links[id].used)
            return id;
    return -ENOSPC;
}

/* uprobe_multi: a program's instructions, in every process of it. */
static long link_uprobes(const struct bpf_attr_link_create *a, int prog)
{
    uint64_t space = caller_space();
    uint32_t cnt = a->uprobe_multi.cnt;
    if (a->flags || (a->uprobe_multi.flags & ~BPF_F_UPROBE_MULTI_RETURN) || a->uprobe_multi.pid ||
        a->uprobe_multi.cookies || a->uprobe_multi.ref_ctr_offsets || cnt == 0 ||
        cnt > MAX_LINK_PROBES || !a->uprobe_multi.path || !a->uprobe_multi.offsets)
        return -EINVAL; /* per-pid probes, cookies, reference counters: not supported */
    bool ret = a->uprobe_multi.flags & BPF_F_UPROBE_MULTI_RETURN;
    char program[KT_COMM_LEN + 1];
    if (user_string(space, program, a->uprobe_multi.path, KT_COMM_LEN) < 0)
        return -EFAULT;
    uint64_t addrs[MAX_LINK_PROBES];
    if (user_in(space, addrs, a->uprobe_multi.offsets, 8 * (uint64_t)cnt) < 0)
        return -EFAULT;
    long id = alloc_link();
    if (id < 0)
        return id;
    struct link *l = &links[id];
    *l = (struct link){.used = true, .user = true, .prog = prog};
    progs[prog].refs++; /* the link runs it: it outlives its descriptor */
    for (uint32_t i = 0; i < cnt; i++) {
        if (!kt_os_user_addr(addrs[i])) {
            link_release((int)id);
            return -EINVAL;
        }
        int s =
            uprobe_attach_kind(program, addrs[i], ret ? RVPROBE_KRETPROBE : RVPROBE_KPROBE,
                               ret ? 0 : on_kprobe, ret ? on_kretprobe : 0, (void *)(uint64_t)id);
        if (s < 0) {
            link_release((int)id);
            return s == RVPROBE_ENOSPC    ? -ENOSPC
                   : s == RVPROBE_EREFUSED ? -EACCES
                   : s == RVPROBE_EEXIST   ? -EBUSY /* RVPROBE_MAX_SHARED there already */
                                           : -EINVAL;
        }
        l->probes[l->nprobes++] = s;
    }
    long fd = kt_os_fd_install(KT_FD_LINK, (int)id);
    if (fd < 0)
        link_release((int)id);
    return fd;
}

static long link_create(uint64_t uattr, uint64_t size)
{
    struct bpf_attr_link_create a = {0};
    uint64_t space = caller_space();
    if (attr_copyin(&a, sizeof a, uattr, size) < 0)
        return -EFAULT;
    int prog = fd_id(a.prog_fd, KT_FD_PROG);
    if (prog < 0)
        return -EBADF;
    if (a.attach_type == BPF_TRACE_UPROBE_MULTI)
        return link_uprobes(&a, prog);
    if (a.attach_type != BPF_TRACE_KPROBE_MULTI || a.flags ||
        (a.kprobe_multi.flags & ~BPF_F_KPROBE_MULTI_RETURN))
        return -EINVAL;
    uint32_t cnt = a.kprobe_multi.cnt;
    if (cnt == 0 || cnt > MAX_LINK_PROBES || !(a.kprobe_multi.syms || a.kprobe_multi.addrs) ||
        (a.kprobe_multi.syms && a.kprobe_multi.addrs))
        return -EINVAL;
    uint64_t addrs[MAX_LINK_PROBES], cookies[MAX_LINK_PROBES] = {0};
    if (a.kprobe_multi.cookies &&
        user_in(space, cookies, a.kprobe_multi.cookies, 8 * (uint64_t)cnt) < 0)
        return -EFAULT;
    for (uint32_t i = 0; i < cnt; i++) {
        if (a.kprobe_multi.addrs) {
            if (user_in(space, &addrs[i], a.kprobe_multi.addrs + 8 * i, 8) < 0)
                return -EFAULT;
        } else {
            uint64_t uname;
            char name[64 + 1];
            if (user_in(space, &uname, a.kprobe_multi.syms + 8 * i, 8) < 0 ||
                user_string(space, name, uname, 64) < 0)
                return -EFAULT;
            if (!(addrs[i] = kt_os_ksym_lookup(name)))
                return -ENOENT;
        }
    }
    int id;
    for (id = 0; id < MAX_LINKS; id++)
        if (!links[id].used)
            break;
    if (id == MAX_LINKS)
        return -ENOSPC;
    struct link *l = &links[id];
    *l = (struct link){.used = true, .prog = prog};
    progs[prog].refs++;
    bool ret = a.kprobe_multi.flags & BPF_F_KPROBE_MULTI_RETURN;
    for (uint32_t i = 0; i < cnt; i++) {
        l->addrs[i] = addrs[i]; /* before the probe is armed: it may hit at once */
        l->cookies[i] = cookies[i];
        uint64_t func = kt_os_ksym_func_start(addrs[i]);
        const char *why;
        int p = func ? kprobe_arm(ret ? RVPROBE_KRETPROBE : RVPROBE_KPROBE, func, addrs[i],
                                  ret ? 0 : on_kprobe, ret ? on_kretprobe : 0, (void *)(uint64_t)id,
                                  &why)
                     : RVPROBE_ERANGE;
        if (p < 0) {
            link_release(id);
            return p == RVPROBE_EREFUSED ? -EACCES
                   : p == RVPROBE_ENOSPC ? -ENOSPC
                   : p == RVPROBE_EEXIST ? -EBUSY /* RVPROBE_MAX_SHARED there already */
                                         : -EINVAL;
        }
        l->probes[l->nprobes++] = p;
    }
    long fd = kt_os_fd_install(KT_FD_LINK, id);
    if (fd < 0)
        link_release(id);
    return fd;
}

/* ---- the JIT for probe programs ----
 * Compiled code gets a page of its own from the OS, written while it is
 * writable, then sealed: executable and read-only on every hart, never
 * both writable and executable (kt_os_code_page_seal, ktrace_os.h). */

static void icache_flush(void *start, size_t len)
{
    (void)start, (void)len;
    asm volatile("fence.i" ::: "memory");
}

/* A replica of the program's VM for every hart (see the top).  0, or -1
 * when its arena has no room for them. */
static int replicate(struct prog *p)
{
    for (int h = 0; h < KT_MAX_HARTS; h++) {
        p->replica[h] = ebpf_replicate(p->vm, hart_stacks[h], p->rerr[h], sizeof p->rerr[h]);
        if (!p->replica[h])
            return -1;
        ebpf_set_cpu(p->replica[h], (uint32_t)h); /* per-CPU maps, BPF_F_CURRENT_CPU */
    }
    return 0;
}

/* Compile a verified program; it stays interpreted if that fails (no page,
 * code larger than a page). */
static void jit_compile(struct prog *p)
{
    void *page = kt_os_code_page_alloc();
    if (!page)
        return;
    size_t len;
    ebpf_set_icache_flush(p->vm, icache_flush);
    if (ebpf_jit_compile(p->vm, page, KT_PAGE_SIZE, &len) < 0) {
        kt_os_code_page_free(page);
        return;
    }
    kt_os_code_page_seal(page);
    p->jit = page;
}

static void jit_free(struct prog *p)
{
    if (p->jit) {
        kt_os_code_page_free(p->jit);
        p->jit = 0;
    }
}

/* One program of an object into a slot of its own (bpf_load_object). */
static int load_program(const void *elf, size_t size, const char *name, int share_maps_of,
                        char *log, size_t logsz)
{
    int slot = -1, min_tier = TIER_SMALL;
    bool share;
    struct prog *p;
    long r;
    if (logsz)
        log[0] = 0;
again:
    slot = prog_reserve(min_tier);
    if (slot < 0) {
        if (min_tier > TIER_SMALL)
            snprintf(log, logsz, "too big for a %s arena (%lu KiB), and no bigger one is free",
                     tiers[min_tier - 1].name, (unsigned long)tiers[min_tier - 1].size / 1024);
        else
            snprintf(log, logsz, "no free program slot (%d in use)", MAX_PROGS);
        return slot;
    }
    share = share_maps_of >= 0 && share_maps_of < MAX_PROGS && share_maps_of != slot &&
            progs[share_maps_of].used;
    p = &progs[slot];
    kt_lock_acquire(&bpf_lock);
    p->vm = ebpf_create(p->arena, p->arena_size, p->err, sizeof p->err);
    r = p->vm ? 0 : -ENOMEM;
    if (r == 0) {
        bpf_register_helpers(p->vm);
        vm_for_harts(p->vm);
        ebpf_set_bounds_check(p->vm, 1);
        ebpf_set_insn_budget(p->vm, 1000000);
        /* The ELF loader reuses maps of the same name: the programs of one
         * object (a kprobe and its kretprobe) see the same maps, as with libbpf. */
        ebpf_vm *owner = share ? progs[share_maps_of].vm : 0;
        for (int fd = 0; owner && r == 0 && fd < ebpf_map_count(owner); fd++)
            if (ebpf_map_share(p->vm, ebpf_map_by_fd(owner, fd)) < 0)
                r = -ENOSPC;
        int lr = r == 0 ? ebpf_load_elf(p->vm, elf, size, name) : 0;
        if (lr < 0) {
            snprintf(log, logsz, "%s", ebpf_error(p->vm));
            r = errno_of(lr);
        }
    }
    if (r == 0) {
        struct ebpf_verify_opts opts = {
            .ctx_size = CTX_SIZE, .log = log, .log_size = logsz, .log_level = 0};
        int v = ebpf_verify(p->vm, &opts);
        if (v < 0)
            r = errno_of(v);
        else
            log_arena(p, log, logsz);
    }
    kt_lock_release(&bpf_lock);
    if (r == -ENOMEM && tier_of(slot) + 1 < NTIERS) {
        p->used = false; /* its arena was too small: a bigger one */
        min_tier = tier_of(slot) + 1;
        goto again;
    }
    if (r < 0) {
        p->used = false;
        return (int)r;
    }
    strlcpy(p->name, name, sizeof p->name);
    p->maps_from = share ? share_maps_of : -1;
    jit_compile(p);
    if (replicate(p) < 0) {
        snprintf(log, logsz, "no room for its per-hart replicas: %s", ebpf_error(p->vm));
        jit_free(p);
        p->used = false;
        return -ENOMEM;
    }
    if (share) {
        kt_lock_acquire(&bpf_lock);
        progs[share_maps_of].borrowers++;
        kt_lock_release(&bpf_lock);
    }
    return slot;
}

/* ---- tail-call targets of an object's program arrays ----
 * libbpf fills a program array from its .maps initialiser (`values = {
 * [1] = &prog }`) when it loads the object; so does the side-stub's load.
 * Each target is a program of its own (its own slot, verified, compiled
 * and replicated per hart like any other), sharing the maps of the
 * program that loaded it.  That program owns it: the target is unloaded
 * with it (after its slot is emptied and every run that could have taken
 * the tail call has finished), or handed to another live program of the
 * same object whose arrays still need it (docs/tracing.md). */

#define MAX_TAIL_INITS 16

struct tail_inits {
    int n;
    bool too_many;
    struct {
        char map[64];
        uint32_t index;
        char prog[64];
    } init[MAX_TAIL_INITS];
};

static void on_tail_init(const char *map, uint32_t index, const char *prog, void *arg)
{
    struct tail_inits *t = arg;
    if (t->n == MAX_TAIL_INITS) {
        t->too_many = true;
        return;
    }
    strlcpy(t->init[t->n].map, map, sizeof t->init[t->n].map);
    t->init[t->n].index = index;
    strlcpy(t->init[t->n].prog, prog, sizeof t->init[t->n].prog);
    t->n++;
}

/* The program whose arena holds the maps program id uses. */
static int maps_root(int id)
{
    while (id >= 0 && progs[id].maps_from >= 0)
        id = progs[id].maps_from;
    return id;
}

/* Loads the targets of the object's program-array initialisers whose slot
 * is empty (another program of the object may have filled it already) and
 * puts each in its slot, owned by program `owner`.  0 or -errno, with the
 * reason in log. */
static int load_tail_targets(int owner, const void *elf, size_t size, char *log, size_t logsz)
{
    static struct tail_inits t; /* callers hold the side-stub's lock */
    t.n = 0;
    t.too_many = false;
    kt_lock_acquire(&bpf_lock);
    int n = ebpf_elf_prog_array_inits(progs[owner].vm, elf, size, on_tail_init, &t);
    kt_lock_release(&bpf_lock);
    if (n < 0) {
        snprintf(log, logsz, "program array initialisers: %s", ebpf_error(progs[owner].vm));
        return errno_of(n);
    }
    if (t.too_many) {
        snprintf(log, logsz, "more than %d program array initialisers", MAX_TAIL_INITS);
        return -E2BIG;
    }
    for (int i = 0; i < t.n; i++) {
        ebpf_map *m = ebpf_map_by_name(progs[owner].vm, t.init[i].map);
        if (!m) {
            snprintf(log, logsz, "program array %s is not a map of the program", t.init[i].map);
            return -ENOENT;
        }
        kt_lock_acquire(&bpf_lock);
        bool filled = ebpf_prog_array_get(m, t.init[i].index) != 0;
        kt_lock_release(&bpf_lock);
        if (filled)
            continue;
        int tgt = load_program(elf, size, t.init[i].prog, owner, log, logsz);
        if (tgt < 0) {
            char why[160];
            strlcpy(why, log, sizeof why);
            snprintf(log, logsz, "tail-call target %s (%s[%u]): %s", t.init[i].prog,
                     t.init[i].map, t.init[i].index, why);
            return tgt;
        }
        kt_lock_acquire(&bpf_lock);
        int er = ebpf_prog_array_set(m, t.init[i].index, progs[tgt].vm);
        if (er == 0) {
            progs[tgt].tail_of = owner;
            progs[tgt].tail_map = m;
            progs[tgt].tail_index = t.init[i].index;
        }
        kt_lock_release(&bpf_lock);
        if (er < 0) {
            snprintf(log, logsz, "%s[%u] = %s: %s", t.init[i].map, t.init[i].index,
                     t.init[i].prog, ebpf_error(progs[owner].vm));
            bpf_prog_unload(tgt);
            return errno_of(er);
        }
    }
    return 0;
}

/* Program id goes: the targets it owns go to another live program of the
 * same object (not a target itself), or their slots are emptied and they
 * are unloaded once no run can still be in them. */
static void drop_tail_targets(int id)
{
    int drop[MAX_PROGS], n = 0;
    kt_lock_acquire(&bpf_lock);
    int heir = -1, root = maps_root(id);
    for (int j = 0; j < MAX_PROGS && heir < 0; j++)
        if (j != id && progs[j].used && !progs[j].unloading && progs[j].tail_of < 0 &&
            maps_root(j) == root)
            heir = j;
    for (int t = 0; t < MAX_PROGS; t++) {
        if (!progs[t].used || progs[t].tail_of != id)
            continue;
        if (heir >= 0) {
            progs[t].tail_of = heir;
            continue;
        }
        if (ebpf_prog_array_get(progs[t].tail_map, progs[t].tail_index) == progs[t].vm)
            ebpf_prog_array_set(progs[t].tail_map, progs[t].tail_index, 0);
        progs[t].tail_of = -1;
        drop[n++] = t;
    }
    kt_lock_release(&bpf_lock);
    if (n > 0)
        wait_for_runs(); /* a hart may have taken the tail call just before */
    for (int i = 0; i < n; i++)
        bpf_prog_unload(drop[i]);
}

int bpf_load_object(const void *elf, size_t size, const char *name, int share_maps_of, char *log,
                    size_t logsz)
{
    int slot = load_program(elf, size, name, share_maps_of, log, logsz);
    if (slot < 0)
        return slot;
    int r = load_tail_targets(slot, elf, size, log, logsz);
    if (r < 0) {
        bpf_prog_unload(slot);
        return r;
    }
    return slot;
}

/* A program's slot (and arena) is reused only when no other program still
 * uses the maps that live in it.  bpf_lock held. */
static void prog_release(int id)
{
    struct prog *p = &progs[id];
    if (!p->unloading || p->borrowers > 0)
        return;
    jit_free(p);
    p->used = false;
    live_maps -= p->map_refs;
    p->map_refs = 0;
    maps_maybe_reset();
    int owner = p->maps_from;
    p->maps_from = -1;
    if (owner >= 0) {
        progs[owner].borrowers--;
        prog_release(owner);
    }
}

void bpf_prog_unload(int id)
{
    if (id >= 0 && id < MAX_PROGS && progs[id].used)
        drop_tail_targets(id);
    kt_lock_acquire(&bpf_lock);
    if (id >= 0 && id < MAX_PROGS && progs[id].used) {
        progs[id].unloading = true;
        prog_release(id);
    }
    kt_lock_release(&bpf_lock);
}

int bpf_prog_map_next(int id, const char *map_name, const void *key, void *next_key, void *value,
                      uint32_t *key_size, uint32_t *value_size)
{
    if (id < 0 || id >= MAX_PROGS || !progs[id].used)
        return -EBADF;
    ebpf_vm *vm = progs[id].vm;
    ebpf_map *m = 0;
    if (map_name && map_name[0])
        m = ebpf_map_by_name(vm, map_name);
    else if (ebpf_map_count(vm) > 0)
        m = ebpf_map_by_fd(vm, 0);
    if (!m)
        return -ESRCH; /* not -ENOENT: that is an empty map's (or the last key's) answer */
    const struct ebpf_map_def *d = ebpf_map_def(m);
    if (d->type == BPF_MAP_TYPE_RINGBUF)
        return -EINVAL;
    *key_size = d->key_size;
    *value_size = d->value_size;
    kt_lock_acquire(&bpf_lock);
    int r = ebpf_map_get_next_key(m, key, next_key);
    void *v = r == 0 ? ebpf_map_lookup(m, next_key) : 0;
    if (v)
        memcpy(value, v, d->value_size);
    kt_lock_release(&bpf_lock);
    return r < 0 ? (int)errno_of(r) : 0;
}

long bpf_prog_ringbuf_consume(int id, void *buf, size_t len, uint32_t only_tag, uint32_t *tag)
{
    if (id < 0 || id >= MAX_PROGS || !progs[id].used)
        return -EBADF;
    ebpf_vm *vm = progs[id].vm;
    for (int fd = 0; fd < ebpf_map_count(vm); fd++) {
        ebpf_map *m = ebpf_map_by_fd(vm, fd);
        /* a perf event array's records are in a ring it owns, read the same way */
        if (!m || (ebpf_map_def(m)->type != BPF_MAP_TYPE_RINGBUF &&
                   ebpf_map_def(m)->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY))
            continue;
        long n = ebpf_ringbuf_consume_tag(m, buf, len, only_tag, tag);
        if (n > 0)
            return n;
    }
    return 0;
}

/* The side-stub's programs: their ring buffers hand each record to fn as it
 * is committed (ebpf_ringbuf_set_sink) instead of keeping it for
 * bpf_prog_ringbuf_consume. */
void bpf_prog_ringbuf_sink(int id, long (*fn)(void *ctx, const void *data, size_t len, uint32_t tag),
                           void *ctx)
{
    if (id < 0 || id >= MAX_PROGS || !progs[id].used)
        return;
    ebpf_vm *vm = progs[id].vm;
    for (int fd = 0; fd < ebpf_map_count(vm); fd++)
        ebpf_ringbuf_set_sink(ebpf_map_by_fd(vm, fd), fn, ctx);
}

/* From a probe handler: run program `id`, unless this hart is already
 * running one (a probe inside a program's own run). */
KT_HOT int bpf_prog_run_probe(int id, void *ctx, uint64_t ctx_len)
{
    uint64_t ret;
    return bpf_prog_run(id, ctx, ctx_len, &ret);
}

KT_HOT int bpf_prog_run(int id, void *ctx, uint64_t ctx_len, uint64_t *ret)
{
    return prog_run(id, ctx, ctx_len, ret, 0, 0);
}

/* On this hart's replica, with interrupts off (the run, its replica and
 * its stack stay on this hart), and no lock: see the top. */
static KT_HOT __attribute__((noinline)) int prog_run(int id, void *ctx, uint64_t ctx_len, uint64_t *ret,
                                                     uint64_t func_ip, uint64_t cookie)
{
    if (id < 0 || id >= MAX_PROGS || !progs[id].used)
        return -EBADF;
    /* A probe hit runs inside a trap, where interrupts are off already: the
     * port is not asked to turn them off and on again (~50 guest
     * instructions a hit on the C kernel).  The same for a port whose
     * save/restore nest (the C kernel's push_off): off stays off. */
    bool was_on = irqs_on();
    uint64_t irq = was_on ? kt_os_irq_save() : 0;
    unsigned hart = kt_os_hart();
    struct hart_run *h = &hart_runs[hart];
    if (h->busy) {
        if (was_on)
            kt_os_irq_restore(irq);
        return -EBUSY;
    }
    h->busy = true;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* see wait_for_runs */
    ebpf_vm *vm = progs[id].replica[hart];
    int pid = 0;
    uint64_t task = kt_os_current_task(&pid, 0);
    /* Ring buffer records say which hart and process made them. */
    ebpf_set_ringbuf_tag(vm, bpf_record_tag((int)hart, task, pid));
    bpf_helpers_run_begin(hart, ctx, func_ip, cookie);
    int r = progs[id].jit ? ebpf_jit_exec(vm, ctx, ctx_len, ret) : ebpf_exec(vm, ctx, ctx_len, ret);
    bpf_helpers_run_end(hart);
    h->busy = false;
    __atomic_add_fetch(&h->done, 1, __ATOMIC_RELEASE);
    if (was_on)
        kt_os_irq_restore(irq);
    return r < 0 ? (int)errno_of(r) : 0;
}

static long prog_test_run(uint64_t uattr, uint64_t size)
{
    struct bpf_attr_test_run a = {0};
    uint64_t space = caller_space();
    if (attr_copyin(&a, sizeof a, uattr, size) < 0)
        return -EFAULT;
    int prog = fd_id(a.prog_fd, KT_FD_PROG);
    if (prog < 0)
        return -EBADF;
    if (a.ctx_size_in > CTX_SIZE || a.data_size_in || a.repeat > 1000000)
        return -EINVAL;
    uint64_t ctx[CTX_SIZE / 8] = {0};
    if (a.ctx_size_in && user_in(space, ctx, a.ctx_in, a.ctx_size_in) < 0)
        return -EFAULT;
    uint64_t ret = 0, t0 = kt_rdtime();
    uint32_t repeat = a.repeat ? a.repeat : 1;
    for (uint32_t i = 0; i < repeat; i++) {
        int r = bpf_prog_run(prog, ctx, sizeof ctx, &ret);
        if (r < 0)
            return r;
    }
    a.retval = (uint32_t)ret;
    a.duration = (uint32_t)((kt_rdtime() - t0) * (1000000000UL / kt_os_timebase_hz()) / repeat);
    a.ctx_size_out = a.ctx_out ? CTX_SIZE : 0;
    if (a.ctx_out && user_out(space, a.ctx_out, ctx, CTX_SIZE) < 0)
        return -EFAULT;
    if (user_out(space, uattr, &a, size < sizeof a ? size : sizeof a) < 0)
        return -EFAULT;
    return 0;
}

/* One bpf() call at a time: the commands share static buffers (program
 * text, log, keys), and a process in a system call can be preempted by the
 * timer.  A waiting process gives its hart away (kt_os_yield) rather than
 * spin: the holder may be preempted on this very hart. */
static uint32_t syscall_busy;

static long bpf_command(int cmd, uint64_t uattr, uint64_t size);

/* One bpf() command, or one release of a closed file, at a time. */
static void bpf_enter(void)
{
    while (__atomic_exchange_n(&syscall_busy, 1, __ATOMIC_ACQUIRE) != 0)
        kt_os_yield();
}

static void bpf_leave(void)
{
    __atomic_store_n(&syscall_busy, 0, __ATOMIC_RELEASE);
}

long kt_sys_bpf(int cmd, uint64_t uattr, uint64_t size)
{
    if (size == 0 || size > 4096)
        return -EINVAL;
    bpf_enter();
    long r = bpf_command(cmd, uattr, size);
    bpf_leave();
    return r;
}

void kt_bpf_file_closed(int kind, int id)
{
    bpf_enter();
    if (kind == KT_FD_LINK) {
        link_release(id); /* detach */
    } else if (kind == KT_FD_PROG) {
        prog_put(id);
    } else if (kind == KT_FD_MAP) {
        kt_lock_acquire(&bpf_lock);
        live_maps--;
        maps_maybe_reset();
        kt_lock_release(&bpf_lock);
    }
    bpf_leave();
}

static long bpf_command(int cmd, uint64_t uattr, uint64_t size)
{
    switch (cmd) {
    case BPF_MAP_CREATE:
        return map_create(uattr, size);
    case BPF_MAP_LOOKUP_ELEM:
    case BPF_MAP_UPDATE_ELEM:
    case BPF_MAP_DELETE_ELEM:
    case BPF_MAP_GET_NEXT_KEY:
        return map_elem(cmd, uattr, size);
    case BPF_PROG_LOAD:
        return prog_load(uattr, size);
    case BPF_PROG_TEST_RUN:
        return prog_test_run(uattr, size);
    case BPF_LINK_CREATE:
        return link_create(uattr, size);
    default:
        return -EINVAL;
    }
}
