/*
 * verifier.c - drives the verifier: the control-flow pass (unreachable
 * code, prune points), the path walk with its pending-branch stack, state
 * pruning and loop detection, calls (helpers and local functions), exits,
 * and the Linux-style log (the control-flow and liveness passes are in
 * vcfg.c).  See verifier.h for the model.
 */
#include "verifier.h"

int ebpfV_branch_decide(struct verifier *v, const struct ebpf_insn *in);
void ebpfV_branch_refine(struct verifier *v, const struct ebpf_insn *in, struct vstate *st,
                         bool taken);

#define DEFAULT_LIMIT       1000000u
#define MAX_STATES_PER_INSN 64

/* ---- log and errors ---------------------------------------------------- */

static void vlog(struct verifier *v, const char *fmt, va_list ap)
{
    if (!v->log || v->logpos + 1 >= v->logsz)
        return;
    int n = ebpfA_vsnprintf(v->log + v->logpos, v->logsz - v->logpos, fmt, ap);
    if (n > 0)
        v->logpos += (size_t)n < v->logsz - v->logpos ? (size_t)n : v->logsz - v->logpos - 1;
}

void ebpfV_log(struct verifier *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(v, fmt, ap);
    va_end(ap);
}

/* Rejects the program: message to the log and to the VM's error buffer. */
int ebpfV_err(struct verifier *v, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    ebpfA_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ebpfV_log(v, "%s\n", msg);
    return ebpfA_fail(v->vm, EBPF_EACCES, (int)v->pc, "%s", msg);
}

struct vframe *ebpfV_frame(struct verifier *v)
{
    return &v->cur->frames[v->cur->nframes - 1];
}

/* " name=value" in Linux's notation: 5, scalar(umax=255), fp-8, ctx(off=0),
 * map_value(map=counts,off=0) ... */
static void log_reg(struct verifier *v, const char *name, const struct vreg *r)
{
    switch (r->type) {
    case T_NOT_INIT:
        return;
    case T_SCALAR: {
        if (r->umin == r->umax) {
            ebpfV_log(v, " %s=%lld", name, (long long)r->umin);
            return;
        }
        const char *sep = "";
        ebpfV_log(v, " %s=scalar(", name);
        if (r->smin != -0x7fffffffffffffffll - 1) {
            ebpfV_log(v, "smin=%lld", (long long)r->smin);
            sep = ",";
        }
        if (r->smax != 0x7fffffffffffffffll) {
            ebpfV_log(v, "%ssmax=%lld", sep, (long long)r->smax);
            sep = ",";
        }
        if (r->umin) {
            ebpfV_log(v, "%sumin=%llu", sep, (unsigned long long)r->umin);
            sep = ",";
        }
        if (r->umax != ~0ull)
            ebpfV_log(v, "%sumax=%llu", sep, (unsigned long long)r->umax);
        ebpfV_log(v, ")");
        return;
    }
    case T_STACK:
        ebpfV_log(v, " %s=fp%d", name, r->off);
        return;
    default:
        ebpfV_log(v, " %s=%s(", name, ebpfV_type_name(r->type));
        if (r->type >= T_MAP_PTR && r->type <= T_MAP_VALUE_OR_NULL) {
            ebpf_map *m = ebpf_map_by_fd(v->vm, r->map);
            ebpfV_log(v, "map=%s,", m ? m->name : "?");
        }
        if (r->id)
            ebpfV_log(v, "id=%u,", r->id);
        if (r->type == T_MEM || r->type == T_MEM_OR_NULL)
            ebpfV_log(v, "sz=%u,", r->size);
        ebpfV_log(v, "off=%d", r->off);
        if (r->smin || r->smax)
            ebpfV_log(v, ",var=[%lld,%lld]", (long long)r->smin, (long long)r->smax);
        ebpfV_log(v, ")");
    }
}

/* Registers, then stack slots: spills by value, data bytes as 'm'. */
static void log_state(struct verifier *v)
{
    struct vframe *f = ebpfV_frame(v);
    char name[16];
    ebpfV_log(v, "%u:", v->pc);
    if (v->cur->nframes > 1)
        ebpfV_log(v, " frame%u:", v->cur->nframes - 1);
    for (int i = 0; i < BPF_NREGS; i++) {
        ebpf_snprintf(name, sizeof(name), "R%d", i);
        log_reg(v, name, &f->regs[i]);
    }
    for (int s = VSLOTS - 1; s >= 0; s--) {
        const uint8_t *t = &f->stype[s * 8];
        ebpf_snprintf(name, sizeof(name), "fp%d", s * 8 - BPF_STACK_SIZE);
        if (ebpfV_slot_spilled(t)) {
            log_reg(v, name, &f->spill[s]);
        } else {
            char bytes[9];
            bool any = false;
            for (int k = 0; k < 8; k++) {
                bytes[k] = t[k] == S_MISC ? 'm' : '?';
                any |= t[k] != S_INVALID;
            }
            bytes[8] = 0;
            if (any)
                ebpfV_log(v, " %s=%s", name, bytes);
        }
    }
    ebpfV_log(v, "\n");
}

static void log_insn(struct verifier *v)
{
    char text[96];
    ebpf_disasm(v->insns, v->n, v->pc, text, sizeof(text));
    ebpfV_log(v, "%u: (%02x) %s\n", v->pc, v->insns[v->pc].code, text);
}

/* ---- scratch memory ------------------------------------------------------ */

int ebpfV_nomem(struct verifier *v, const char *what)
{
    ebpfV_log(v, "verifier out of memory: %s (%zu bytes of scratch)\n", what,
              (size_t)(v->hi - v->vm->arena - v->vm->arena_used));
    return ebpfA_fail(v->vm, EBPF_ENOMEM, (int)v->pc,
                      "verifier out of memory: %s (%zu bytes of scratch)", what,
                      (size_t)(v->hi - v->vm->arena - v->vm->arena_used));
}

void *ebpfV_scratch(struct verifier *v, size_t size)
{
    uint8_t *p = (uint8_t *)(((uintptr_t)v->lo + 15) & ~(uintptr_t)15);
    if (p + size > v->pend_top)
        return NULL;
    v->lo = p + size;
    return p;
}

static uint32_t frame_depth(const struct vframe *f, uint64_t live);
static size_t pframe_size(uint32_t depth);

