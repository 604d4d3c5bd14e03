/*
 * bpfcompat: the eBPF compatibility suite's user side (issue 18).  Programs
 * written the libbpf way (user/bpf/compat/NAME.bpf.c: BTF-defined maps, global
 * variables, BPF_KPROBE, several programs per object), compiled by clang,
 * loaded by the kernel through bpf() as a libbpf loader would: this program
 * parses each object with the eBPF library's ELF loader (in its own memory:
 * sections, relocations, BTF map definitions, .rodata/.data/.bss), creates
 * the kernel's maps with BPF_MAP_CREATE (initial values of global data with
 * BPF_MAP_UPDATE_ELEM), rewrites the program's map references to their
 * descriptors, loads it with BPF_PROG_LOAD and attaches it with
 * BPF_LINK_CREATE.  Then it triggers the probes, reads the maps back and
 * checks values that follow from what the programs mean.
 *
 *   bpfcompat [test]     one line per check, then "bpfcompat: N passed, N failed"
 */
#include "ulib.h"
#include <ebpf.h>
#include <osdbg/bpf_attr.h>

#define MAX_MAPS 16

static int passed, failed;

static void check(int ok, const char *what)
{
    if (ok)
        passed++;
    else
        failed++;
    printf("bpfcompat: %s %s\n", ok ? "ok  " : "FAIL", what);
}

/* ---- the loader ---- */

/* An object file and the kernel maps made for it (one per map name: the
 * programs of one object share their maps, as with libbpf). */
struct object {
    uint8_t *data;
    long size;
    int nmaps;
    char map_name[MAX_MAPS][32];
    int map_fd[MAX_MAPS];
    int progs[8], links[8], nprogs, nlinks;
    int has_target; /* its .bss starts with __u32 target_pid (0: every process) */
};

/* No process has this pid: a program's filter set to it counts nothing. */
#define NOBODY 0xffffffffu

static uint8_t arena[192 * 1024] __attribute__((aligned(16)));
static char vm_err[256];
static char log[8192];

static int object_open(struct object *o, const char *path)
{
    memset(o, 0, sizeof *o);
    int fd = open(path, O_RDONLY);
    struct ustat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        printf("bpfcompat: cannot open %s\n", path);
        return -1;
    }
    o->size = (long)st.size;
    o->data = malloc((size_t)o->size);
    long n = o->data ? read(fd, o->data, (size_t)o->size) : -1;
    close(fd);
    return n == o->size ? 0 : -1;
}

static void object_close(struct object *o)
{
    for (int i = 0; i < o->nlinks; i++)
        close(o->links[i]);
    for (int i = 0; i < o->nprogs; i++)
        close(o->progs[i]);
    for (int i = 0; i < o->nmaps; i++)
        close(o->map_fd[i]);
    free(o->data);
    o->nlinks = o->nprogs = o->nmaps = 0;
}

static int map_update(int fd, const void *key, const void *value)
{
    struct bpf_attr_map_elem e = {(uint32_t)fd, 0, (uint64_t)key, (uint64_t)value, BPF_ANY};
    return (int)bpf(BPF_MAP_UPDATE_ELEM, &e, sizeof e);
}

static int map_lookup(int fd, const void *key, void *value)
{
    struct bpf_attr_map_elem e = {(uint32_t)fd, 0, (uint64_t)key, (uint64_t)value, 0};
    return (int)bpf(BPF_MAP_LOOKUP_ELEM, &e, sizeof e);
}

