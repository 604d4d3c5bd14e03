/*
 * ebpf-run - run one eBPF program from stdin (pinned interface, issue 4):
 *
 *   ebpf-run [MEMHEX] [--jit] [--elf] [--verify] [--section NAME]
 *
 * It is a bpf_conformance plugin: the runner writes the program to stdin
 * and the memory as the first argument, and reads r0 from stdout.
 *
 * stdin: hex bytes of the program, whitespace-separated or not.  With --elf:
 * an ELF object, either raw (it starts with 0x7f 'E' 'L' 'F') or as hex
 * text, which is how bpf_conformance_runner --elf true sends it.  The
 * program is function `main` (in whatever section holds it), or with
 * --section NAME the program of that section (or function).  MEMHEX: one
 * argument of hex bytes, spaced or not, copied into a buffer; r1 = its
 * address (0 if none), r2 = its length.  Prints r0 as 0x%llx and exits 0.
 * A load, verify or run error prints the message on stderr and exits 1; a
 * usage error prints the usage on stderr and exits 2; --help prints it on
 * stdout and exits 0.  Default: interpreter, bounds-checked, no verifier.
 * --jit: the RV64 JIT (on a non-rv64 host the tool re-executes its rv64
 * build, ebpf-run-rv64, under qemu-riscv64).
 *
 * --verify --section NAME checks an object the way the osdbg kernel loads a
 * probe program (issue 18), so it can be checked before uploading: only
 * the helpers the kernel offers (the map helpers and
 * include/osdbg/bpf_kernel_helpers.h, with the library's Linux
 * prototypes), and the probe context: a 256-byte read-only struct pt_regs
 * (pc, x1..x31), MEMHEX (at most 256 bytes) copied into its start.  The
 * program then runs on the host with stand-ins for the kernel's helpers
 * (kernel memory reads fail with -EFAULT and zero their buffer, as Linux's
 * do on a fault).  Loader notices (an EM_NONE object) go to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ebpf.h"
#include "osdbg/bpf_kernel_helpers.h"
#include "osdbg/version.h"

#define KERNEL_CTX_SIZE 256 /* struct pt_regs: pc, x1..x31 (ktrace/src/bpf.c CTX_SIZE) */

static const char usage_text[] =
    "usage: ebpf-run [MEMHEX] [--jit] [--elf] [--verify] [--section NAME]\n"
    "  Runs one eBPF program read from stdin and prints r0 (hex) on stdout.\n"
    "  stdin     the program as hex bytes; with --elf an ELF object, raw or as hex text\n"
    "  MEMHEX    memory for the program as hex bytes: r1 = its address, r2 = its length\n"
    "  --jit     run the RV64 JIT's code (under qemu-riscv64 on other hosts)\n"
    "  --elf     stdin is an ELF object (clang -target bpf); the program is function main\n"
    "  --section NAME  with --elf: the program in section NAME (or function NAME)\n"
    "  --verify  run the verifier first (r1 = MEMHEX's bytes, writable)\n"
    "  --verify --section NAME  check and run as the kernel loads a probe program: its\n"
    "            helpers only, r1 = a read-only 256-byte struct pt_regs (MEMHEX at its start)\n"
    "  --version print the version\n"
    "Exit status: 0 ran, 1 load/verify/run error, 2 usage error.\n";

static int die(const char *what, const char *msg)
{
    fprintf(stderr, "ebpf-run: %s: %s\n", what, msg);
    return 1;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "ebpf-run: %s\n%s", msg, usage_text);
    return 2;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses hex bytes separated by whitespace (or not); "0x" prefixes allowed.
 * Returns the byte count or -1. */
static long parse_hex(const char *s, size_t n, uint8_t *out)
{
    long len = 0;
    size_t i = 0;
    while (i < n) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == ',') {
            i++;
            continue;
        }
        if (s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
            i += 2;
            continue;
        }
        int hi = hexval(s[i]), lo = i + 1 < n ? hexval(s[i + 1]) : -1;
        if (hi < 0 || lo < 0)
            return -1;
        out[len++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return len;
}

static uint8_t *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap)
            buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, f);
        if (!got)
            break;
        n += got;
    }
    *len = n;
    return buf;
}

/* ---- embedder helpers ---------------------------------------------------- */

