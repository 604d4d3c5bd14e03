/*
 * bpftest: the bpf() system call from user space - maps, program load
 * with the verifier's log, test runs - and its error paths.  The
 * instructions are written by hand from RFC 9669; the expected results
 * follow from the programs' meaning.  Ends with "bpftest: N passed, N failed".
 */
#include "ulib.h"
#include <osdbg/bpf_attr.h>

static int passed, failed;

static void check(int ok, const char *what)
{
    if (ok)
        passed++;
    else
        failed++;
    printf("bpftest: %s %s\n", ok ? "ok  " : "FAIL", what);
}

/* RFC 9669 encodings: opcode, dst/src registers, offset, immediate. */
struct insn {
    uint8_t code;
    uint8_t regs; /* dst in the low nibble, src in the high one */
    int16_t off;
    int32_t imm;
};
#define INSN(c, d, s, o, i) ((struct insn){(c), (uint8_t)((d) | (s) << 4), (o), (i)})
#define MOV64_IMM(d, i)     INSN(0xb7, d, 0, 0, i)
#define MOV64_REG(d, s)     INSN(0xbf, d, s, 0, 0)
#define ADD64_IMM(d, i)     INSN(0x07, d, 0, 0, i)
#define ADD64_REG(d, s)     INSN(0x0f, d, s, 0, 0)
#define LDX_DW(d, s, o)     INSN(0x79, d, s, o, 0)
#define STX_DW(d, s, o)     INSN(0x7b, d, s, o, 0)
#define ST_W(d, o, i)       INSN(0x62, d, 0, o, i)
#define JEQ_IMM(d, i, o)    INSN(0x15, d, 0, o, i)
#define JA(o)               INSN(0x05, 0, 0, o, 0)
#define CALL(id)            INSN(0x85, 0, 0, 0, id)
#define EXIT()              INSN(0x95, 0, 0, 0, 0)
#define LD_MAP_FD(d, fd)    INSN(0x18, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

#define PT_REGS_A0 80 /* struct pt_regs: pc, x1..x31; a0 is x10 */

static long map_create(uint32_t type, uint32_t key, uint32_t value, uint32_t max)
{
    struct bpf_attr_map_create a = {type, key, value, max, 0, 0, 0, "bpftest"};
    return bpf(BPF_MAP_CREATE, &a, sizeof a);
}

static long elem(int cmd, long fd, void *key, void *value, uint64_t flags)
{
    struct bpf_attr_map_elem a = {(uint32_t)fd, 0, (uint64_t)key, (uint64_t)value, flags};
    return bpf(cmd, &a, sizeof a);
}

static char log[4096];

static long prog_load(const struct insn *insns, uint32_t n)
{
    struct bpf_attr_prog_load a = {0};
    a.prog_type = BPF_PROG_TYPE_KPROBE;
    a.insn_cnt = n;
    a.insns = (uint64_t)insns;
    a.license = (uint64_t) "GPL";
    a.log_level = 1;
    a.log_size = sizeof log;
    a.log_buf = (uint64_t)log;
    log[0] = 0;
    return bpf(BPF_PROG_LOAD, &a, sizeof a);
}

static long test_run(long fd, uint64_t a0, uint32_t *retval)
{
    uint64_t regs[32] = {0};
    regs[PT_REGS_A0 / 8] = a0;
    struct bpf_attr_test_run a = {0};
    a.prog_fd = (uint32_t)fd;
    a.ctx_in = (uint64_t)regs;
    a.ctx_size_in = sizeof regs;
    long r = bpf(BPF_PROG_TEST_RUN, &a, sizeof a);
    *retval = a.retval;
    return r;
}

