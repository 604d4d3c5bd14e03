/*
 * The probe engine's port for user spaces: each process's address space is
 * a space (the number the OS names it by, ktrace_os.h).  Text is patched
 * through the space's page table (the pages are user R-X; the C kernel
 * writes their physical frames: kt_os_user_write_text), then fence.i on
 * every hart.  Out-of-line slots live in a per-space page the OS maps user
 * R-X where it likes (kt_os_uprobe_slot_page), on first use.
 *
 * A uprobe "spec" (program, address) stands for the per-process probes:
 * every probe entry's arg is its spec, so one spec's hits, detach and
 * listing cover all its processes.
 * Several specs may name one address (a uprobe and a uretprobe of one
 * function, as a libbpf object's pair): each has its own entry in every
 * process, and the engine shares the break and the slot among them
 * (docs/probes.md "Several probes at one address").
 *
 * Several harts: table_lock (the port's lock hooks) serialises the
 * engine's table updates, uprobe_lock everything here that changes specs
 * or walks processes (attach, detach, exec, fork, free); the OS takes it
 * around the moments a process's space or name change
 * (kt_uprobe_spaces_lock), so attach never arms a space being freed.
 * Hits take neither.  A process leaves its slot in user mode, where the
 * engine cannot follow it, so ktrace remembers each space's last slot
 * (struct uspace step_break/resume): a slot whose probe was detached while
 * the process was in it still brings it back, and a freed slot is "retired"
 * (not reused) until the process is known to be out of its slot page.
 *
 * Uretprobes are the engine's return probes in a process's space: slot 0
 * of the slot page is the space's return trampoline (an ebreak the hijacked
 * ra points to).  A fork copies the parent's stack, return addresses
 * included, so the child gets copies of the parent's instances in flight.
 */
#include "uprobe.h"
#include "kstring.h"
#include "kt_lock.h"
#include "kt_print.h"
#include <osdbg/errno.h>

#define UPROBE_MAX   64
#define SLOT_PAGE    4096 /* one Sv39 page (RISC-V privileged spec 4.4) */
#define SLOT_WORDS   (SLOT_PAGE / RVPROBE_SLOT_SIZE / 64)
#define UPROBE_SPACES 64  /* spaces with a slot page at once */

static struct rvprobe probes[UPROBE_MAX];
static struct rvprobe_table table;
static struct rvprobe_hart harts[KT_MAX_HARTS];
static struct kt_lock table_lock, uprobe_lock;
static bool ready;

static struct spec {
    bool used;
    char program[KT_COMM_LEN];
    uint64_t addr;
    uint64_t func; /* start of the function holding addr (kt_os_uprobe_check_insn) */
    uint8_t kind;  /* RVPROBE_KPROBE, or RVPROBE_KRETPROBE for a uretprobe */
    rvprobe_pre_fn pre;
    rvprobe_ret_fn ret;
    void *arg;
    uint64_t hits;
} specs[UPROBE_MAX_SPECS];

/* What ktrace keeps per space that has a slot page.  Made and dropped
 * under uprobe_lock; a hit finds its own space's entry without a lock (it
 * cannot be dropped while the space's process runs: published last, by
 * `space`). */
static struct uspace {
    uint64_t space;     /* 0: a free entry */
    uint64_t slot_base; /* the slot page, 0 until mapped; slot 0 is the trampoline */
    uint64_t slots[SLOT_WORDS];   /* used slots */
    uint64_t retired[SLOT_WORDS]; /* freed slots the process may still be about to run */
    uint64_t step_break;  /* sent into a slot: the break that ends it, and */
    uint64_t step_resume; /* where to go on after it */
} uspaces[UPROBE_SPACES];

/* Instances of uretprobes in flight: one pool per table entry in use.
 * Debuggers read them (with uretprobe_trampoline) to show the real
 * caller of a function whose return a uretprobe took (the adapter's
 * profile names both: profiles/osdbg-kernel.json "uretprobes"). */