static uint64_t h_ktime(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t h_cpu(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return 0;
}

static uint64_t h_pid(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    uint64_t pid = (uint64_t)getpid();
    return pid << 32 | pid;
}

static uint64_t h_printk(uint64_t fmt, uint64_t len, uint64_t c, uint64_t d, uint64_t e,
                         ebpf_vm *vm)
{
    (void)c, (void)d, (void)e, (void)vm;
    fprintf(stderr, "trace: %.*s\n", (int)len, (const char *)(uintptr_t)fmt);
    return len;
}

/* Stand-ins for the kernel's other helpers (ktrace/src/bpf.c). */
static uint64_t h_comm(uint64_t buf, uint64_t size, uint64_t c, uint64_t d, uint64_t e,
                       ebpf_vm *vm)
{
    (void)c, (void)d, (void)e, (void)vm;
    memset((void *)(uintptr_t)buf, 0, size);
    strncpy((char *)(uintptr_t)buf, "ebpf-run", size ? size - 1 : 0);
    return 0;
}

/* No kernel or traced process here: every read faults (Linux zeroes the
 * buffer and returns -EFAULT). */
static uint64_t h_fault(uint64_t buf, uint64_t size, uint64_t c, uint64_t d, uint64_t e,
                        ebpf_vm *vm)
{
    (void)c, (void)d, (void)e, (void)vm;
    memset((void *)(uintptr_t)buf, 0, size);
    return (uint64_t)-14;
}

static uint64_t h_zero(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return 0;
}

/* A helper that fills memory the program gives it (get_stack, snprintf, ...)
 * leaves it zeroed here: the verifier counts it as written. */
static uint64_t h_zero_mem12(uint64_t buf, uint64_t size, uint64_t c, uint64_t d, uint64_t e,
                             ebpf_vm *vm)
{
    (void)c, (void)d, (void)e, (void)vm;
    memset((void *)(uintptr_t)buf, 0, size);
    return 0;
}

static uint64_t h_zero_mem23(uint64_t a, uint64_t buf, uint64_t size, uint64_t d, uint64_t e,
                             ebpf_vm *vm)
{
    (void)a, (void)d, (void)e, (void)vm;
    memset((void *)(uintptr_t)buf, 0, size);
    return 0;
}

static ebpf_helper_fn kernel_stand_in(uint32_t id, const struct ebpf_helper_proto *proto)
{
    switch (id) {
    case BPF_FUNC_ktime_get_ns:
        return h_ktime;
    case BPF_FUNC_get_smp_processor_id:
        return h_cpu;
    case BPF_FUNC_get_current_pid_tgid:
        return h_pid;
    case BPF_FUNC_trace_printk:
        return h_printk;
    case BPF_FUNC_get_current_comm:
        return h_comm;
    case BPF_FUNC_probe_read_kernel:
    case BPF_FUNC_probe_read_user:
    case BPF_FUNC_probe_read_kernel_str:
    case BPF_FUNC_probe_read_user_str:
    case BPF_FUNC_probe_read:
    case BPF_FUNC_probe_read_str:
        return h_fault;
    }
    if (proto->args[0] == EBPF_ARG_UNINIT_MEM)
        return h_zero_mem12;
    if (proto->args[1] == EBPF_ARG_UNINIT_MEM)
        return h_zero_mem23;
    return h_zero;
}

/* Exactly the kernel's helper set: a program calling another helper fails
 * verification here as it would in the kernel. */
static int register_kernel_helpers(ebpf_vm *vm)
{
    static const uint32_t ids[] = {
#define KERNEL_HELPER_ID(name) BPF_FUNC_##name,
        OSDBG_KERNEL_HELPERS(KERNEL_HELPER_ID)
#undef KERNEL_HELPER_ID
    };
    ebpf_register_map_helpers(vm);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const struct ebpf_helper_proto *proto = ebpf_linux_proto(ids[i]);
        if (!proto) {
            fprintf(stderr, "ebpf-run: the library has no prototype for kernel helper %u\n",
                    ids[i]);
            return -1;
        }
        ebpf_register_helper(vm, ids[i], kernel_stand_in(ids[i], proto), proto);
    }
    return 0;
}

#if defined(__riscv)
static void flush(void *start, size_t len)
{
    __builtin___clear_cache((char *)start, (char *)start + len);
}
#endif

int main(int argc, char **argv)
{
    int jit = 0, elf = 0, verify = 0;
    const char *memhex = NULL, *section = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("ebpf-run (osdbg) %s\n", OSDBG_VERSION);
            return 0;
        } else if (!strcmp(argv[i], "--jit")) {
            jit = 1;
        } else if (!strcmp(argv[i], "--elf")) {
            elf = 1;
        } else if (!strcmp(argv[i], "--verify")) {
            verify = 1;
        } else if (!strcmp(argv[i], "--section")) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return usage_error("--section needs a name");
            section = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            char msg[256];
            snprintf(msg, sizeof msg, "unknown option %s", argv[i]);
            return usage_error(msg);
        } else if (memhex) {
            return usage_error("only one MEMHEX argument");
        } else {
            memhex = argv[i];
        }
    }
    if (section && !elf)
        return usage_error("--section needs --elf");
#if !defined(__riscv)
    if (jit) {
        /* The JIT emits RV64 code: run our rv64 twin under user-mode QEMU. */
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 16);
        if (n < 0)
            return die("--jit", strerror(errno));
        self[n] = 0;
        char twin[4200];
        snprintf(twin, sizeof(twin), "%s-rv64", self);
        char **args = calloc((size_t)argc + 2, sizeof(char *));
        args[0] = "qemu-riscv64";
        args[1] = twin;
        for (int i = 1; i < argc; i++)
            args[i + 1] = argv[i];
        execvp("qemu-riscv64", args);
        return die("qemu-riscv64", strerror(errno));
    }