/* The kernel map for map m of a parsed program: made at its first use. */
static int kernel_map(struct object *o, ebpf_map *m)
{
    const char *name = ebpf_map_name(m);
    for (int i = 0; i < o->nmaps; i++)
        if (strcmp(o->map_name[i], name) == 0)
            return o->map_fd[i];
    if (o->nmaps == MAX_MAPS)
        return -1;
    const struct ebpf_map_def *d = ebpf_map_def(m);
    struct bpf_attr_map_create a = {d->type, d->key_size, d->value_size, d->max_entries, 0, 0, 0,
                                    ""};
    /* A perf event array has a slot per CPU: libbpf asks the system how
     * many; the kernel answers that itself for max_entries 0. */
    if (d->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
        a.max_entries = 0;
    strlcpy(a.map_name, name[0] == '.' ? name + 1 : name, sizeof a.map_name);
    long fd = bpf(BPF_MAP_CREATE, &a, sizeof a);
    if (fd < 0) {
        printf("bpfcompat: BPF_MAP_CREATE %s (type %u): error %ld\n", name, d->type, fd);
        return -1;
    }
    /* Global data (.rodata, .data, .bss: one-element arrays): its initial
     * value, as the object holds it. */
    uint32_t zero = 0;
    void *init = d->type == BPF_MAP_TYPE_ARRAY && d->max_entries == 1 ? ebpf_map_lookup(m, &zero)
                                                                       : 0;
    static uint8_t value[1024];
    if (init && d->value_size <= sizeof value) {
        memcpy(value, init, d->value_size);
        size_t ln = strlen(name);
        if (o->has_target && ln >= 4 && strcmp(name + ln - 4, ".bss") == 0 && d->value_size >= 4) {
            uint32_t nobody = NOBODY; /* until the test sets it: only what it triggers counts */
            memcpy(value, &nobody, sizeof nobody);
        }
        init = value;
    }
    if (init && map_update((int)fd, &zero, init) < 0) {
        close((int)fd);
        return -1;
    }
    strlcpy(o->map_name[o->nmaps], name, sizeof o->map_name[0]);
    o->map_fd[o->nmaps++] = (int)fd;
    return (int)fd;
}

/* The kernel map whose name ends with suffix (".bss", "events"), or -1. */
static int map_named(const struct object *o, const char *suffix)
{
    size_t ls = strlen(suffix);
    for (int i = 0; i < o->nmaps; i++) {
        size_t ln = strlen(o->map_name[i]);
        if (ln >= ls && strcmp(o->map_name[i] + ln - ls, suffix) == 0)
            return o->map_fd[i];
    }
    return -1;
}

static const char *strstr_arena(const char *log)
{
    for (const char *p = log; *p; p++)
        if (strncmp(p, "arena: ", 7) == 0)
            return p;
    return 0;
}

/* Loads program `name` (its function's name) through bpf(): its fd, or -1
 * with the reason printed. */
static int load_prog(struct object *o, const char *name)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof arena, vm_err, sizeof vm_err);
    if (!vm || ebpf_load_elf(vm, o->data, (size_t)o->size, name) < 0) {
        printf("bpfcompat: %s: the object does not load: %s\n", name, vm ? ebpf_error(vm) : vm_err);
        return -1;
    }
    int fds[MAX_MAPS];
    for (int i = 0; i < ebpf_map_count(vm) && i < MAX_MAPS; i++)
        if ((fds[i] = kernel_map(o, ebpf_map_by_fd(vm, i))) < 0)
            return -1;
    uint32_t n;
    const struct ebpf_insn *src = ebpf_insns(vm, &n);
    struct ebpf_insn *insns = malloc(n * sizeof *insns);
    if (!insns)
        return -1;
    memcpy(insns, src, n * sizeof *insns);
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
            continue;
        if ((insns[i].src == BPF_PSEUDO_MAP_FD || insns[i].src == BPF_PSEUDO_MAP_VALUE) &&
            insns[i].imm >= 0 && insns[i].imm < ebpf_map_count(vm))
            insns[i].imm = fds[insns[i].imm];
        i++;
    }
    struct bpf_attr_prog_load pl = {0};
    pl.prog_type = BPF_PROG_TYPE_KPROBE;
    pl.insn_cnt = n;
    pl.insns = (uint64_t)insns;
    pl.license = (uint64_t) "GPL";
    pl.log_level = 0;
    pl.log_size = sizeof log;
    pl.log_buf = (uint64_t)log;
    strlcpy(pl.prog_name, name, sizeof pl.prog_name);
    long fd = bpf(BPF_PROG_LOAD, &pl, sizeof pl);
    free(insns);
    if (fd < 0) {
        printf("bpfcompat: %s: BPF_PROG_LOAD error %ld:\n%s", name, fd, log);
        return -1;
    }
    /* The kernel's arena figures (its log's last line): docs/ebpf.md "Kernel arenas". */
    const char *arena_line = strstr_arena(log);
    if (arena_line)
        printf("bpfcompat: %s: %s", name, arena_line);
    o->progs[o->nprogs++] = (int)fd;
    return (int)fd;
}