/* Pending walks are stored packed, like remembered states but with every
 * register and every stack slot down to the deepest ever written (the walk
 * resumes from them). */
static size_t pending_size(const struct vstate *st)
{
    size_t size = sizeof(struct vpending);
    for (uint32_t fi = 0; fi < st->nframes; fi++)
        size += pframe_size(st->frames[fi].written);
    return (size + 15) & ~(size_t)15;
}

static void pack_pending(struct vpending *p, const struct vstate *st)
{
    p->nframes = st->nframes;
    p->nrefs = st->nrefs;
    ebpfA_memcpy(p->refs, st->refs, sizeof(p->refs));
    uint8_t *q = (uint8_t *)(p + 1);
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        const struct vframe *f = &st->frames[fi];
        struct vpframe *pf = (struct vpframe *)q;
        uint32_t d = f->written, base = VSLOTS - d;
        pf->callsite = f->callsite;
        pf->depth = d;
        ebpfA_memcpy(pf->regs, f->regs, sizeof(pf->regs));
        uint8_t *stype = (uint8_t *)(pf + 1);
        ebpfA_memcpy(stype, &f->stype[base * 8], d * 8);
        ebpfA_memcpy(stype + d * 8, &f->spill[base], d * sizeof(struct vreg));
        q += pframe_size(d);
    }
}

static void unpack_pending(struct vstate *st, const struct vpending *p)
{
    st->nframes = p->nframes;
    st->nrefs = p->nrefs;
    ebpfA_memcpy(st->refs, p->refs, sizeof(st->refs));
    const uint8_t *q = (const uint8_t *)(p + 1);
    for (uint32_t fi = 0; fi < p->nframes; fi++) {
        struct vframe *f = &st->frames[fi];
        const struct vpframe *pf = (const struct vpframe *)q;
        uint32_t d = pf->depth, base = VSLOTS - d;
        const uint8_t *stype = (const uint8_t *)(pf + 1);
        /* Slots below `base` were never written: invalid.  Their spill
         * entries are not looked at unless the slot is a spill. */
        ebpfA_memset(f->stype, 0, base * 8);
        f->callsite = pf->callsite;
        f->written = d;
        ebpfA_memcpy(f->regs, pf->regs, sizeof(f->regs));
        ebpfA_memcpy(&f->stype[base * 8], stype, d * 8);
        ebpfA_memcpy(&f->spill[base], stype + d * 8, d * sizeof(struct vreg));
        q += pframe_size(d);
    }
}

static int push_pending(struct verifier *v, uint32_t pc, struct vpending **out)
{
    size_t size = pending_size(v->cur);
    if ((size_t)(v->pend_top - v->lo) < size)
        return ebpfV_nomem(v, "branches to explore");
    v->pend_top -= size;
    if ((size_t)(v->hi - v->pend_top) > v->pend_peak)
        v->pend_peak = (size_t)(v->hi - v->pend_top);
    struct vpending *p = (struct vpending *)v->pend_top;
    p->pc = pc;
    p->tip = v->tip;
    p->pathlen = v->pathlen;
    p->size = (uint32_t)size;
    p->from = v->pc;
    p->kind = v->sibling ? P_SIBLING : P_NORMAL;
    p->backedge = pc <= v->pc;
    p->refine = 0;
    p->anchor = NULL;
    pack_pending(p, v->cur);
    *out = p;
    return 0;
}

static void drop_pending(struct verifier *v)
{
    v->pend_top += ((struct vpending *)v->pend_top)->size;
}

static void close_phase(struct verifier *v, struct vsaved *anchor);

/* Resumes the newest pending branch; false when none is left.  A branch
 * pushed by a conditional jump learns what "taken" says only now (its
 * record is the state before the jump); one that cannot be taken is
 * skipped. */
static bool pop_pending(struct verifier *v)
{
    for (;;) {
        if (v->pend_top == v->hi)
            return false;
        struct vpending *p = (struct vpending *)v->pend_top;
        unpack_pending(v->cur, p);
        v->pc = p->pc;
        v->tip = p->tip;
        v->pathlen = p->pathlen;
        v->from = p->from;
        v->backedge = p->backedge;
        v->sibling = p->kind == P_SIBLING;
        struct vsaved *anchor = p->kind == P_DEFERRED ? p->anchor : NULL;
        bool refine = p->refine;
        drop_pending(v);
        if (anchor) {
            v->noprune = true;
            close_phase(v, anchor);
        }
        if (!refine)
            return true;
        v->infeasible = false;
        ebpfV_branch_refine(v, &v->insns[v->from], v->cur, true);
        if (!v->infeasible)
            return true;
        v->infeasible = false;
    }
}

/* ---- state pruning --------------------------------------------------------- */

struct idmap {
    uint32_t old[16], cur[16];
    int n;
};

static bool id_match(struct idmap *m, uint32_t a, uint32_t b)
{
    for (int i = 0; i < m->n; i++)
        if (m->old[i] == a)
            return m->cur[i] == b;
    if (m->n == 16)
        return false;
    m->old[m->n] = a;
    m->cur[m->n++] = b;
    return true;
}

static bool var_within(const struct vreg *o, const struct vreg *c)
{
    return c->smin >= o->smin && c->smax <= o->smax;
}

/* Is every value cur may hold also allowed by old? */
static bool reg_covers(const struct vreg *o, const struct vreg *c, struct idmap *m)
{
    if (o->type == T_NOT_INIT)
        return true;
    if (o->type != c->type)
        return false;
    switch (o->type) {
    case T_SCALAR:
        /* Registers the old state had linked (same id) must be linked in
         * the current one too: its walk narrowed them together. */
        if (o->id && (!c->id || !id_match(m, o->id, c->id)))
            return false;
        return c->umin >= o->umin && c->umax <= o->umax && c->smin >= o->smin &&
               c->smax <= o->smax && c->u32min >= o->u32min && c->u32max <= o->u32max;
    case T_CTX:
        return o->off == c->off && var_within(o, c);
    case T_STACK:
        return o->off == c->off && o->frame == c->frame && var_within(o, c);
    case T_MAP_PTR:
        return o->map == c->map;
    case T_MAP_VALUE:
        return o->map == c->map && o->off == c->off && var_within(o, c);
    case T_MEM:
        return o->size == c->size && o->off == c->off && var_within(o, c) &&
               id_match(m, o->id, c->id);
    case T_MAP_VALUE_OR_NULL:
    case T_MEM_OR_NULL:
        return o->map == c->map && o->size == c->size && o->off == c->off && var_within(o, c) &&
               id_match(m, o->id, c->id);
    }
    return false;
}

