/*
 * table.c - the probe table: arm, disarm, release, and the breakpoint trap.
 *
 * A hit on an armed probe goes one of two ways:
 *
 *   SIMULATE  break at addr -> handlers -> rvprobe_simulate_insn -> pc = result
 *             (one trap)
 *   STEP      break at addr -> handlers -> pc = slot
 *             slot: <insn> <ebreak> -> break at slot+len -> pc = addr+len
 *             (two traps)
 *
 * The slot is per probe and holds no per-hit state: the address of the break
 * that ends it names the probe, so a task preempted between the two traps,
 * or several harts stepping the same slot at once, need no bookkeeping.
 *
 * Several harts (rvprobe.h, "Several harts"): updates hold the port's
 * lock; hits hold none.  An entry is filled while FREE and published by a
 * release store of its state; a hit loads the state with acquire before
 * anything else.  Entries are freed only after rvprobe_sync, so no hit
 * still reads them.  A hart that trapped on a break its probe lost before
 * the hit looked (another hart disarmed and released it in between) finds
 * no entry and no break at pc any more: it runs the instruction again.
 *
 * Several probes at one address (kprobes and kretprobes alike, at most
 * RVPROBE_MAX_SHARED): one break, several entries.  The first one armed
 * there reads the original bytes, fills the slot and writes the break; the
 * others copy its bytes, decoded instruction and slot and write nothing.  A
 * hit runs every armed entry's pre handler in table order, then takes an
 * instance for each kretprobe among them, then executes the instruction
 * once.  Disarming one that others share leaves the break; the last one
 * restores the bytes.  The slot is freed with the last entry naming it.
 * (Linux does the same with its aggregate kprobes, kernel/kprobes.c.)
 *
 * Kretprobes hijack the return address at the function's first
 * instruction: ra is saved in an instance from the embedder's pool and
 * replaced by the space's trampoline (an ebreak).  The return lands on the
 * trampoline; the instance of the current task whose entry sp equals the sp
 * now (the callee restored it) gives the real return address.  Recursion
 * and tail calls work because sp identifies the frame; ties go to the newest.
 * The kretprobes of one address hijack ra once: their instances of one hit
 * share a sequence number and the real return address, and the return at
 * the trampoline resolves them all (each return handler runs once).
 */
#include "internal.h"
#include <stdbool.h>

static void lock(struct rvprobe_table *t)
{
    if (t->port->lock)
        t->port->lock(t->port->ctx);
}

static void unlock(struct rvprobe_table *t)
{
    if (t->port->unlock)
        t->port->unlock(t->port->ctx);
}

static uint8_t state_of(const struct rvprobe *p)
{
    return __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
}

static void set_state(struct rvprobe *p, uint8_t state)
{
    __atomic_store_n(&p->state, state, __ATOMIC_RELEASE);
}

static unsigned live_end(const struct rvprobe_table *t)
{
    return __atomic_load_n(&t->live_end, __ATOMIC_ACQUIRE);
}

/* ---- harts inside the engine (rvprobe.h, "Several harts") ---- */

#define DEPTH_MASK RVPROBE_HART_DEPTH_MASK

static struct rvprobe_hart *my_hart(struct rvprobe_table *t)
{
    if (!t->nharts)
        return 0;
    unsigned h = t->port->hart(t->port->ctx);
    return h < t->nharts ? &t->harts[h] : 0;
}

/* Only this hart writes its word; others read it.  The fence orders the
   store before the hit's loads of the table, against rvprobe_sync's fence
   between the updater's stores and its loads of the words (store-load
   order on both sides, or each could miss the other). */
