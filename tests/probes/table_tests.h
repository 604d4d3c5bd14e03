/*
 * table_tests.h - the probe table against a fake port: three address spaces
 * of host memory (the kernel and two processes mapping the same addresses),
 * a slot allocator and a trampoline.  Included by test_rvprobe.c, after the
 * test function (`func`, FUNC_LEN) has been assembled.
 */
#define KBASE 0x80200000ull
#define UBASE 0x10000ull
#define MEMSZ 0x10000
#define F     (KBASE + 0x100) /* the test function in the kernel */
#define UF    (UBASE + 0x100) /* the same function in both processes */
#define SLOTS 0x8000          /* slot area offset in every space */
#define TRAMP 0xf000          /* trampoline offset */

struct fake {
    uint8_t mem[3][MEMSZ];
    unsigned next_slot[3];
    int slots_live;
    int writes;
    int fail_write;
    uint64_t task;
    uint64_t forbid_addr;
};
static struct fake fk;

static uint64_t base_of(uint64_t space)
{
    return space == 0 ? KBASE : UBASE;
}

static uint8_t *at(uint64_t space, uint64_t addr, unsigned n)
{
    if (space > 2 || addr < base_of(space) || addr + n > base_of(space) + MEMSZ)
        return NULL;
    return &fk.mem[space][addr - base_of(space)];
}

static int f_read(void *ctx, uint64_t space, uint64_t addr, void *buf, unsigned n)
{
    (void)ctx;
    uint8_t *p = at(space, addr, n);
    if (!p)
        return -1;
    memcpy(buf, p, n);
    return 0;
}

static int f_write(void *ctx, uint64_t space, uint64_t addr, const void *b, unsigned n)
{
    (void)ctx;
    uint8_t *p = at(space, addr, n);
    if (!p || (fk.fail_write && fk.writes + 1 >= fk.fail_write))
        return -1;
    fk.writes++;
    memcpy(p, b, n);
    return 0;
}

static int f_slot_alloc(void *ctx, uint64_t space, unsigned size, uint64_t *addr)
{
    (void)ctx;
    assert_true(size <= RVPROBE_SLOT_SIZE);
    *addr = base_of(space) + SLOTS + RVPROBE_SLOT_SIZE * fk.next_slot[space]++;
    fk.slots_live++;
    return 0;
}

static void f_slot_free(void *ctx, uint64_t space, uint64_t addr)
{
    (void)ctx, (void)space, (void)addr;
    fk.slots_live--;
}

static uint64_t f_task(void *ctx)
{
    (void)ctx;
    return fk.task;
}

static uint64_t f_tramp(void *ctx, uint64_t space)
{
    (void)ctx;
    return space == 2 ? 0 : base_of(space) + TRAMP; /* space 2 has no trampoline */
}

static const char *f_forbidden(void *ctx, uint64_t space, uint64_t addr)
{
    (void)ctx;
    return space == 0 && addr == fk.forbid_addr ? "the trap entry is not probeable" : NULL;
}

static const struct rvprobe_port fport = {
    .read = f_read,
    .write_text = f_write,
    .slot_alloc = f_slot_alloc,
    .slot_free = f_slot_free,
    .current_task = f_task,
    .trampoline = f_tramp,
    .forbidden = f_forbidden,
};

static struct rvprobe_table tab;
static struct rvprobe probes[4];
static struct rvprobe_ri pool[2];
static int pre_calls, ret_calls;
static uint64_t pre_pc, ret_entry_sp, ret_pc;

static int count_pre(struct rvprobe *p, struct rvprobe_regs *r, void *arg)
{
    (void)p, (void)arg;
    pre_calls++;
    pre_pc = r->pc;
    return 0;
}

static void count_ret(struct rvprobe *p, struct rvprobe_regs *r, uint64_t entry_sp, void *arg)
{
    (void)p, (void)arg;
    ret_calls++;
    ret_entry_sp = entry_sp;
    ret_pc = r->pc;
}

static int table_setup(void **state)
{
    (void)state;
    memset(&fk, 0, sizeof fk);
    for (int s = 0; s < 3; s++) {
        uint64_t f = s == 0 ? F : UF;
        memcpy(at((uint64_t)s, f, FUNC_LEN), func, FUNC_LEN);
        rvprobe_break_bytes(4, at((uint64_t)s, base_of((uint64_t)s) + TRAMP, 4));
    }
    fk.task = 7;
    pre_calls = ret_calls = 0;
    return rvprobe_table_init(&tab, &fport, 64, probes, 4);
}