#endif

    uint8_t *mem = NULL;
    long memlen = 0;
    if (memhex) {
        size_t l = strlen(memhex);
        mem = malloc(l / 2 + 1);
        memlen = parse_hex(memhex, l, mem);
        if (memlen < 0)
            return die("MEMHEX", "not hex bytes");
    }
    size_t inlen;
    uint8_t *in = read_all(stdin, &inlen);

    size_t arena_size = 64u << 20;
    void *arena = malloc(arena_size);
    char err[512];
    ebpf_vm *vm = ebpf_create(arena, arena_size, err, sizeof(err));
    if (!vm)
        return die("create", err);
    /* --verify --section: as the kernel loads a probe program */
    int kernel = verify && section;
    uint64_t regs[KERNEL_CTX_SIZE / 8] = {0};
    if (kernel) {
        if (memlen > KERNEL_CTX_SIZE)
            return usage_error("with --verify --section, MEMHEX is the 256-byte pt_regs");
        memcpy(regs, mem, (size_t)memlen);
        if (register_kernel_helpers(vm))
            return 1;
    } else {
        ebpf_register_map_helpers(vm);
        ebpf_register_helper(vm, BPF_FUNC_ktime_get_ns, h_ktime,
                             ebpf_linux_proto(BPF_FUNC_ktime_get_ns));
        ebpf_register_helper(vm, BPF_FUNC_get_smp_processor_id, h_cpu,
                             ebpf_linux_proto(BPF_FUNC_get_smp_processor_id));
        ebpf_register_helper(vm, BPF_FUNC_get_current_pid_tgid, h_pid,
                             ebpf_linux_proto(BPF_FUNC_get_current_pid_tgid));
        ebpf_register_helper(vm, BPF_FUNC_trace_printk, h_printk,
                             ebpf_linux_proto(BPF_FUNC_trace_printk));
    }

    int r;
    if (elf) {
        /* Raw bytes, or the same object as hex text (bpf_conformance). */
        static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
        uint8_t *obj = in;
        long objlen = (long)inlen;
        if (inlen < 4 || memcmp(in, magic, 4) != 0) {
            obj = malloc(inlen / 2 + 8);
            objlen = parse_hex((const char *)in, inlen, obj);
            if (objlen < 0)
                return die("load", "--elf input is neither an ELF object nor its hex bytes");
        }
        r = ebpf_load_elf(vm, obj, (size_t)objlen, section ? section : "main");
        if (ebpf_notice(vm)[0])
            fprintf(stderr, "ebpf-run: warning: %s\n", ebpf_notice(vm));
    } else {
        uint8_t *code = malloc(inlen / 2 + 8);
        long n = parse_hex((const char *)in, inlen, code);
        if (n < 0)
            return die("load", "program is not hex bytes");
        if (n % 8)
            return die("load", "program size is not a multiple of 8 bytes");
        r = ebpf_load(vm, (const struct ebpf_insn *)code, (uint32_t)(n / 8));
    }
    if (r)
        return die("load", ebpf_error(vm));
    if (verify) {
        static char log[1 << 16];
        struct ebpf_verify_opts o = {0};
        o.ctx_size = kernel ? KERNEL_CTX_SIZE : (uint32_t)memlen;
        o.ctx_writable = !kernel; /* the kernel's probe context is read-only */
        o.r2_is_ctx_len = !kernel;
        o.log = log;
        o.log_size = sizeof(log);
        o.log_level = 1;
        if (ebpf_verify(vm, &o)) {
            fputs(log, stderr);
            return die("verify", ebpf_error(vm));
        }
    }
    uint64_t r0 = 0;
    void *ctx = kernel ? (void *)regs : memlen ? mem : NULL;
    if (kernel)
        memlen = KERNEL_CTX_SIZE;
    if (jit) {
#if defined(__riscv)
        size_t cap = 1u << 22;
        void *code =
            mmap(NULL, cap, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (code == MAP_FAILED)
            return die("jit", strerror(errno));
        size_t used;
        ebpf_set_icache_flush(vm, flush);
        if (ebpf_jit_compile(vm, code, cap, &used))
            return die("jit", ebpf_error(vm));
        r = ebpf_jit_exec(vm, ctx, (uint64_t)memlen, &r0);
#else
        r = -EBPF_ENOSYS;
#endif
    } else {
        ebpf_set_bounds_check(vm, 1);
        r = ebpf_exec(vm, ctx, (uint64_t)memlen, &r0);
    }
    if (r)
        return die("run", ebpf_error(vm));
    printf("0x%llx\n", (unsigned long long)r0);
    return 0;
}