/* Slots to keep: from the deepest live, written slot up to fp-8. */
static uint32_t frame_depth(const struct vframe *f, uint64_t live)
{
    uint32_t s = VSLOTS - f->written; /* all invalid below */
    while (s < VSLOTS) {
        uint64_t w;
        ebpfA_memcpy(&w, &f->stype[s * 8], 8);
        if (w && (live & (1ull << s)))
            break;
        s++;
    }
    return VSLOTS - s;
}

static size_t pframe_size(uint32_t depth)
{
    return sizeof(struct vpframe) + depth * (8 + sizeof(struct vreg));
}

/* Remembered states come from free lists of exactly their size when one
 * was freed before (a loop's states have the same sizes iteration after
 * iteration), else from the scratch. */
static size_t free_class(size_t bytes)
{
    size_t c = bytes / 16;
    return c < VFREE_CLASSES ? c : VFREE_CLASSES - 1;
}

static struct vsaved *alloc_state(struct verifier *v, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct vsaved **pp = &v->freel[free_class(size)];
    while (*pp && (*pp)->bytes != size)
        pp = &(*pp)->next;
    struct vsaved *s = *pp;
    if (s)
        *pp = s->next;
    else
        s = ebpfV_scratch(v, size);
    if (!s)
        return NULL;
    s->bytes = (uint32_t)size;
    if (++v->live_states > v->peak_states)
        v->peak_states = v->live_states;
    return s;
}

/* Takes s out of its instruction's list and gives its memory back.  Only
 * for states no walk still needs: not on the current path, not the tip of
 * a pending walk (those are on the current path too, see on_path). */
static void forget_state(struct verifier *v, struct vsaved *s)
{
    struct vsaved **pp = &v->saved[s->pc];
    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (*pp)
        *pp = s->next;
    s->pathpos = UINT32_MAX;
    struct vsaved **fl = &v->freel[free_class(s->bytes)];
    s->next = *fl;
    *fl = s;
    v->live_states--;
}

/* A scalar id that only one register or spill of a remembered state
 * carries links nothing: it is cleared, so that it does not ask states
 * compared with it for a link (see reg_covers).  Counted in a small table
 * indexed by the id's low bits; an id that collides stays (less pruning,
 * never unsound). */
#define IDSLOTS 64
struct idcount {
    struct vreg *first[IDSLOTS];
    uint8_t count[IDSLOTS];
    uint8_t used[IDSLOTS];
    int n;
};

static inline void count_id(struct idcount *t, struct vreg *r)
{
    if (!r->id || r->type != T_SCALAR)
        return;
    uint32_t k = r->id % IDSLOTS;
    if (!t->count[k]) {
        t->first[k] = r;
        t->count[k] = 1;
        t->used[t->n++] = (uint8_t)k;
    } else {
        t->count[k] = 2; /* seen again, or a collision: keep */
    }
}

static void drop_lone_ids(struct idcount *t)
{
    for (int i = 0; i < t->n; i++)
        if (t->count[t->used[i]] == 1)
            t->first[t->used[i]]->id = 0;
}

/* Remembers the current state at pc (packed, dead registers dropped). */
static struct vsaved *remember(struct verifier *v, uint32_t pc)
{
    const struct vstate *st = v->cur;
    uint32_t depth[BPF_MAX_FRAMES];
    size_t size = sizeof(struct vsaved);
    uint64_t slots[BPF_MAX_FRAMES];
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        slots[fi] = ebpfV_live_slots(v, st, fi, pc);
        depth[fi] = frame_depth(&st->frames[fi], slots[fi]);
        size += pframe_size(depth[fi]);
    }
    struct vsaved *s = alloc_state(v, size);
    if (!s)
        return NULL;
    s->pc = pc;
    s->hits = s->misses = 0;
    s->flags = 0;
    s->phase_next = NULL;
    s->nframes = st->nframes;
    s->nrefs = st->nrefs;
    ebpfA_memcpy(s->refs, st->refs, sizeof(s->refs));
    static const struct vreg dead;
    struct idcount t;
    ebpfA_memset(t.count, 0, sizeof(t.count));
    t.n = 0;
    uint8_t *p = (uint8_t *)(s + 1);
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        const struct vframe *f = &st->frames[fi];
        struct vpframe *pf = (struct vpframe *)p;
        uint32_t d = depth[fi], base = VSLOTS - d;
        uint16_t live = ebpfV_live_regs(v, st, fi, pc);
        uint16_t prec = ebpfV_precise_regs(v, st, fi, pc);
        uint64_t pslots = ebpfV_precise_slots(v, st, fi, pc);
        pf->callsite = f->callsite;
        pf->depth = d;
        for (int i = 0; i < BPF_NREGS; i++) {
            struct vreg *r = &pf->regs[i];
            if (i != BPF_REG_FP && !(live & (1u << i)))
                *r = dead;
            else if (f->regs[i].type == T_SCALAR && !(prec & (1u << i)))
                ebpfV_mark_unknown(r); /* its range decides nothing: any scalar */
            else
                *r = f->regs[i];
            count_id(&t, r);
        }
        uint8_t *stype = (uint8_t *)(pf + 1);
        struct vreg *spill = (struct vreg *)(stype + d * 8);
        ebpfA_memcpy(stype, &f->stype[base * 8], d * 8);
        ebpfA_memcpy(spill, &f->spill[base], d * sizeof(struct vreg));
        for (uint32_t k = 0; k < d; k++) {
            uint64_t bit = 1ull << (base + k);
            if (!(slots[fi] & bit)) { /* dead: as if never written */
                ebpfA_memset(&stype[k * 8], 0, 8);
            } else if (ebpfV_slot_spilled(&stype[k * 8])) {
                if (spill[k].type == T_SCALAR && !(pslots & bit))
                    ebpfV_mark_unknown(&spill[k]);
                count_id(&t, &spill[k]);
            }
        }
        p += pframe_size(d);
    }
    drop_lone_ids(&t);
    return s;
}

