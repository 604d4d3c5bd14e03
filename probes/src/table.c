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
 * Kretprobes hijack the return address at the function's first
 * instruction: ra is saved in an instance from the embedder's pool and
 * replaced by the space's trampoline (an ebreak).  The return lands on the
 * trampoline; the instance of the current task whose entry sp equals the sp
 * now (the callee restored it) gives the real return address.  Recursion
 * and tail calls work because sp identifies the frame; ties go to the newest.
 */
#include "internal.h"

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

/* Entries from t->live_end on are all FREE: the scans of a hit (and the
   others that look for used entries) stop there, so a table with a few
   probes costs a few comparisons per break rather than one per entry.
   Called whenever an entry becomes FREE. */
static void shrink_live(struct rvprobe_table *t)
{
    while (t->live_end > 0 && t->probes[t->live_end - 1].state == RVPROBE_FREE)
        t->live_end--;
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

static int armed_at(const struct rvprobe_table *t, uint64_t space, uint64_t addr)
{
    for (unsigned i = 0; i < t->live_end; i++) {
        const struct rvprobe *p = &t->probes[i];
        if (p->state == RVPROBE_ARMED && p->def.space == space && p->def.addr == addr)
            return (int)i;
    }
    return -1;
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
    if (armed_at(t, def->space, def->addr) >= 0) {
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
    if (def->kind == RVPROBE_KRETPROBE)
        for (unsigned i = 0; i < def->pool_size; i++)
            def->pool[i] = (struct rvprobe_ri){0};

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
        t->live_end = (unsigned)id + 1;
    p->state = RVPROBE_ARMED;
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
    else if (t->port->write_text(t->port->ctx, p->def.space, p->def.addr, p->orig, p->insn.len) < 0)
        err = RVPROBE_EPORT;
    else
        p->state = RVPROBE_DISARMED;
    unlock(t);
    return err;
}

static unsigned in_flight(const struct rvprobe *p)
{
    unsigned n = 0;
    if (p->def.kind == RVPROBE_KRETPROBE)
        for (unsigned i = 0; i < p->def.pool_size; i++)
            n += p->def.pool[i].used;
    return n;
}

static void free_entry(struct rvprobe_table *t, struct rvprobe *p)
{
    if (p->slot && t->port->slot_free)
        t->port->slot_free(t->port->ctx, p->def.space, p->slot);
    rvp_zero(p, sizeof *p);
    shrink_live(t);
}

int rvprobe_release(struct rvprobe_table *t, int id)
{
    if (!valid_id(t, id))
        return RVPROBE_EINVAL;
    lock(t);
    struct rvprobe *p = &t->probes[id];
    int err = 0;
    if (p->state != RVPROBE_DISARMED)
        err = RVPROBE_ESTATE;
    else if (in_flight(p))
        err = RVPROBE_EBUSY;
    else
        free_entry(t, p);
    unlock(t);
    return err;
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
                p->def.pool[j] = (struct rvprobe_ri){0};
    }
    unlock(t);
}

void rvprobe_space_gone(struct rvprobe_table *t, uint64_t space)
{
    if (!t || space == RVPROBE_KERNEL_SPACE)
        return;
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
    for (unsigned i = 0; i < t->live_end; i++) {
        struct rvprobe *p = &t->probes[i];
        if (p->state == RVPROBE_FREE || p->def.kind != RVPROBE_KRETPROBE || p->def.space != space)
            continue;
        for (unsigned j = 0; j < p->def.pool_size; j++) {
            struct rvprobe_ri *ri = &p->def.pool[j];
            if (!ri->used || ri->task != task || ri->space != space)
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

static void hijack(struct rvprobe_table *t, struct rvprobe *p, struct rvprobe_regs *regs)
{
    const struct rvprobe_port *port = t->port;
    for (unsigned i = 0; i < p->def.pool_size; i++) {
        struct rvprobe_ri *ri = &p->def.pool[i];
        if (ri->used)
            continue;
        *ri = (struct rvprobe_ri){.used = 1,
                                  .task = port->current_task(port->ctx),
                                  .space = p->def.space,
                                  .ret_addr = regs->ra,
                                  .sp = regs->sp,
                                  .seq = ++t->ri_seq};
        regs->ra = port->trampoline(port->ctx, p->def.space);
        return;
    }
    p->missed++; /* pool exhausted: this call's return goes unseen */
}

static int hit_probe(struct rvprobe_table *t, struct rvprobe *p, struct rvprobe_regs *regs,
                     struct rvprobe_hit *hit)
{
    p->hits++;
    if (p->def.pre && p->def.pre(p, regs, p->def.arg)) {
        hit->kind = RVPROBE_HIT_SKIPPED;
        return 1;
    }
    if (p->def.kind == RVPROBE_KRETPROBE)
        hijack(t, p, regs);
    if (p->insn.cls == RVPROBE_SIMULATE) {
        rvprobe_simulate_insn(&p->insn, t->xlen, regs); /* decoded when armed */
        hit->kind = RVPROBE_HIT_SIMULATED;
    } else {
        regs->pc = p->slot;
        hit->kind = RVPROBE_HIT_STEP;
    }
    return 1;
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
    uint64_t pc = regs->pc;
    int ret = 0;
    lock(t);

    int id = armed_at(t, space, pc);
    if (id >= 0) {
        hit->id = id;
        ret = hit_probe(t, &t->probes[id], regs, hit);
        goto out;
    }
    for (unsigned i = 0; i < t->live_end; i++) {
        struct rvprobe *p = &t->probes[i];
        if (p->state != RVPROBE_FREE && p->slot && p->def.space == space &&
            pc == p->slot + p->insn.len) {
            /* the break that ends a slot: continue after the original */
            regs->pc = p->def.addr + p->insn.len;
            hit->kind = RVPROBE_HIT_SLOT_RETURN;
            hit->id = (int)i;
            ret = 1;
            goto out;
        }
    }
    for (unsigned i = 0; i < t->live_end; i++) {
        struct rvprobe *p = &t->probes[i];
        if (p->state == RVPROBE_DISARMED && p->def.space == space && p->def.addr == pc) {
            /* this hart took the break just before another one restored the
               original bytes: run the instruction again */
            hit->kind = RVPROBE_HIT_RETRY;
            hit->id = (int)i;
            ret = 1;
            goto out;
        }
    }
    const struct rvprobe_port *port = t->port;
    if (port->trampoline && port->current_task) {
        uint64_t tramp = port->trampoline(port->ctx, space);
        if (tramp && pc == tramp) {
            struct rvprobe *p = 0;
            struct rvprobe_ri *ri =
                find_return(t, space, port->current_task(port->ctx), regs->sp, &p);
            if (!ri) {
                ret = RVPROBE_ESTATE; /* a return with no record: cannot continue */
                goto out;
            }
            uint64_t entry_sp = ri->sp;
            regs->pc = ri->ret_addr;
            *ri = (struct rvprobe_ri){0};
            p->ret_hits++;
            if (p->def.ret)
                p->def.ret(p, regs, entry_sp, p->def.arg);
            hit->kind = RVPROBE_HIT_RETURN;
            hit->id = (int)(p - t->probes);
            ret = 1;
            goto out;
        }
    }
out:
    hit->pc = regs->pc;
    unlock(t);
    return ret;
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
