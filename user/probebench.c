/*
 * probebench: what a kprobe costs, in guest instructions (instret), side by
 * side with an empty system call in the same run.
 *   probebench <stepped-addr> <simulated-addr> [n]
 * The addresses are instructions of the kernel's sys_getpid (the bench
 * script finds them with objdump): one the engine runs out of line, one it
 * simulates.  An empty eBPF program is attached to each in turn through
 * bpf(BPF_LINK_CREATE); the extra instructions per getpid() are the probe's
 * cost: trap, engine, program run, return.
 *   probebench rate <addr> <procs> <n>
 * Hits per second instead: procs processes make n getpid() calls each, all
 * at once (one per hart), first bare, then with the empty program on addr.
 */
#include "ulib.h"
#include <osdbg/bpf_attr.h>

static inline uint64_t rdinstret(void)
{
    uint64_t x;
    asm volatile("rdinstret %0" : "=r"(x));
    return x;
}

static uint64_t per_call(long n)
{
    uint64_t best = ~0ULL;
    for (int round = 0; round < 5; round++) { /* the least disturbed round */
        uint64_t a = rdinstret();
        for (long i = 0; i < n; i++)
            getpid();
        uint64_t d = (rdinstret() - a) / (uint64_t)n;
        if (d < best)
            best = d;
    }
    return best;
}

static long attach(long prog, uint64_t addr)
{
    struct bpf_attr_link_create a = {0};
    a.prog_fd = (uint32_t)prog;
    a.attach_type = BPF_TRACE_KPROBE_MULTI;
    a.kprobe_multi.cnt = 1;
    a.kprobe_multi.addrs = (uint64_t)&addr;
    return bpf(BPF_LINK_CREATE, &a, sizeof a);
}

static void ratio(const char *what, uint64_t cost, uint64_t syscall)
{
    printf("probebench: %s: +%lu instructions per hit = %lu.%02lux an empty system call\n", what,
           (unsigned long)cost, (unsigned long)(cost / syscall),
           (unsigned long)(cost * 100 / syscall % 100));
}

/* procs processes x n getpid() at once; the wall time in ms. */
static long burst(long procs, long n)
{
    long start = uptime_ms();
    for (long c = 0; c < procs; c++) {
        int pid = fork();
        if (pid == 0) {
            for (long i = 0; i < n; i++)
                getpid();
            exit(0);
        }
    }
    for (long c = 0; c < procs; c++)
        wait(-1, 0);
    return uptime_ms() - start;
}

static long load_empty(void)
{
    /* r0 = 0; exit */
    static const uint64_t empty[] = {0x00000000000000b7ULL, 0x0000000000000095ULL};
    struct bpf_attr_prog_load pl = {0};
    pl.prog_type = BPF_PROG_TYPE_KPROBE;
    pl.insn_cnt = 2;
    pl.insns = (uint64_t)empty;
    pl.license = (uint64_t) "GPL";
    return bpf(BPF_PROG_LOAD, &pl, sizeof pl);
}

static int rate(uint64_t addr, long procs, long n)
{
    long prog = load_empty();
    if (prog < 0)
        return 1;
    long bare = burst(procs, n);
    long link = attach(prog, addr);
    if (link < 0) {
        printf("probebench: cannot attach at 0x%lx: %s\n", (unsigned long)addr, strerror(link));
        return 1;
    }
    long probed = burst(procs, n);
    close((int)link);
    printf("probebench: rate: %ld processes x %ld calls: %ld ms bare, %ld ms with the kprobe\n",
           procs, n, bare, probed);
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc == 5 && strcmp(argv[1], "rate") == 0)
        return rate((uint64_t)strtoul_hex(argv[2]), atol(argv[3]), atol(argv[4]));
    if (argc < 3) {
        printf("usage: probebench <stepped-addr> <simulated-addr> [n]\n");
        return 2;
    }
    uint64_t step = (uint64_t)strtoul_hex(argv[1]), sim = (uint64_t)strtoul_hex(argv[2]);
    long n = argc > 3 ? atol(argv[3]) : 2000;
    /* r0 = 0; exit */
    static const uint64_t empty[] = {0x00000000000000b7ULL, 0x0000000000000095ULL};
    struct bpf_attr_prog_load pl = {0};
    pl.prog_type = BPF_PROG_TYPE_KPROBE;
    pl.insn_cnt = 2;
    pl.insns = (uint64_t)empty;
    pl.license = (uint64_t) "GPL";
    long prog = bpf(BPF_PROG_LOAD, &pl, sizeof pl);
    if (prog < 0) {
        printf("probebench: cannot load the empty program: %s\n", strerror(prog));
        return 1;
    }
    uint64_t base = per_call(n);
    printf("probebench: empty system call (getpid) round trip: %lu instructions\n",
           (unsigned long)base);
    const uint64_t addrs[2] = {sim, step};
    const char *names[2] = {"simulated kprobe", "stepped kprobe"};
    for (int k = 0; k < 2; k++) {
        long link = attach(prog, addrs[k]);
        if (link < 0) {
            printf("probebench: cannot attach at 0x%lx: %s\n", (unsigned long)addrs[k],
                   strerror(link));
            return 1;
        }
        uint64_t with = per_call(n);
        close((int)link);
        ratio(names[k], with - base, base);
    }
    return 0;
}