static inline __attribute__((always_inline)) void hart_enter(struct rvprobe_hart *h)
{
    if (!h)
        return;
    __atomic_store_n(&h->busy, h->busy + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline __attribute__((always_inline)) void hart_leave(struct rvprobe_hart *h, unsigned n)
{
    if (!h || !n)
        return;
    if ((h->busy & DEPTH_MASK) < n)
        n = (unsigned)(h->busy & DEPTH_MASK); /* never below 0 */
    uint64_t b = h->busy - n;
    if ((b & DEPTH_MASK) == 0)
        b += DEPTH_MASK + 1; /* back at depth 0: one more pass */
    __atomic_store_n(&h->busy, b, __ATOMIC_RELEASE);
}

int rvprobe_table_set_harts(struct rvprobe_table *t, struct rvprobe_hart *harts, unsigned n)
{
    if (!t || !harts || !n || !t->port->hart)
        return RVPROBE_EINVAL;
    for (unsigned i = 0; i < n; i++)
        rvp_zero(&harts[i], sizeof harts[i]);
    t->harts = harts;
    t->nharts = n;
    return 0;
}

void rvprobe_sync(struct rvprobe_table *t)
{
    if (!t || !t->nharts)
        return;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    struct rvprobe_hart *me = my_hart(t);
    for (unsigned i = 0; i < t->nharts; i++) {
        struct rvprobe_hart *h = &t->harts[i];
        uint64_t b = __atomic_load_n(&h->busy, __ATOMIC_ACQUIRE);
        if (h == me || (b & DEPTH_MASK) == 0)
            continue;
        /* Inside: wait until it is back at depth 0 (a later pass counts too). */
        for (;;) {
            uint64_t now = __atomic_load_n(&h->busy, __ATOMIC_ACQUIRE);
            if ((now & DEPTH_MASK) == 0 || (now >> 16) != (b >> 16))
                break;
        }
    }
}

/* Entries from t->live_end on are all FREE: the scans of a hit (and the
   others that look for used entries) stop there, so a table with a few
   probes costs a few comparisons per break rather than one per entry.
   Called whenever an entry becomes FREE. */
static void shrink_live(struct rvprobe_table *t)
{
    unsigned end = t->live_end;
    while (end > 0 && state_of(&t->probes[end - 1]) == RVPROBE_FREE)
        end--;
    __atomic_store_n(&t->live_end, end, __ATOMIC_RELEASE);
}

static int valid_id(const struct rvprobe_table *t, int id)
{
    return t && id >= 0 && (unsigned)id < t->nprobes;
}

int rvprobe_table_init(struct rvprobe_table *t, const struct rvprobe_port *port, unsigned xlen,
                       struct rvprobe *probes, unsigned nprobes)
{
    if (!t || !port || !probes || !nprobes || (xlen != 32 && xlen != 64) || !port->read ||
        !port->write_text)
        return RVPROBE_EINVAL;
    for (unsigned i = 0; i < nprobes; i++)
        rvp_zero(&probes[i], sizeof probes[i]);
    *t = (struct rvprobe_table){.port = port, .xlen = xlen, .probes = probes, .nprobes = nprobes};
    return 0;
}

/* Inline: every hit looks its break up here first (issue 21). */
static inline __attribute__((always_inline)) int armed_at(const struct rvprobe_table *t, uint64_t space,
                                                          uint64_t addr)
{
    for (unsigned i = 0, end = live_end(t); i < end; i++) {
        const struct rvprobe *p = &t->probes[i];
        if (state_of(p) == RVPROBE_ARMED && p->def.space == space && p->def.addr == addr)
            return (int)i;
    }
    return -1;
}

/* How many entries are armed at (space, addr), `except` aside (port lock). */
static unsigned armed_count(const struct rvprobe_table *t, uint64_t space, uint64_t addr,
                            const struct rvprobe *except)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->live_end; i++) {
        const struct rvprobe *p = &t->probes[i];
        n += p != except && p->state == RVPROBE_ARMED && p->def.space == space &&
             p->def.addr == addr;
    }
    return n;
}

/* Arms entry p at an address where `owner` is armed: the break, the
   original bytes and the slot are already there (port lock held). */
static void share_with(struct rvprobe_table *t, struct rvprobe *p, const struct rvprobe *owner)
{
    for (unsigned i = 0; i < sizeof p->orig; i++)
        p->orig[i] = owner->orig[i];
    p->insn = owner->insn;
    p->slot = owner->slot;
    p->slot_size = owner->slot_size;
    p->joined = 1;
    __atomic_store_n(&t->joined, t->joined + 1, __ATOMIC_RELEASE);
    unsigned id = (unsigned)(p - t->probes);
    if (id >= t->live_end)
        __atomic_store_n(&t->live_end, id + 1, __ATOMIC_RELEASE);
    set_state(p, RVPROBE_ARMED); /* publishes the complete entry */
}

