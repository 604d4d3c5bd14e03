/*
 * The probe engine's port for processes: each process is a space (its
 * struct proc's address).  Text is patched through the process's page
 * table (the pages are user R-X; the kernel writes their physical frames),
 * then fence.i.  Out-of-line slots live in a per-process page at
 * UPROBE_SLOTS, mapped user R-X on first use.
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
 * or walks processes (attach, detach, exec, fork, free); exec and fork
 * take it around the moments a process's page table or name change
 * (uprobe_spaces_lock), so attach never arms a page table being freed.
 * Hits take neither.  A process leaves its slot in user mode, where the
 * engine cannot follow it, so the kernel remembers each process's last
 * slot (uprobe_step_break/resume): a slot whose probe was detached while
 * the process was in it still brings it back, and a freed slot is "retired"
 * (not reused) until the process is known to be out of its slot page.
 *
 * Uretprobes are the engine's return probes in a process's space: slot 0
 * of the slot page is the space's return trampoline (an ebreak the hijacked
 * ra points to).  A fork copies the parent's stack, return addresses
 * included, so the child gets copies of the parent's instances in flight.
 */
#include "uprobe.h"
#include "kalloc.h"
#include "kstring.h"
#include "printf.h"
#include "proc.h"
#include "riscv.h"
#include "spinlock.h"
#include "sbi.h"
#include "textpatch.h"
#include "utext.h"
#include "vm.h"
#include <osdbg/memlayout.h>

#define UPROBE_MAX     64
#define RET_TRAMPOLINE UPROBE_SLOTS /* slot 0 */

static struct rvprobe probes[UPROBE_MAX];
static struct rvprobe_table table;
static struct rvprobe_hart harts[NCPU];
static struct spinlock table_lock, uprobe_lock;
static bool ready;

static struct spec {
    bool used;
    char program[PROC_NAME_LEN];
    uint64_t addr;
    uint64_t func; /* start of the function holding addr (utext.c) */
    uint8_t kind;  /* RVPROBE_KPROBE, or RVPROBE_KRETPROBE for a uretprobe */
    rvprobe_pre_fn pre;
    rvprobe_ret_fn ret;
    void *arg;
    uint64_t hits;
} specs[UPROBE_MAX_SPECS];

/* Instances of uretprobes in flight: one pool per table entry in use.
 * Debuggers read them (with uretprobe_trampoline) to show the real
 * caller of a function whose return a uretprobe took (the adapter's
 * profile names both: profiles/osdbg-kernel.json "uretprobes"). */
struct rvprobe_ri uretprobe_instances[UPROBE_MAX][URETPROBE_INSTANCES];
const uint64_t uretprobe_trampoline = RET_TRAMPOLINE;

static struct proc *space_proc(uint64_t space)
{
    return (struct proc *)space;
}

static int port_read(void *ctx, uint64_t space, uint64_t addr, void *buf, unsigned n)
{
    (void)ctx;
    return copyin(space_proc(space)->pagetable, buf, addr, n);
}

/* Through the frames' kernel addresses, as text_patch wants: the process
 * may be running this code on another hart (textpatch.c). */
static int port_write_text(void *ctx, uint64_t space, uint64_t addr, const void *bytes, unsigned n)
{
    (void)ctx;
    pagetable_t pt = space_proc(space)->pagetable;
    uint64_t lo = walkaddr(pt, PGROUNDDOWN(addr)), hi = walkaddr(pt, PGROUNDDOWN(addr + 2));
    if (!lo || !hi || n < 2 || (n > 4 && PGROUNDDOWN(addr) != PGROUNDDOWN(addr + n - 1)))
        return -1;
    text_patch((uint8_t *)(lo + (addr - PGROUNDDOWN(addr))),
               (uint8_t *)(hi + (addr + 2 - PGROUNDDOWN(addr + 2))), bytes, n);
    return 0;
}

/* The process's slot page, mapped user R-X on first use, its slot 0 the
 * return trampoline.  0 or -1. */