static struct rvprobe_def kprobe(uint64_t space, uint64_t start, unsigned off)
{
    return (struct rvprobe_def){.kind = RVPROBE_KPROBE,
                                .space = space,
                                .func_start = start,
                                .addr = start + off,
                                .pre = count_pre};
}

static int hit(uint64_t space, struct rvprobe_regs *r, struct rvprobe_hit *h)
{
    return rvprobe_on_break(&tab, space, r, h);
}

/* A stepped 4-byte instruction: break, slot, slot return, exact restore. */
static void test_table_step_cycle(void **state)
{
    (void)state;
    struct rvprobe_def d = kprobe(0, F, 2); /* sd ra, 8(sp) */
    int id = rvprobe_arm(&tab, &d);
    assert_true(id >= 0);
    assert_int_equal(probes[id].insn.cls, RVPROBE_STEP);
    static const uint8_t ebreak[4] = {0x73, 0x00, 0x10, 0x00};
    assert_memory_equal(at(0, F + 2, 4), ebreak, 4);
    uint64_t slot = probes[id].slot;
    assert_int_equal(slot, KBASE + SLOTS);
    assert_memory_equal(at(0, slot, 4), func + 2, 4);
    assert_memory_equal(at(0, slot + 4, 4), ebreak, 4);

    struct rvprobe_regs r = {.pc = F + 2, .sp = 0x80400000};
    struct rvprobe_hit h;
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_STEP);
    assert_int_equal(h.id, id);
    assert_int_equal(r.pc, slot);
    assert_int_equal(h.pc, slot);
    assert_int_equal(h.slot_break, slot + 4);
    assert_int_equal(h.resume, F + 6);
    assert_int_equal(pre_calls, 1);
    assert_int_equal(pre_pc, F + 2);
    /* (the hart runs the slot's sd, then its ebreak traps) */
    r.pc = slot + 4;
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_SLOT_RETURN);
    assert_int_equal(r.pc, F + 6);
    assert_int_equal(probes[id].hits, 1);
    assert_int_equal(rvprobe_fixup_pc(&tab, 0, slot), F + 2);
    assert_int_equal(rvprobe_fixup_pc(&tab, 0, F + 2), F + 2);
    /* the engine's own slot and trampoline are not probeable */
    struct rvprobe_def self = kprobe(0, slot, 0);
    assert_int_equal(rvprobe_arm(&tab, &self), RVPROBE_EREFUSED);
    assert_non_null(strstr(tab.reason, "own slot"));
    self = kprobe(0, KBASE + TRAMP, 0);
    assert_int_equal(rvprobe_arm(&tab, &self), RVPROBE_EREFUSED);

    assert_int_equal(rvprobe_release(&tab, id), RVPROBE_ESTATE); /* still armed */
    assert_int_equal(rvprobe_disarm(&tab, id), 0);
    assert_memory_equal(at(0, F, FUNC_LEN), func, FUNC_LEN);
    assert_int_equal(rvprobe_disarm(&tab, id), RVPROBE_ESTATE);
    r.pc = F + 2; /* a hart that trapped just before the restore runs it again */
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_RETRY);
    assert_int_equal(r.pc, F + 2);
    r.pc = slot + 4; /* a hart still in the slot when disarmed comes back fine */
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(r.pc, F + 6);
    assert_int_equal(rvprobe_release(&tab, id), 0);
    assert_int_equal(fk.slots_live, 0);
    r.pc = slot + 4;
    assert_int_equal(hit(0, &r, &h), 0); /* a break the table no longer knows */
    assert_int_equal(h.kind, RVPROBE_HIT_NONE);
    r.pc = F + 2; /* released, and no break there any more: a hart that trapped on it
                     before another released it finds the original and runs it again */
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_RETRY);
    assert_int_equal(h.id, -1);
    assert_int_equal(r.pc, F + 2);
}