/* Attaches prog to kernel function fn (ret: on its return). */
static int attach_kprobe(struct object *o, int prog, const char *fn, int ret)
{
    const char *syms[1] = {fn};
    struct bpf_attr_link_create lc = {0};
    lc.prog_fd = (uint32_t)prog;
    lc.attach_type = BPF_TRACE_KPROBE_MULTI;
    lc.kprobe_multi.flags = ret ? BPF_F_KPROBE_MULTI_RETURN : 0;
    lc.kprobe_multi.cnt = 1;
    lc.kprobe_multi.syms = (uint64_t)syms;
    long l = bpf(BPF_LINK_CREATE, &lc, sizeof lc);
    if (l < 0) {
        printf("bpfcompat: cannot attach to %s: error %ld\n", fn, l);
        return -1;
    }
    o->links[o->nlinks++] = (int)l;
    return 0;
}

/* Attaches prog to address addr of program `program` (ret: its return). */
static int attach_uprobe(struct object *o, int prog, const char *program, uint64_t addr, int ret)
{
    struct bpf_attr_link_create lc = {0};
    lc.prog_fd = (uint32_t)prog;
    lc.attach_type = BPF_TRACE_UPROBE_MULTI;
    lc.uprobe_multi.path = (uint64_t)program;
    lc.uprobe_multi.offsets = (uint64_t)&addr;
    lc.uprobe_multi.cnt = 1;
    lc.uprobe_multi.flags = ret ? BPF_F_UPROBE_MULTI_RETURN : 0;
    long l = bpf(BPF_LINK_CREATE, &lc, sizeof lc);
    if (l < 0) {
        printf("bpfcompat: cannot attach a uprobe at %lx: error %ld\n", (unsigned long)addr, l);
        return -1;
    }
    o->links[o->nlinks++] = (int)l;
    return 0;
}

/* Loads the named programs of an object and attaches each to its kernel
 * function (kprobe/ or kretprobe/ by index in rets). */
static int load_and_attach(struct object *o, const char *path, const char *const names[],
                           const char *const fns[], const int rets[], int n)
{
    if (object_open(o, path) < 0)
        return -1;
    o->has_target = 1;
    for (int i = 0; i < n; i++) {
        int p = load_prog(o, names[i]);
        if (p < 0 || attach_kprobe(o, p, fns[i], rets[i]) < 0)
            return -1;
    }
    return 0;
}

/* The global data of an object (its .bss), read whole into buf. */
static int read_globals(const struct object *o, void *buf)
{
    uint32_t zero = 0;
    int fd = map_named(o, ".bss");
    return fd < 0 ? -1 : map_lookup(fd, &zero, buf);
}

/* Sets the first global (every program's __u32 target_pid) to pid, the
 * others as the programs left them (globals: room for all of them). */
static int set_target(const struct object *o, void *globals, uint32_t pid)
{
    uint32_t zero = 0;
    if (read_globals(o, globals) < 0)
        return -1;
    memcpy(globals, &pid, sizeof pid);
    return map_update(map_named(o, ".bss"), &zero, globals);
}

/* ---- the tests ---- */

/* Closes link i of an object: its probe is detached (Linux: the last
 * reference to a link gone).  object_close leaves it alone afterwards. */
static void close_link(struct object *o, int i)
{
    close(o->links[i]);
    o->links[i] = -1;
}

/* kprobe.bpf.c: file_write's entries and returns, counted for this process;
 * the kprobe and the kretprobe share the function's first instruction.
 * Then the kprobe is detached: the kretprobe alone goes on counting. */