/* Does remembered state o allow every value the current state c holds? */
static bool state_covers(const struct vsaved *o, const struct vstate *c)
{
    struct idmap m;
    m.n = 0;
    if (o->nframes != c->nframes || o->nrefs != c->nrefs)
        return false;
    const uint8_t *p = (const uint8_t *)(o + 1);
    for (uint32_t fi = 0; fi < o->nframes; fi++) {
        const struct vpframe *of = (const struct vpframe *)p;
        const struct vframe *cf = &c->frames[fi];
        uint32_t d = of->depth, base = VSLOTS - d;
        const uint8_t *ostype = (const uint8_t *)(of + 1);
        const struct vreg *ospill = (const struct vreg *)(ostype + d * 8);
        p += pframe_size(d);
        if (of->callsite != cf->callsite)
            return false;
        for (int i = 0; i < BPF_NREGS; i++)
            if (!reg_covers(&of->regs[i], &cf->regs[i], &m))
                return false;
        for (uint32_t k = 0; k < d; k++) {
            uint32_t s = base + k;
            uint64_t ow, cw;
            ebpfA_memcpy(&ow, &ostype[k * 8], 8);
            ebpfA_memcpy(&cw, &cf->stype[s * 8], 8);
            if (ow == 0) /* all invalid in old: anything goes */
                continue;
            bool ospilled = (ow & 0x0202020202020202ull) != 0; /* a byte is S_SPILL */
            if (ow == cw && !ospilled)
                continue;
            for (int b = 0; b < 8; b++) {
                uint8_t ot = ostype[k * 8 + b], ct = cf->stype[s * 8 + b];
                /* a spill is only compared with one of the same bytes: the
                 * bytes of a narrow spill hold its value, the same bytes of
                 * a wider one need not */
                if (ospilled && (ot == S_SPILL) != (ct == S_SPILL))
                    return false;
                if (ot == S_INVALID || ot == ct)
                    continue;
                if (ot == S_MISC && ct == S_SPILL && cf->spill[s].type == T_SCALAR)
                    continue;
                return false;
            }
            if (ospilled && !reg_covers(&ospill[k], &cf->spill[s], &m))
                return false;
        }
    }
    for (uint32_t i = 0; i < o->nrefs; i++)
        if (!id_match(&m, o->refs[i], c->refs[i]))
            return false;
    return true;
}

/* Is s remembered on the current path?  O(1) through the path array; states
 * remembered after the array filled up are found along the parent links. */
static bool on_path(const struct verifier *v, const struct vsaved *s)
{
    if (s->pathpos != UINT32_MAX)
        return s->pathpos < v->pathlen && v->path[s->pathpos] == s;
    for (const struct vsaved *a = v->tip; a; a = a->parent)
        if (a == s)
            return true;
    return false;
}

/* A remembered state that keeps failing to cover the states arriving at its
 * instruction costs a comparison each time and saves nothing: past this
 * many misses (more for a state that has pruned before) it is forgotten,
 * as Linux drops states with many misses and few hits. */
#define EVICT_MISSES(hits) (8u + 4u * (uint32_t)(hits))

/* Can s be forgotten?  Not when a walk may still need it: on the current
 * path (loop detection; the tips of pending walks are there too), on a
 * deferred loop walk's path, or a sibling's (freed with its phase). */
static bool evictable(const struct verifier *v, const struct vsaved *s)
{
    return !(s->flags & (VS_SEGMENT | VS_SIBLING)) && !on_path(v, s);
}

/* At a prune point: 1 if a remembered state covers the current one (walk
 * no further), an error if that state is on the current path (the path
 * can repeat forever), else remembers the current state. */
static int prune(struct verifier *v)
{
    uint32_t pc = v->pc, count = 0;
    struct vsaved **pp = &v->saved[pc];
    while (*pp) {
        struct vsaved *s = *pp;
        if (state_covers(s, v->cur)) {
            if (on_path(v, s))
                return ebpfV_err(v, "infinite loop detected at insn %u", pc);
            if (s->hits < UINT16_MAX)
                s->hits++;
            if (v->level >= 2)
                ebpfV_log(v, "%u: safe\n", pc);
            return 1;
        }
        if (s->misses < UINT16_MAX)
            s->misses++;
        if (s->misses > EVICT_MISSES(s->hits) && evictable(v, s)) {
            forget_state(v, s); /* unlinks *pp */
            v->evicted++;
            continue;
        }
        pp = &s->next;
        count++;
    }
    /* Past a few dozen states at one instruction, comparing costs more than
     * pruning saves (a loop whose state never repeats would go quadratic):
     * stop remembering there.  Sound: fewer remembered states only means
     * less pruning, and a loop that never ends still hits the budget. */
    if (count >= MAX_STATES_PER_INSN)
        return 0;
    if (count + 1 > v->max_states)
        v->max_states = count + 1;
    struct vsaved *s = remember(v, pc);
    if (!s)
        return ebpfV_nomem(v, "states to remember");
    s->next = v->saved[pc];
    v->saved[pc] = s;
    s->parent = v->tip;
    v->tip = s;
    s->pathpos = UINT32_MAX;
    if (v->pathlen < v->pathcap) {
        s->pathpos = v->pathlen;
        v->path[v->pathlen++] = s;
    }
    if (v->sibling) {
        s->flags |= VS_SIBLING;
        s->phase_next = v->phase;
        v->phase = s;
    }
    v->total_states++;
    return 0;
}

