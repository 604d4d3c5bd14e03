/*
 * e2e.c - the probe table on a real (emulated) hart, under qemu-riscv64.
 *
 * The port patches real code (e2e_funcs.S) in this process; an ebreak
 * raises SIGTRAP, and the handler passes the signal frame's registers, a
 * Linux user_regs_struct like the kernel's trap frame, straight to
 * rvprobe_on_break.  So slots really execute, simulated jumps really land,
 * and kretprobe returns really come back through the trampoline.
 *
 *   1. a probe on every instruction of three functions: results unchanged,
 *      hit counts equal execution counts, text restored byte for byte;
 *   2. kretprobes on an outer and an inner function (both in flight at
 *      once) pair every return with its call.
 *   3. a kprobe and two kretprobes sharing one function's first
 *      instruction: every handler per call, one trampoline trap per
 *      return; two detached, the third goes on; the last restores the text.
 * Prints "N passed, N failed".
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "rvprobe.h"

extern long probed(long);
extern long helper(long);
extern char probed_end[], helper_end[], helper2[], helper2_end[];

static uint8_t *xol; /* slots and the trampoline */
static unsigned next_slot;
#define TRAMP_OFF 0xf00

static int p_read(void *ctx, uint64_t space, uint64_t addr, void *buf, unsigned n)
{
    (void)ctx, (void)space;
    memcpy(buf, (void *)(uintptr_t)addr, n);
    return 0;
}

static int p_write(void *ctx, uint64_t space, uint64_t addr, const void *b, unsigned n)
{
    (void)ctx, (void)space;
    memcpy((void *)(uintptr_t)addr, b, n);
    __builtin___clear_cache((char *)(uintptr_t)addr, (char *)(uintptr_t)addr + n); /* fence.i */
    return 0;
}

static int p_slot(void *ctx, uint64_t space, unsigned size, uint64_t *addr)
{
    (void)ctx, (void)space, (void)size;
    if (next_slot * RVPROBE_SLOT_SIZE >= TRAMP_OFF)
        return -1;
    *addr = (uint64_t)(uintptr_t)(xol + RVPROBE_SLOT_SIZE * next_slot++);
    return 0;
}

static uint64_t p_task(void *ctx)
{
    (void)ctx;
    return 1;
}

static uint64_t p_tramp(void *ctx, uint64_t space)
{
    (void)ctx, (void)space;
    return (uint64_t)(uintptr_t)(xol + TRAMP_OFF);
}

static const struct rvprobe_port port = {
    .read = p_read,
    .write_text = p_write,
    .slot_alloc = p_slot,
    .current_task = p_task,
    .trampoline = p_tramp,
};

#define NPROBES 64
static struct rvprobe probes[NPROBES];
static struct rvprobe_table tab;
static unsigned long kinds[8];
static int passed, failed;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    ucontext_t *uc = ucv;
    /* __gregs is pc, x1..x31: the engine's struct rvprobe_regs */
    struct rvprobe_regs *regs = (struct rvprobe_regs *)(void *)uc->uc_mcontext.__gregs;
    struct rvprobe_hit h;
    if (rvprobe_on_break(&tab, RVPROBE_KERNEL_SPACE, regs, &h) != 1) {
        static const char msg[] = "e2e: an ebreak the engine does not know\n";
        write(2, msg, sizeof msg - 1);
        _exit(3);
    }
    kinds[h.kind]++;
}

static void check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    ok ? passed++ : failed++;
}

static int count_pre(struct rvprobe *p, struct rvprobe_regs *r, void *arg)
{
    (void)p, (void)r, (void)arg;
    return 0;
}