/* Simulated probes: one trap, no slot, 2-byte break over a 2-byte insn. */
static void test_table_simulate(void **state)
{
    (void)state;
    struct rvprobe_def d1 = kprobe(0, F, 6), d2 = kprobe(0, F, 10), d3 = kprobe(0, F, 22);
    int beq = rvprobe_arm(&tab, &d1), beqz = rvprobe_arm(&tab, &d2), jr = rvprobe_arm(&tab, &d3);
    assert_true(beq >= 0 && beqz >= 0 && jr >= 0);
    assert_int_equal(fk.slots_live, 0);
    assert_int_equal(at(0, F + 10, 2)[0] | at(0, F + 10, 2)[1] << 8, 0x9002);
    assert_memory_equal(at(0, F + 12, 2), func + 12, 2); /* the neighbour is untouched */

    struct rvprobe_regs r = {.pc = F + 6, .a0 = 3, .a1 = 3};
    struct rvprobe_hit h;
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_SIMULATED);
    assert_int_equal(r.pc, F + 14); /* taken */
    r = (struct rvprobe_regs){.pc = F + 6, .a0 = 3, .a1 = 4};
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(r.pc, F + 10); /* not taken */
    r = (struct rvprobe_regs){.pc = F + 10, .a0 = 1};
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(r.pc, F + 12); /* c.beqz not taken: pc + 2 */
    r = (struct rvprobe_regs){.pc = F + 22, .ra = 0x80300123};
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(r.pc, 0x80300122); /* c.jr ra: bit 0 cleared */
    assert_int_equal(pre_calls, 4);
    for (int id = 0; id < 3; id++)
        assert_int_equal(rvprobe_disarm(&tab, id), 0);
    assert_memory_equal(at(0, F, FUNC_LEN), func, FUNC_LEN);
}

static void test_table_refusals(void **state)
{
    (void)state;
    struct rvprobe_def d = kprobe(0, F, 14); /* csrr a0, sstatus */
    assert_int_equal(rvprobe_arm(&tab, &d), RVPROBE_EREFUSED);
    assert_non_null(strstr(tab.reason, "CSR"));
    d = kprobe(0, F, 4); /* inside sd */
    assert_int_equal(rvprobe_arm(&tab, &d), RVPROBE_ENOTBOUNDARY);
    d = kprobe(0, F, 0);
    d.addr = F - 2;
    assert_int_equal(rvprobe_arm(&tab, &d), RVPROBE_ERANGE);
    fk.forbid_addr = F + 12;
    d = kprobe(0, F, 12);
    assert_int_equal(rvprobe_arm(&tab, &d), RVPROBE_EREFUSED);
    assert_string_equal(tab.reason, "the trap entry is not probeable");
    struct rvprobe_def k = {
        .kind = RVPROBE_KRETPROBE, .func_start = F, .addr = F + 2, .pool = pool, .pool_size = 2};
    assert_int_equal(rvprobe_arm(&tab, &k), RVPROBE_EREFUSED);
    assert_non_null(strstr(tab.reason, "first instruction"));
    k.addr = UF, k.func_start = UF, k.space = 2; /* no trampoline there */
    assert_int_equal(rvprobe_arm(&tab, &k), RVPROBE_EREFUSED);
    assert_memory_equal(at(0, F, FUNC_LEN), func, FUNC_LEN);
    assert_int_equal(fk.writes, 0);

    d = kprobe(0, F, 0);
    assert_true(rvprobe_arm(&tab, &d) >= 0);
    int writes = fk.writes, again = rvprobe_arm(&tab, &d); /* shares the address */
    assert_true(again >= 0);
    assert_int_equal(fk.writes, writes);
    assert_int_equal(rvprobe_disarm(&tab, again), 0);
    assert_int_equal(rvprobe_release(&tab, again), 0);
    for (unsigned off = 2; off <= 10; off += off == 2 ? 4 : 4) {
        d = kprobe(0, F, off); /* 2, 6, 10: fills the 4 entries */
        assert_true(rvprobe_arm(&tab, &d) >= 0);
    }
    d = kprobe(0, F, 12);
    fk.forbid_addr = 0;
    assert_int_equal(rvprobe_arm(&tab, &d), RVPROBE_ENOSPC);

    /* an ebreak that is not ours leaves the registers alone */
    uint8_t saved[2];
    memcpy(saved, at(0, F + 18, 2), 2);
    memcpy(at(0, F + 18, 2), "\x02\x90", 2); /* c.ebreak */
    struct rvprobe_regs r = {.pc = F + 18, .a0 = 1}, before = r;
    struct rvprobe_hit h;
    assert_int_equal(hit(0, &r, &h), 0);
    assert_memory_equal(&r, &before, sizeof r);
    memcpy(at(0, F + 18, 2), saved, 2);
    assert_int_equal(rvprobe_arm(NULL, &d), RVPROBE_EINVAL);
    assert_int_equal(rvprobe_disarm(&tab, 9), RVPROBE_EINVAL);
    assert_int_equal(hit(0, NULL, &h), RVPROBE_EINVAL);
}