/* Decodes lengths forward from func_start through the port; *len gets the
   length of the instruction at addr. */
static int walk(struct rvprobe_table *t, const struct rvprobe_def *def, unsigned *len)
{
    const struct rvprobe_port *port = t->port;
    uint64_t pc = def->func_start;
    uint8_t b[2];
    for (;;) {
        if (port->read(port->ctx, def->space, pc, b, 2) < 0)
            return RVPROBE_EPORT;
        unsigned n = rvprobe_insn_len((uint16_t)rvp_le(b, 2));
        if (pc == def->addr) {
            *len = n;
            return 0;
        }
        if (n == 0)
            return RVPROBE_ENOTBOUNDARY; /* lengths past here are unknowable */
        pc += n;
        if (pc > def->addr)
            return RVPROBE_ENOTBOUNDARY;
    }
}

static int refused(struct rvprobe_table *t, struct rvprobe *p, const char *why)
{
    t->reason = why;
    if (p)
        p->reason = why;
    return RVPROBE_EREFUSED;
}

int rvprobe_arm(struct rvprobe_table *t, const struct rvprobe_def *def)
{
    if (!t || !def)
        return RVPROBE_EINVAL;
    const struct rvprobe_port *port = t->port;
    t->reason = 0;
    if (def->kind != RVPROBE_KPROBE && def->kind != RVPROBE_KRETPROBE)
        return RVPROBE_EINVAL;
    if (def->addr < def->func_start || def->addr - def->func_start >= RVPROBE_MAX_FUNC)
        return RVPROBE_ERANGE;
    if (def->kind == RVPROBE_KRETPROBE) {
        if (def->addr != def->func_start)
            return refused(t, 0, "a return probe must sit on the function's first instruction");
        if (!def->pool || !def->pool_size)
            return RVPROBE_EINVAL;
        if (!port->current_task || !port->trampoline || !port->trampoline(port->ctx, def->space))
            return refused(t, 0, "no return trampoline in this address space");
    }
    if (port->forbidden) {
        const char *why = port->forbidden(port->ctx, def->space, def->addr);
        if (why)
            return refused(t, 0, why);
    }

    lock(t);
    int id = -1, err;
    if (rvprobe_fixup_pc(t, def->space, def->addr) != def->addr ||
        (port->trampoline && port->trampoline(port->ctx, def->space) == def->addr)) {
        err = refused(t, 0, "the probe engine's own slot or return trampoline");
        goto out;
    }
    int owner = armed_at(t, def->space, def->addr);
    if (owner >= 0 && armed_count(t, def->space, def->addr, 0) >= RVPROBE_MAX_SHARED) {
        err = RVPROBE_EEXIST;
        goto out;
    }
    for (unsigned i = 0; i < t->nprobes && id < 0; i++)
        if (t->probes[i].state == RVPROBE_FREE)
            id = (int)i;
    if (id < 0) {
        err = RVPROBE_ENOSPC;
        goto out;
    }
    struct rvprobe *p = &t->probes[id];
    rvp_zero(p, sizeof *p);
    p->def = *def;
    if (def->kind == RVPROBE_KRETPROBE)
        for (unsigned i = 0; i < def->pool_size; i++)
            def->pool[i] = (struct rvprobe_ri){0};
    if (owner >= 0) {
        share_with(t, p, &t->probes[owner]);
        unlock(t);
        return id;
    }

    unsigned len = 0;
    if ((err = walk(t, def, &len)) < 0)
        goto fail;
    if (len != 2 && len != 4) {
        err = refused(t, p, "instruction longer than 32 bits: not supported");
        goto fail;
    }
    if (port->read(port->ctx, def->space, def->addr, p->orig, len) < 0) {
        err = RVPROBE_EPORT;
        goto fail;
    }
    if (rvprobe_decode(rvp_le(p->orig, len), len, t->xlen, &p->insn) == RVPROBE_REFUSE) {
        err = refused(t, p, p->insn.reason);
        goto fail;
    }

    if (p->insn.cls == RVPROBE_STEP) {
        uint8_t buf[RVPROBE_SLOT_SIZE];
        int size = rvprobe_prepare_slot_xlen(p->insn.raw, len, t->xlen, buf);
        if (size < 0) {
            err = size;
            goto fail;
        }
        if (!port->slot_alloc ||
            port->slot_alloc(port->ctx, def->space, (unsigned)size, &p->slot) < 0 || !p->slot) {
            p->slot = 0;
            err = RVPROBE_ENOSPC;
            goto fail;
        }
        p->slot_size = (uint8_t)size;
        if (port->write_text(port->ctx, def->space, p->slot, buf, (unsigned)size) < 0) {
            err = RVPROBE_EPORT;
            goto fail;
        }
    }

    /* The entry is complete before the break is visible: another hart may
       hit it the moment write_text returns. */
    uint8_t brk[4];
    rvprobe_break_bytes(len, brk);
    if ((unsigned)id >= t->live_end)
        __atomic_store_n(&t->live_end, (unsigned)id + 1, __ATOMIC_RELEASE);
    set_state(p, RVPROBE_ARMED); /* publishes the complete entry */
    if (port->write_text(port->ctx, def->space, def->addr, brk, len) < 0) {
        err = RVPROBE_EPORT;
        goto fail;
    }
    unlock(t);
    return id;

fail:
    if (p->slot && port->slot_free)
        port->slot_free(port->ctx, def->space, p->slot);
    const char *why = p->reason;
    rvp_zero(p, sizeof *p);
    p->reason = why; /* kept so the embedder can show it */
    shrink_live(t);
out:
    unlock(t);
    return err;
}