/* ---- loops ------------------------------------------------------------------
 *
 * A bounded loop is walked iteration by iteration: its loop-head states
 * differ (the counter), so nothing prunes them.  Two things would grow with
 * the iteration count: the remembered states of every iteration (memory,
 * and comparisons against all of them), and, when the body branches, one
 * pending walk per iteration (depth-first, the other arm of iteration 1
 * waits until the last iteration is walked).  So, when a walk comes back to
 * a loop head by a backward jump and remembers its state N there, and the
 * previous state A at that head is on its path:
 *
 * - If walks forked during the iteration (after A) are pending, the loop
 *   walk is deferred: it goes below them on the pending stack, and they
 *   ("siblings") run first, as a phase.  A sibling may be pruned by the
 *   states of the deferred walk's iteration (A..N, flagged VS_SEGMENT)
 *   although that walk is not finished: the sibling forked from a state T
 *   on that path before them, so "continues like a later state of T's own
 *   path" adds no cycle (every state it may be pruned by comes after T; one
 *   before T is on the sibling's own path, which is the infinite-loop
 *   error).  The states siblings remember are freed when the phase ends,
 *   so nothing after it can be pruned by a state whose justification runs
 *   through the unfinished iteration.  Siblings do not defer.
 * - When no sibling is left (at once, or when the deferred walk resumes),
 *   the iteration collapses: A and the states between A and N are
 *   forgotten, and N takes A's place on the path.  No pending walk needs
 *   them (those pending below forked before A).  Forgetting states is
 *   always sound; what is lost: N is compared with the previous iteration
 *   only, so an infinite loop whose state repeats with a longer period runs
 *   into the instruction budget instead of "infinite loop detected".
 *
 * Memory then holds one iteration's states and pending walks, not all of
 * them, and the walk is linear in the iteration count.
 */

/* The state at the same loop head one iteration back on the path. */
static struct vsaved *loop_anchor(const struct verifier *v, const struct vsaved *n)
{
    if (n->pathpos == UINT32_MAX)
        return NULL;
    for (uint32_t k = n->pathpos, seen = 0; k-- > 0 && seen < 64; seen++)
        if (v->path[k]->pc == n->pc)
            return v->path[k];
    return NULL;
}

/* Forgets the anchor a and the states after it on the path; the tip takes
 * a's place. */
static void collapse(struct verifier *v, struct vsaved *a)
{
    struct vsaved *n = v->tip, *s = n->parent, *up;
    uint32_t pos = a->pathpos;
    for (;;) {
        up = s->parent;
        bool last = s == a;
        forget_state(v, s);
        if (last)
            break;
        s = up;
    }
    n->parent = up;
    n->flags &= (uint8_t)~VS_SEGMENT;
    n->pathpos = pos;
    v->path[pos] = n;
    v->pathlen = pos + 1;
}

/* The deferred loop walk resumes: its siblings' states go, then the
 * iteration collapses. */
static void close_phase(struct verifier *v, struct vsaved *anchor)
{
    for (struct vsaved *s = v->phase, *nx; s; s = nx) {
        nx = s->phase_next;
        forget_state(v, s);
    }
    v->phase = NULL;
    collapse(v, anchor);
}

static void move_down(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) /* dst < src: forward copy is safe */
        dst[i] = src[i];
}

/* Puts the current walk (at loop head, tip n) below the pending walks
 * forked after the anchor a, which become siblings. */
static int defer_loop_walk(struct verifier *v, struct vsaved *a)
{
    struct vsaved *n = v->tip;
    size_t size = pending_size(v->cur);
    if ((size_t)(v->pend_top - v->lo) < size)
        return ebpfV_nomem(v, "branches to explore");
    uint8_t *q = v->pend_top;
    while (q < v->hi && ((struct vpending *)q)->pathlen > a->pathpos) {
        ((struct vpending *)q)->kind = P_SIBLING;
        q += ((struct vpending *)q)->size;
    }
    for (struct vsaved *s = n; s != a; s = s->parent)
        s->flags |= VS_SEGMENT;
    move_down(v->pend_top - size, v->pend_top, (size_t)(q - v->pend_top));
    v->pend_top -= size;
    if ((size_t)(v->hi - v->pend_top) > v->pend_peak)
        v->pend_peak = (size_t)(v->hi - v->pend_top);
    struct vpending *p = (struct vpending *)(q - size);
    p->pc = v->pc;
    p->size = (uint32_t)size;
    p->tip = n;
    p->anchor = a;
    p->pathlen = v->pathlen;
    p->from = v->pc;
    p->kind = P_DEFERRED;
    p->backedge = 1;
    p->refine = 0;
    pack_pending(p, v->cur);
    return 1;
}

/* A loop walk remembered its state at a loop head: 1 if it was deferred
 * (the walk continues with a sibling), 0 to go on. */
static int loop_iteration(struct verifier *v)
{
    struct vsaved *a = loop_anchor(v, v->tip);
    if (!a)
        return 0;
    if (v->pend_top != v->hi && ((struct vpending *)v->pend_top)->pathlen > a->pathpos)
        return defer_loop_walk(v, a);
    collapse(v, a);
    return 0;
}

/* ---- calls and exits ----------------------------------------------------- */

/* After a function returns, pointers into its dead stack become numbers. */
static void forget_dead_stack(struct vstate *st)
{
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        struct vframe *f = &st->frames[fi];
        for (int i = 0; i < BPF_NREGS; i++)
            if (f->regs[i].type == T_STACK && f->regs[i].frame >= st->nframes)
                ebpfV_mark_unknown(&f->regs[i]);
        for (int s = 0; s < VSLOTS; s++)
            if (f->stype[s * 8] == S_SPILL && f->spill[s].type == T_STACK &&
                f->spill[s].frame >= st->nframes)
                ebpfV_mark_unknown(&f->spill[s]);
    }
}

static void release_mem(struct vstate *st, uint32_t id)
{
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        struct vframe *f = &st->frames[fi];
        for (int i = 0; i < BPF_NREGS; i++)
            if (f->regs[i].type == T_MEM && f->regs[i].id == id)
                ebpfV_mark_unknown(&f->regs[i]);
        for (int s = 0; s < VSLOTS; s++)
            if (f->stype[s * 8] == S_SPILL && f->spill[s].type == T_MEM && f->spill[s].id == id)
                ebpfV_mark_unknown(&f->spill[s]);
    }
}

/* A helper's map argument: a map from lddw, or an inner map a lookup in a
 * map of maps returned (a map value of the outer map, checked non-NULL,
 * with no offset), which stands for the outer map's inner template.  The
 * map's type must suit the helper (Linux check_map_func_compatibility). */