/* A failing text write leaves nothing behind. */
static void test_table_port_failure(void **state)
{
    (void)state;
    fk.fail_write = 2; /* the slot fill succeeds, the patch fails */
    struct rvprobe_def d = kprobe(0, F, 2);
    assert_int_equal(rvprobe_arm(&tab, &d), RVPROBE_EPORT);
    assert_int_equal(fk.slots_live, 0);
    assert_int_equal(probes[0].state, RVPROBE_FREE);
    assert_memory_equal(at(0, F, FUNC_LEN), func, FUNC_LEN);
}

/* Uprobes: two processes map the same address; only the armed one fires. */
static void test_table_uprobe_spaces(void **state)
{
    (void)state;
    struct rvprobe_def d = kprobe(1, UF, 2);
    int id = rvprobe_arm(&tab, &d);
    assert_true(id >= 0);
    assert_int_equal(probes[id].slot, UBASE + SLOTS);
    assert_memory_equal(at(2, UF, FUNC_LEN), func, FUNC_LEN); /* process 2 untouched */
    assert_memory_equal(at(0, F, FUNC_LEN), func, FUNC_LEN);  /* and the kernel */
    struct rvprobe_regs r = {.pc = UF + 2};
    struct rvprobe_hit h;
    /* process 2 has no break there: never its probe (a trap there could
       only be a late one, so it runs its own instruction) */
    assert_int_equal(hit(2, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_RETRY);
    assert_int_equal(r.pc, UF + 2);
    assert_int_equal(pre_calls, 0);
    assert_int_equal(hit(0, &r, &h), 0);
    assert_int_equal(hit(1, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_STEP);
    assert_int_equal(r.pc, UBASE + SLOTS);
    r.pc = UBASE + SLOTS + 4;
    assert_int_equal(hit(2, &r, &h), 1); /* process 2's "slot" address is not a slot */
    assert_int_equal(h.kind, RVPROBE_HIT_RETRY); /* (and holds no break: a late trap) */
    assert_int_equal(r.pc, UBASE + SLOTS + 4);
    assert_int_equal(hit(1, &r, &h), 1);
    assert_int_equal(r.pc, UF + 6);
    rvprobe_space_gone(&tab, 1);
    assert_int_equal(probes[id].state, RVPROBE_FREE);
    assert_int_equal(fk.slots_live, 0);
}

/* Kretprobes: nested calls, per-task matching, pool exhaustion, release. */
static void test_table_kretprobe(void **state)
{
    (void)state;
    struct rvprobe_def k = {.kind = RVPROBE_KRETPROBE,
                            .func_start = F,
                            .addr = F,
                            .ret = count_ret,
                            .pool = pool,
                            .pool_size = 2};
    int id = rvprobe_arm(&tab, &k);
    assert_true(id >= 0);
    const uint64_t tramp = KBASE + TRAMP;
    struct rvprobe_hit h;

    /* outer call from 0x80300000, sp A; c.slli s1, 1 is stepped */
    struct rvprobe_regs r = {.pc = F, .ra = 0x80300000, .sp = 0x80400000};
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_STEP);
    assert_int_equal(r.ra, tramp);
    /* recursive call from F+20, sp B */
    r = (struct rvprobe_regs){.pc = F, .ra = F + 20, .sp = 0x803fffe0};
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(r.ra, tramp);
    /* a third level finds the pool empty: counted, not hijacked */
    r = (struct rvprobe_regs){.pc = F, .ra = F + 20, .sp = 0x803fffc0};
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(r.ra, F + 20);
    assert_int_equal(probes[id].missed, 1);
    assert_int_equal(probes[id].hits, 3);

    /* the inner return (sp back to B) comes first */
    r = (struct rvprobe_regs){.pc = tramp, .ra = tramp, .sp = 0x803fffe0, .a0 = 42};
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_RETURN);
    assert_int_equal(r.pc, F + 20);
    assert_int_equal(ret_calls, 1);
    assert_int_equal(ret_entry_sp, 0x803fffe0);
    assert_int_equal(ret_pc, F + 20);
    assert_int_equal(rvprobe_disarm(&tab, id), 0);
    assert_int_equal(rvprobe_release(&tab, id), RVPROBE_EBUSY); /* outer still in flight */
    r = (struct rvprobe_regs){.pc = tramp, .sp = 0x80400000};
    assert_int_equal(hit(0, &r, &h), 1); /* resolved after disarm too */
    assert_int_equal(r.pc, 0x80300000);
    assert_int_equal(probes[id].ret_hits, 2);
    r = (struct rvprobe_regs){.pc = tramp, .sp = 0x80400000};
    assert_int_equal(hit(0, &r, &h), RVPROBE_ESTATE); /* a return nobody recorded */
    assert_int_equal(rvprobe_release(&tab, id), 0);
}