struct rvprobe_ri uretprobe_instances[UPROBE_MAX][URETPROBE_INSTANCES];
uint64_t uretprobe_trampoline; /* the slot page's address (the same in every space), 0 before */

static struct uspace *uspace_find(uint64_t space)
{
    for (int i = 0; space && i < UPROBE_SPACES; i++)
        if (__atomic_load_n(&uspaces[i].space, __ATOMIC_ACQUIRE) == space)
            return &uspaces[i];
    return 0;
}

/* The space's entry, made if it has none.  uprobe_lock. */
static struct uspace *uspace_get(uint64_t space)
{
    struct uspace *u = uspace_find(space);
    for (int i = 0; !u && i < UPROBE_SPACES; i++) {
        if (uspaces[i].space == 0) {
            u = &uspaces[i];
            memset(u, 0, sizeof *u);
            __atomic_store_n(&u->space, space, __ATOMIC_RELEASE);
        }
    }
    return u;
}

/* The space is gone (freed, or a fresh one gets its number).  uprobe_lock. */
static void uspace_forget(uint64_t space)
{
    struct uspace *u = uspace_find(space);
    if (u)
        __atomic_store_n(&u->space, 0, __ATOMIC_RELEASE);
}

static int port_read(void *ctx, uint64_t space, uint64_t addr, void *buf, unsigned n)
{
    (void)ctx;
    return kt_os_user_read(space, addr, buf, n) == 0 ? 0 : -1;
}

/* The process may be running this code on another hart: the port never
 * tears an instruction (ktrace_os.h). */
static int port_write_text(void *ctx, uint64_t space, uint64_t addr, const void *bytes, unsigned n)
{
    (void)ctx;
    if (n < 2 || (n > 4 && addr / SLOT_PAGE != (addr + n - 1) / SLOT_PAGE))
        return -1;
    return kt_os_user_write_text(space, addr, bytes, n) == 0 ? 0 : -1;
}

/* The space's slot page, mapped user R-X on first use, its slot 0 the
 * return trampoline; its entry, or 0.  uprobe_lock. */
static struct uspace *slot_page(uint64_t space)
{
    struct uspace *u = uspace_get(space);
    if (!u || u->slot_base)
        return u;
    uint64_t base;
    uint32_t ebreak = RVPROBE_EBREAK;
    /* (the write fences every hart's instruction fetch) */
    if (kt_os_uprobe_slot_page(space, &base) < 0 || base % SLOT_PAGE ||
        kt_os_user_write_text(space, base, &ebreak, sizeof ebreak) < 0)
        return 0;
    memset(u->slots, 0, sizeof u->slots);
    memset(u->retired, 0, sizeof u->retired);
    u->slots[0] = 1; /* the trampoline */
    __atomic_store_n(&uretprobe_trampoline, base, __ATOMIC_RELAXED);
    __atomic_store_n(&u->slot_base, base, __ATOMIC_RELEASE);
    return u;
}

/* Can the space's process be inside one of its slots now?  Yes if it runs
 * on another hart; otherwise its user pc says (this hart's process is in a
 * trap: a system call, or an interrupt that may have caught it in a slot),
 * and a process sent into a slot that has not come back says so. */
static bool maybe_in_slot(const struct uspace *u)
{
    uint64_t pc;
    if (kt_os_user_pc(u->space, &pc) < 0)
        return true;
    return u->step_break || (pc >= u->slot_base && pc < u->slot_base + SLOT_PAGE);
}