static void test_kprobe(void)
{
    static const char *const names[] = {"write_entry", "write_return"};
    static const char *const fns[] = {"file_write", "file_write"};
    static const int rets[] = {0, 1};
    struct object o;
    struct {
        uint32_t target_pid, pad;
        uint64_t entries, entry_bytes, returns, returned_bytes;
    } g = {0};
    int ok = load_and_attach(&o, "compat_kprobe.bpf.o", names, fns, rets, 2) == 0;
    check(ok, "kprobe+kretprobe: BPF_KPROBE/BPF_KRETPROBE object loads and attaches both to file_write");
    if (ok && set_target(&o, &g, (uint32_t)getpid()) == 0) {
        write(1, "compat\n", 7);
        write(1, "compat 12\n", 10);
        write(1, "compat 123456\n", 14);
        set_target(&o, &g, NOBODY);
        ok = read_globals(&o, &g) == 0;
        check(ok && g.entries == 3 && g.entry_bytes == 31,
              "kprobe: three writes seen on entry with their lengths (7+10+14)");
        check(ok && g.returns == 3 && g.returned_bytes == 31,
              "kretprobe: three returns with the bytes written");
        close_link(&o, 0); /* the kprobe goes */
        ok = set_target(&o, &g, (uint32_t)getpid()) == 0;
        write(1, "compat 5\n", 9);
        set_target(&o, &g, NOBODY);
        ok = ok && read_globals(&o, &g) == 0;
        check(ok && g.entries == 3 && g.entry_bytes == 31 && g.returns == 4 &&
                  g.returned_bytes == 40,
              "kretprobe: still counts once the kprobe on the same function is detached");
    }
    object_close(&o);
}

long compat_uprobe_target(long a, long b) __attribute__((noinline));
long compat_uprobe_target(long a, long b)
{
    return 10 * a + b;
}

/* uprobe.bpf.c: arguments and return values of compat_uprobe_target, a
 * uprobe and a uretprobe at the same address; then the uprobe detached
 * (the uretprobe goes on), then both (the text is as before). */
static void test_uprobe(void)
{
    struct object o;
    uint8_t before[4], armed[4], after[4];
    const volatile uint8_t *text = (const volatile uint8_t *)(uintptr_t)compat_uprobe_target;
    for (int i = 0; i < 4; i++)
        before[i] = text[i];
    int ok = object_open(&o, "compat_uprobe.bpf.o") == 0;
    int entry = ok ? load_prog(&o, "target_entry") : -1;
    int ret = ok ? load_prog(&o, "target_return") : -1;
    uint64_t fn = (uint64_t)compat_uprobe_target;
    ok = entry >= 0 && ret >= 0 && attach_uprobe(&o, entry, "bpfcompat", fn, 0) == 0 &&
         attach_uprobe(&o, ret, "bpfcompat", fn, 1) == 0;
    check(ok, "uprobe+uretprobe: object loads and attaches both to one function of this program");
    if (!ok) {
        object_close(&o);
        return;
    }
    for (int i = 0; i < 4; i++)
        armed[i] = text[i];
    long sum = 0;
    for (long a = 1; a <= 5; a += 2)
        sum += compat_uprobe_target(a, a + 1); /* 12 + 34 + 56 */
    struct {
        uint64_t calls, return_sum, returns;
    } g;
    ok = read_globals(&o, &g) == 0;
    check(ok && g.calls == 3, "uprobe: three calls seen");
    check(ok && g.returns == 3 && g.return_sum == 102 && sum == 102,
          "uretprobe: three returns at the uprobe's address, the return values add up to 102");
    int hash = map_named(&o, "args_seen"), all = hash >= 0;
    for (uint64_t a = 1; a <= 5 && all; a += 2) {
        uint64_t b = 0;
        all = map_lookup(hash, &a, &b) == 0 && b == a + 1;
    }
    check(all, "uprobe: the arguments read from user registers, keyed by the first (hash map)");
    /* A child forked now is armed like its parent: both probes, one break. */
    int pid = fork(), status = -1;
    if (pid == 0)
        exit(compat_uprobe_target(2, 3) == 23 ? 0 : 1);
    ok = pid > 0 && wait(pid, &status) == pid && status == 0 && read_globals(&o, &g) == 0;
    check(ok && g.calls == 4 && g.returns == 4 && g.return_sum == 102 + 23,
          "uprobe+uretprobe: a forked child's call is seen by both");
    close_link(&o, 0); /* the uprobe goes */
    sum = compat_uprobe_target(7, 8);
    ok = read_globals(&o, &g) == 0;
    check(ok && g.calls == 4 && g.returns == 5 && g.return_sum == 125 + 78 && sum == 78,
          "uretprobe: still counts once the uprobe at its address is detached");
    close_link(&o, 1);
    compat_uprobe_target(9, 1);
    ok = read_globals(&o, &g) == 0;
    for (int i = 0; i < 4; i++)
        after[i] = text[i];
    check(ok && g.returns == 5 && memcmp(before, armed, 4) != 0 && memcmp(before, after, 4) == 0,
          "uprobe: both detached, the function's text is as before (a break while attached)");
    object_close(&o);
}