/* A kprobe and two kretprobes on one function: one break, one slot, every
   handler on each hit, one hijack of ra resolved for both kretprobes; a
   detached one leaves the others working; the last restores the bytes. */
static void test_table_shared_address(void **state)
{
    (void)state;
    static struct rvprobe_ri pool2[2];
    const uint64_t tramp = KBASE + TRAMP;
    struct rvprobe_def d = kprobe(0, F, 0); /* c.slli s1, 1: stepped */
    struct rvprobe_def k = {.kind = RVPROBE_KRETPROBE, .func_start = F, .addr = F,
                            .ret = count_ret, .pool = pool, .pool_size = 2};
    struct rvprobe_def k2 = k;
    k2.pool = pool2;
    int a = rvprobe_arm(&tab, &d);
    assert_true(a >= 0);
    int writes = fk.writes;
    int b = rvprobe_arm(&tab, &k), c = rvprobe_arm(&tab, &k2);
    assert_true(b >= 0 && c >= 0 && b != a && c != b);
    assert_int_equal(fk.writes, writes); /* nothing written for the others */
    assert_int_equal(fk.slots_live, 1);
    assert_int_equal(probes[b].slot, probes[a].slot);
    assert_int_equal(at(0, F, 2)[0] | at(0, F, 2)[1] << 8, 0x9002);

    for (int round = 0; round < 2; round++) {
        struct rvprobe_regs r = {.pc = F, .ra = 0x80300000, .sp = 0x80400000};
        struct rvprobe_hit h;
        assert_int_equal(hit(0, &r, &h), 1);
        assert_int_equal(h.kind, RVPROBE_HIT_STEP);
        assert_int_equal(r.pc, probes[b].slot);
        assert_int_equal(r.ra, tramp); /* hijacked once, for both */
        assert_int_equal(pre_calls, 1); /* the kprobe ran in round 0 only */
        r.pc = probes[b].slot + 2;
        assert_int_equal(hit(0, &r, &h), 1);
        assert_int_equal(h.kind, RVPROBE_HIT_SLOT_RETURN);
        assert_int_equal(r.pc, F + 2);
        r = (struct rvprobe_regs){.pc = tramp, .ra = tramp, .sp = 0x80400000};
        assert_int_equal(hit(0, &r, &h), 1);
        assert_int_equal(h.kind, RVPROBE_HIT_RETURN);
        assert_int_equal(r.pc, 0x80300000); /* the real caller, not the trampoline */
        assert_int_equal(ret_calls, 2 * (round + 1));
        assert_int_equal(ret_pc, 0x80300000);
        assert_false(pool[0].used || pool[1].used || pool2[0].used || pool2[1].used);
        if (round == 0) { /* the kprobe goes: the kretprobes keep the break */
            assert_int_equal(rvprobe_disarm(&tab, a), 0);
            assert_int_equal(rvprobe_release(&tab, a), 0);
            assert_int_equal(fk.writes, writes);
            assert_int_equal(fk.slots_live, 1);
        }
    }
    assert_int_equal(probes[b].hits, 2);
    assert_int_equal(probes[c].ret_hits, 2);
    assert_int_equal(rvprobe_disarm(&tab, b), 0);
    assert_int_equal(rvprobe_release(&tab, b), 0);
    assert_int_equal(at(0, F, 2)[0] | at(0, F, 2)[1] << 8, 0x9002);
    assert_int_equal(rvprobe_disarm(&tab, c), 0);
    assert_memory_equal(at(0, F, FUNC_LEN), func, FUNC_LEN); /* the last restores */
    assert_int_equal(rvprobe_release(&tab, c), 0);
    assert_int_equal(fk.slots_live, 0);

    /* At most RVPROBE_MAX_SHARED at one address. */
    static struct rvprobe many[RVPROBE_MAX_SHARED + 2];
    assert_int_equal(rvprobe_table_init(&tab, &fport, 64, many, RVPROBE_MAX_SHARED + 2), 0);
    d = kprobe(0, F, 6);
    for (int i = 0; i < RVPROBE_MAX_SHARED; i++)
        assert_int_equal(rvprobe_arm(&tab, &d), i);
    assert_int_equal(rvprobe_arm(&tab, &d), RVPROBE_EEXIST);
    struct rvprobe_regs r = {.pc = F + 6, .a0 = 3, .a1 = 3};
    struct rvprobe_hit h;
    pre_calls = 0;
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(pre_calls, RVPROBE_MAX_SHARED);
    assert_int_equal(r.pc, F + 14); /* simulated once: taken */
}

