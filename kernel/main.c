/*
 * Kernel start-up on the boot hart: console, device tree, memory, paging,
 * traps and interrupts, the file system, the debug channel, then the first
 * process and the scheduler.
 */
#include "bootargs.h"
#include "ktrace.h"
#include "console.h"
#include "fdt.h"
#include "file.h"
#include "kalloc.h"
#include "kstring.h"
#include "plic.h"
#include "printf.h"
#include "sbi.h"
#include "proc.h"
#include "ramfs.h"
#include "selftest.h"
#include "trap.h"
#include "uart.h"
#include "virtio_console.h"
#include "vm.h"
#include <osdbg/memlayout.h>

static struct boot_info boot;

int boot_hartid;
static int harts_running = 1;
static int kernel_ready; /* the boot hart is starting the others */

/* A hart that came to _entry after the boot hart (entry.S) may be early:
 * it waits, with wfi woken by its own timer every millisecond (a bare
 * spin could keep the boot hart from running under QEMU -icount), until
 * the kernel is ready for it.  Interrupts stay off: sie.STIE only lets the
 * timer end wfi (privileged spec 3.3.3). */
static void wait_for_boot(void)
{
    csr_set(sie, SIE_STIE);
    while (!__atomic_load_n(&kernel_ready, __ATOMIC_ACQUIRE)) {
        sbi_set_timer(r_time() + TIMEBASE_HZ / 1000);
        asm volatile("wfi");
    }
}

/* Every hart but the boot hart: the kernel page table, traps, the PLIC
 * and the timer of its own, then its scheduler loop. */
void kmain_secondary(uint64_t hartid)
{
    wait_for_boot();
    cpus[hartid].hartid = (int)hartid;
    kvm_enable();
    trap_init_hart();
    plic_init_hart();
    __atomic_add_fetch(&harts_running, 1, __ATOMIC_RELEASE);
    scheduler();
}

/* Start harts 0..NCPU-1 other than this one.  SBI refuses the ids QEMU's
 * -smp did not create (SBI_ERR_INVALID_PARAM), so trying each is how the
 * kernel learns how many there are.  Waits until each started hart is
 * running its scheduler. */
static void start_other_harts(void)
{
    extern char _secondary_entry[];
    int started = 1;
    __atomic_store_n(&kernel_ready, 1, __ATOMIC_RELEASE);
    for (int h = 0; h < NCPU; h++) {
        if (h == boot_hartid)
            continue;
        /* Paging is on: hart_start wants the physical address, which is
         * the same here (the kernel is mapped one to one). */
        long r = sbi_hart_start((uint64_t)h, (uint64_t)_secondary_entry, 0);
        /* Already available (SBI_ERR_ALREADY_AVAILABLE, -6): a hart that
         * came to _entry by itself (entry.S) and waits in wait_for_boot. */
        if (r == 0 || r == -6)
            started++;
    }
    /* wfi, not a bare spin: under QEMU -icount the harts take turns on one
     * host thread, and a spinning hart 0 kept hart 1 from ever running
     * (bench-kprobe's exact instruction counts hung on 2 harts).  The
     * timer, armed on this hart, ends each wait. */
    while (__atomic_load_n(&harts_running, __ATOMIC_ACQUIRE) < started)
        asm volatile("wfi");
    printf("[kernel] %d hart%s running\n", started, started == 1 ? "" : "s");
}

void kmain(uint64_t hartid, const void *dtb)
{
    cpus[hartid].hartid = (int)hartid;
    boot_hartid = (int)hartid;
    uart_init();
    printf_init();
    console_init();
    printf("\nosdbg reference kernel: RISC-V Sv39, hart %d\n", (int)hartid);

    /* Read the device tree first: it lives in RAM the allocator will hand out. */
    if (fdt_parse(dtb, &boot) < 0)
        printf("[kernel] no valid device tree at %p; using defaults\n", dtb);
    uint64_t ram_end = RAMBASE + RAM_DEFAULT_SIZE;
    if (boot.ram_size && boot.ram_base == RAMBASE)
        ram_end = boot.ram_base + boot.ram_size;
    if (boot.bootargs[0]) {
        printf("[kernel] command line: %s\n", boot.bootargs);
        /* The kernel's own keys, then init's (user/init.c): init gets the
         * whole line as its arguments. */
        static const char *const known[] = {"dbgchan", "ktest", "run", 0};
        bootargs_report_unknown(boot.bootargs, known);
    }

    kalloc_init(ram_end);
    kvm_init(ram_end);
    proc_init();
    kvm_enable();
    trap_init_hart();
    plic_init();
    plic_init_hart();
    file_init();
    kt_bpf_init();
    kt_kprobe_init();
    kt_uprobe_init();
    int nfiles = ramfs_init();
    printf("[kernel] %lu MiB RAM, %lu free pages, %d files in the ramdisk\n",
           (ram_end - RAMBASE) >> 20, kalloc_free_pages(), nfiles);

    if (virtio_console_init() == 0) {
        char mode[16] = "";
        bootarg_get(boot.bootargs, "dbgchan", mode, sizeof mode);
        if (strcmp(mode, "echo") == 0)
            dbgchan_echo_mode(); /* the channel's own test */
        else if (strcmp(mode, "off") != 0) { /* off: as a kernel without a side-stub */
            kt_sidestub_init();
            dbgchan_set_receiver(kt_sidestub_input);
        }
    }
    char ktest[16];
    if (bootarg_get(boot.bootargs, "ktest", ktest, sizeof ktest)) {
        /* ktest=panic checks that a panic stops QEMU with a failure status. */
        if (strcmp(ktest, "panic") == 0)
            panic("requested by the boot argument ktest=panic");
        kernel_selftest();
    }

    kt_sidestub_wait();
    /* The other harts first: their "N harts running" line comes before any
     * program's output (started after, init could print on another hart
     * while this one still wrote the line, and the two interleaved). */
    start_other_harts();
    user_init(boot.bootargs);
    scheduler();
}