static int port_slot_alloc(void *ctx, uint64_t space, unsigned size, uint64_t *addr)
{
    (void)ctx;
    struct uspace *u = size <= RVPROBE_SLOT_SIZE ? slot_page(space) : 0;
    if (!u || !u->slot_base)
        return -1;
    if (!maybe_in_slot(u)) /* retired slots are free again */
        memset(u->retired, 0, sizeof u->retired);
    for (int i = 0; i < SLOT_PAGE / RVPROBE_SLOT_SIZE; i++) {
        uint64_t bit = 1ULL << (i % 64);
        if (!((u->slots[i / 64] | u->retired[i / 64]) & bit)) {
            u->slots[i / 64] |= bit;
            *addr = u->slot_base + (uint64_t)i * RVPROBE_SLOT_SIZE;
            return 0;
        }
    }
    return -1;
}

/* Freed but retired: the process may still be about to run it. */
static void port_slot_free(void *ctx, uint64_t space, uint64_t addr)
{
    (void)ctx;
    struct uspace *u = uspace_find(space);
    if (!u || !u->slot_base)
        return;
    uint64_t i = (addr - u->slot_base) / RVPROBE_SLOT_SIZE;
    if (i > 0 && i < SLOT_PAGE / RVPROBE_SLOT_SIZE) { /* never the trampoline */
        u->slots[i / 64] &= ~(1ULL << (i % 64));
        u->retired[i / 64] |= 1ULL << (i % 64);
    }
}

static uint64_t port_current_task(void *ctx)
{
    (void)ctx;
    return kt_os_current_task(0, 0);
}

static uint64_t port_trampoline(void *ctx, uint64_t space)
{
    (void)ctx;
    struct uspace *u = space != RVPROBE_KERNEL_SPACE ? uspace_find(space) : 0;
    return u ? __atomic_load_n(&u->slot_base, __ATOMIC_ACQUIRE) : 0; /* slot 0 */
}

static void port_lock(void *ctx)
{
    (void)ctx;
    kt_lock_acquire(&table_lock);
}

static void port_unlock(void *ctx)
{
    (void)ctx;
    kt_lock_release(&table_lock);
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
    .lock = port_lock,
    .unlock = port_unlock,
    .hart = port_hart,
};

void kt_uprobe_init(void)
{
    kt_lock_init(&table_lock, "uprobe table");
    kt_lock_init(&uprobe_lock, "uprobe");
    if (rvprobe_table_init(&table, &port, 64, probes, UPROBE_MAX) != 0 ||
        rvprobe_table_set_harts(&table, harts, KT_MAX_HARTS) != 0)
        kt_panic("kt_uprobe_init");
    ready = true;
}

void kt_uprobe_spaces_lock(void)
{
    kt_lock_acquire(&uprobe_lock);
}

void kt_uprobe_spaces_unlock(void)
{
    kt_lock_release(&uprobe_lock);
}

/* Every hit counts for its spec, then the spec's handler runs. */
static int on_hit(struct rvprobe *p, struct rvprobe_regs *regs, void *arg)
{
    struct spec *s = arg;
    __atomic_fetch_add(&s->hits, 1, __ATOMIC_RELAXED);
    return s->pre ? s->pre(p, regs, s->arg) : 0;
}

static void on_return(struct rvprobe *p, struct rvprobe_regs *regs, uint64_t sp, void *arg)
{
    struct spec *s = arg;
    if (s->ret)
        s->ret(p, regs, sp, s->arg);
}

/* A pool no table entry uses. */
static struct rvprobe_ri *free_pool(void)
{
    for (int r = 0; r < UPROBE_MAX; r++) {
        bool taken = false;
        for (int i = 0; i < UPROBE_MAX && !taken; i++)
            taken = probes[i].state != RVPROBE_FREE && probes[i].def.pool == uretprobe_instances[r];
        if (!taken) {
            memset(uretprobe_instances[r], 0, sizeof uretprobe_instances[r]);
            return uretprobe_instances[r];
        }
    }
    return 0;
}

/* Is s armed in space already?  (An attach on another hart may have armed
 * a new image between the OS's commit and kt_uprobe_exec.) */