static void test_table_kretprobe_tasks(void **state)
{
    (void)state;
    struct rvprobe_def k = {.kind = RVPROBE_KRETPROBE,
                            .func_start = F,
                            .addr = F,
                            .ret = count_ret,
                            .pool = pool,
                            .pool_size = 2};
    int id = rvprobe_arm(&tab, &k);
    assert_true(id >= 0);
    const uint64_t tramp = KBASE + TRAMP;
    struct rvprobe_hit h;
    /* two tasks enter with the same sp (different stacks mapped alike) */
    fk.task = 7;
    struct rvprobe_regs r = {.pc = F, .ra = 0x70000000, .sp = 0x80400000};
    assert_int_equal(hit(0, &r, &h), 1);
    fk.task = 8;
    r = (struct rvprobe_regs){.pc = F, .ra = 0x80000000, .sp = 0x80400000};
    assert_int_equal(hit(0, &r, &h), 1);
    r = (struct rvprobe_regs){.pc = tramp, .sp = 0x80400000};
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(r.pc, 0x80000000); /* task 8's own return */
    /* task 7 dies before returning: its instance is dropped */
    rvprobe_task_gone(&tab, 7);
    assert_int_equal(rvprobe_disarm(&tab, id), 0);
    assert_int_equal(rvprobe_release(&tab, id), 0);
}

static int skip_pre(struct rvprobe *p, struct rvprobe_regs *r, void *arg)
{
    (void)p, (void)arg;
    r->pc = 0x80333330;
    return 1;
}

/* A pre handler that moves pc skips the instruction (and the hijack). */
static void test_table_pre_skip(void **state)
{
    (void)state;
    struct rvprobe_def k = {.kind = RVPROBE_KRETPROBE,
                            .func_start = F,
                            .addr = F,
                            .pre = skip_pre,
                            .pool = pool,
                            .pool_size = 2};
    int id = rvprobe_arm(&tab, &k);
    assert_true(id >= 0);
    struct rvprobe_regs r = {.pc = F, .ra = 0x80300000};
    struct rvprobe_hit h;
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_SKIPPED);
    assert_int_equal(r.pc, 0x80333330);
    assert_int_equal(r.ra, 0x80300000);
    assert_int_equal(pool[0].used + pool[1].used, 0);
}

/* Scans stop at live_end: it follows the last used entry down as entries
   are freed, and a hit beyond a freed hole still resolves. */
