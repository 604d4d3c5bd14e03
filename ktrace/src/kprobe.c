/*
 * The probe engine (docs/probes.md) on the kernel's own text, with the
 * OS's port (ktrace_os.h) underneath: reading kernel text, patching it
 * (kt_os_kernel_write_text: the C kernel makes the R-X page writable for
 * the copy, then flushes the TLB entry and the instruction cache on every
 * hart - RISC-V privileged spec 4.2.1 sfence.vma, unprivileged spec
 * "Zifencei"), slots and the kretprobe trampoline in kprobe_text.S, and the
 * code that must not be probed (kt_os_kprobe_forbidden).
 *
 * Several harts (docs/probes.md, "Several harts"): kprobe_lock, a real
 * spinlock, serialises arming and disarming (the port's lock hooks); a hit
 * takes no lock.  Each hart has a word in `kt_kprobe_harts` saying it is inside the
 * engine, and kprobe_disarm returns only once no hart can still be in the
 * probe's handler or slot (rvprobe_release waits for them).  A hart sent
 * into a kernel slot goes there with interrupts off (sstatus.SPIE cleared,
 * its old value kept in kt_kprobe_slot_spie) and gets them back at the slot's break,
 * so it cannot be preempted, or moved to another hart, half-way through
 * the probed instruction (Linux riscv does the same).  An OS's trap vector
 * may end a slot itself, before saving a frame (KT_KPROBE_SLOT_RETURN in
 * kprobe.h, the C kernel's kernelvec.S): it reads kt_kprobe_slot_resume,
 * kt_kprobe_slot_spie and the hart's word in kt_kprobe_harts, which is why
 * those three are not static.
 *
 * Probes on one address (a kprobe and a kretprobe of one function) are
 * separate entries sharing one break and slot (docs/probes.md "Several
 * probes at one address"); a return may be the last of several disarmed
 * kretprobes at once (release_returned).
 */
#include "kprobe.h"
#include "kstring.h"
#include "kt_lock.h"
#include "kt_print.h"

_Static_assert(KPROBE_SLOT_SIZE == RVPROBE_SLOT_SIZE, "slot size");
_Static_assert(KPROBE_SLOT_SIZE == 1 << KPROBE_SLOT_SHIFT, "slot shift");
_Static_assert(sizeof(struct rvprobe_hart) == 1 << KPROBE_HART_SHIFT, "hart word size");
_Static_assert(RVPROBE_HART_DEPTH_MASK == (1u << KPROBE_HART_DEPTH_BITS) - 1, "hart depth");

/* sstatus.SPIE: interrupts on after sret (RISC-V privileged spec 4.1.1). */
#define SSTATUS_SPIE (1UL << 5)

extern char kprobe_slots[], kretprobe_trampoline[];

static struct rvprobe probes[KPROBE_MAX];
static struct rvprobe_table table;
static struct kt_lock kprobe_lock;
static bool slot_used[KPROBE_NSLOTS];    /* kprobe_lock */
/* Read by the trap vector's fast path for a slot's break
 * (KT_KPROBE_SLOT_RETURN in kprobe.h), hence not static: */
struct rvprobe_hart kt_kprobe_harts[KT_MAX_HARTS]; /* the engine's hart words */
uint64_t kt_kprobe_slot_spie[KT_MAX_HARTS]; /* per hart: SPIE before its kernel slot */
/* Per slot: where its instruction continues (probe address + length);
 * written by every STEP hit, the same value while the slot has its probe. */
uint64_t kt_kprobe_slot_resume[KPROBE_NSLOTS];
static uint32_t release_later[KPROBE_MAX]; /* disarmed with returns in flight (a word: no byte AMOs) */
static uint32_t releases_pending;         /* how many release_later words are set */
static bool ready;

static int port_read(void *ctx, uint64_t space, uint64_t addr, void *buf, unsigned n)
{
    (void)ctx;
    if (space != RVPROBE_KERNEL_SPACE || !kt_os_kernel_readable(addr, n))
        return -1;
    memcpy(buf, (const void *)addr, n);
    return 0;
}

/* Other harts may be running these very instructions: the port never
 * tears one, and fences every hart (ktrace_os.h). */