static int slot_page(struct proc *p)
{
    if (walkaddr(p->pagetable, UPROBE_SLOTS))
        return 0;
    uint8_t *page = kalloc();
    if (!page)
        return -1;
    memset(page, 0, PGSIZE);
    uint32_t ebreak = RVPROBE_EBREAK;
    memcpy(page + (RET_TRAMPOLINE - UPROBE_SLOTS), &ebreak, sizeof ebreak);
    if (mappages(p->pagetable, UPROBE_SLOTS, PGSIZE, (uint64_t)page, PTE_R | PTE_X | PTE_U) < 0) {
        kfree(page);
        return -1;
    }
    asm volatile("fence.i" ::: "memory");
    sbi_remote_fence_i_all(); /* the other harts too (RFENCE) */
    memset(p->uprobe_slots, 0, sizeof p->uprobe_slots);
    p->uprobe_slots[0] = 1; /* the trampoline */
    return 0;
}

/* Can p be inside one of its slots now?  Yes if it runs on another hart;
 * otherwise its user pc is in its trap frame (this hart's process is in a
 * trap: a system call, or an interrupt that may have caught it in a slot),
 * and a process sent into a slot that has not come back says so. */
static bool maybe_in_slot(struct proc *p)
{
    if (p != myproc() && __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == RUNNING)
        return true;
    return p->uprobe_step_break ||
           (p->trapframe->epc >= UPROBE_SLOTS && p->trapframe->epc < UPROBE_SLOTS + PGSIZE);
}

static int port_slot_alloc(void *ctx, uint64_t space, unsigned size, uint64_t *addr)
{
    (void)ctx;
    struct proc *p = space_proc(space);
    if (size > RVPROBE_SLOT_SIZE || slot_page(p) < 0)
        return -1;
    if (!maybe_in_slot(p)) /* retired slots are free again */
        for (int w = 0; w < 8; w++)
            p->uprobe_retired[w] = 0;
    for (int i = 0; i < PGSIZE / RVPROBE_SLOT_SIZE; i++) {
        uint64_t bit = 1ULL << (i % 64);
        if (!((p->uprobe_slots[i / 64] | p->uprobe_retired[i / 64]) & bit)) {
            p->uprobe_slots[i / 64] |= bit;
            *addr = UPROBE_SLOTS + (uint64_t)i * RVPROBE_SLOT_SIZE;
            return 0;
        }
    }
    return -1;
}

/* Freed but retired: the process may still be about to run it. */
static void port_slot_free(void *ctx, uint64_t space, uint64_t addr)
{
    (void)ctx;
    uint64_t i = (addr - UPROBE_SLOTS) / RVPROBE_SLOT_SIZE;
    if (i > 0 && i < PGSIZE / RVPROBE_SLOT_SIZE) { /* never the trampoline */
        space_proc(space)->uprobe_slots[i / 64] &= ~(1ULL << (i % 64));
        space_proc(space)->uprobe_retired[i / 64] |= 1ULL << (i % 64);
    }
}

static uint64_t port_current_task(void *ctx)
{
    (void)ctx;
    return (uint64_t)myproc();
}

static uint64_t port_trampoline(void *ctx, uint64_t space)
{
    (void)ctx;
    struct proc *p = space_proc(space);
    return space != RVPROBE_KERNEL_SPACE && p->pagetable && walkaddr(p->pagetable, UPROBE_SLOTS)
               ? RET_TRAMPOLINE
               : 0;
}

static void port_lock(void *ctx)
{
    (void)ctx;
    acquire(&table_lock);
}

static void port_unlock(void *ctx)
{
    (void)ctx;
    release(&table_lock);
}