static void test_table_live_end(void **state)
{
    (void)state;
    struct rvprobe_def beq = kprobe(0, F, 6), beqz = kprobe(0, F, 10), sd = kprobe(0, F, 2);
    assert_int_equal(tab.live_end, 0);
    assert_int_equal(rvprobe_arm(&tab, &beq), 0);
    assert_int_equal(rvprobe_arm(&tab, &beqz), 1);
    assert_int_equal(rvprobe_arm(&tab, &sd), 2);
    assert_int_equal(tab.live_end, 3);
    uint64_t slot = probes[2].slot;

    assert_int_equal(rvprobe_disarm(&tab, 0), 0);
    assert_int_equal(rvprobe_release(&tab, 0), 0);
    assert_int_equal(tab.live_end, 3); /* a hole, not the end */
    struct rvprobe_regs r = {.pc = F + 6};
    struct rvprobe_hit h;
    assert_int_equal(hit(0, &r, &h), 1); /* gone, original back: a late trap runs it again */
    assert_int_equal(h.kind, RVPROBE_HIT_RETRY);
    assert_int_equal(h.id, -1);
    r.pc = slot + 4;
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_SLOT_RETURN);
    assert_int_equal(h.id, 2);
    assert_int_equal(rvprobe_fixup_pc(&tab, 0, slot), F + 2);

    assert_int_equal(rvprobe_disarm(&tab, 2), 0);
    assert_int_equal(tab.live_end, 3); /* disarmed: its slot may still be in use */
    assert_int_equal(rvprobe_release(&tab, 2), 0);
    assert_int_equal(tab.live_end, 2);
    assert_int_equal(rvprobe_disarm(&tab, 1), 0);
    assert_int_equal(rvprobe_release(&tab, 1), 0);
    assert_int_equal(tab.live_end, 0);
    r.pc = F + 10;
    assert_int_equal(hit(0, &r, &h), 1); /* nothing armed, no break: a late trap */
    assert_int_equal(h.kind, RVPROBE_HIT_RETRY);

    struct rvprobe_def csrr = kprobe(0, F, 14);
    assert_int_equal(rvprobe_arm(&tab, &csrr), RVPROBE_EREFUSED);
    assert_int_equal(tab.live_end, 0); /* a refused arm leaves nothing behind */
    assert_int_equal(rvprobe_arm(&tab, &beqz), 0);
    struct rvprobe_def u = kprobe(1, UF, 10);
    assert_int_equal(rvprobe_arm(&tab, &u), 1);
    assert_int_equal(tab.live_end, 2);
    rvprobe_space_gone(&tab, 1);
    assert_int_equal(tab.live_end, 1);
    r = (struct rvprobe_regs){.pc = F + 10, .a0 = 0};
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(r.pc, F + 14); /* c.beqz taken */
}

static void test_table_init_errors(void **state)
{
    (void)state;
    struct rvprobe_table t;
    struct rvprobe_port bad = {0};
    assert_int_equal(rvprobe_table_init(&t, &bad, 64, probes, 4), RVPROBE_EINVAL);
    assert_int_equal(rvprobe_table_init(&t, &fport, 16, probes, 4), RVPROBE_EINVAL);
    assert_int_equal(rvprobe_table_init(&t, &fport, 64, probes, 0), RVPROBE_EINVAL);
    assert_string_equal(rvprobe_strerror(RVPROBE_ENOTBOUNDARY),
                        "address is not an instruction boundary");
}


/* ---- several harts (rvprobe.h, "Several harts") ---- */

static __thread unsigned this_hart; /* each test thread is a hart */

static unsigned f_hart(void *ctx)
{
    (void)ctx;
    return this_hart;
}

static struct rvprobe_port hport;
static struct rvprobe_hart harts[2];

static int harts_setup(void **state)
{
    table_setup(state);
    hport = fport;
    hport.hart = f_hart;
    this_hart = 0;
    rvprobe_table_init(&tab, &hport, 64, probes, 4);
    return rvprobe_table_set_harts(&tab, harts, 2);
}

static uint64_t depth(unsigned h)
{
    return __atomic_load_n(&harts[h].busy, __ATOMIC_ACQUIRE) & 0xffff;
}

struct releaser {
    int id, result;
    volatile int done;
};

static void *release_on_hart0(void *arg)
{
    struct releaser *rl = arg;
    this_hart = 0;
    rl->result = rvprobe_release(&tab, rl->id);
    rl->done = 1;
    return NULL;
}

/* A hart inside a kernel slot holds a release back until it has left the
 * slot; a process's STEP hit ends at once; a hart in no hit holds nothing. */