static int port_write_text(void *ctx, uint64_t space, uint64_t addr, const void *bytes, unsigned n)
{
    (void)ctx;
    if (space != RVPROBE_KERNEL_SPACE || !kt_os_kernel_readable(addr, n))
        return -1;
    return kt_os_kernel_write_text(addr, bytes, n) == 0 ? 0 : -1;
}

static int port_slot_alloc(void *ctx, uint64_t space, unsigned size, uint64_t *addr)
{
    (void)ctx;
    if (space != RVPROBE_KERNEL_SPACE || size > KPROBE_SLOT_SIZE)
        return -1;
    for (int i = 0; i < KPROBE_NSLOTS; i++) {
        if (!slot_used[i]) {
            slot_used[i] = true;
            *addr = (uint64_t)kprobe_slots + (uint64_t)i * KPROBE_SLOT_SIZE;
            return 0;
        }
    }
    return -1;
}

static void port_slot_free(void *ctx, uint64_t space, uint64_t addr)
{
    (void)ctx;
    (void)space;
    uint64_t i = (addr - (uint64_t)kprobe_slots) / KPROBE_SLOT_SIZE;
    if (i < KPROBE_NSLOTS)
        slot_used[i] = false;
}

static uint64_t port_current_task(void *ctx)
{
    (void)ctx;
    return kt_os_current_task(0, 0);
}

static uint64_t port_trampoline(void *ctx, uint64_t space)
{
    (void)ctx;
    return space == RVPROBE_KERNEL_SPACE ? (uint64_t)kretprobe_trampoline : 0;
}

static const char *port_forbidden(void *ctx, uint64_t space, uint64_t addr)
{
    (void)ctx;
    return space == RVPROBE_KERNEL_SPACE ? kt_os_kprobe_forbidden(addr) : 0;
}

static void port_lock(void *ctx)
{
    (void)ctx;
    kt_lock_acquire(&kprobe_lock);
}

static void port_unlock(void *ctx)
{
    (void)ctx;
    kt_lock_release(&kprobe_lock);
}

static unsigned port_hart(void *ctx)
{
    (void)ctx;
    return kt_os_hart();
}

static const struct rvprobe_port port = {
    .read = port_read,
    .write_text = port_write_text,
    .slot_alloc = port_slot_alloc,
    .slot_free = port_slot_free,
    .current_task = port_current_task,
    .trampoline = port_trampoline,
    .forbidden = port_forbidden,
    .lock = port_lock,
    .unlock = port_unlock,
    .hart = port_hart,
};

/* Instances of kretprobes in flight: one pool per kretprobe, taken when it
 * is armed and given back when its entry is freed (kprobe_lock). */
#define KRETPROBE_INSTANCES 16
static struct rvprobe_ri ri_pools[KPROBE_MAX][KRETPROBE_INSTANCES];
static bool pool_used[KPROBE_MAX];

void kt_kprobe_init(void)
{
    kt_lock_init(&kprobe_lock, "kprobe");
    if (rvprobe_table_init(&table, &port, 64, probes, KPROBE_MAX) != 0 ||
        rvprobe_table_set_harts(&table, kt_kprobe_harts, KT_MAX_HARTS) != 0)
        kt_panic("kt_kprobe_init");
    ready = true;
}

static void pool_put(struct rvprobe_ri *pool)
{
    if (!pool)
        return;
    kt_lock_acquire(&kprobe_lock);
    pool_used[(pool - ri_pools[0]) / KRETPROBE_INSTANCES] = false;
    kt_lock_release(&kprobe_lock);
}

int kprobe_arm(int kind, uint64_t func, uint64_t addr, rvprobe_pre_fn pre, rvprobe_ret_fn ret,
               void *arg, const char **why)
{
    *why = 0;
    struct rvprobe_def def = {
        .kind = (uint8_t)kind,
        .space = RVPROBE_KERNEL_SPACE,
        .func_start = func,
        .addr = addr,
        .pre = pre,
        .ret = ret,
        .arg = arg,
    };
    if (kind == RVPROBE_KRETPROBE) {
        kt_lock_acquire(&kprobe_lock);
        for (int i = 0; i < KPROBE_MAX && !def.pool; i++) {
            if (!pool_used[i]) {
                pool_used[i] = true;
                memset(ri_pools[i], 0, sizeof ri_pools[i]);
                def.pool = ri_pools[i];
                def.pool_size = KRETPROBE_INSTANCES;
            }
        }
        kt_lock_release(&kprobe_lock);
        if (!def.pool) {
            *why = "no free probe";
            return RVPROBE_ENOSPC;
        }
    }
    int id = rvprobe_arm(&table, &def);
    if (id < 0) {
        *why = table.reason ? table.reason : rvprobe_strerror(id);
        pool_put(def.pool);
    }
    return id;
}