/* ringbuf.bpf.c: records reserved and output, counted by the ring itself. */
static void test_ringbuf(void)
{
    static const char *const names[] = {"on_getpid"};
    static const char *const fns[] = {"sys_getpid"};
    static const int rets[] = {0};
    struct object o;
    struct {
        uint32_t target_pid, seq;
        uint64_t reserved, output_ok, avail;
    } g = {0};
    int ok = load_and_attach(&o, "compat_ringbuf.bpf.o", names, fns, rets, 1) == 0;
    check(ok, "ringbuf: BTF-defined BPF_MAP_TYPE_RINGBUF object loads and attaches");
    if (ok && set_target(&o, &g, (uint32_t)getpid()) == 0) {
        for (int i = 0; i < 6; i++)
            getpid();
        set_target(&o, &g, NOBODY);
        ok = read_globals(&o, &g) == 0;
        check(ok && g.reserved == 6 && g.output_ok == 3,
              "ringbuf: six records reserved and submitted, three output");
        check(ok && g.avail == 9 * (8 + 16),
              "ringbuf: BPF_RB_AVAIL_DATA = 9 records of 8 + 16 bytes");
    }
    object_close(&o);
}

/* loop.bpf.c: a bounded loop over an array map. */
static void test_loop(void)
{
    static const char *const names[] = {"sum_squares"};
    static const char *const fns[] = {"sys_getpid"};
    static const int rets[] = {0};
    struct object o;
    struct {
        uint32_t target_pid, pad;
        uint64_t odd_sum, even_count, runs;
    } g = {0};
    int ok = load_and_attach(&o, "compat_loop.bpf.o", names, fns, rets, 1) == 0;
    check(ok, "loop: a 1,024-iteration loop with a lookup and a branch is accepted");
    int squares = map_named(&o, "squares");
    for (uint32_t i = 0; ok && i < 1024; i++) {
        uint64_t sq = (uint64_t)i * i;
        ok = map_update(squares, &i, &sq) == 0;
    }
    if (ok && set_target(&o, &g, (uint32_t)getpid()) == 0) {
        getpid();
        set_target(&o, &g, NOBODY);
        ok = read_globals(&o, &g) == 0;
        /* sum of (2k+1)^2 for k < n = n (2n - 1)(2n + 1) / 3; n = 512: 178,956,800 */
        check(ok && g.runs == 1 && g.odd_sum == 178956800 && g.even_count == 512,
              "loop: odd squares below 1024 add up to 178956800, 512 even ones");
    }
    object_close(&o);
}

int compat_trigger_getpid(void) __attribute__((noinline));
int compat_trigger_getpid(void)
{
    int pid = getpid();
    return pid + 0; /* not a tail call: this frame stays on the stack */
}