static void test_maps(void)
{
    long h = map_create(BPF_MAP_TYPE_HASH, 4, 8, 16);
    check(h >= 3, "BPF_MAP_CREATE of a hash map gives a descriptor");
    uint32_t k = 7;
    uint64_t v = 0x1122334455667788ULL, out = 0;
    check(elem(BPF_MAP_LOOKUP_ELEM, h, &k, &out, 0) == -ENOENT, "lookup of a missing key: ENOENT");
    check(elem(BPF_MAP_UPDATE_ELEM, h, &k, &v, BPF_ANY) == 0, "update inserts");
    check(elem(BPF_MAP_LOOKUP_ELEM, h, &k, &out, 0) == 0 && out == v,
          "lookup returns the value stored");
    check(elem(BPF_MAP_UPDATE_ELEM, h, &k, &v, BPF_NOEXIST) == -EEXIST,
          "update with BPF_NOEXIST of an existing key: EEXIST");
    uint32_t k2 = 8;
    check(elem(BPF_MAP_UPDATE_ELEM, h, &k2, &v, BPF_EXIST) == -ENOENT,
          "update with BPF_EXIST of a missing key: ENOENT");
    check(elem(BPF_MAP_UPDATE_ELEM, h, &k, &v, 99) == -EINVAL, "update with bad flags: EINVAL");
    for (uint32_t i = 100; i < 103; i++)
        elem(BPF_MAP_UPDATE_ELEM, h, &i, &v, BPF_ANY);
    int seen = 0;
    uint32_t cur, next;
    long r = elem(BPF_MAP_GET_NEXT_KEY, h, 0, &next, 0);
    while (r == 0 && seen < 10) {
        seen++;
        cur = next;
        r = elem(BPF_MAP_GET_NEXT_KEY, h, &cur, &next, 0);
    }
    check(seen == 4 && r == -ENOENT, "get_next_key walks all 4 keys, then ENOENT");
    check(elem(BPF_MAP_DELETE_ELEM, h, &k, 0, 0) == 0 &&
              elem(BPF_MAP_DELETE_ELEM, h, &k, 0, 0) == -ENOENT,
          "delete works once, then ENOENT");

    long arr = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 2);
    uint32_t idx = 2;
    check(elem(BPF_MAP_LOOKUP_ELEM, arr, &idx, &out, 0) == -ENOENT,
          "array lookup past max_entries: ENOENT");
    idx = 1;
    check(elem(BPF_MAP_LOOKUP_ELEM, arr, &idx, &out, 0) == 0 && out == 0,
          "array elements start as zero");
    close((int)arr);
    check(elem(BPF_MAP_LOOKUP_ELEM, arr, &idx, &out, 0) == -EBADF,
          "a closed map descriptor: EBADF");

    check(map_create(99, 4, 8, 1) == -EINVAL, "unknown map type: EINVAL");
    check(map_create(BPF_MAP_TYPE_HASH, 0, 8, 1) == -EINVAL, "key size 0: EINVAL");
    check(map_create(BPF_MAP_TYPE_HASH, 4, 8, 0) == -EINVAL, "max_entries 0: EINVAL");
    check(elem(BPF_MAP_LOOKUP_ELEM, 1, &k, &out, 0) == -EBADF,
          "a descriptor that is not a map (the console): EBADF");
    check(elem(BPF_MAP_LOOKUP_ELEM, h, (void *)8, &out, 0) == -EFAULT, "bad key pointer: EFAULT");
    check(bpf(BPF_MAP_CREATE, (void *)8, 48) == -EFAULT, "bad attr pointer: EFAULT");
    check(bpf(12345, &k, 4) == -EINVAL, "unknown command: EINVAL");
    check(bpf(BPF_MAP_CREATE, &k, 0) == -EINVAL, "attr size 0: EINVAL");
}

