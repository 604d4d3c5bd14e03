/*
 * SBI calls (RISC-V Supervisor Binary Interface spec v1.0): a7 = extension
 * id, a6 = function id, arguments in a0..a5; a0 = error, a1 = value.
 */
#include "sbi.h"
#include <osdbg/memlayout.h>

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_TIME           0x54494D45 /* "TIME", chapter 6 */
#define SBI_EXT_SRST           0x53525354 /* "SRST", chapter 10 */
#define SBI_EXT_HSM            0x48534D   /* "HSM", chapter 9 */
#define SBI_EXT_RFENCE         0x52464E43 /* "RFNC", chapter 8 */
#define HSM_HART_START         0
#define RFENCE_FENCE_I         0
#define RFENCE_SFENCE_VMA      1
#define SRST_TYPE_SHUTDOWN     0
#define SRST_REASON_NONE       0
#define SRST_REASON_FAILURE    1

struct sbiret {
    long error;
    long value;
};

/* Every call takes up to four arguments (a0..a3): hart_start and
 * remote_sfence_vma need three and four. */
static struct sbiret sbi_call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2,
                              uint64_t a3)
{
    register uint64_t r_a0 asm("a0") = a0;
    register uint64_t r_a1 asm("a1") = a1;
    register uint64_t r_a2 asm("a2") = a2;
    register uint64_t r_a3 asm("a3") = a3;
    register uint64_t r_a6 asm("a6") = fid;
    register uint64_t r_a7 asm("a7") = ext;
    asm volatile("ecall"
                 : "+r"(r_a0), "+r"(r_a1)
                 : "r"(r_a2), "r"(r_a3), "r"(r_a6), "r"(r_a7)
                 : "memory");
    return (struct sbiret){(long)r_a0, (long)r_a1};
}

void sbi_set_timer(uint64_t stime_value)
{
    sbi_call(SBI_EXT_TIME, 0, stime_value, 0, 0, 0);
}

long sbi_hart_start(uint64_t hartid, uint64_t start, uint64_t opaque)
{
    return sbi_call(SBI_EXT_HSM, HSM_HART_START, hartid, start, opaque, 0).error;
}

/* hart_mask_base = -1 means "every hart" (SBI v1.0 section 3.1). */
void sbi_remote_fence_i_all(void)
{
    sbi_call(SBI_EXT_RFENCE, RFENCE_FENCE_I, 0, (uint64_t)-1, 0, 0);
}

/* remote_sfence_vma(hart_mask, hart_mask_base, start_addr, size):
 * a0..a3 (SBI v1.0 section 8.3). */
void sbi_remote_sfence_vma_all(uint64_t start, uint64_t size)
{
    sbi_call(SBI_EXT_RFENCE, RFENCE_SFENCE_VMA, 0, (uint64_t)-1, start, size);
}

void sbi_console_putchar(int c)
{
    sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (uint64_t)c, 0, 0, 0);
}

/* System Reset extension: QEMU's virt machine powers off and exits with
 * status 0 (OpenSBI drives the sifive_test "finisher" device). */
void sbi_shutdown(void)
{
    sbi_call(SBI_EXT_SRST, 0, SRST_TYPE_SHUTDOWN, SRST_REASON_NONE, 0, 0);
    for (;;)
        asm volatile("wfi");
}

/* Power off with a failure status, so that a kernel panic fails any test or
 * script running the OS.  OpenSBI 1.1 reports every SRST shutdown to QEMU
 * as a pass, whatever the reason, so write QEMU virt's test finisher
 * directly (hw/misc/sifive_test.c: FAIL = 0x3333, exit code in bits 31:16;
 * mapped in the kernel page table at the same address); SRST stays as the
 * fallback for other machines. */
void sbi_shutdown_failure(void)
{
    *(volatile uint32_t *)VIRT_TEST = 0x3333 | (1u << 16);
    sbi_call(SBI_EXT_SRST, 0, SRST_TYPE_SHUTDOWN, SRST_REASON_FAILURE, 0, 0);
    for (;;)
        asm volatile("wfi");
}