int rvprobe_disarm(struct rvprobe_table *t, int id)
{
    if (!valid_id(t, id))
        return RVPROBE_EINVAL;
    lock(t);
    struct rvprobe *p = &t->probes[id];
    int err = 0;
    if (p->state != RVPROBE_ARMED)
        err = RVPROBE_ESTATE;
    else if (armed_count(t, p->def.space, p->def.addr, p) > 0)
        set_state(p, RVPROBE_DISARMED); /* the others keep the break */
    else if (t->port->write_text(t->port->ctx, p->def.space, p->def.addr, p->orig, p->insn.len) < 0)
        err = RVPROBE_EPORT;
    else
        set_state(p, RVPROBE_DISARMED); /* hits that trapped before the restore retry */
    unlock(t);
    return err;
}

static unsigned in_flight_atomic(const struct rvprobe *p)
{
    unsigned n = 0;
    if (p->def.kind == RVPROBE_KRETPROBE)
        for (unsigned i = 0; i < p->def.pool_size; i++)
            n += __atomic_load_n(&p->def.pool[i].used, __ATOMIC_ACQUIRE) != 0;
    return n;
}

/* The state goes FREE first: a hit scanning past sees a free entry, never
   a half-zeroed armed one. */
static bool slot_shared(const struct rvprobe_table *t, const struct rvprobe *p)
{
    for (unsigned i = 0; i < t->live_end; i++) {
        const struct rvprobe *q = &t->probes[i];
        if (q != p && q->state != RVPROBE_FREE && q->def.space == p->def.space &&
            q->slot == p->slot)
            return true;
    }
    return false;
}

static void free_entry(struct rvprobe_table *t, struct rvprobe *p)
{
    if (p->slot && t->port->slot_free && !slot_shared(t, p))
        t->port->slot_free(t->port->ctx, p->def.space, p->slot);
    if (p->joined)
        __atomic_store_n(&t->joined, t->joined - 1, __ATOMIC_RELEASE);
    set_state(p, RVPROBE_FREE);
    rvp_zero(p, sizeof *p);
    shrink_live(t);
}