static void test_programs(void)
{
    /* r0 = ctx->a0 + 1 */
    static const struct insn add_one[] = {LDX_DW(0, 1, PT_REGS_A0), ADD64_IMM(0, 1), EXIT()};
    long p = prog_load(add_one, 3);
    check(p >= 3, "BPF_PROG_LOAD of a valid program gives a descriptor");
    uint32_t ret = 0;
    check(test_run(p, 41, &ret) == 0 && ret == 42, "test run: r0 = a0 + 1 with a0 = 41 gives 42");

    /* Count runs in an array map: value[0] += 1. */
    long m = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1);
    struct insn counter[] = {
        ST_W(10, -4, 0),          /* key = 0 on the stack */
        LD_MAP_FD(1, (int32_t)m), /* r1 = map */
        MOV64_REG(2, 10),
        ADD64_IMM(2, -4), /* r2 = &key */
        CALL(BPF_FUNC_map_lookup_elem),
        JEQ_IMM(0, 0, 3), /* NULL: skip to exit */
        LDX_DW(1, 0, 0),
        ADD64_IMM(1, 1),
        STX_DW(0, 1, 0), /* *value += 1 */
        MOV64_IMM(0, 0),
        EXIT(),
    };
    long c = prog_load(counter, sizeof counter / sizeof counter[0]);
    check(c >= 3, "a program using a map (lddw of its descriptor) loads");
    for (int i = 0; i < 5; i++)
        test_run(c, 0, &ret);
    uint32_t key = 0;
    uint64_t value = 0;
    check(elem(BPF_MAP_LOOKUP_ELEM, m, &key, &value, 0) == 0 && value == 5,
          "five runs counted 5 in the map, seen from user space");

    /* Rejections with the verifier's reason in the log. */
    static const struct insn uninit[] = {MOV64_REG(0, 2), EXIT()};
    check(prog_load(uninit, 2) == -EACCES && log[0] != 0,
          "reading an uninitialised register is rejected (EACCES) with a log");
    printf("bpftest: the verifier said:\n%s", log);
    static const struct insn no_null_check[] = {ST_W(10, -4, 0),
                                                LD_MAP_FD(1, 0),
                                                MOV64_REG(2, 10),
                                                ADD64_IMM(2, -4),
                                                CALL(BPF_FUNC_map_lookup_elem),
                                                LDX_DW(0, 0, 0),
                                                EXIT()};
    struct insn nn[sizeof no_null_check / sizeof no_null_check[0]];
    memcpy(nn, no_null_check, sizeof nn);
    nn[1].imm = (int32_t)m;
    check(prog_load(nn, sizeof nn / sizeof nn[0]) == -EACCES,
          "using a map value without a NULL check is rejected");
    static const struct insn loop[] = {MOV64_IMM(0, 0), JA(-1), EXIT()};
    check(prog_load(loop, 3) < 0, "an endless loop is rejected");
    check(prog_load(add_one, 0) == -EINVAL, "zero instructions: EINVAL");
    struct insn bad_map[] = {LD_MAP_FD(1, 1), MOV64_IMM(0, 0), EXIT()};
    check(prog_load(bad_map, 4) == -EBADF, "lddw of a descriptor that is no map: EBADF");
    struct bpf_attr_prog_load a = {0};
    a.insn_cnt = 3;
    a.insns = 8;
    check(bpf(BPF_PROG_LOAD, &a, sizeof a) == -EFAULT, "bad instruction pointer: EFAULT");
    check(test_run(1, 0, &ret) == -EBADF, "test run of a descriptor that is no program: EBADF");
}

static long link_kprobe(long prog, const char *sym, uint32_t flags)
{
    const char *syms[1] = {sym};
    struct bpf_attr_link_create a = {0};
    a.prog_fd = (uint32_t)prog;
    a.attach_type = BPF_TRACE_KPROBE_MULTI;
    a.kprobe_multi.flags = flags;
    a.kprobe_multi.cnt = 1;
    a.kprobe_multi.syms = (uint64_t)syms;
    return bpf(BPF_LINK_CREATE, &a, sizeof a);
}

/* A program attached to a kernel function runs at every call, while the
 * system runs on. */