/* Arms a kprobe on every instruction in [start, end); returns how many. */
static int arm_all(uint64_t start, uint64_t end)
{
    int n = 0;
    for (uint64_t a = start; a < end;) {
        struct rvprobe_def d = {
            .kind = RVPROBE_KPROBE, .func_start = start, .addr = a, .pre = count_pre};
        int id = rvprobe_arm(&tab, &d);
        if (id < 0) {
            printf("arm %#lx: %s (%s)\n", (unsigned long)a, rvprobe_strerror(id),
                   tab.reason ? tab.reason : "-");
            return -1;
        }
        a += probes[id].insn.len;
        n++;
    }
    return n;
}

static uint64_t hits_at(uint64_t addr)
{
    for (int i = 0; i < NPROBES; i++)
        if (probes[i].state != RVPROBE_FREE && probes[i].def.addr == addr)
            return probes[i].hits;
    return ~0ull;
}

static long ret_sum, probed_ret;
static unsigned helper_rets, probed_rets;

static void on_ret(struct rvprobe *p, struct rvprobe_regs *r, uint64_t entry_sp, void *arg)
{
    (void)arg;
    if (p->def.addr == (uint64_t)(uintptr_t)helper) {
        helper_rets++;
        ret_sum += (long)r->a0;
    } else {
        probed_rets++;
        probed_ret = (long)r->a0;
    }
    if (entry_sp != r->sp)
        failed++;
}