int rvprobe_release(struct rvprobe_table *t, int id)
{
    if (!valid_id(t, id))
        return RVPROBE_EINVAL;
    struct rvprobe *p = &t->probes[id];
    lock(t);
    int err = state_of(p) != RVPROBE_DISARMED ? RVPROBE_ESTATE : 0;
    unlock(t);
    if (err)
        return err;
    /* The break is gone from memory (disarm restored it and fenced every
       hart's instruction fetch): once the harts inside now have left, no
       hit can reach the entry or its slot again. */
    rvprobe_sync(t);
    lock(t);
    if (state_of(p) != RVPROBE_DISARMED)
        err = RVPROBE_ESTATE;
    else if (in_flight_atomic(p))
        err = RVPROBE_EBUSY;
    else
        free_entry(t, p);
    unlock(t);
    return err;
}

/* An instance is free again: its fields first, then `used`, so a hart
   taking it (compare-and-swap on used) finds it clean. */
static void free_instance(struct rvprobe_ri *ri)
{
    ri->task = ri->space = ri->ret_addr = ri->sp = ri->seq = 0;
    __atomic_store_n(&ri->used, 0, __ATOMIC_RELEASE);
}

void rvprobe_task_gone(struct rvprobe_table *t, uint64_t task)
{
    if (!t)
        return;
    lock(t);
    for (unsigned i = 0; i < t->live_end; i++) {
        struct rvprobe *p = &t->probes[i];
        if (p->state == RVPROBE_FREE || p->def.kind != RVPROBE_KRETPROBE)
            continue;
        for (unsigned j = 0; j < p->def.pool_size; j++)
            if (p->def.pool[j].used && p->def.pool[j].task == task)
                free_instance(&p->def.pool[j]);
    }
    unlock(t);
}

void rvprobe_space_gone(struct rvprobe_table *t, uint64_t space)
{
    if (!t || space == RVPROBE_KERNEL_SPACE)
        return;
    /* No sync: a space's hits come from its own task, which is exiting or
       exec'ing on this hart. */
    lock(t);
    for (unsigned i = 0; i < t->live_end; i++) {
        struct rvprobe *p = &t->probes[i];
        if (p->state != RVPROBE_FREE && p->def.space == space)
            free_entry(t, p); /* nothing to restore: the memory is gone */
    }
    unlock(t);
}

/* The kretprobe instance a return at the trampoline belongs to. */
static struct rvprobe_ri *find_return(struct rvprobe_table *t, uint64_t space, uint64_t task,
                                      uint64_t sp, struct rvprobe **owner)
{
    struct rvprobe_ri *best = 0;
    int best_sp = 0;
    /* Only this task (running here) makes or frees its own instances;
       other harts' compare-and-swaps take free ones and fill them with
       their tasks, which never equal this one. */
    for (unsigned i = 0, end = live_end(t); i < end; i++) {
        struct rvprobe *p = &t->probes[i];
        if (state_of(p) == RVPROBE_FREE || p->def.kind != RVPROBE_KRETPROBE ||
            p->def.space != space)
            continue;
        for (unsigned j = 0; j < p->def.pool_size; j++) {
            struct rvprobe_ri *ri = &p->def.pool[j];
            if (!__atomic_load_n(&ri->used, __ATOMIC_ACQUIRE) || ri->task != task ||
                ri->space != space)
                continue;
            int sp_ok = ri->sp == sp;
            if (!best || sp_ok > best_sp || (sp_ok == best_sp && ri->seq > best->seq)) {
                best = ri;
                best_sp = sp_ok;
                *owner = p;
            }
        }
    }
    return best;
}

/* Takes an instance of kretprobe p for this call, whose real return
   address is ret_addr; the instances of one hit share seq.  false when the
   pool is exhausted (the return goes unseen). */
static bool hijack(struct rvprobe_table *t, struct rvprobe *p, const struct rvprobe_regs *regs,
                   uint64_t ret_addr, uint64_t seq)
{
    const struct rvprobe_port *port = t->port;
    for (unsigned i = 0; i < p->def.pool_size; i++) {
        struct rvprobe_ri *ri = &p->def.pool[i];
        uint32_t free = 0;
        /* Harts hitting the probe at once each take a different instance. */
        if (__atomic_load_n(&ri->used, __ATOMIC_RELAXED) ||
            !__atomic_compare_exchange_n(&ri->used, &free, 1, 0, __ATOMIC_ACQUIRE,
                                         __ATOMIC_RELAXED))
            continue;
        ri->space = p->def.space;
        ri->ret_addr = ret_addr;
        ri->sp = regs->sp;
        ri->seq = seq;
        __atomic_store_n(&ri->task, port->current_task(port->ctx), __ATOMIC_RELEASE);
        return true;
    }
    __atomic_fetch_add(&p->missed, 1, __ATOMIC_RELAXED); /* pool exhausted: return unseen */
    return false;
}

