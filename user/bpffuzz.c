/*
 * bpffuzz - random bpf() system calls from user space, for a bounded time.
 *
 *   bpffuzz [seconds [seed]]     default 20 s; the seed comes from the clock
 *
 * docs/kernel.md promises that nothing a user program does hangs or panics
 * the kernel.  This program tries: random commands, attribute bytes, sizes
 * and pointers (null, unaligned, read-only text, kernel addresses, the end
 * of the heap, random), and half of the time attributes shaped like real
 * requests with their numbers taken from the edges (0, 1, 2^31, 2^32-1,
 * ...): map geometries, program sizes and instructions, log buffers, kprobe
 * and uprobe links at random addresses.  Descriptors it gets are used by
 * later calls and closed at random.  It prints its seed first (to replay a
 * run) and a summary last; the test (tests/kernel/bpffuzz.test.mjs) runs it,
 * then other programs, and checks the kernel is still there.
 *
 * The kernel writes wherever a valid pointer and a size say (a verifier log
 * of log_size bytes, a map value): into this program's memory, as Linux
 * would.  So every pointer that may be written through points into one
 * sacrificial zone at the very top of the heap, never at this program's own
 * variables or stack; a size past the zone's end runs into unmapped memory
 * and must give EFAULT.
 */
#include "ulib.h"

#include <osdbg/bpf_attr.h>
#include <osdbg/bpf_ids.h>
#include <osdbg/memlayout.h>

static uint64_t state;