static void test_table_harts_release_waits_for_slot(void **state)
{
    (void)state;
    struct rvprobe_def d = kprobe(0, F, 2); /* sd ra, 8(sp): stepped */
    int id = rvprobe_arm(&tab, &d);
    assert_true(id >= 0);
    uint64_t slot = probes[id].slot;
    struct rvprobe_regs r = {.pc = F + 2};
    struct rvprobe_hit h;
    this_hart = 1;
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_STEP);
    assert_int_equal(depth(1), 1); /* inside until the slot's break */
    assert_int_equal(depth(0), 0);

    assert_int_equal(rvprobe_disarm(&tab, id), 0);
    struct releaser rl = {.id = id};
    pthread_t th;
    pthread_create(&th, NULL, release_on_hart0, &rl);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_false(rl.done); /* hart 1 may still run the slot: the entry stays */
    assert_int_equal(probes[id].state, RVPROBE_DISARMED);

    r.pc = slot + 4; /* hart 1 comes back from the slot */
    assert_int_equal(hit(0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_SLOT_RETURN);
    assert_int_equal(r.pc, F + 6);
    assert_int_equal(depth(1), 0);
    pthread_join(th, NULL);
    assert_int_equal(rl.result, 0);
    assert_int_equal(probes[id].state, RVPROBE_FREE);

    /* a uprobe's STEP leaves the hart at once (the slot runs in user mode) */
    d = kprobe(1, UF, 2);
    id = rvprobe_arm(&tab, &d);
    assert_true(id >= 0);
    r.pc = UF + 2;
    assert_int_equal(hit(1, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_STEP);
    assert_int_equal(depth(1), 0);
    rvprobe_sync(&tab); /* nobody inside: returns at once */
}

/* rvprobe_on_break_hart uses the hart it is given, not the port's hook;
 * and a slot ended outside the engine as rvprobe.h documents it (the depth
 * one lower, one more pass at depth 0: what ktrace's trap-vector fast path
 * does) lets a waiting release go on. */
static void test_table_on_break_hart(void **state)
{
    (void)state;
    struct rvprobe_def d = kprobe(0, F, 2); /* sd ra, 8(sp): stepped */
    int id = rvprobe_arm(&tab, &d);
    assert_true(id >= 0);
    struct rvprobe_regs r = {.pc = F + 2};
    struct rvprobe_hit h = {.kind = 0xff, .id = 99};
    this_hart = 0; /* the hook would say hart 0 */
    assert_int_equal(rvprobe_on_break_hart(&tab, 1, 0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_STEP);
    assert_int_equal(h.id, id);
    assert_int_equal(r.pc, probes[id].slot);
    assert_int_equal(h.resume, F + 6);
    assert_int_equal(depth(1), 1); /* hart 1 is inside, as given */
    assert_int_equal(depth(0), 0);

    assert_int_equal(rvprobe_disarm(&tab, id), 0);
    struct releaser rl = {.id = id};
    pthread_t th;
    pthread_create(&th, NULL, release_on_hart0, &rl);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_false(rl.done);
    /* hart 1 leaves its slot without the engine, by the documented rule */
    uint64_t b = __atomic_load_n(&harts[1].busy, __ATOMIC_RELAXED) - 1;
    if ((b & RVPROBE_HART_DEPTH_MASK) == 0)
        b += (uint64_t)RVPROBE_HART_DEPTH_MASK + 1;
    __atomic_store_n(&harts[1].busy, b, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    assert_int_equal(rl.result, 0);
    assert_int_equal(probes[id].state, RVPROBE_FREE);

    /* a late trap on the released probe's address: retried, hart 1 out again */
    r = (struct rvprobe_regs){.pc = F + 2};
    assert_int_equal(rvprobe_on_break_hart(&tab, 1, 0, &r, &h), 1);
    assert_int_equal(h.kind, RVPROBE_HIT_RETRY);
    assert_int_equal(r.pc, F + 2);
    assert_int_equal(depth(1), 0);
}

static const struct CMUnitTest table_tests[] = {
    cmocka_unit_test_setup(test_table_step_cycle, table_setup),
    cmocka_unit_test_setup(test_table_simulate, table_setup),
    cmocka_unit_test_setup(test_table_refusals, table_setup),
    cmocka_unit_test_setup(test_table_port_failure, table_setup),
    cmocka_unit_test_setup(test_table_uprobe_spaces, table_setup),
    cmocka_unit_test_setup(test_table_kretprobe, table_setup),
    cmocka_unit_test_setup(test_table_shared_address, table_setup),
    cmocka_unit_test_setup(test_table_kretprobe_tasks, table_setup),
    cmocka_unit_test_setup(test_table_pre_skip, table_setup),
    cmocka_unit_test_setup(test_table_live_end, table_setup),
    cmocka_unit_test_setup(test_table_init_errors, table_setup),
    cmocka_unit_test_setup(test_table_harts_release_waits_for_slot, harts_setup),
    cmocka_unit_test_setup(test_table_on_break_hart, harts_setup),
};