static bool armed_in(uint64_t space, const struct spec *s)
{
    for (int i = 0; i < UPROBE_MAX; i++)
        if (probes[i].state == RVPROBE_ARMED && probes[i].def.space == space &&
            probes[i].def.arg == s)
            return true;
    return false;
}

static int arm_in(uint64_t space, struct spec *s)
{
    struct rvprobe_def def = {
        .kind = s->kind, /* the space makes it a uprobe or a uretprobe */
        .space = space,
        .func_start = s->func, /* checked at attach: addr starts an instruction */
        .addr = s->addr,
        .pre = on_hit,
        .arg = s,
    };
    if (s->kind == RVPROBE_KRETPROBE) {
        def.ret = on_return;
        def.pool = free_pool();
        def.pool_size = URETPROBE_INSTANCES;
        if (!def.pool)
            return RVPROBE_ENOSPC;
        struct uspace *u = slot_page(space);
        if (!u || !u->slot_base)
            return RVPROBE_EPORT;
    }
    return rvprobe_arm(&table, &def);
}

int uprobe_attach(const char *program, uint64_t addr, rvprobe_pre_fn pre, void *arg)
{
    return uprobe_attach_kind(program, addr, RVPROBE_KPROBE, pre, 0, arg);
}

static int detach_locked(int id);

struct arm_all {
    struct spec *s;
    int err; /* the last arm's error, or 0 */
};

static void arm_task(const struct kt_task *t, void *arg)
{
    struct arm_all *all = arg;
    if (t->space && strcmp(t->comm, all->s->program) == 0) {
        /* RVPROBE_EEXIST too: the address holds RVPROBE_MAX_SHARED probes
         * already, and this one would never run. */
        int r = arm_in(t->space, all->s);
        if (r < 0)
            all->err = r;
    }
}

int uprobe_attach_kind(const char *program, uint64_t addr, int kind, rvprobe_pre_fn pre,
                       rvprobe_ret_fn ret, void *arg)
{
    kt_lock_acquire(&uprobe_lock);
    int id;
    for (id = 0; id < UPROBE_MAX_SPECS; id++)
        if (!specs[id].used)
            break;
    if (id == UPROBE_MAX_SPECS) {
        kt_lock_release(&uprobe_lock);
        return RVPROBE_ENOSPC;
    }
    /* Only the start of an instruction of the program's code: anywhere else
     * the ebreak would corrupt the program (and kill init). */
    uint64_t func;
    int len = kt_os_uprobe_check_insn(program, addr, &func);
    if (len < 0) {
        kt_lock_release(&uprobe_lock);
        return len;
    }
    struct spec *s = &specs[id];
    *s = (struct spec){.used = true,
                       .addr = addr,
                       .func = func,
                       .kind = (uint8_t)kind,
                       .pre = pre,
                       .ret = ret,
                       .arg = arg};
    strlcpy(s->program, program, sizeof s->program);
    /* Arm in every process of the program now.  uprobe_lock keeps every
     * process we may arm in from changing its space or name, or being
     * freed (the OS takes it around those changes). */
    struct arm_all all = {s, 0};
    kt_os_each_task(arm_task, &all);
    int err = all.err;
    if (err < 0) {
        detach_locked(id);
        id = err;
    }
    kt_lock_release(&uprobe_lock);
    return id;
}

static int detach_locked(int id)
{
    if (id < 0 || id >= UPROBE_MAX_SPECS || !specs[id].used)
        return RVPROBE_EINVAL;
    bool cleared = false;
    for (int i = 0; i < UPROBE_MAX; i++) {
        if (probes[i].state != RVPROBE_FREE && probes[i].def.arg == &specs[id]) {
            rvprobe_disarm(&table, i);
            if (rvprobe_release(&table, i) == RVPROBE_EBUSY) {
                /* Returns still in flight find their way back through the
                 * disarmed entry (uprobe_on_break releases it after the
                 * last); the spec may be reused, so they run no handler. */
                __atomic_store_n(&probes[i].def.pre, (rvprobe_pre_fn)0, __ATOMIC_RELEASE);
                __atomic_store_n(&probes[i].def.ret, (rvprobe_ret_fn)0, __ATOMIC_RELEASE);
                __atomic_store_n(&probes[i].def.arg, (void *)0, __ATOMIC_RELEASE);
                cleared = true;
            }
        }
    }
    if (cleared)
        rvprobe_sync(&table); /* no hart still runs the old handlers */
    specs[id].used = false;
    return 0;
}