static uint64_t rnd(void)
{
    state ^= state << 13; /* xorshift64 */
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* The numbers where size arithmetic breaks. */
static uint32_t edge32(void)
{
    static const uint32_t edges[] = {0,          1,          2,          3,          4,
                                     7,          8,          16,         64,         511,
                                     512,        513,        4096,       65536,      0x7fffffff,
                                     0x80000000, 0x80000001, 0xfffffff8, 0xfffffffe, 0xffffffff};
    return below(4) == 0 ? (uint32_t)rnd() : edges[below(sizeof edges / sizeof edges[0])];
}

#define ZONE_SIZE (1u << 20)
static uint8_t *zone; /* sbrk'd last: nothing of ours lies above it */
static struct bpf_insn_raw {
    uint8_t code, regs;
    int16_t off;
    int32_t imm;
} insns[512];
static uint64_t addrs[64];
static const char *names[] = {"init",    "sh",         "bpffuzz",   "hello", "no-such-program",
                              "",        "sys_getpid", "sys_write", "panic", "kprobe_handler",
                              "usertrap"};
static const char *name_ptrs[4];

/* A pointer a program might pass: valid or not, in every way. */
static uint64_t pointer(void)
{
    switch (below(10)) {
    case 0:
        return 0;
    case 1:
        return (uint64_t)(zone + below(ZONE_SIZE)); /* valid, any alignment */
    case 2:
        return (uint64_t)zone;
    case 3:
        return USER_BASE + below(0x1000); /* our own text: read-only */
    case 4:
        return 0x80200000ull + below(0x100000); /* the kernel */
    case 5:
        return (uint64_t)(zone + ZONE_SIZE) - below(16); /* the end of the heap */
    case 6:
        return (uint64_t)(zone + ZONE_SIZE) + below(1 << 16); /* past it: unmapped */
    case 7:
        return rnd();
    case 8:
        return (uint64_t)names[below(sizeof names / sizeof names[0])]; /* read-only */
    default:
        return USTACK_TOP + below(64); /* above the stack */
    }
}

static void random_bytes(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rnd();
}

/* Instructions: random, or a small valid program, or valid with one
 * instruction broken. */
static uint32_t fill_insns(void)
{
    uint32_t n = 1 + (uint32_t)below(sizeof insns / sizeof insns[0]);
    if (below(2)) {
        random_bytes(insns, n * sizeof insns[0]);
        return n;
    }
    n = 2 + (uint32_t)below(6);
    for (uint32_t i = 0; i + 1 < n; i++) /* r0 = i, or a random ALU op on r0 */
        insns[i] = (struct bpf_insn_raw){below(2) ? 0xb7 : (uint8_t)(0x07 | (below(16) << 4)), 0, 0,
                                         (int32_t)rnd()};
    insns[n - 1] = (struct bpf_insn_raw){0x95, 0, 0, 0}; /* exit */
    if (below(3) == 0)
        random_bytes(&insns[below(n)], sizeof insns[0]);
    return n;
}

#define MAX_FDS 12
static int fds[MAX_FDS];
static int nfds;

static int some_fd(void)
{
    if (nfds && below(4))
        return fds[below(nfds)];
    return (int)below(4) == 0 ? (int)rnd() : (int)below(32) - 1;
}

static void keep_fd(long fd)
{
    if (fd < 0)
        return;
    if (nfds == MAX_FDS) {
        int k = (int)below(MAX_FDS);
        close(fds[k]);
        fds[k] = fds[--nfds];
    }
    fds[nfds++] = (int)fd;
}

/* Attributes shaped like a real request of cmd, numbers from the edges. */
static void shaped(int cmd, uint8_t *attr)
{
    switch (cmd) {
    case BPF_MAP_CREATE: {
        struct bpf_attr_map_create *a = (void *)attr;
        static const uint32_t types[] = {
            BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_RINGBUF, 0, 5, 6, 9, 99};
        a->map_type = types[below(sizeof types / sizeof types[0])];
        a->key_size = edge32();
        a->value_size = edge32();
        a->max_entries = edge32();
        a->map_flags = below(2) ? 0 : edge32();
        if (below(3) == 0) { /* a sane one, so that later calls have maps to use */
            a->map_type = below(2) ? BPF_MAP_TYPE_HASH : BPF_MAP_TYPE_ARRAY;
            a->key_size = a->map_type == BPF_MAP_TYPE_ARRAY ? 4 : 1 + (uint32_t)below(16);
            a->value_size = 1 + (uint32_t)below(64);
            a->max_entries = 1 + (uint32_t)below(256);
            a->map_flags = 0;
        }
        break;
    }
    case BPF_MAP_LOOKUP_ELEM:
    case BPF_MAP_UPDATE_ELEM:
    case BPF_MAP_DELETE_ELEM:
    case BPF_MAP_GET_NEXT_KEY: {
        struct bpf_attr_map_elem *a = (void *)attr;
        a->map_fd = (uint32_t)some_fd();
        a->key = pointer();
        a->value = pointer();
        a->flags = below(2) ? below(4) : rnd();
        break;
    }
    case BPF_PROG_LOAD: {
        struct bpf_attr_prog_load *a = (void *)attr;
        a->prog_type = below(2) ? BPF_PROG_TYPE_KPROBE : edge32();
        a->insn_cnt = below(2) ? fill_insns() : edge32();
        a->insns = below(4) ? (uint64_t)insns : pointer();
        a->license = below(2) ? (uint64_t) "GPL" : pointer();
        a->log_level = (uint32_t)below(5);
        a->log_size = edge32();
        a->log_buf = below(2) ? (uint64_t)zone : pointer();
        break;
    }
    case BPF_PROG_TEST_RUN: {
        struct bpf_attr_test_run *a = (void *)attr;
        a->prog_fd = (uint32_t)some_fd();
        a->data_size_in = edge32();
        a->data_in = pointer();
        a->ctx_size_in = edge32();
        a->ctx_in = pointer();
        a->repeat = edge32();
        break;
    }
    case BPF_LINK_CREATE: {
        struct bpf_attr_link_create *a = (void *)attr;
        a->prog_fd = (uint32_t)some_fd();
        a->attach_type = below(2)   ? BPF_TRACE_UPROBE_MULTI
                         : below(2) ? BPF_TRACE_KPROBE_MULTI
                                    : edge32();
        uint32_t cnt = below(3) ? (uint32_t)below(8) : edge32();
        for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
            addrs[i] = a->attach_type == BPF_TRACE_KPROBE_MULTI ? 0x80200000ull + below(0x20000)
                                                                : USER_BASE + below(0x2000);
        for (int i = 0; i < 4; i++)
            name_ptrs[i] = names[below(sizeof names / sizeof names[0])];
        if (a->attach_type == BPF_TRACE_KPROBE_MULTI) {
            a->kprobe_multi.flags = (uint32_t)below(3);
            a->kprobe_multi.cnt = cnt;
            a->kprobe_multi.syms = below(2) ? (uint64_t)name_ptrs : below(2) ? 0 : pointer();
            a->kprobe_multi.addrs = below(2) ? (uint64_t)addrs : pointer();
        } else {
            a->uprobe_multi.path = below(4) ? (uint64_t)names[below(5)] : pointer();
            a->uprobe_multi.offsets = below(3) ? (uint64_t)addrs : pointer();
            a->uprobe_multi.cnt = cnt;
            a->uprobe_multi.flags = (uint32_t)below(3);
            a->uprobe_multi.pid = below(4) ? 0 : edge32();
        }
        break;
    }
    default:
        break;
    }
}

int main(int argc, char *argv[])
{
    long seconds = argc > 1 ? atol(argv[1]) : 20;
    /* A seed from the clock: how many calls fit before it ticks varies. */
    uint64_t mix = (uint64_t)uptime_ms();
    for (int ticks = 0; ticks < 3; ticks++) {
        long t = uptime_ms(), spins = 0;
        while (uptime_ms() == t)
            spins++;
        mix = mix * 6364136223846793005ull + (uint64_t)spins;
    }
    state = argc > 2 ? (uint64_t)atol(argv[2]) : mix % 1000000007u + 1;
    if (!state)
        state = 1;
    zone = sbrk(ZONE_SIZE);
    if (zone == (void *)-1) {
        printf("bpffuzz: no memory for its zone\n");
        return 1;
    }
    printf("bpffuzz: seed %lu, %ld s (bpffuzz %ld %lu replays it)\n", (unsigned long)state, seconds,
           seconds, (unsigned long)state);
    static const int cmds[] = {BPF_MAP_CREATE,      BPF_MAP_LOOKUP_ELEM,  BPF_MAP_UPDATE_ELEM,
                               BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY, BPF_PROG_LOAD,
                               BPF_PROG_TEST_RUN,   BPF_LINK_CREATE};
    long end = uptime_ms() + seconds * 1000, calls = 0, ok = 0;
    uint8_t attr[BPF_ATTR_SIZE + 64] __attribute__((aligned(8)));
    while (uptime_ms() < end) {
        for (int batch = 0; batch < 32; batch++) {
            int cmd = below(8) ? cmds[below(sizeof cmds / sizeof cmds[0])] : (int)edge32();
            memset(attr, 0, sizeof attr);
            if (below(2))
                shaped(cmd, attr);
            else
                random_bytes(attr, sizeof attr);
            random_bytes(zone, 256);
            unsigned long size = below(4) ? BPF_ATTR_SIZE : edge32();
            void *where = below(8) ? (void *)attr : (void *)pointer();
            if (size > sizeof attr && where == (void *)attr)
                size = below(2) ? sizeof attr : size; /* past the buffer: a fault */
            long r = bpf(cmd, where, size);
            calls++;
            if (r >= 0) {
                ok++;
                if (cmd == BPF_MAP_CREATE || cmd == BPF_PROG_LOAD || cmd == BPF_LINK_CREATE)
                    keep_fd(r);
            }
            if (nfds && below(16) == 0) {
                int k = (int)below(nfds);
                close(fds[k]);
                fds[k] = fds[--nfds];
            }
        }
    }
    while (nfds)
        close(fds[--nfds]);
    printf("bpffuzz: %ld calls in %ld s, %ld succeeded; the kernel is still here\n", calls, seconds,
           ok);
    return 0;
}