static void test_links(void)
{
    long m = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1);
    struct insn counter[] = {
        ST_W(10, -4, 0),
        LD_MAP_FD(1, (int32_t)m),
        MOV64_REG(2, 10),
        ADD64_IMM(2, -4),
        CALL(BPF_FUNC_map_lookup_elem),
        JEQ_IMM(0, 0, 3),
        LDX_DW(1, 0, 0),
        ADD64_IMM(1, 1),
        STX_DW(0, 1, 0),
        MOV64_IMM(0, 0),
        EXIT(),
    };
    long c = prog_load(counter, sizeof counter / sizeof counter[0]);
    uint32_t key = 0;
    uint64_t value = 0;
    long link = link_kprobe(c, "sys_getpid", 0);
    check(link >= 3, "BPF_LINK_CREATE (kprobe_multi on sys_getpid by name) gives a descriptor");
    for (int i = 0; i < 10; i++)
        getpid();
    elem(BPF_MAP_LOOKUP_ELEM, m, &key, &value, 0);
    check(value == 10, "the attached program ran once per getpid() (10 calls)");
    close((int)link);
    for (int i = 0; i < 5; i++)
        getpid();
    elem(BPF_MAP_LOOKUP_ELEM, m, &key, &value, 0);
    check(value == 10, "closing the link detaches the probe");

    /* At return: store the return value (a0 of pt_regs) in the map. */
    struct insn store_ret[] = {
        LDX_DW(6, 1, PT_REGS_A0), ST_W(10, -4, 0),
        LD_MAP_FD(1, (int32_t)m), MOV64_REG(2, 10),
        ADD64_IMM(2, -4),         CALL(BPF_FUNC_map_lookup_elem),
        JEQ_IMM(0, 0, 1),         STX_DW(0, 6, 0),
        MOV64_IMM(0, 0),          EXIT(),
    };
    long r = prog_load(store_ret, sizeof store_ret / sizeof store_ret[0]);
    long rl = link_kprobe(r, "sys_getpid", BPF_F_KPROBE_MULTI_RETURN);
    int pid = getpid();
    elem(BPF_MAP_LOOKUP_ELEM, m, &key, &value, 0);
    check(rl >= 3 && value == (uint64_t)pid,
          "a kretprobe link sees sys_getpid's return value (the pid)");
    close((int)rl);

    check(link_kprobe(c, "no_such_function", 0) == -ENOENT, "an unknown kernel function: ENOENT");
    check(link_kprobe(c, "kerneltrap", 0) == -EACCES, "the trap path: EACCES");
    check(link_kprobe(1, "sys_getpid", 0) == -EBADF, "a descriptor that is no program: EBADF");
    struct bpf_attr_link_create bad = {0};
    bad.prog_fd = (uint32_t)c;
    bad.attach_type = 7;
    check(bpf(BPF_LINK_CREATE, &bad, sizeof bad) == -EINVAL, "an unsupported attach type: EINVAL");
}

/* A function of this program for a uprobe to watch. */
__attribute__((noinline)) int uprobe_target(int x)
{
    return x + 1;
}