static bool same_place(const struct rvprobe *p, uint64_t space, uint64_t addr)
{
    return state_of(p) == RVPROBE_ARMED && p->def.space == space && p->def.addr == addr;
}

/* The handlers of a break of the armed entries at p's address, p the
   first of them, when some entry joined another: every pre handler (a
   non-zero one ends the hit, as Linux's aggregate probes), then the
   kretprobes' instances with one hijack of ra.  1: skipped (hit filled
   in).  Out of line: the hit of a lone probe stays as short as before. */
static __attribute__((noinline)) int run_shared(struct rvprobe_table *t, struct rvprobe *p,
                                                struct rvprobe_regs *regs, struct rvprobe_hit *hit)
{
    uint64_t space = p->def.space, addr = p->def.addr;
    unsigned end = live_end(t);
    bool any_ret = false;
    for (struct rvprobe *q = p; q < t->probes + end; q++) {
        if (q != p && !same_place(q, space, addr))
            continue;
        __atomic_fetch_add(&q->hits, 1, __ATOMIC_RELAXED);
        /* An embedder may clear a handler of a detached probe (uprobe.c): one load each. */
        rvprobe_pre_fn pre = __atomic_load_n(&q->def.pre, __ATOMIC_ACQUIRE);
        if (pre && pre(q, regs, __atomic_load_n(&q->def.arg, __ATOMIC_RELAXED))) {
            hit->kind = RVPROBE_HIT_SKIPPED;
            hit->id = (int)(q - t->probes);
            return 1;
        }
        any_ret |= q->def.kind == RVPROBE_KRETPROBE;
    }
    if (any_ret) {
        uint64_t ret_addr = regs->ra, seq = __atomic_add_fetch(&t->ri_seq, 1, __ATOMIC_RELAXED);
        bool took = false;
        for (struct rvprobe *q = p; q < t->probes + end; q++)
            if ((q == p || same_place(q, space, addr)) && q->def.kind == RVPROBE_KRETPROBE)
                took |= hijack(t, q, regs, ret_addr, seq);
        if (took)
            regs->ra = t->port->trampoline(t->port->ctx, space);
    }
    return 0;
}

/* A break of an armed probe p (the first armed at its address): its
   handlers (or, where probes share the address, all of theirs), then the
   instruction, once. */
static inline __attribute__((always_inline)) int hit_probe(struct rvprobe_table *t, struct rvprobe *p,
                                                           struct rvprobe_regs *regs, struct rvprobe_hit *hit)
{
    if (__atomic_load_n(&t->joined, __ATOMIC_ACQUIRE)) {
        if (run_shared(t, p, regs, hit))
            return 1;
    } else {
        __atomic_fetch_add(&p->hits, 1, __ATOMIC_RELAXED);
        /* An embedder may clear a handler of a detached probe (uprobe.c): one load each. */
        rvprobe_pre_fn pre = __atomic_load_n(&p->def.pre, __ATOMIC_ACQUIRE);
        if (pre && pre(p, regs, __atomic_load_n(&p->def.arg, __ATOMIC_RELAXED))) {
            hit->kind = RVPROBE_HIT_SKIPPED;
            return 1;
        }
        if (p->def.kind == RVPROBE_KRETPROBE &&
            hijack(t, p, regs, regs->ra, __atomic_add_fetch(&t->ri_seq, 1, __ATOMIC_RELAXED)))
            regs->ra = t->port->trampoline(t->port->ctx, p->def.space);
    }
    if (p->insn.cls == RVPROBE_SIMULATE) {
        /* decoded when armed; a call (jal) and a function entry's
           addi sp inline, the rest in execute.c */
        if (t->xlen == 64 && (p->insn.op == RVPROBE_OP_JAL || p->insn.op == RVPROBE_OP_C_J))
            rvp_jump64(&p->insn, regs);
        else if (t->xlen == 64 && rvp_is_addi_op(p->insn.op))
            rvp_addi64(&p->insn, regs);
        else
            rvprobe_simulate_insn(&p->insn, t->xlen, regs);
        hit->kind = RVPROBE_HIT_SIMULATED;
    } else {
        regs->pc = p->slot;
        hit->kind = RVPROBE_HIT_STEP;
        hit->slot_break = p->slot + p->insn.len;
        hit->resume = p->def.addr + p->insn.len;
    }
    return 1;
}

