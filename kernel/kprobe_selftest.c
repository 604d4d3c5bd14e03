/*
 * In-kernel probe tests (run by ktest): a kprobe on every instruction of a
 * real kernel function, one at a time - simulated and stepped, 2- and
 * 4-byte - must leave the function's result unchanged, count one hit per
 * execution of the first instruction, and restore the text byte for byte;
 * a kretprobe sees the return value; kprobes and kretprobes share one
 * function; refusals name their reason.
 */
#include "kprobe.h"
#include "kprobe_target.h"
#include "kstring.h"
#include "printf.h"
#include "selftest.h"

static int pre_count(struct rvprobe *p, struct rvprobe_regs *regs, void *arg)
{
    (void)p;
    (void)regs;
    (*(int *)arg)++;
    return 0;
}

static long returned;

static void ret_seen(struct rvprobe *p, struct rvprobe_regs *regs, uint64_t sp, void *arg)
{
    (void)p;
    (void)sp;
    (void)arg;
    returned = (long)regs->a0;
}

static bool is_ret(const uint8_t *pc, unsigned len)
{
    uint32_t w = len == 2 ? *(const uint16_t *)pc : *(const uint32_t *)pc;
    return (len == 2 && w == 0x8082) || (len == 4 && w == 0x00008067); /* c.jr ra / jalr x0,0(ra) */
}

static int returns_seen;

static void ret_count(struct rvprobe *p, struct rvprobe_regs *regs, uint64_t sp, void *arg)
{
    (void)p;
    (void)sp;
    returns_seen++;
    *(long *)arg = (long)regs->a0;
}

/* Several probes on one function (a libbpf object's kprobe/f and
 * kretprobe/f): two kprobes and two kretprobes share the first
 * instruction; each runs once per call; one of each detached, the others
 * go on; the last detached, the text is as before. */
static void shared_address_test(void (*check)(bool ok, const char *what), const uint8_t *start,
                                const uint8_t *snapshot, unsigned n)
{
    const char *why;
    uint64_t f = (uint64_t)start;
    int hits1 = 0, hits2 = 0;
    long ret1 = -1, ret2 = -1, want6 = kprobe_target(6), want9 = kprobe_target(9);
    int k1 = kprobe_arm(RVPROBE_KPROBE, f, f, pre_count, 0, &hits1, &why);
    int r1 = kprobe_arm(RVPROBE_KRETPROBE, f, f, 0, ret_count, &ret1, &why);
    int k2 = kprobe_arm(RVPROBE_KPROBE, f, f, pre_count, 0, &hits2, &why);
    int r2 = kprobe_arm(RVPROBE_KRETPROBE, f, f, 0, ret_count, &ret2, &why);
    returns_seen = 0;
    long r = 0;
    for (int i = 0; i < 3; i++)
        r = kprobe_target(4 + i);
    bool armed = k1 >= 0 && r1 >= 0 && k2 >= 0 && r2 >= 0;
    check(armed && hits1 == 3 && hits2 == 3 && returns_seen == 6 && ret1 == r && ret2 == r &&
              r == want6,
          "kprobe: two kprobes and two kretprobes on one function each run once per call");
    if (k1 >= 0)
        kprobe_disarm(k1);
    if (r1 >= 0)
        kprobe_disarm(r1);
    returns_seen = 0;
    ret2 = -1;
    r = kprobe_target(9);
    check(armed && hits1 == 3 && hits2 == 4 && returns_seen == 1 && ret2 == r && r == want9,
          "kprobe: detaching a kprobe and a kretprobe of a shared function leaves the others");
    if (k2 >= 0)
        kprobe_disarm(k2);
    if (r2 >= 0)
        kprobe_disarm(r2);
    r = kprobe_target(9);
    check(memcmp(start, snapshot, n) == 0 && r == want9 && hits2 == 4 && returns_seen == 1,
          "kprobe: the last probe of a shared function detached restores its text");
    /* The engine's bound: RVPROBE_MAX_SHARED at one address, one more refused. */
    int ids[RVPROBE_MAX_SHARED + 1], ok = 0;
    for (int i = 0; i <= RVPROBE_MAX_SHARED; i++)
        ids[i] = kprobe_arm(RVPROBE_KPROBE, f, f, 0, 0, 0, &why);
    for (int i = 0; i < RVPROBE_MAX_SHARED; i++)
        ok += ids[i] >= 0;
    check(ok == RVPROBE_MAX_SHARED && ids[RVPROBE_MAX_SHARED] == RVPROBE_EEXIST,
          "kprobe: up to RVPROBE_MAX_SHARED probes share an address, one more is refused");
    for (int i = 0; i <= RVPROBE_MAX_SHARED; i++)
        if (ids[i] >= 0)
            kprobe_disarm(ids[i]);
    check(memcmp(start, snapshot, n) == 0, "kprobe: ... and all of them detached, the text is back");
}

