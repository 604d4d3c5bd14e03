/*
 * In-kernel tests of the stack walker (run by ktest): kprobes on a known
 * call chain stack_test_a -> stack_test_b -> stack_test_leaf walk it from
 * a function's entry, from after a leaf's and a non-leaf's prologue, and
 * from a kretprobe; contexts that lie (a frame pointer at device
 * registers, a frame that points at itself, no process) end the walk
 * without a fault.  Expected frames come from the chain's own source: which
 * function calls which.
 */
#include "bpf_stack.h"
#include "kprobe.h"
#include "ksyms.h"
#include "kstring.h"
#include "printf.h"
#include <osdbg/gpr.h>

static volatile long stack_test_sink;

NOINLINE static long stack_test_leaf(long x)
{
    long y = x * 3;
    stack_test_sink = y;
    return y + 1;
}

NOINLINE static long stack_test_b(long x)
{
    long r = stack_test_leaf(x + 1);
    stack_test_sink += r; /* work after the call: no tail call */
    return r + 2;
}

NOINLINE static long stack_test_a(long x)
{
    long r = stack_test_b(x + 1);
    stack_test_sink += r;
    return r + 3;
}

/* What the last probe hit saw. */
static uint64_t seen[8];
static int seen_n;
static int seen_skip, seen_max = 8;

static int walk_at_hit(struct rvprobe *p, struct rvprobe_regs *regs, void *arg)
{
    (void)p, (void)arg;
    seen_n = bpf_stack_walk(regs, 0, seen, seen_max, seen_skip);
    return 0;
}

static void walk_at_return(struct rvprobe *p, struct rvprobe_regs *regs, uint64_t sp, void *arg)
{
    (void)sp;
    walk_at_hit(p, regs, arg);
}

static bool in_func(uint64_t ip, void *fn)
{
    return ksym_func_start(ip) == (uint64_t)fn;
}

/* The instruction after the prologue's `addi s0, sp, N` (c.addi4spn s0 or
 * a full addi), or 0: the first one with the function's frame built. */
static uint64_t after_prologue(void *fn)
{
    const uint8_t *pc = fn;
    for (int n = 0; n < 16; n++) {
        unsigned len = rvprobe_insn_len(*(const uint16_t *)pc);
        uint32_t w = len == 2 ? *(const uint16_t *)pc : *(const uint32_t *)pc;
        bool sets_fp = len == 2 ? w != 0 && (w & 0xe01f) == 0 : (w & 0xfffff) == 0x10413;
        pc += len;
        if (sets_fp)
            return (uint64_t)pc;
    }
    return 0;
}

/* Arms a probe (kind, at addr in fn), runs the chain, disarms; the walk's
 * result is in seen/seen_n.  False if the probe could not be armed. */
static bool probe_chain(int kind, void *fn, uint64_t addr)
{
    const char *why;
    seen_n = -1;
    memset(seen, 0, sizeof seen);
    int id = kprobe_arm(kind, (uint64_t)fn, addr, kind == RVPROBE_KPROBE ? walk_at_hit : 0,
                        kind == RVPROBE_KRETPROBE ? walk_at_return : 0, 0, &why);
    if (id < 0)
        return false;
    stack_test_a(1);
    kprobe_disarm(id);
    return true;
}

static void test_chain(void (*check)(bool ok, const char *what))
{
    bool ok = probe_chain(RVPROBE_KPROBE, stack_test_leaf, (uint64_t)stack_test_leaf);
    check(ok && seen_n >= 4 && seen[0] == (uint64_t)stack_test_leaf &&
              in_func(seen[1], stack_test_b) && in_func(seen[2], stack_test_a) &&
              in_func(seen[3], probe_chain),
          "stack walk: at a function's entry, pc then ra then the callers' frames");

    uint64_t in_leaf = after_prologue(stack_test_leaf);
    ok = in_leaf && probe_chain(RVPROBE_KPROBE, stack_test_leaf, in_leaf);
    check(ok && seen_n >= 3 && seen[0] == in_leaf && in_func(seen[1], stack_test_b) &&
              in_func(seen[2], stack_test_a),
          "stack walk: inside a leaf (its frame holds no ra), the callers");

    uint64_t in_b = after_prologue(stack_test_b);
    ok = in_b && probe_chain(RVPROBE_KPROBE, stack_test_b, in_b);
    check(ok && seen_n >= 3 && seen[0] == in_b && in_func(seen[1], stack_test_a) &&
              in_func(seen[2], probe_chain),
          "stack walk: inside a function that calls, the callers from its frame");

    ok = probe_chain(RVPROBE_KRETPROBE, stack_test_leaf, (uint64_t)stack_test_leaf);
    check(ok && seen_n >= 2 && in_func(seen[0], stack_test_b) && in_func(seen[1], stack_test_a),
          "stack walk: at a kretprobe, the return site then its callers");

    seen_skip = 1;
    ok = probe_chain(RVPROBE_KPROBE, stack_test_leaf, (uint64_t)stack_test_leaf);
    seen_skip = 0;
    check(ok && seen_n >= 2 && in_func(seen[0], stack_test_b) && in_func(seen[1], stack_test_a),
          "stack walk: skip drops the innermost frames");

    seen_max = 2;
    ok = probe_chain(RVPROBE_KPROBE, stack_test_leaf, (uint64_t)stack_test_leaf);
    seen_max = 8;
    check(ok && seen_n == 2 && seen[2] == 0, "stack walk: at most max frames are written");
}

struct fake_regs {
    uint64_t pc;
    OSDBG_GPR_LIST(OSDBG_GPR_U64)
};

static void test_lies(void (*check)(bool ok, const char *what))
{
    uint64_t ips[8];
    /* A frame pointer at the UART: never read (a read may take a byte). */
    struct fake_regs r = {0};
    r.pc = (uint64_t)stack_test_b + 2;
    r.sp = 0x10000000;
    r.s0 = 0x10000010;
    check(bpf_stack_walk(&r, 0, ips, 8, 0) == 1 && ips[0] == r.pc,
          "stack walk: a frame pointer outside RAM ends the walk after pc");

    /* A frame whose saved frame pointer is itself. */
    static uint64_t fake[8];
    fake[3] = (uint64_t)stack_test_a + 4; /* fp-8: a return address */
    fake[2] = (uint64_t)&fake[4];         /* fp-16: this frame again */
    r.sp = (uint64_t)&fake[0];
    r.s0 = (uint64_t)&fake[4];
    check(bpf_stack_walk(&r, 0, ips, 8, 0) == 2 && ips[1] == fake[3],
          "stack walk: a frame chain that loops ends after one turn");

    r.pc = 0x10000; /* a user pc: no kernel stack to show */
    check(bpf_stack_walk(&r, 0, ips, 8, 0) == 0, "stack walk: a user context has no kernel stack");
    check(bpf_stack_walk(0, 0, ips, 8, 0) == 0 && bpf_stack_walk(&r, 0, ips, 0, 0) == 0,
          "stack walk: no context or no room: nothing written");
}

void bpf_stack_selftest(void (*check)(bool ok, const char *what))
{
    test_chain(check);
    test_lies(check);
}