static int map_arg(struct verifier *v, int regno, uint32_t id, ebpf_map **out)
{
    const struct vreg *reg = &ebpfV_frame(v)->regs[regno];
    ebpf_map *map = NULL;
    if (reg->type == T_MAP_PTR) {
        map = ebpf_map_by_fd(v->vm, reg->map);
    } else if (reg->type == T_MAP_VALUE) {
        ebpf_map *outer = ebpf_map_by_fd(v->vm, reg->map);
        if (outer && outer->inner && !reg->off && !reg->smin && !reg->smax)
            map = (ebpf_map *)outer->inner;
    }
    if (!map)
        return ebpfV_err(v, "R%d type=%s expected=map_ptr", regno, ebpfV_type_name(reg->type));
    if (map->prog_rdonly && (id == BPF_FUNC_map_update_elem || id == BPF_FUNC_map_delete_elem))
        return ebpfV_err(v, "write into map forbidden (map %s is frozen)", map->name);
    const char *why = ebpfM_helper_refused(map, id);
    if (why)
        return ebpfV_err(v, "cannot pass map_type %u into func %s#%u: %s", map->def.type,
                         v->vm->helpers[id].proto->name, id, why);
    *out = map;
    return 0;
}

static int check_helper(struct verifier *v, uint32_t id)
{
    struct vframe *f = ebpfV_frame(v);
    if (id >= BPF_FUNC_MAX_ID || !v->vm->helpers[id].fn)
        return ebpfV_err(v, "invalid func unknown#%d", (int32_t)id);
    const struct ebpf_helper_proto *pr = v->vm->helpers[id].proto;
    if (!pr)
        return ebpfV_err(v, "helper %u has no prototype", id);
    ebpf_map *map = NULL;
    uint64_t alloc_size = 0, uninit_size = 0;
    uint32_t release = 0;
    int uninit_reg = 0, r;
    for (int i = 0; i < 5 && pr->args[i] != EBPF_ARG_NONE; i++) {
        int regno = i + 1;
        struct vreg *reg = &f->regs[regno];
        uint8_t kind = pr->args[i];
        if (reg->type == T_NOT_INIT)
            return ebpfV_err(v, "R%d !read_ok", regno);
        switch (kind) {
        case EBPF_ARG_ANYTHING:
        case EBPF_ARG_SIZE:
        case EBPF_ARG_SIZE_OR_ZERO:
            break;
        case EBPF_ARG_MAP:
            if ((r = map_arg(v, regno, id, &map)))
                return r;
            break;
        case EBPF_ARG_MAP_KEY:
        case EBPF_ARG_MAP_VALUE:
            if (!map)
                return ebpfV_err(v, "helper %s: map argument missing", pr->name);
            if ((r = ebpfV_check_region(
                     v, regno, kind == EBPF_ARG_MAP_KEY ? map->def.key_size : map->def.value_size,
                     false, false)))
                return r;
            break;
        case EBPF_ARG_MEM:
        case EBPF_ARG_UNINIT_MEM: {
            uint8_t sk = i < 4 ? pr->args[i + 1] : EBPF_ARG_NONE;
            const struct vreg *sz = &f->regs[regno + 1];
            if (sk != EBPF_ARG_SIZE && sk != EBPF_ARG_SIZE_OR_ZERO)
                return ebpfV_err(v, "helper %s: memory argument without size", pr->name);
            if (sz->type != T_SCALAR)
                return ebpfV_err(v, "R%d type=%s expected=scalar", regno + 1,
                                 ebpfV_type_name(sz->type));
            if (sz->smin < 0)
                return ebpfV_err(v,
                                 "R%d min value is negative, either use unsigned or "
                                 "'var &= const'",
                                 regno + 1);
            if (sz->umin == 0 && sk == EBPF_ARG_SIZE)
                return ebpfV_err(v, "R%d invalid zero-sized read", regno + 1);
            if ((r = ebpfV_check_region(v, regno, sz->umax, kind == EBPF_ARG_UNINIT_MEM,
                                        sk == EBPF_ARG_SIZE_OR_ZERO)))
                return r;
            if (kind == EBPF_ARG_UNINIT_MEM) {
                uninit_reg = regno;
                uninit_size = sz->umax;
            }
            break;
        }
        case EBPF_ARG_CTX:
            if (reg->type != T_CTX || reg->off)
                return ebpfV_err(v, "R%d type=%s expected=ctx", regno, ebpfV_type_name(reg->type));
            break;
        case EBPF_ARG_ALLOC_SIZE:
            if (!ebpfV_is_const(reg) || reg->umin == 0 || reg->umin > (1u << 29))
                return ebpfV_err(v, "R%d is not a known constant size", regno);
            alloc_size = reg->umin;
            break;
        case EBPF_ARG_ALLOC_MEM:
            if (reg->type != T_MEM || reg->off || reg->smin || reg->smax)
                return ebpfV_err(v, "R%d type=%s expected=alloc_mem", regno,
                                 ebpfV_type_name(reg->type));
            release = reg->id;
            break;
        default:
            return ebpfV_err(v, "helper %s: bad prototype", pr->name);
        }
    }
    /* A tail call leaves this frame for good: with subprogram frames below
     * it or ring buffer records held, something would be lost (Linux
     * refuses the latter; the former we refuse for simplicity). */
    if (id == BPF_FUNC_tail_call && v->cur->nframes > 1)
        return ebpfV_err(v, "tail_call inside a subprogram is not supported");
    if (id == BPF_FUNC_tail_call && v->cur->nrefs)
        return ebpfV_err(v, "tail_call would lead to reference leak");
    if (uninit_reg)
        ebpfV_mark_stack_written(v, &f->regs[uninit_reg], uninit_size);
    if (release) {
        struct vstate *st = v->cur;
        uint32_t i = 0;
        while (i < st->nrefs && st->refs[i] != release)
            i++;
        if (i == st->nrefs)
            return ebpfV_err(v, "reference has not been acquired before");
        st->refs[i] = st->refs[--st->nrefs];
        release_mem(st, release);
    }
    for (int i = 1; i <= 5; i++)
        f->regs[i].type = T_NOT_INIT;
    struct vreg *r0 = &f->regs[0];
    switch (pr->ret) {
    case EBPF_RET_INTEGER:
        ebpfV_mark_unknown(r0);
        break;
    case EBPF_RET_VOID:
        ebpfA_memset(r0, 0, sizeof(*r0));
        break;
    case EBPF_RET_MAP_VALUE_OR_NULL:
        if (!map)
            return ebpfV_err(v, "helper %s returns a map value but takes no map", pr->name);
        ebpfA_memset(r0, 0, sizeof(*r0));
        r0->type = T_MAP_VALUE_OR_NULL;
        r0->map = (uint16_t)ebpfM_index(v->vm, map);
        r0->id = ++v->id_gen;
        break;
    case EBPF_RET_ALLOC_MEM_OR_NULL:
        if (v->cur->nrefs == VMAX_REFS)
            return ebpfV_err(v, "too many unreleased ring buffer records");
        ebpfA_memset(r0, 0, sizeof(*r0));
        r0->type = T_MEM_OR_NULL;
        r0->size = (uint32_t)alloc_size;
        r0->id = ++v->id_gen;
        v->cur->refs[v->cur->nrefs++] = r0->id;
        break;
    }
    return 0;
}