/* task.bpf.c: the current task's fields and the tracing helpers. */
static void test_task(void)
{
    static const char *const names[] = {"task_fields"};
    static const char *const fns[] = {"sys_getpid"};
    static const int rets[] = {0};
    struct object o;
    struct {
        uint32_t target_pid, pad;
        uint64_t runs;
        int32_t pid, legacy_pid, parent_pid;
        char name[16];
        uint32_t pad2;
        uint64_t uid_gid, rand1, rand2, jiffies, boot_ns, func_ip, probe_pc;
        int64_t kstack_bytes, ustack_bytes;
        uint64_t kstack[8], ustack[8];
        int64_t text_len;
        char text[32];
        int64_t uart_read, null_read, build_id_stack, odd_size_stack, bad_format;
    } g;
    memset(&g, 0, sizeof g);
    int ok = load_and_attach(&o, "compat_task.bpf.o", names, fns, rets, 1) == 0;
    check(ok, "task: get_current_task, get_stack, snprintf ... object loads and attaches");
    if (ok && set_target(&o, &g, (uint32_t)getpid()) == 0) {
        compat_trigger_getpid();
        set_target(&o, &g, NOBODY);
        ok = read_globals(&o, &g) == 0 && g.runs == 1;
        check(ok && g.pid == getpid() && g.legacy_pid == g.pid && g.parent_pid == getppid(),
              "task: struct proc's pid (BPF_CORE_READ and probe_read) and parent's pid");
        check(ok && strcmp(g.name, "bpfcompat") == 0, "task: struct proc's name");
        check(ok && g.uid_gid == 0, "task: uid and gid are 0 (no users)");
        check(ok && g.rand1 != g.rand2 && g.rand1 <= 0xffffffffu,
              "task: two prandom numbers differ");
        check(ok && g.boot_ns > 0 && g.jiffies > 0, "task: boot time and jiffies advance");
        check(ok && g.func_ip == g.probe_pc && g.func_ip >= 0x80200000,
              "task: get_func_ip is the probe's kernel address");
        check(ok && g.kstack_bytes >= 16 && g.kstack_bytes % 8 == 0 && g.kstack[0] == g.func_ip,
              "task: get_stack's kernel stack starts at the probed function");
        /* ecall in the system call stub, getpid(), then its caller */
        uint64_t caller = (uint64_t)compat_trigger_getpid, getpid_fn = (uint64_t)getpid;
        int frames = (int)(g.ustack_bytes / 8), into_getpid = -1, into_caller = -1;
        for (int i = 0; i < frames && i < 8; i++) {
            if (into_getpid < 0 && g.ustack[i] > getpid_fn && g.ustack[i] < getpid_fn + 64)
                into_getpid = i;
            if (into_caller < 0 && g.ustack[i] > caller && g.ustack[i] < caller + 64)
                into_caller = i;
        }
        check(ok && frames >= 3 && into_getpid >= 1 && into_caller == into_getpid + 1,
              "task: get_stack(BPF_F_USER_STACK): the stub, getpid(), then its caller");
        char want[32];
        int wn = snprintf(want, sizeof want, "pid %d answer 42", g.pid);
        check(ok && strcmp(g.text, want) == 0 && g.text_len == wn + 1,
              "task: snprintf formats the arguments array");
        check(ok && g.uart_read == -14 && g.null_read == -14 && g.build_id_stack == -22 &&
                  g.odd_size_stack == -22 && g.bad_format == -22,
              "task: bad input is refused (-EFAULT: a device register, address 0; -EINVAL: "
              "build ids, 12-byte stack buffer, %q)");
    }
    object_close(&o);
}


/* percpu.bpf.c: per-CPU counters read through bpf() (one copy per CPU). */
static void test_percpu(void)
{
    static const char *const names[] = {"count_calls"};
    static const char *const fns[] = {"sys_getpid"};
    static const int rets[] = {0};
    struct object o;
    uint32_t g = 0;
    int ok = load_and_attach(&o, "compat_percpu.bpf.o", names, fns, rets, 1) == 0;
    check(ok, "percpu: PERCPU_ARRAY and PERCPU_HASH object loads and attaches");
    if (ok && set_target(&o, &g, (uint32_t)getpid()) == 0) {
        for (int i = 0; i < 50; i++) {
            getpid();
            if (i % 10 == 9)
                yield(); /* perhaps onto another hart */
        }
        set_target(&o, &g, NOBODY);
        static uint64_t copies[64]; /* more than any CPU count: the kernel's NCPU */
        uint32_t zero = 0, pid = (uint32_t)getpid();
        uint64_t sum = 0, by_pid = 0;
        memset(copies, 0, sizeof copies);
        ok = map_lookup(map_named(&o, "calls"), &zero, copies) == 0;
        for (int i = 0; i < 64; i++)
            sum += copies[i];
        memset(copies, 0, sizeof copies);
        int okh = map_lookup(map_named(&o, "calls_by_pid"), &pid, copies) == 0;
        for (int i = 0; i < 64; i++)
            by_pid += copies[i];
        check(ok && sum == 50, "percpu: PERCPU_ARRAY copies add up to the 50 calls");
        check(okh && by_pid == 50, "percpu: PERCPU_HASH copies under this pid add up to 50");
    }
    object_close(&o);
}

