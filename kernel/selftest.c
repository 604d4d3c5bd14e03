/*
 * In-kernel self-tests of the pieces that must survive bad input: the cpio
 * reader, the device-tree reader, the user-memory copy helpers, the page
 * allocator's accounting, command-line parsing and formatting.  Expected
 * values come from the formats' specifications, not from running the code.
 */
#include "selftest.h"
#include "bootargs.h"
#include "bpf_stack.h"
#include "fdt.h"
#include "kalloc.h"
#include "kstring.h"
#include "printf.h"
#include "ramfs.h"
#include "vm.h"
#include <osdbg/memlayout.h>

static int passed, failed;

static void check(bool ok, const char *what)
{
    if (ok)
        passed++;
    else
        failed++;
    printf("ktest: %s %s\n", ok ? "ok  " : "FAIL", what);
}

/* Write one newc member header + name + data into buf; returns bytes used. */
static uint64_t cpio_member(uint8_t *buf, const char *name, uint32_t mode, const char *data)
{
    uint64_t namesize = strlen(name) + 1, filesize = strlen(data);
    int n =
        snprintf((char *)buf, 111, "070701%08x%08x%08x%08x%08x%08x%08lx%08x%08x%08x%08x%08lx%08x",
                 1, mode, 0, 0, 1, 0, filesize, 0, 0, 0, 0, namesize, 0);
    uint64_t off = (uint64_t)n;
    memcpy(buf + off, name, namesize);
    off = (off + namesize + 3) & ~3UL;
    memcpy(buf + off, data, filesize);
    return (off + filesize + 3) & ~3UL;
}

static void test_ramfs(void)
{
    static uint8_t arch[1024];
    struct ramfs_file out[4];
    memset(arch, 0, sizeof arch);
    uint64_t n = cpio_member(arch, "hello.txt", 0100644, "hi there");
    n += cpio_member(arch + n, "TRAILER!!!", 0, "");
    int got = ramfs_parse(arch, n, out, 4);
    check(got == 1 && strcmp(out[0].name, "hello.txt") == 0 && out[0].size == 8 &&
              memcmp(out[0].data, "hi there", 8) == 0,
          "cpio: one regular file is found with its name, size and bytes");
    check(ramfs_parse(arch, n - 120, out, 4) == -1,
          "cpio: archive cut before the trailer is rejected");
    check(ramfs_parse(arch, 50, out, 4) == -1, "cpio: truncated header is rejected");
    arch[0] = 'X';
    check(ramfs_parse(arch, n, out, 4) == -1, "cpio: bad magic is rejected");
    arch[0] = '0';
    /* A file size field far beyond the archive. */
    memcpy(arch + 6 + 8 * 6, "7fffffff", 8);
    check(ramfs_parse(arch, n, out, 4) == -1, "cpio: file size past the end is rejected");
    memcpy(arch + 6 + 8 * 6, "0000000g", 8);
    check(ramfs_parse(arch, n, out, 4) == -1, "cpio: non-hex field is rejected");
}

static void test_fdt(void)
{
    struct boot_info bi;
    static const uint8_t junk[64] = {0xd0, 0x0d, 0xfe, 0xed, 0xff, 0xff, 0xff, 0xff};
    check(fdt_parse(0, &bi) == -1, "fdt: null blob is rejected");
    check(fdt_parse(junk, &bi) == -1, "fdt: header with offsets past the end is rejected");
}

static void test_copy(void)
{
    uint64_t before = kalloc_free_pages();
    pagetable_t pt = uvm_create();
    check(pt != 0, "uvm: a page table can be created");
    if (!pt)
        return;
    check(uvm_alloc(pt, USER_BASE, USER_BASE + 2 * PGSIZE, PTE_R | PTE_W) == USER_BASE + 2 * PGSIZE,
          "uvm: two user pages are mapped");
    const char msg[] = "crosses a page boundary";
    uint64_t va = USER_BASE + PGSIZE - 8;
    char back[sizeof msg];
    check(copyout(pt, va, msg, sizeof msg) == 0 && copyin(pt, back, va, sizeof msg) == 0 &&
              memcmp(back, msg, sizeof msg) == 0,
          "copyout/copyin: data crossing a page boundary round-trips");
    char str[32];
    check(copyinstr(pt, str, va, sizeof str) == (long)strlen(msg) && strcmp(str, msg) == 0,
          "copyinstr: string crossing a page boundary is copied whole");
    check(copyinstr(pt, str, va, 5) == -1, "copyinstr: string longer than the limit fails");
    check(copyin(pt, back, 0, 8) == -1, "copyin: address 0 (unmapped) fails");
    check(copyout(pt, USER_BASE + 2 * PGSIZE - 4, msg, 8) == -1,
          "copyout: write running past the last mapped page fails");
    check(copyin(pt, back, MAXVA + 4096, 8) == -1, "copyin: address beyond Sv39 fails");
    check(copyin(pt, back, (uint64_t)back, 8) == -1, "copyin: a kernel address is not user memory");
    uvm_clear_user(pt, USER_BASE);
    check(copyin(pt, back, USER_BASE, 8) == -1, "copyin: a page without PTE_U is refused");
    uvm_free(pt, USER_BASE + 2 * PGSIZE);
    check(kalloc_free_pages() == before, "kalloc: freeing the page table returns every page");
}

static void test_bootargs(void)
{
    char v[16];
    check(bootarg_get("a=1 run=hello,matrix ktest", "run", v, sizeof v) &&
              strcmp(v, "hello,matrix") == 0,
          "bootargs: value of run= is found among other words");
    check(!bootarg_get("runner=x", "run", 0, 0), "bootargs: a longer key does not match");
    check(bootarg_get("x ktest", "ktest", v, sizeof v) && v[0] == 0,
          "bootargs: a bare word matches with an empty value");
}

static void test_format(void)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%d %u %x %08lx %s %c", -42, 42u, 0xbeefu, 0x1234UL, "s", 'c');
    check(strcmp(buf, "-42 42 beef 00001234 s c") == 0, "snprintf: basic conversions");
    int n = snprintf(buf, 4, "%s", "truncated");
    check(n == 9 && strcmp(buf, "tru") == 0, "snprintf: truncates and reports the full length");
}

void kernel_selftest(void)
{
    printf("ktest: start\n");
    test_ramfs();
    test_fdt();
    test_copy();
    test_bootargs();
    test_format();
    kprobe_selftest(check);
    bpf_stack_selftest(check);
    printf("ktest: %d passed, %d failed\n", passed, failed);
}