/* uprobe_multi: this very program, in this process and in a forked child. */
static void test_uprobe_link(void)
{
    long m = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1);
    struct insn counter[] = {
        ST_W(10, -4, 0),
        LD_MAP_FD(1, (int32_t)m),
        MOV64_REG(2, 10),
        ADD64_IMM(2, -4),
        CALL(BPF_FUNC_map_lookup_elem),
        JEQ_IMM(0, 0, 3),
        LDX_DW(1, 0, 0),
        ADD64_IMM(1, 1),
        STX_DW(0, 1, 0),
        MOV64_IMM(0, 0),
        EXIT(),
    };
    long c = prog_load(counter, sizeof counter / sizeof counter[0]);
    uint64_t addr = (uint64_t)uprobe_target;
    struct bpf_attr_link_create a = {0};
    a.prog_fd = (uint32_t)c;
    a.attach_type = BPF_TRACE_UPROBE_MULTI;
    a.uprobe_multi.path = (uint64_t) "bpftest";
    a.uprobe_multi.offsets = (uint64_t)&addr;
    a.uprobe_multi.cnt = 1;
    long link = bpf(BPF_LINK_CREATE, &a, sizeof a);
    check(link >= 3,
          "BPF_LINK_CREATE (uprobe_multi on this program's uprobe_target) gives a descriptor");
    int sum = 0;
    for (int i = 0; i < 3; i++)
        sum += uprobe_target(i);
    check(sum == 6, "the probed user function still computes its result");
    int pid = fork();
    if (pid == 0) {
        uprobe_target(10);
        uprobe_target(11);
        exit(uprobe_target(0) == 1 ? 0 : 1);
    }
    int status = -1;
    wait(pid, &status);
    uint32_t key = 0;
    uint64_t value = 0;
    elem(BPF_MAP_LOOKUP_ELEM, m, &key, &value, 0);
    check(status == 0 && value == 6, "3 calls here + 3 in a forked child = 6 hits");
    close((int)link);
    uprobe_target(1);
    elem(BPF_MAP_LOOKUP_ELEM, m, &key, &value, 0);
    check(value == 6, "closing the uprobe link detaches it");
    a.uprobe_multi.pid = 1;
    check(bpf(BPF_LINK_CREATE, &a, sizeof a) == -EINVAL, "per-pid uprobes: EINVAL");
}

/* Forks inside itself: the child returns through the same frames. */
__attribute__((noinline)) int fork_inside(void)
{
    int pid = fork();
    if (pid < 0)
        return -1;
    return pid == 0 ? 1000 : 2000;
}

/* uprobe_multi with BPF_F_UPROBE_MULTI_RETURN: a program that adds the
 * return value (ctx->a0 at the return) to a map; in this process, and in
 * a child forked while the probed function runs. */
static void test_uretprobe_link(void)
{
    long m = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1);
    struct insn sum_a0[] = {
        MOV64_REG(6, 1),  ST_W(10, -4, 0),  LD_MAP_FD(1, (int32_t)m),
        MOV64_REG(2, 10), ADD64_IMM(2, -4), CALL(BPF_FUNC_map_lookup_elem),
        JEQ_IMM(0, 0, 4), LDX_DW(1, 0, 0),  LDX_DW(2, 6, PT_REGS_A0),
        ADD64_REG(1, 2),  STX_DW(0, 1, 0),  MOV64_IMM(0, 0),
        EXIT(),
    };
    long c = prog_load(sum_a0, sizeof sum_a0 / sizeof sum_a0[0]);
    uint64_t addrs[2] = {(uint64_t)uprobe_target, (uint64_t)fork_inside};
    struct bpf_attr_link_create a = {0};
    a.prog_fd = (uint32_t)c;
    a.attach_type = BPF_TRACE_UPROBE_MULTI;
    a.uprobe_multi.path = (uint64_t) "bpftest";
    a.uprobe_multi.offsets = (uint64_t)addrs;
    a.uprobe_multi.cnt = 2;
    a.uprobe_multi.flags = BPF_F_UPROBE_MULTI_RETURN;
    long link = bpf(BPF_LINK_CREATE, &a, sizeof a);
    check(link >= 3,
          "BPF_LINK_CREATE (uprobe_multi, BPF_F_UPROBE_MULTI_RETURN) gives a descriptor");
    int sum = uprobe_target(1) + uprobe_target(2) + uprobe_target(3);
    check(sum == 9, "functions with a uretprobe return their results to the right place");
    uint32_t key = 0;
    uint64_t value = 0;
    elem(BPF_MAP_LOOKUP_ELEM, m, &key, &value, 0);
    check(value == 9, "the uretprobe saw the return values 2 + 3 + 4");
    int r = fork_inside();
    if (r == 1000)
        exit(0); /* the child came back through the trampoline with its own record */
    int status = -1;
    wait(-1, &status);
    elem(BPF_MAP_LOOKUP_ELEM, m, &key, &value, 0);
    check(r == 2000 && status == 0 && value == 9 + 2000 + 1000,
          "a child forked inside a uretprobed function returns from it too (2000 + 1000)");
    close((int)link);
    uprobe_target(5);
    elem(BPF_MAP_LOOKUP_ELEM, m, &key, &value, 0);
    check(value == 3009, "closing the uretprobe link detaches it");
}