/* perfbuf.bpf.c: bpf_perf_event_output into a PERF_EVENT_ARRAY. */
static void test_perfbuf(void)
{
    static const char *const names[] = {"send_event"};
    static const char *const fns[] = {"sys_getpid"};
    static const int rets[] = {0};
    struct object o;
    struct {
        uint32_t target_pid, seq;
        uint64_t output_ok, bad_index_refused;
    } g = {0};
    int ok = load_and_attach(&o, "compat_perfbuf.bpf.o", names, fns, rets, 1) == 0;
    check(ok, "perfbuf: PERF_EVENT_ARRAY (no max_entries) object loads and attaches");
    if (ok && set_target(&o, &g, (uint32_t)getpid()) == 0) {
        for (int i = 0; i < 5; i++)
            getpid();
        set_target(&o, &g, NOBODY);
        ok = read_globals(&o, &g) == 0;
        check(ok && g.seq == 5 && g.output_ok == 5,
              "perfbuf: five bpf_perf_event_output(BPF_F_CURRENT_CPU) succeed");
        check(ok && g.bad_index_refused == 5, "perfbuf: an index beyond the CPUs is refused");
    }
    object_close(&o);
}

int compat_stack_caller_a(void) __attribute__((noinline));
int compat_stack_caller_a(void)
{
    int pid = getpid();
    return pid + 0;
}

int compat_stack_caller_b(void) __attribute__((noinline));
int compat_stack_caller_b(void)
{
    int pid = getpid();
    return pid + 0;
}

/* Every (key, count) of a hash map of u32 -> u64; how many. */
static int hash_counts(int fd, uint32_t *keys, uint64_t *counts, int max)
{
    uint32_t key = 0, next;
    int n = 0;
    struct bpf_attr_map_elem e = {(uint32_t)fd, 0, 0, (uint64_t)&next, 0};
    while (n < max && bpf(BPF_MAP_GET_NEXT_KEY, &e, sizeof e) == 0) {
        keys[n] = next;
        if (map_lookup(fd, &next, &counts[n]) < 0)
            return -1;
        n++;
        key = next;
        e.key = (uint64_t)&key;
    }
    return n;
}

/* Does the stack stored under id hold a return address into fn (and not
 * into `other`, a function that may follow fn in the text)? */
static int stack_returns_into(const struct object *o, uint32_t id, void *fn, void *other)
{
    uint64_t ips[16] = {0}, f = (uint64_t)fn, x = (uint64_t)other;
    if (map_lookup(map_named(o, "stacks"), &id, ips) < 0)
        return 0;
    for (int i = 0; i < 16; i++)
        if (ips[i] > f && ips[i] < f + 64 && !(x > f && ips[i] > x))
            return 1;
    return 0;
}

/* stackmap.bpf.c: a histogram of stack ids (STACK_TRACE + get_stackid). */
static void test_stackmap(void)
{
    static const char *const names[] = {"stack_histogram"};
    static const char *const fns[] = {"sys_getpid"};
    static const int rets[] = {0};
    struct object o;
    uint32_t g[2] = {0};
    int ok = load_and_attach(&o, "compat_stackmap.bpf.o", names, fns, rets, 1) == 0;
    check(ok, "stackmap: STACK_TRACE + get_stackid object loads and attaches");
    if (!ok || set_target(&o, g, (uint32_t)getpid()) < 0) {
        object_close(&o);
        return;
    }
    for (int i = 0; i < 3; i++)
        compat_stack_caller_a();
    for (int i = 0; i < 5; i++)
        compat_stack_caller_b();
    set_target(&o, g, NOBODY);
    uint32_t kid[8], uid[8];
    uint64_t kn[8], un[8];
    int nk = hash_counts(map_named(&o, "kernel_counts"), kid, kn, 8);
    int nu = hash_counts(map_named(&o, "user_counts"), uid, un, 8);
    check(read_globals(&o, g) == 0 && g[1] == 0, "stackmap: every get_stackid succeeded");
    check(nk == 1 && kn[0] == 8, "stackmap: one kernel stack id, counted 8 times");
    int a = -1, b = -1;
    for (int i = 0; i < nu; i++) {
        if (stack_returns_into(&o, uid[i], compat_stack_caller_a, compat_stack_caller_b))
            a = i;
        if (stack_returns_into(&o, uid[i], compat_stack_caller_b, compat_stack_caller_a))
            b = i;
    }
    check(nu == 2 && a >= 0 && b >= 0 && a != b && un[a] == 3 && un[b] == 5,
          "stackmap: two user stack ids, through each caller, counted 3 and 5");
    object_close(&o);
}