void kprobe_selftest(void (*check)(bool ok, const char *what))
{
    const uint8_t *start = (const uint8_t *)kprobe_target;
    long ref = kprobe_target(7);
    static uint8_t snapshot[1024];
    memcpy(snapshot, start, sizeof snapshot);

    int probed = 0, simulated = 0, stepped = 0, refused = 0, two = 0, four = 0;
    bool results_ok = true, text_ok = true, first_ok = false;
    const uint8_t *pc = start;
    for (int n = 0; n < 200; n++) {
        unsigned len = rvprobe_insn_len(*(const uint16_t *)pc);
        int hits = 0;
        const char *why;
        int id =
            kprobe_arm(RVPROBE_KPROBE, (uint64_t)start, (uint64_t)pc, pre_count, 0, &hits, &why);
        if (id >= 0) {
            const struct rvprobe *p = kprobe_get(id);
            probed++;
            simulated += p->insn.cls == RVPROBE_SIMULATE;
            stepped += p->insn.cls == RVPROBE_STEP;
            two += len == 2;
            four += len == 4;
            long r = kprobe_target(7);
            results_ok &= r == ref;
            if (pc == start)
                first_ok = hits == 1;
            kprobe_disarm(id);
            text_ok &= memcmp(start, snapshot, sizeof snapshot) == 0;
        } else {
            refused++;
        }
        if (is_ret(pc, len))
            break;
        pc += len;
    }
    printf("ktest: kprobes on %d instructions of kprobe_target: %d simulated, %d stepped, "
           "%d two-byte, %d four-byte, %d refused\n",
           probed, simulated, stepped, two, four, refused);
    check(probed > 20 && refused == 0, "kprobe: every instruction of a C function can be probed");
    check(results_ok, "kprobe: the probed function computes the same result under each probe");
    check(first_ok, "kprobe: a probe on the first instruction hits once per call");
    check(text_ok, "kprobe: disarming restores the text byte for byte");
    check(simulated > 0 && stepped > 0, "kprobe: both simulated and stepped instructions ran");
    check(two > 0 && four > 0, "kprobe: both 2-byte and 4-byte instructions were probed");

    const char *why;
    int k = kprobe_arm(RVPROBE_KRETPROBE, (uint64_t)start, (uint64_t)start, 0, ret_seen, 0, &why);
    returned = -1;
    long r = kprobe_target(5);
    check(k >= 0 && returned == r && r == kprobe_target(5),
          "kretprobe: the return handler sees the function's return value");
    if (k >= 0)
        kprobe_disarm(k);

    shared_address_test(check, start, snapshot, sizeof snapshot);

    extern void kerneltrap(void);
    int f = kprobe_arm(RVPROBE_KPROBE, (uint64_t)kerneltrap, (uint64_t)kerneltrap, 0, 0, 0, &why);
    check(f < 0 && why && strncmp(why, "the trap path", 13) == 0,
          "kprobe: the trap path is refused with a reason");
    int b = kprobe_arm(RVPROBE_KPROBE, (uint64_t)start, (uint64_t)start + 1, 0, 0, 0, &why);
    check(b == RVPROBE_ENOTBOUNDARY, "kprobe: an address inside an instruction is refused");

    /* The csrr in kprobe_csr_target: refused, the CSR would be read in the slot's context. */
    const uint8_t *c = (const uint8_t *)kprobe_csr_target;
    int csr = 0;
    for (int n = 0; n < 40; n++) {
        unsigned len = rvprobe_insn_len(*(const uint16_t *)c);
        uint32_t w = len == 2 ? *(const uint16_t *)c : *(const uint32_t *)c;
        if (len == 4 && (w & 0x7f) == 0x73 && ((w >> 12) & 7) != 0) {
            int id =
                kprobe_arm(RVPROBE_KPROBE, (uint64_t)kprobe_csr_target, (uint64_t)c, 0, 0, 0, &why);
            csr = id == RVPROBE_EREFUSED && why != 0;
            if (id >= 0)
                kprobe_disarm(id);
            break;
        }
        c += len;
    }
    check(csr, "kprobe: a csr instruction is refused with a reason");
}