/* callx (bpf_conformance's group of that name): the helper id is in dst.
 * Accepted when the walk knows it as one constant on this path, and then
 * checked exactly as "call <id>"; a computed or unknown id is refused, so a
 * verified program never calls what the verifier did not check. */
static int callx(struct verifier *v, const struct ebpf_insn *in)
{
    const struct vreg *id = &ebpfV_frame(v)->regs[in->dst];
    if (id->type == T_NOT_INIT)
        return ebpfV_err(v, "R%d !read_ok", in->dst);
    if (id->type != T_SCALAR || !ebpfV_is_const(id))
        return ebpfV_err(v, "callx R%d: the helper id must be a known constant", in->dst);
    if (id->umin >= BPF_FUNC_MAX_ID)
        return ebpfV_err(v, "invalid func unknown#%llu", (unsigned long long)id->umin);
    return check_helper(v, (uint32_t)id->umin);
}

static int local_call(struct verifier *v, const struct ebpf_insn *in)
{
    struct vstate *st = v->cur;
    if (st->nframes == BPF_MAX_FRAMES)
        return ebpfV_err(v, "the call stack of %d frames is too deep", BPF_MAX_FRAMES + 1);
    struct vframe *caller = &st->frames[st->nframes - 1];
    struct vframe *callee = &st->frames[st->nframes];
    ebpfA_memset(callee, 0, sizeof(*callee));
    callee->callsite = v->pc;
    for (int i = 1; i <= 5; i++)
        callee->regs[i] = caller->regs[i];
    callee->regs[BPF_REG_FP].type = T_STACK;
    callee->regs[BPF_REG_FP].frame = (uint8_t)st->nframes;
    st->nframes++;
    v->pc = ebpfV_target(in, v->pc);
    return 0;
}

/* 1: returned into the caller (v->pc set), 0: the program ended. */
static int do_exit(struct verifier *v)
{
    struct vstate *st = v->cur;
    struct vframe *f = ebpfV_frame(v);
    if (f->regs[0].type == T_NOT_INIT)
        return ebpfV_err(v, "R0 !read_ok");
    if (st->nframes == 1) {
        if (st->nrefs)
            return ebpfV_err(v, "Unreleased reference id=%u", st->refs[0]);
        if (f->regs[0].type != T_SCALAR)
            return ebpfV_err(v, "R0 leaks addr as return value");
        return 0;
    }
    struct vframe *caller = &st->frames[st->nframes - 2];
    caller->regs[0] = f->regs[0];
    for (int i = 1; i <= 5; i++)
        caller->regs[i].type = T_NOT_INIT;
    v->pc = f->callsite + 1;
    st->nframes--;
    forget_dead_stack(st);
    return 1;
}

/* ---- the walk -------------------------------------------------------------- */

static int cond_jump(struct verifier *v, const struct ebpf_insn *in, bool *dead)
{
    struct vframe *f = ebpfV_frame(v);
    uint32_t target = ebpfV_target(in, v->pc);
    *dead = false;
    if (f->regs[in->dst].type == T_NOT_INIT)
        return ebpfV_err(v, "R%d !read_ok", in->dst);
    if (BPF_SRC(in->code) == BPF_X && f->regs[in->src].type == T_NOT_INIT)
        return ebpfV_err(v, "R%d !read_ok", in->src);
    int d = ebpfV_branch_decide(v, in);
    if (d == 1) {
        v->pc = target;
        return 0;
    }
    if (d == 0) {
        v->pc++;
        return 0;
    }
    struct vpending *p = NULL;
    int r = push_pending(v, target, &p);
    if (r)
        return r;
    p->refine = 1;
    v->infeasible = false;
    ebpfV_branch_refine(v, in, v->cur, false);
    if (v->infeasible)
        *dead = true;
    v->pc++;
    return 0;
}