int uprobe_detach(int id)
{
    kt_lock_acquire(&uprobe_lock);
    int r = detach_locked(id);
    kt_lock_release(&uprobe_lock);
    return r;
}

uint64_t uprobe_hits(int id)
{
    return id >= 0 && id < UPROBE_MAX_SPECS && specs[id].used ? specs[id].hits : 0;
}

bool uprobe_info(int id, const char **program, uint64_t *addr)
{
    if (id < 0 || id >= UPROBE_MAX_SPECS || !specs[id].used)
        return false;
    *program = specs[id].program;
    *addr = specs[id].addr;
    return true;
}

void kt_uprobe_exec(uint64_t space, const char *name)
{
    if (!ready)
        return;
    kt_lock_acquire(&uprobe_lock);
    for (int id = 0; id < UPROBE_MAX_SPECS; id++)
        if (specs[id].used && strcmp(specs[id].program, name) == 0 && !armed_in(space, &specs[id]))
            arm_in(space, &specs[id]);
    kt_lock_release(&uprobe_lock);
}

/* The parent's uretprobe calls in flight, for a child forked inside them:
 * copied (the child got its own table entry and records) or not. */
struct inflight {
    uint64_t sp, ret_addr;
    bool copied;
};

/* A child that got no table entry for a uretprobe (the table is full) would
 * return to the trampoline with no record and be killed.  Instead, its
 * frames get their real return addresses back.  A probed function keeps
 * its return address (the trampoline's, since its entry) in its own frame,
 * which lies between the sp of the call it is in and its entry sp (the
 * record's), so the child's stack is walked from its sp up, innermost call
 * first, one trampoline address per call in flight. */
static void unhook_child(uint64_t child, uint64_t sp, struct inflight *f, int n)
{
    for (int i = 1; i < n; i++) /* by sp, innermost (lowest) first */
        for (int k = i; k > 0 && f[k].sp < f[k - 1].sp; k--) {
            struct inflight t = f[k];
            f[k] = f[k - 1];
            f[k - 1] = t;
        }
    uint64_t at = sp & ~7ULL;
    for (int i = 0; i < n; i++) {
        for (; at + 8 <= f[i].sp; at += 8) {
            uint64_t word;
            if (kt_os_user_read(child, at, &word, 8) < 0)
                return;
            if (word != uretprobe_trampoline)
                continue;
            if (!f[i].copied)
                kt_os_user_write(child, at, &f[i].ret_addr, 8);
            at += 8;
            break;
        }
    }
}