/* A return whose hit took only ri (no entry joined another). */
static void return_one(struct rvprobe *p, struct rvprobe_ri *ri, struct rvprobe_regs *regs)
{
    uint64_t entry_sp = ri->sp;
    free_instance(ri);
    __atomic_fetch_add(&p->ret_hits, 1, __ATOMIC_RELAXED);
    rvprobe_ret_fn ret = __atomic_load_n(&p->def.ret, __ATOMIC_ACQUIRE);
    if (ret)
        ret(p, regs, entry_sp, __atomic_load_n(&p->def.arg, __ATOMIC_RELAXED));
}

/* The return of one hit: every instance it took (one per kretprobe at
   that address, sharing seq) is freed and its handler runs, in table
   order, with regs->pc already the real return address. */
static __attribute__((noinline)) void return_all(struct rvprobe_table *t, uint64_t space, uint64_t task, uint64_t seq,
                       uint64_t entry_sp, struct rvprobe_regs *regs)
{
    for (unsigned i = 0, end = live_end(t); i < end; i++) {
        struct rvprobe *p = &t->probes[i];
        if (state_of(p) == RVPROBE_FREE || p->def.kind != RVPROBE_KRETPROBE ||
            p->def.space != space)
            continue;
        for (unsigned j = 0; j < p->def.pool_size; j++) {
            struct rvprobe_ri *ri = &p->def.pool[j];
            if (!__atomic_load_n(&ri->used, __ATOMIC_ACQUIRE) || ri->task != task ||
                ri->space != space || ri->seq != seq)
                continue;
            free_instance(ri);
            __atomic_fetch_add(&p->ret_hits, 1, __ATOMIC_RELAXED);
            rvprobe_ret_fn ret = __atomic_load_n(&p->def.ret, __ATOMIC_ACQUIRE);
            if (ret)
                ret(p, regs, entry_sp, __atomic_load_n(&p->def.arg, __ATOMIC_RELAXED));
        }
    }
}

/* Is there still a break instruction at pc?  (If not, the probe that put
   it there was removed after this hart trapped on it.)  1, 0, or -1 when
   pc cannot be read. */
static int break_at(struct rvprobe_table *t, uint64_t space, uint64_t pc)
{
    uint8_t b[4];
    if (t->port->read(t->port->ctx, space, pc, b, 2) < 0)
        return -1;
    unsigned n = rvprobe_insn_len((uint16_t)rvp_le(b, 2));
    if (n == 2)
        return rvp_le(b, 2) == RVPROBE_C_EBREAK;
    if (n != 4 || t->port->read(t->port->ctx, space, pc, b, 4) < 0)
        return n == 4 ? -1 : 0;
    return rvp_le(b, 4) == RVPROBE_EBREAK;
}

/* Inline (with the hart's word and hit_probe): a hit's engine is one
   function call (issue 21). */
