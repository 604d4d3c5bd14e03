/*
 * freestanding.c - the kernel build of the library at work, not just
 * compiled: this program is built with the kernel's flags
 * (riscv64-unknown-elf-gcc -ffreestanding -nostdlib, medany) against
 * build/ebpf/rv64-kernel/libebpf.a, with no libc at all, and run under
 * qemu-riscv64.  It talks to Linux through raw ecalls only (write, mmap
 * for executable JIT memory, exit) and runs the RFC 9669 table on the
 * interpreter and the JIT, flushing the instruction cache with fence.i as
 * the kernel will.
 */
#include "insn_cases.h"

static long sys(long n, long a, long b, long c, long d, long e, long f)
{
    register long a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d, a4 __asm__("a4") = e, a5 __asm__("a5") = f;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall"
                     : "+r"(a0)
                     : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
                     : "memory");
    return a0;
}

static void out(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    sys(64 /* write */, 1, (long)s, n, 0, 0, 0);
}

static void flush(void *start, size_t len)
{
    (void)start, (void)len;
    __asm__ volatile("fence.i" ::: "memory");
}

static uint64_t test_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            ebpf_vm *vm)
{
    (void)vm;
    return r1 << 32 ^ r2 << 24 ^ r3 << 16 ^ r4 << 8 ^ r5;
}

static char arena[1 << 20] __attribute__((aligned(16)));
static char err[160];
static uint64_t mem[2];

static int run_case(const struct insn_case *c, int jit, void *code, uint64_t *r0)
{
    ebpf_vm *vm = ebpf_create(arena, sizeof(arena), err, sizeof(err));
    if (!vm)
        return -1;
    ebpf_register_helper(vm, TEST_HELPER_ID, test_helper, 0);
    ebpf_set_icache_flush(vm, flush);
    for (unsigned i = 0; i < 16; i++)
        ((uint8_t *)mem)[i] = c->mem[i];
    int r = ebpf_load(vm, c->prog, c->n);
    if (r)
        return r;
    if (!jit) {
        ebpf_set_bounds_check(vm, 1);
        return ebpf_exec(vm, c->memlen ? mem : 0, c->memlen, r0);
    }
    r = ebpf_jit_compile(vm, code, 1 << 20, 0);
    return r ? r : ebpf_jit_exec(vm, c->memlen ? mem : 0, c->memlen, r0);
}

void _start(void)
{
    char line[160];
    unsigned passed = 0, failed = 0;
    void *code =
        (void *)sys(222 /* mmap */, 0, 1 << 20, 7 /* rwx */, 0x22 /* private|anon */, -1, 0);
    for (unsigned i = 0; i < N_INSN_CASES; i++) {
        for (int jit = 0; jit < 2; jit++) {
            uint64_t r0 = 0;
            int r = run_case(&insn_cases[i], jit, code, &r0);
            if (r == 0 && r0 == insn_cases[i].expect) {
                passed++;
                continue;
            }
            failed++;
            ebpf_snprintf(line, sizeof(line), "FAIL %s (%s): r=%d r0=0x%llx %s\n",
                          insn_cases[i].name, jit ? "jit" : "interp", r, (unsigned long long)r0,
                          r ? err : "");
            out(line);
        }
    }
    ebpf_snprintf(line, sizeof(line), "%u passed, %u failed\n", passed, failed);
    out(line);
    sys(93 /* exit */, failed != 0, 0, 0, 0, 0, 0);
    for (;;)
        ;
}