void kt_uprobe_fork(uint64_t parent, uint64_t child, uint64_t child_task, uint64_t child_sp)
{
    if (!ready)
        return;
    struct kt_task cur; /* the parent, which forks */
    kt_os_current(&cur);
    kt_lock_acquire(&uprobe_lock);
    uspace_forget(child); /* fresh: no slot page yet (the OS copies none) */
    static struct inflight inflight[UPROBE_MAX * URETPROBE_INSTANCES];
    int ninflight = 0;
    bool unhook = false;
    /* The child's text is a copy with the breaks in it: put the original
     * bytes back (all of them first: probes sharing an address arm the
     * child's break once), then arm the child like any process of the
     * program. */
    for (int i = 0; i < UPROBE_MAX; i++) {
        struct rvprobe *pr = &probes[i];
        if (pr->state == RVPROBE_ARMED && pr->def.space == parent)
            kt_os_user_write_text(child, pr->def.addr, pr->orig, pr->insn.len);
    }
    for (int i = 0; i < UPROBE_MAX; i++) {
        struct rvprobe *pr = &probes[i];
        if (pr->state != RVPROBE_ARMED || pr->def.space != parent)
            continue;
        int id = arm_in(child, (struct spec *)pr->def.arg);
        if (pr->def.kind != RVPROBE_KRETPROBE)
            continue;
        /* The child returns through the same frames: its own instances. */
        struct rvprobe_ri *to = id >= 0 ? probes[id].def.pool : 0;
        for (unsigned j = 0, k = 0; j < pr->def.pool_size && k < URETPROBE_INSTANCES; j++) {
            struct rvprobe_ri ri = pr->def.pool[j];
            if (!ri.used || ri.task != cur.task)
                continue;
            inflight[ninflight++] = (struct inflight){ri.sp, ri.ret_addr, to != 0};
            unhook |= !to;
            ri.task = child_task;
            ri.space = child;
            if (to)
                to[k++] = ri;
        }
    }
    if (unhook)
        unhook_child(child, child_sp, inflight, ninflight);
    kt_os_fence_i_all();
    kt_lock_release(&uprobe_lock);
}

void kt_uprobe_free(uint64_t space)
{
    if (!ready)
        return;
    kt_lock_acquire(&uprobe_lock);
    rvprobe_space_gone(&table, space);
    uspace_forget(space);
    kt_lock_release(&uprobe_lock);
}

/* Detached uretprobes of the space with returns in flight are freed after
 * their last return.  One return
 * resolves every uretprobe sharing the function (the engine's table.c), so
 * all of them are looked at, not only the hit's. */
static void release_returned(uint64_t space)
{
    for (int i = 0; i < UPROBE_MAX; i++) {
        struct rvprobe *pr = &probes[i];
        if (__atomic_load_n(&pr->state, __ATOMIC_ACQUIRE) == RVPROBE_DISARMED &&
            pr->def.space == space && pr->def.kind == RVPROBE_KRETPROBE)
            rvprobe_release(&table, i); /* RVPROBE_EBUSY while others are in flight */
    }
}

int kt_uprobe_on_break(struct rvprobe_regs *regs)
{
    uint64_t space = 0;
    if (!ready || !kt_os_current_task(0, &space) || !space)
        return 0;
    struct uspace *u = uspace_find(space); /* none: no slot page, no slot */
    struct rvprobe_hit hit;
    if (rvprobe_on_break(&table, space, regs, &hit) != 1) {
        /* The break ending a slot whose probe another hart released while
         * this process ran it: the slot is retired, not reused, so its
         * instruction was the probed one; continue after the original. */
        if (!u || !u->step_break || regs->pc != u->step_break)
            return 0;
        regs->pc = u->step_resume;
        u->step_break = u->step_resume = 0;
        return 1;
    }
    if (hit.kind == RVPROBE_HIT_STEP && u) {
        /* (from the hit, not from probes[hit.id]: another hart may have
         * released and reused that entry since) */
        u->step_break = hit.slot_break;
        u->step_resume = hit.resume;
    } else if (hit.kind == RVPROBE_HIT_SLOT_RETURN && u) {
        u->step_break = u->step_resume = 0;
    }
    if (hit.kind == RVPROBE_HIT_RETURN)
        release_returned(space);
    return 1;
}

int uprobe_id_of(const struct rvprobe *p)
{
    struct spec *s = __atomic_load_n(&p->def.arg, __ATOMIC_ACQUIRE);
    return s >= specs && s < specs + UPROBE_MAX_SPECS ? (int)(s - specs) : -1;
}

int uprobe_kind(int id)
{
    return id >= 0 && id < UPROBE_MAX_SPECS && specs[id].used ? specs[id].kind : 0;
}