/* 31 functions, for uprobes that fill the kernel's tables. */
/* clang-format off */
#define PAD(n) __attribute__((noinline)) int pad##n(int x) { return x + n; }
#define PAD8(n) PAD(n##0) PAD(n##1) PAD(n##2) PAD(n##3) PAD(n##4) PAD(n##5) PAD(n##6) PAD(n##7)
PAD8(1) PAD8(2) PAD8(3)
PAD(40) PAD(41) PAD(42) PAD(43) PAD(44) PAD(45) PAD(46)
static int (*const pads[31])(int) = {
    pad10, pad11, pad12, pad13, pad14, pad15, pad16, pad17, pad20, pad21, pad22,
    pad23, pad24, pad25, pad26, pad27, pad30, pad31, pad32, pad33, pad34, pad35,
    pad36, pad37, pad40, pad41, pad42, pad43, pad44, pad45, pad46,
};
/* clang-format on */

/* Two children forked inside it, both alive: both return from it. */
__attribute__((noinline)) int fork_twice(void)
{
    for (int i = 0; i < 2; i++) {
        int pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0)
            return 1000;
    }
    return 2000;
}

static long uprobe_link(long prog, const uint64_t *addrs, uint32_t cnt, uint32_t flags)
{
    struct bpf_attr_link_create a = {0};
    a.prog_fd = (uint32_t)prog;
    a.attach_type = BPF_TRACE_UPROBE_MULTI;
    a.uprobe_multi.path = (uint64_t) "bpftest";
    a.uprobe_multi.offsets = (uint64_t)addrs;
    a.uprobe_multi.cnt = cnt;
    a.uprobe_multi.flags = flags;
    return bpf(BPF_LINK_CREATE, &a, sizeof a);
}

/* The kernel's per-process probe table holds 64 entries: 32 probes (a
 * uretprobe and 31 uprobes) in this process and its first child fill it.
 * The second child, forked inside the uretprobed function, gets no entry
 * of its own: it must still return from that function, not be killed at
 * the trampoline. */
static void test_uretprobe_table_full(void)
{
    struct insn nothing[] = {MOV64_IMM(0, 0), EXIT()};
    long prog = prog_load(nothing, 2);
    uint64_t ret = (uint64_t)fork_twice;
    long links[5];
    links[0] = uprobe_link(prog, &ret, 1, BPF_F_UPROBE_MULTI_RETURN);
    for (int l = 0; l < 4; l++) {
        uint64_t addrs[8];
        uint32_t n = 0;
        for (int i = 8 * l; i < 8 * l + 8 && i < 31; i++)
            addrs[n++] = (uint64_t)pads[i];
        links[l + 1] = uprobe_link(prog, addrs, n, 0);
    }
    check(links[0] >= 3 && links[1] >= 3 && links[2] >= 3 && links[3] >= 3 && links[4] >= 3,
          "a uretprobe and 31 uprobes on this program (32 probe specs)");
    int r = fork_twice();
    if (r == 1000)
        exit(pads[0](0) == 10 ? 0 : 3);
    int status[2] = {-1, -1};
    for (int i = 0; i < 2; i++)
        wait(-1, &status[i]);
    check(r == 2000 && status[0] == 0 && status[1] == 0,
          "two children forked inside a uretprobed function return from it, the probe table full");
    for (int l = 0; l < 5; l++)
        close((int)links[l]);
    close((int)prog);
}

int main(void)
{
    test_uretprobe_table_full(); /* first: the others leave descriptors open */
    test_maps();
    test_programs();
    test_links();
    test_uprobe_link();
    test_uretprobe_link();
    printf("bpftest: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