static int lddw(struct verifier *v, const struct ebpf_insn *in)
{
    struct vreg *d = &ebpfV_frame(v)->regs[in->dst];
    if (in->dst == BPF_REG_FP)
        return ebpfV_err(v, "frame pointer is read only");
    switch (in->src) {
    case 0:
        ebpfV_mark_const(d, (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32);
        return 0;
    case BPF_PSEUDO_MAP_FD:
    case BPF_PSEUDO_MAP_IDX:
    case BPF_PSEUDO_MAP_VALUE:
    case BPF_PSEUDO_MAP_IDX_VALUE:
        if (!ebpf_map_by_fd(v->vm, in->imm))
            return ebpfV_err(v, "fd %d is not pointing to valid bpf_map", in->imm);
        ebpfA_memset(d, 0, sizeof(*d));
        d->map = (uint16_t)in->imm;
        if (in->src == BPF_PSEUDO_MAP_FD || in->src == BPF_PSEUDO_MAP_IDX) {
            d->type = T_MAP_PTR;
        } else {
            d->type = T_MAP_VALUE;
            d->off = in[1].imm;
        }
        return 0;
    }
    return ebpfV_err(v, "unsupported lddw source %d", in->src);
}

static int walk(struct verifier *v)
{
    for (;;) {
        const struct ebpf_insn *in = &v->insns[v->pc];
        int r = 0;
        bool dead = false;
        if (++v->processed > v->limit)
            return ebpfV_err(v, "BPF program is too large. Processed %u insn", v->limit);
        if ((v->flags[v->pc] & F_PRUNE) && v->noprune) {
            v->noprune = false;
        } else if (v->flags[v->pc] & F_PRUNE) {
            struct vsaved *before = v->tip;
            r = prune(v);
            if (r == 0 && v->backedge && !v->sibling && v->tip != before &&
                (v->flags[v->pc] & F_LOOP))
                r = loop_iteration(v);
            if (r < 0)
                return r;
            if (r == 1)
                goto next_path;
        }
        uint32_t at = v->pc;
        if (v->level >= 2)
            log_state(v);
        if (v->level >= 1)
            log_insn(v);
        switch (BPF_CLASS(in->code)) {
        case BPF_ALU:
        case BPF_ALU64:
            r = ebpfV_alu(v, in);
            v->pc++;
            break;
        case BPF_LDX:
        case BPF_ST:
        case BPF_STX:
            r = ebpfV_mem(v, in);
            v->pc++;
            break;
        case BPF_LD:
            r = lddw(v, in);
            v->pc += 2;
            break;
        default: /* jumps */
            if (BPF_OP(in->code) == BPF_JA) {
                v->pc = ebpfV_target(in, v->pc);
            } else if (in->code == (BPF_JMP | BPF_CALL)) {
                if (in->src == BPF_PSEUDO_CALL) {
                    r = local_call(v, in);
                } else {
                    r = check_helper(v, (uint32_t)in->imm);
                    v->pc++;
                }
            } else if (in->code == (BPF_JMP | BPF_CALL | BPF_X)) {
                r = callx(v, in);
                v->pc++;
            } else if (in->code == (BPF_JMP | BPF_EXIT)) {
                r = do_exit(v);
                if (r < 0)
                    return r;
                if (r == 0)
                    goto next_path;
                r = 0;
            } else {
                r = cond_jump(v, in, &dead);
            }
        }
        if (r)
            return r;
        v->backedge = v->pc <= at;
        if (!dead)
            continue;
    next_path:
        if (!pop_pending(v))
            return 0;
        if (v->level >= 1)
            ebpfV_log(v, "from %u to %u:\n", v->from, v->pc);
    }
}

int ebpf_verify(ebpf_vm *vm, const struct ebpf_verify_opts *opts)
{
    if (vm->origin)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "a replica only runs its original's program");
    struct verifier vv, *v = &vv;
    static const struct ebpf_verify_opts none;
    if (!opts)
        opts = &none;
    ebpfA_memset(v, 0, sizeof(*v));
    vm->err_insn = -1;
    vm->verify_processed = 0;
    if (!vm->insns)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "no program loaded");
    v->vm = vm;
    v->insns = vm->insns;
    v->n = vm->ninsns;
    v->opts = opts;
    v->log = opts->log;
    v->logsz = opts->log_size;
    v->level = opts->log_level;
    v->limit = opts->insn_limit ? opts->insn_limit : DEFAULT_LIMIT;
    if (v->log && v->logsz)
        v->log[0] = 0;

    size_t mark = vm->arena_used;
    v->lo = vm->arena + ((vm->arena_used + 15) & ~(size_t)15);
    v->hi = vm->arena + (vm->arena_size & ~(size_t)15);
    v->pend_top = v->hi;
    v->saved = ebpfV_scratch(v, v->n * sizeof(*v->saved));
    v->flags = ebpfV_scratch(v, v->n);
    v->live = ebpfV_scratch(v, v->n * sizeof(uint16_t));
    v->live_slots = ebpfV_scratch(v, v->n * sizeof(uint64_t));
    v->precise = ebpfV_scratch(v, v->n * sizeof(uint16_t));
    v->precise_slots = ebpfV_scratch(v, v->n * sizeof(uint64_t));
    /* A program without local calls never has more than one frame: the
     * current state needs room for one (4 KiB), not for eight. */
    uint32_t frames = 1;
    for (uint32_t k = 0; k < v->n; k++)
        if (v->insns[k].code == (BPF_JMP | BPF_CALL) && v->insns[k].src == BPF_PSEUDO_CALL)
            frames = BPF_MAX_FRAMES;
    v->cur = ebpfV_scratch(v, VSTATE_SIZE(frames));
    /* A path holds at most one state per prune point between loop
     * iterations (they collapse); a longer one falls back to parent links. */
    v->pathcap = v->n + 256;
    v->path = ebpfV_scratch(v, v->pathcap * sizeof(*v->path));
    int r;
    if (v->lo > v->hi || !v->saved || !v->flags || !v->live || !v->live_slots || !v->precise ||
        !v->precise_slots || !v->cur || !v->path) {
        r = ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena too small for the verifier");
        goto out;
    }
    ebpfA_memset(v->saved, 0, v->n * sizeof(*v->saved));
    ebpfA_memset(v->flags, 0, v->n);
    r = ebpfV_check_cfg(v);
    if (r)
        goto out;
    ebpfA_memset(v->live, 0, v->n * sizeof(uint16_t));
    ebpfA_memset(v->live_slots, 0, v->n * sizeof(uint64_t));
    ebpfA_memset(v->precise, 0, v->n * sizeof(uint16_t));
    ebpfA_memset(v->precise_slots, 0, v->n * sizeof(uint64_t));
    ebpfV_liveness(v);

    struct vstate *st = v->cur;
    ebpfA_memset(st, 0, VSTATE_SIZE(1));
    st->nframes = 1;
    st->frames[0].callsite = UINT32_MAX;
    st->frames[0].regs[1].type = T_CTX;
    st->frames[0].regs[BPF_REG_FP].type = T_STACK;
    if (opts->r2_is_ctx_len)
        ebpfV_mark_const(&st->frames[0].regs[2], opts->ctx_size);
    v->pc = 0;
    r = walk(v);
    vm->verify_processed = v->processed;
    vm->verify_scratch = (size_t)(v->lo - (vm->arena + mark)) + v->pend_peak;
    ebpfV_log(v,
              "processed %u insns (limit %u) max_states_per_insn %u total_states %u "
              "peak_states %u mark_read 0\n",
              v->processed, v->limit, v->max_states, v->total_states, v->peak_states);
out:
    vm->arena_used = mark;
    return r;
}

size_t ebpf_verify_scratch(const ebpf_vm *vm)
{
    return vm->verify_scratch;
}

uint32_t ebpf_verify_processed(const ebpf_vm *vm)
{
    return vm->verify_processed;
}