/* Free a disarmed entry (waiting for the harts inside, see the top); with
 * returns still in flight, later, from the last one's trap. */
static int release_entry(int id)
{
    struct rvprobe_ri *pool = probes[id].def.pool;
    int r = rvprobe_release(&table, id);
    if (r == 0) {
        pool_put(pool);
    } else if (r == RVPROBE_EBUSY) {
        /* The returns find their way back through the disarmed entry; the
         * caller frees what the handlers use: they must not run again. */
        __atomic_store_n(&probes[id].def.pre, (rvprobe_pre_fn)0, __ATOMIC_RELEASE);
        __atomic_store_n(&probes[id].def.ret, (rvprobe_ret_fn)0, __ATOMIC_RELEASE);
        rvprobe_sync(&table); /* nobody still runs the old handlers */
        kt_lock_acquire(&kprobe_lock);
        release_later[id] = 1;
        __atomic_fetch_add(&releases_pending, 1, __ATOMIC_ACQ_REL);
        kt_lock_release(&kprobe_lock);
        r = 0;
    }
    return r;
}

int kprobe_disarm(int id)
{
    int r = rvprobe_disarm(&table, id);
    return r == 0 ? release_entry(id) : r;
}

const struct rvprobe *kprobe_get(int id)
{
    return id >= 0 && id < KPROBE_MAX ? &probes[id] : 0;
}

int kprobe_id(const struct rvprobe *p)
{
    return p >= probes && p < probes + KPROBE_MAX ? (int)(p - probes) : -1;
}

static unsigned in_flight(int id)
{
    unsigned n = 0;
    const struct rvprobe *p = &probes[id];
    for (unsigned i = 0; p->def.pool && i < p->def.pool_size; i++)
        n += __atomic_load_n(&p->def.pool[i].used, __ATOMIC_ACQUIRE) != 0;
    return n;
}

/* Frees the disarmed kretprobes whose last return has come.  One return
 * resolves the instances of every kretprobe sharing the function (table.c),
 * so each pending entry is looked at, not only the hit's.  Out of line:
 * inlined, its registers made every hit save and restore ten more. */
static __attribute__((noinline)) void release_returned(void)
{
    for (int id = 0; id < KPROBE_MAX; id++)
        if (__atomic_load_n(&release_later[id], __ATOMIC_ACQUIRE) && in_flight(id) == 0 &&
            __atomic_exchange_n(&release_later[id], 0, __ATOMIC_ACQ_REL)) {
            __atomic_fetch_sub(&releases_pending, 1, __ATOMIC_ACQ_REL);
            release_entry(id);
        }
}

int kt_kprobe_on_break(struct rvprobe_regs *regs, uint64_t *sstatus)
{
    if (!ready)
        return 0;
    struct rvprobe_hit hit;
    unsigned hart = kt_os_hart(); /* asked once a hit (issue 21) */
    int r = rvprobe_on_break_hart(&table, hart, RVPROBE_KERNEL_SPACE, regs, &hit);
    if (r != 1)
        return 0;
    /* Into the slot with interrupts off, back with what they were (the
     * trap's saved status: kerneltrap restores it before sret). */
    if (hit.kind == RVPROBE_HIT_STEP) {
        kt_kprobe_slot_spie[hart] = *sstatus & SSTATUS_SPIE;
        *sstatus &= ~SSTATUS_SPIE;
        kt_kprobe_slot_resume[(hit.pc - (uint64_t)kprobe_slots) >> KPROBE_SLOT_SHIFT] = hit.resume;
    } else if (hit.kind == RVPROBE_HIT_SLOT_RETURN) {
        *sstatus |= kt_kprobe_slot_spie[hart];
    } else if (hit.kind == RVPROBE_HIT_RETURN && !kt_lock_held(&kprobe_lock) &&
               __atomic_load_n(&releases_pending, __ATOMIC_ACQUIRE)) {
        release_returned(); /* a return of a disarmed kretprobe: maybe its last */
    }
    return 1;
}