/* tailcall.bpf.c: PROG_ARRAY and bpf_tail_call. */
static void test_tailcall(void)
{
    struct object o;
    struct {
        uint32_t target_pid, pad;
        uint64_t entries, tail_runs, fell_through;
    } g = {0};
    int ok = object_open(&o, "compat_tailcall.bpf.o") == 0;
    o.has_target = 1;
    int entry = ok ? load_prog(&o, "tail_entry") : -1;
    int target = ok ? load_prog(&o, "tail_target") : -1;
    uint32_t slot = 1, tfd = (uint32_t)target;
    int table = map_named(&o, "jump_table");
    ok = entry >= 0 && target >= 0 && map_update(table, &slot, &tfd) == 0 &&
         attach_kprobe(&o, entry, "sys_getpid", 0) == 0;
    check(ok, "tailcall: two programs load, the second goes into a PROG_ARRAY slot");
    if (ok && set_target(&o, &g, (uint32_t)getpid()) == 0) {
        for (int i = 0; i < 4; i++)
            getpid();
        struct bpf_attr_map_elem del = {(uint32_t)table, 0, (uint64_t)&slot, 0, 0};
        int deleted = (int)bpf(BPF_MAP_DELETE_ELEM, &del, sizeof del) == 0;
        for (int i = 0; i < 2; i++)
            getpid();
        set_target(&o, &g, NOBODY);
        ok = read_globals(&o, &g) == 0;
        check(ok && g.entries == 6 && g.tail_runs == 4,
              "tailcall: four runs went on in the slot's program");
        check(ok && deleted && g.fell_through == 2,
              "tailcall: with the slot emptied, the code after bpf_tail_call ran twice");
    }
    object_close(&o);
}

/* cookie.bpf.c: one program on two functions, a cookie each. */
static void test_cookie(void)
{
    struct object o;
    uint32_t g[2] = {0};
    int ok = object_open(&o, "compat_cookie.bpf.o") == 0;
    o.has_target = 1;
    int prog = ok ? load_prog(&o, "count_by_cookie") : -1;
    const char *syms[2] = {"sys_getpid", "sys_getppid"};
    uint64_t cookies[2] = {111, 222};
    struct bpf_attr_link_create lc = {0};
    lc.prog_fd = (uint32_t)prog;
    lc.attach_type = BPF_TRACE_KPROBE_MULTI;
    lc.kprobe_multi.cnt = 2;
    lc.kprobe_multi.syms = (uint64_t)syms;
    lc.kprobe_multi.cookies = (uint64_t)cookies;
    long link = prog >= 0 ? bpf(BPF_LINK_CREATE, &lc, sizeof lc) : -1;
    if (link >= 0)
        o.links[o.nlinks++] = (int)link;
    check(link >= 0, "cookie: one program attached to two functions with a cookie each");
    if (link >= 0 && set_target(&o, g, (uint32_t)getpid()) == 0) {
        for (int i = 0; i < 2; i++)
            getpid();
        for (int i = 0; i < 3; i++)
            getppid();
        set_target(&o, g, NOBODY);
        uint64_t key = 111, n111 = 0, n222 = 0;
        int fd = map_named(&o, "by_cookie");
        map_lookup(fd, &key, &n111);
        key = 222;
        map_lookup(fd, &key, &n222);
        check(n111 == 2 && n222 == 3,
              "cookie: get_attach_cookie is 111 in sys_getpid's 2 runs, 222 in sys_getppid's 3");
        check(read_globals(&o, g) == 0 && g[1] == 0, "cookie: get_func_ip is each probe's address");
    }
    object_close(&o);
}

static const struct {
    const char *name;
    void (*run)(void);
} tests[] = {
    {"kprobe", test_kprobe}, {"uprobe", test_uprobe}, {"ringbuf", test_ringbuf},
    {"loop", test_loop},     {"task", test_task},     {"percpu", test_percpu},
    {"perfbuf", test_perfbuf}, {"stackmap", test_stackmap}, {"tailcall", test_tailcall},
    {"cookie", test_cookie},
};

int main(int argc, char *argv[])
{
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (argc < 2 || strcmp(argv[1], tests[i].name) == 0)
            tests[i].run();
    printf("bpfcompat: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