static unsigned port_hart(void *ctx)
{
    (void)ctx;
    return (unsigned)cpuid();
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

void uprobe_init(void)
{
    spin_init(&table_lock, "uprobe table");
    spin_init(&uprobe_lock, "uprobe");
    if (rvprobe_table_init(&table, &port, 64, probes, UPROBE_MAX) != 0 ||
        rvprobe_table_set_harts(&table, harts, NCPU) != 0)
        panic("uprobe_init");
    ready = true;
}

void uprobe_spaces_lock(void)
{
    acquire(&uprobe_lock);
}

void uprobe_spaces_unlock(void)
{
    release(&uprobe_lock);
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

static int arm_in(struct proc *p, struct spec *s)
{
    struct rvprobe_def def = {
        .kind = s->kind, /* the space makes it a uprobe or a uretprobe */
        .space = (uint64_t)p,
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
        if (slot_page(p) < 0)
            return RVPROBE_EPORT;
    }
    return rvprobe_arm(&table, &def);
}

int uprobe_attach(const char *program, uint64_t addr, rvprobe_pre_fn pre, void *arg)
{
    return uprobe_attach_kind(program, addr, RVPROBE_KPROBE, pre, 0, arg);
}

static int detach_locked(int id);

int uprobe_attach_kind(const char *program, uint64_t addr, int kind, rvprobe_pre_fn pre,
                       rvprobe_ret_fn ret, void *arg)
{
    acquire(&uprobe_lock);
    int id;
    for (id = 0; id < UPROBE_MAX_SPECS; id++)
        if (!specs[id].used)
            break;
    if (id == UPROBE_MAX_SPECS) {
        release(&uprobe_lock);
        return RVPROBE_ENOSPC;
    }
    /* Only the start of an instruction of the program's code: anywhere else
     * the ebreak would corrupt the program (and kill init). */
    uint64_t func;
    int len = utext_check_insn(program, addr, &func);
    if (len < 0) {
        release(&uprobe_lock);
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
    /* Arm in every process of the program now.  The process table is
     * walked without its lock: uprobe_lock keeps every process we may arm
     * in from changing its page table or name, or being freed. */
    int err = 0;
    for (struct proc *p = proc_first(); p; p = proc_next(p)) {
        if (strcmp(p->name, s->program) == 0 && p->pagetable) {
            /* RVPROBE_EEXIST too: the address holds RVPROBE_MAX_SHARED
             * probes already, and this one would never run. */
            int r = arm_in(p, s);
            if (r < 0)
                err = r;
        }
    }
    if (err < 0) {
        detach_locked(id);
        id = err;
    }
    release(&uprobe_lock);
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
    acquire(&uprobe_lock);
    int r = detach_locked(id);
    release(&uprobe_lock);
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

void uprobe_exec(struct proc *p)
{
    if (!ready)
        return;
    acquire(&uprobe_lock);
    /* The old image and its slot page are gone with the old page table. */
    rvprobe_space_gone(&table, (uint64_t)p);
    memset(p->uprobe_slots, 0, sizeof p->uprobe_slots);
    memset(p->uprobe_retired, 0, sizeof p->uprobe_retired);
    p->uprobe_step_break = p->uprobe_step_resume = 0;
    for (int id = 0; id < UPROBE_MAX_SPECS; id++)
        if (specs[id].used && strcmp(specs[id].program, p->name) == 0)
            arm_in(p, &specs[id]);
    release(&uprobe_lock);
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
static void unhook_child(struct proc *child, uint64_t sp, struct inflight *f, int n)
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
            if (copyin(child->pagetable, &word, at, 8) < 0)
                return;
            if (word != RET_TRAMPOLINE)
                continue;
            if (!f[i].copied)
                copyout(child->pagetable, at, &f[i].ret_addr, 8);
            at += 8;
            break;
        }
    }
}

void uprobe_fork(struct proc *parent, struct proc *child)
{
    if (!ready)
        return;
    acquire(&uprobe_lock);
    memset(child->uprobe_slots, 0, sizeof child->uprobe_slots);
    memset(child->uprobe_retired, 0, sizeof child->uprobe_retired);
    child->uprobe_step_break = child->uprobe_step_resume = 0;
    static struct inflight inflight[UPROBE_MAX * URETPROBE_INSTANCES];
    int ninflight = 0;
    bool unhook = false;
    /* The child's text is a copy with the breaks in it: put the original
     * bytes back (all of them first: probes sharing an address arm the
     * child's break once), then arm the child like any process of the
     * program. */
    for (int i = 0; i < UPROBE_MAX; i++) {
        struct rvprobe *pr = &probes[i];
        if (pr->state == RVPROBE_ARMED && pr->def.space == (uint64_t)parent)
            uvm_fill(child->pagetable, pr->def.addr, pr->orig, pr->insn.len);
    }
    for (int i = 0; i < UPROBE_MAX; i++) {
        struct rvprobe *pr = &probes[i];
        if (pr->state != RVPROBE_ARMED || pr->def.space != (uint64_t)parent)
            continue;
        int id = arm_in(child, (struct spec *)pr->def.arg);
        if (pr->def.kind != RVPROBE_KRETPROBE)
            continue;
        /* The child returns through the same frames: its own instances. */
        struct rvprobe_ri *to = id >= 0 ? probes[id].def.pool : 0;
        for (unsigned j = 0, k = 0; j < pr->def.pool_size && k < URETPROBE_INSTANCES; j++) {
            struct rvprobe_ri ri = pr->def.pool[j];
            if (!ri.used || ri.task != (uint64_t)parent)
                continue;
            inflight[ninflight++] = (struct inflight){ri.sp, ri.ret_addr, to != 0};
            unhook |= !to;
            ri.task = ri.space = (uint64_t)child;
            if (to)
                to[k++] = ri;
        }
    }
    if (unhook)
        unhook_child(child, parent->trapframe->sp, inflight, ninflight); /* the child's sp too */
    asm volatile("fence.i" ::: "memory");
    sbi_remote_fence_i_all(); /* the other harts too (RFENCE) */
    release(&uprobe_lock);
}

void uprobe_free(struct proc *p)
{
    if (!ready)
        return;
    acquire(&uprobe_lock);
    rvprobe_space_gone(&table, (uint64_t)p);
    release(&uprobe_lock);
}

/* Detached uretprobes of p's space with returns in flight are freed after
 * their last return.  One return
 * resolves every uretprobe sharing the function (the engine's table.c), so
 * all of them are looked at, not only the hit's. */
static void release_returned(struct proc *p)
{
    for (int i = 0; i < UPROBE_MAX; i++) {
        struct rvprobe *pr = &probes[i];
        if (__atomic_load_n(&pr->state, __ATOMIC_ACQUIRE) == RVPROBE_DISARMED &&
            pr->def.space == (uint64_t)p && pr->def.kind == RVPROBE_KRETPROBE)
            rvprobe_release(&table, i); /* RVPROBE_EBUSY while others are in flight */
    }
}

int uprobe_on_break(struct proc *p)
{
    if (!ready)
        return 0;
    /* The trap frame holds x1..x31 in order (include/osdbg/trapframe.h),
     * as struct rvprobe_regs does after its pc. */
    struct rvprobe_regs regs;
    regs.pc = p->trapframe->epc;
    memcpy(&regs.ra, &p->trapframe->ra, 31 * sizeof(uint64_t));
    struct rvprobe_hit hit;
    if (rvprobe_on_break(&table, (uint64_t)p, &regs, &hit) != 1) {
        /* The break ending a slot whose probe another hart released while
         * this process ran it: the slot is retired, not reused, so its
         * instruction was the probed one; continue after the original. */
        if (!p->uprobe_step_break || p->trapframe->epc != p->uprobe_step_break)
            return 0;
        p->trapframe->epc = p->uprobe_step_resume;
        p->uprobe_step_break = p->uprobe_step_resume = 0;
        return 1;
    }
    p->trapframe->epc = regs.pc;
    memcpy(&p->trapframe->ra, &regs.ra, 31 * sizeof(uint64_t));
    if (hit.kind == RVPROBE_HIT_STEP) {
        /* (from the hit, not from probes[hit.id]: another hart may have
         * released and reused that entry since) */
        p->uprobe_step_break = hit.slot_break;
        p->uprobe_step_resume = hit.resume;
    } else if (hit.kind == RVPROBE_HIT_SLOT_RETURN) {
        p->uprobe_step_break = p->uprobe_step_resume = 0;
    }
    if (hit.kind == RVPROBE_HIT_RETURN)
        release_returned(p);
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