int main(void)
{
    const uint64_t f = (uint64_t)(uintptr_t)probed, fe = (uint64_t)(uintptr_t)probed_end;
    const uint64_t h = (uint64_t)(uintptr_t)helper, he = (uint64_t)(uintptr_t)helper_end;
    const uint64_t h2 = (uint64_t)(uintptr_t)helper2, h2e = (uint64_t)(uintptr_t)helper2_end;
    static uint8_t orig[512];
    size_t text_len = (size_t)(h2e - f);
    memcpy(orig, probed, text_len);

    xol = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    rvprobe_break_bytes(4, xol + TRAMP_OFF);
    struct sigaction sa = {.sa_sigaction = on_trap, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTRAP, &sa, NULL);
    rvprobe_table_init(&tab, &port, 64, probes, NPROBES);

    long plain = probed(10);
    check(plain == 3 * 55 + 1000, "probed(10) = 1165 unprobed");

    /* 1. every instruction probed */
    int n = arm_all(f, fe), m = arm_all(h, he), k = arm_all(h2, h2e);
    check(n > 20 && m == 5 && k == 1, "a probe armed on every instruction of three functions");
    check(memcmp(orig, probed, text_len) != 0, "the text is patched");
    long got = probed(10);
    check(got == plain, "probed(10) gives the same result with every instruction probed");
    check(hits_at(f) == 1 && hits_at(h) == 10 && hits_at(h2) == 1 && hits_at(fe - 2) == 1,
          "entry hits: probed 1, helper 10, helper2 1, probed's ret 1");
    /* the loop: beq at 1: runs n + 1 times, bltu n times (back 9 times), j once */
    uint64_t at_op[RVPROBE_OP_C_BNEZ + 1] = {0};
    for (int i = 0; i < NPROBES; i++)
        if (probes[i].state == RVPROBE_ARMED && !at_op[probes[i].insn.op])
            at_op[probes[i].insn.op] = probes[i].def.addr;
    check(hits_at(at_op[RVPROBE_OP_BEQ]) == 11 && hits_at(at_op[RVPROBE_OP_BLTU]) == 10 &&
              hits_at(at_op[RVPROBE_OP_C_J]) == 1 && hits_at(at_op[RVPROBE_OP_JAL]) == 10 &&
              hits_at(at_op[RVPROBE_OP_C_BNEZ]) == 10 && hits_at(at_op[RVPROBE_OP_C_JALR]) == 1,
          "loop hits: beq 11, bltu 10, c.j 1, jal 10, c.bnez 10, c.jalr 1");
    check(kinds[RVPROBE_HIT_STEP] == kinds[RVPROBE_HIT_SLOT_RETURN] &&
              kinds[RVPROBE_HIT_STEP] > 0 && kinds[RVPROBE_HIT_SIMULATED] > 0,
          "every stepped hit came back from its slot");
    printf("hits: %lu simulated, %lu stepped\n", kinds[RVPROBE_HIT_SIMULATED],
           kinds[RVPROBE_HIT_STEP]);
    int bad = 0;
    for (int i = 0; i < NPROBES; i++)
        if (probes[i].state == RVPROBE_ARMED)
            bad |= rvprobe_disarm(&tab, i) | rvprobe_release(&tab, i);
    check(!bad && memcmp(orig, probed, text_len) == 0, "disarm restores the text byte for byte");
    check(probed(10) == plain, "probed(10) unprobed again");

    /* 2. kretprobes on probed and helper: both in flight at once */
    static struct rvprobe_ri pool_p[2], pool_h[2];
    struct rvprobe_def kp = {.kind = RVPROBE_KRETPROBE,
                             .func_start = f,
                             .addr = f,
                             .ret = on_ret,
                             .pool = pool_p,
                             .pool_size = 2};
    struct rvprobe_def kh = {.kind = RVPROBE_KRETPROBE,
                             .func_start = h,
                             .addr = h,
                             .ret = on_ret,
                             .pool = pool_h,
                             .pool_size = 2};
    int ip = rvprobe_arm(&tab, &kp), ih = rvprobe_arm(&tab, &kh);
    check(ip >= 0 && ih >= 0, "kretprobes armed on probed and helper");
    got = probed(10);
    check(got == plain, "probed(10) unchanged under kretprobes");
    check(helper_rets == 10 && ret_sum == 165, "helper: 10 returns seen, values 3..30");
    check(probed_rets == 1 && probed_ret == plain, "probed: one return seen with its value");
    check(kinds[RVPROBE_HIT_RETURN] == 11, "11 returns through the trampoline");
    rvprobe_disarm(&tab, ip);
    rvprobe_disarm(&tab, ih);
    check(rvprobe_release(&tab, ip) == 0 && rvprobe_release(&tab, ih) == 0 &&
              memcmp(orig, probed, text_len) == 0,
          "released with no instance in flight; text restored");

    /* 3. a kprobe and two kretprobes sharing helper's first instruction */
    static struct rvprobe_ri pool_h2[2];
    struct rvprobe_def dk = {.kind = RVPROBE_KPROBE, .func_start = h, .addr = h, .pre = count_pre};
    struct rvprobe_def kh2 = kh;
    kh2.pool = pool_h2;
    helper_rets = 0, ret_sum = 0, probed_rets = 0;
    unsigned long returns_before = kinds[RVPROBE_HIT_RETURN];
    int sk = rvprobe_arm(&tab, &dk), s1 = rvprobe_arm(&tab, &kh), s2 = rvprobe_arm(&tab, &kh2);
    check(sk >= 0 && s1 >= 0 && s2 >= 0, "a kprobe and two kretprobes armed on helper's entry");
    got = probed(10);
    check(got == plain && probes[sk].hits == 10 && helper_rets == 20 && ret_sum == 330 &&
              kinds[RVPROBE_HIT_RETURN] - returns_before == 10,
          "shared entry: 10 kprobe hits, each return seen by both kretprobes through one trampoline trap");
    rvprobe_disarm(&tab, sk);
    rvprobe_disarm(&tab, s1);
    check(rvprobe_release(&tab, sk) == 0 && rvprobe_release(&tab, s1) == 0 &&
              memcmp(orig, probed, text_len) != 0,
          "two of the three detached: the break stays for the third");
    helper_rets = 0, ret_sum = 0;
    got = probed(10);
    check(got == plain && helper_rets == 10 && ret_sum == 165 && probes[s2].ret_hits == 20,
          "the remaining kretprobe sees the 10 returns alone");
    rvprobe_disarm(&tab, s2);
    check(rvprobe_release(&tab, s2) == 0 && memcmp(orig, probed, text_len) == 0 &&
              probed(10) == plain,
          "the last one detached: text restored");

    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
