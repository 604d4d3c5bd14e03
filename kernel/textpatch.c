/*
 * Patching instructions that other harts may be running at that moment
 * (a probe's break, and the original instruction back).  memcpy writes
 * byte by byte: a hart fetching `add sp,sp,-16` (0x1141) while it became
 * c.ebreak (0x9002) could see 0x1102, `slli sp,sp,32`, and lose its stack
 * (found by test-kernel-smp's attach/detach-under-load test).  So every
 * patch is one naturally aligned store where it can be (RISC-V
 * unprivileged spec, "Memory Consistency Model": aligned stores are
 * single-copy atomic), and otherwise goes through states that are each a
 * break or the whole old or new instruction:
 *
 *   2 bytes (2-aligned, IALIGN 16)         one halfword store
 *   4 bytes at a 4-aligned address         one word store
 *   4 bytes inside an aligned doubleword   the doubleword read, changed, stored
 *   4 bytes across two doublewords (or     c.ebreak into the first half
 *   pages)                                 (a break), the second half, the
 *                                          first half, fenced in between
 *
 * A hart sees the intermediate c.ebreak as the probe's break at the same
 * address, which the engine resolves like any other.  Slots are written
 * the same way; nothing runs them while they are written.  Each step is
 * made visible to instruction fetch on every hart (fence.i here, SBI
 * remote fence.i for the others) before the next.
 */
#include "textpatch.h"
#include "sbi.h"

#define C_EBREAK 0x9002u

static void fence_all(void)
{
    asm volatile("fence.i" ::: "memory");
    sbi_remote_fence_i_all();
}

static void store16(uint8_t *at, uint16_t v)
{
    __atomic_store_n((uint16_t *)at, v, __ATOMIC_RELEASE);
}

static uint16_t half(const uint8_t *b)
{
    return (uint16_t)(b[0] | b[1] << 8);
}

void text_patch(uint8_t *lo, uint8_t *hi, const uint8_t *bytes, unsigned n)
{
    uint64_t a = (uint64_t)lo;
    if (n == 2 && !(a & 1)) {
        store16(lo, half(bytes));
    } else if (n == 4 && hi == lo + 2 && !(a & 3)) {
        uint32_t v = (uint32_t)half(bytes) | (uint32_t)half(bytes + 2) << 16;
        __atomic_store_n((uint32_t *)lo, v, __ATOMIC_RELEASE);
    } else if (n == 4 && hi == lo + 2 && !(a & 1) && (a & 7) != 6) {
        uint64_t *dw = (uint64_t *)(a & ~7ULL);
        unsigned shift = (unsigned)(a & 7) * 8;
        uint64_t v = *dw & ~(0xffffffffULL << shift);
        v |= ((uint64_t)half(bytes) | (uint64_t)half(bytes + 2) << 16) << shift;
        __atomic_store_n(dw, v, __ATOMIC_RELEASE);
    } else if (n == 4 && !(a & 1)) {
        store16(lo, C_EBREAK); /* a break now, whatever the halves say */
        fence_all();
        store16(hi, half(bytes + 2));
        fence_all();
        store16(lo, half(bytes));
    } else {
        /* A slot (up to 8 bytes, 2-aligned): nothing runs it meanwhile. */
        for (unsigned i = 0; i < n; i += 2)
            store16(i < 2 ? lo + i : hi + i - 2, half(bytes + i));
    }
    fence_all();
}