static inline __attribute__((always_inline)) int lookup_break(struct rvprobe_table *t, uint64_t space,
                                                              struct rvprobe_regs *regs,
                                                              struct rvprobe_hit *hit)
{
    uint64_t pc = regs->pc;
    int id = armed_at(t, space, pc);
    if (id >= 0) {
        hit->id = id;
        return hit_probe(t, &t->probes[id], regs, hit);
    }
    unsigned end = live_end(t);
    for (unsigned i = 0; i < end; i++) {
        struct rvprobe *p = &t->probes[i];
        if (state_of(p) != RVPROBE_FREE && p->slot && p->def.space == space &&
            pc == p->slot + p->insn.len) {
            /* the break that ends a slot: continue after the original */
            regs->pc = p->def.addr + p->insn.len;
            hit->kind = RVPROBE_HIT_SLOT_RETURN;
            hit->id = (int)i;
            return 1;
        }
    }
    for (unsigned i = 0; i < end; i++) {
        struct rvprobe *p = &t->probes[i];
        if (state_of(p) == RVPROBE_DISARMED && p->def.space == space && p->def.addr == pc) {
            /* this hart took the break just before another one restored the
               original bytes: run the instruction again */
            hit->kind = RVPROBE_HIT_RETRY;
            hit->id = (int)i;
            return 1;
        }
    }
    const struct rvprobe_port *port = t->port;
    if (port->trampoline && port->current_task) {
        uint64_t tramp = port->trampoline(port->ctx, space);
        if (tramp && pc == tramp) {
            struct rvprobe *p = 0;
            uint64_t task = port->current_task(port->ctx);
            struct rvprobe_ri *ri = find_return(t, space, task, regs->sp, &p);
            if (!ri)
                return RVPROBE_ESTATE; /* a return with no record: cannot continue */
            regs->pc = ri->ret_addr;
            if (__atomic_load_n(&t->joined, __ATOMIC_ACQUIRE))
                return_all(t, space, task, ri->seq, ri->sp, regs);
            else
                return_one(p, ri, regs);
            hit->kind = RVPROBE_HIT_RETURN;
            hit->id = (int)(p - t->probes);
            return 1;
        }
    }
    /* Not in the table, but the break is gone: its probe was disarmed and
       released by another hart between this hart's trap and now. */
    if (break_at(t, space, pc) == 0) {
        hit->kind = RVPROBE_HIT_RETRY;
        return 1;
    }
    return 0;
}

static inline __attribute__((always_inline)) int on_break(struct rvprobe_table *t, struct rvprobe_hart *h,
                                                          uint64_t space, struct rvprobe_regs *regs,
                                                          struct rvprobe_hit *hit)
{
    hart_enter(h);
    int ret = lookup_break(t, space, regs, hit);
    hit->pc = regs->pc;
    /* A kernel STEP hit stays inside until its slot's break (interrupts are
       off in a kernel slot, see rvprobe.h): that hit then leaves for both. */
    unsigned leave = 1;
    if (space == RVPROBE_KERNEL_SPACE && hit->kind == RVPROBE_HIT_STEP)
        leave = 0;
    else if (space == RVPROBE_KERNEL_SPACE && hit->kind == RVPROBE_HIT_SLOT_RETURN)
        leave = 2;
    hart_leave(h, leave);
    return ret;
}

int rvprobe_on_break(struct rvprobe_table *t, uint64_t space, struct rvprobe_regs *regs,
                     struct rvprobe_hit *hit)
{
    struct rvprobe_hit dummy;
    if (!hit)
        hit = &dummy;
    *hit = (struct rvprobe_hit){.kind = RVPROBE_HIT_NONE, .id = -1};
    if (!t || !regs)
        return RVPROBE_EINVAL;
    return on_break(t, my_hart(t), space, regs, hit);
}

int rvprobe_on_break_hart(struct rvprobe_table *t, unsigned hart, uint64_t space,
                          struct rvprobe_regs *regs, struct rvprobe_hit *hit)
{
    hit->kind = RVPROBE_HIT_NONE;
    hit->id = -1;
    return on_break(t, hart < t->nharts ? &t->harts[hart] : 0, space, regs, hit);
}

uint64_t rvprobe_fixup_pc(const struct rvprobe_table *t, uint64_t space, uint64_t pc)
{
    if (!t)
        return pc;
    for (unsigned i = 0; i < t->live_end; i++) {
        const struct rvprobe *p = &t->probes[i];
        if (p->state != RVPROBE_FREE && p->slot && p->def.space == space && pc >= p->slot &&
            pc < p->slot + p->slot_size)
            return p->def.addr + (pc - p->slot);
    }
    return pc;
}
