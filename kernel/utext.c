/*
 * utext.c - is an address the start of an instruction in a program's text?
 *
 * A uprobe puts an ebreak over the instruction at its address.  At any other
 * address (the middle of an instruction, data, nothing at all) it corrupts
 * the program: the process is killed at the probe, or loops at it, and when
 * the process is init the kernel panics.  Addresses come from user space
 * (bpf()) and from the host (vTU), so the kernel checks them itself, the
 * way kprobe.c checks kernel addresses: find the function that holds the
 * address, then decode instruction lengths forward from its start
 * (rvprobe_check_boundary; RISC-V code is not self-synchronising).
 *
 * The code is the executable section holding the address (SHF_EXECINSTR:
 * user/user.ld puts .rodata in the same R-X segment as .text, and a
 * uprobe on constant data would corrupt it); a file without section
 * headers falls back to the executable segment.
 *
 * The function comes from the program's own ELF file in the ramdisk (its
 * .symtab).  A stripped program, or an address no STT_FUNC symbol covers
 * (assembly stubs such as xv6's usys.S), is decoded from the start of the
 * executable segment that holds it.  Every offset and size read from the
 * file is checked against the file.
 */
#include "utext.h"
#include "elf.h"
#include "ramfs.h"
#include "types.h"

#include <rvprobe.h>

/* [off, off + len) lies inside a file of `size` bytes. */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* The executable, file-backed PT_LOAD segment holding addr, or 0. */
static const struct elf64_phdr *text_segment(const uint8_t *data, uint64_t size, uint64_t addr)
{
    const struct elf64_ehdr *eh = (const void *)data;
    if (eh->phentsize != sizeof(struct elf64_phdr) ||
        !in_file(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), size))
        return 0;
    const struct elf64_phdr *ph = (const void *)(data + eh->phoff);
    for (int i = 0; i < eh->phnum; i++) {
        if (ph[i].type != PT_LOAD || !(ph[i].flags & PF_X) ||
            !in_file(ph[i].off, ph[i].filesz, size))
            continue;
        if (addr >= ph[i].vaddr && addr - ph[i].vaddr < ph[i].filesz)
            return &ph[i];
    }
    return 0;
}

/* The executable section inside segment ph that holds addr, as [*lo, *hi):
 * 1 if found, 0 if the file has sections and none such holds addr, -1 if
 * it has no section headers (the segment is all there is to go by). */
static int text_section(const uint8_t *data, uint64_t size, const struct elf64_phdr *ph,
                        uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    const struct elf64_ehdr *eh = (const void *)data;
    if (eh->shnum == 0 || eh->shentsize != sizeof(struct elf64_shdr) ||
        !in_file(eh->shoff, (uint64_t)eh->shnum * sizeof(struct elf64_shdr), size))
        return -1;
    const struct elf64_shdr *sh = (const void *)(data + eh->shoff);
    for (int s = 0; s < eh->shnum; s++) {
        const uint64_t code = SHF_ALLOC | SHF_EXECINSTR;
        if (sh[s].type != SHT_PROGBITS || (sh[s].flags & code) != code)
            continue;
        /* inside the segment's file bytes, so the segment's offset applies */
        if (sh[s].addr < ph->vaddr || sh[s].size > ph->filesz ||
            sh[s].addr - ph->vaddr > ph->filesz - sh[s].size)
            continue;
        if (addr >= sh[s].addr && addr - sh[s].addr < sh[s].size) {
            *lo = sh[s].addr;
            *hi = sh[s].addr + sh[s].size;
            return 1;
        }
    }
    return 0;
}

/* The start of the STT_FUNC symbol whose [value, value + size) holds addr,
 * if it lies inside [lo, hi); else lo. */
static uint64_t function_start(const uint8_t *data, uint64_t size, uint64_t addr, uint64_t lo,
                               uint64_t hi)
{
    const struct elf64_ehdr *eh = (const void *)data;
    if (eh->shentsize != sizeof(struct elf64_shdr) ||
        !in_file(eh->shoff, (uint64_t)eh->shnum * sizeof(struct elf64_shdr), size))
        return lo;
    const struct elf64_shdr *sh = (const void *)(data + eh->shoff);
    for (int s = 0; s < eh->shnum; s++) {
        if (sh[s].type != SHT_SYMTAB || sh[s].entsize != sizeof(struct elf64_sym) ||
            !in_file(sh[s].offset, sh[s].size, size) || sh[s].offset % 8)
            continue;
        const struct elf64_sym *sym = (const void *)(data + sh[s].offset);
        uint64_t n = sh[s].size / sizeof *sym;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t v = sym[i].value, len = sym[i].size;
            if ((sym[i].info & 0xf) == STT_FUNC && sym[i].shndx != 0 && v >= lo && v < hi &&
                addr >= v && addr - v < len)
                return v;
        }
    }
    return lo;
}

int utext_check_insn(const char *program, uint64_t addr, uint64_t *func_start)
{
    const struct ramfs_file *f = ramfs_lookup(program);
    if (!f)
        return RVPROBE_EINVAL;
    const uint8_t *data = f->data;
    uint64_t size = f->size;
    const struct elf64_ehdr *eh = (const void *)data;
    if (size < sizeof *eh || !elf64_magic_ok(eh->ident) || eh->ident[EI_CLASS] != ELFCLASS64 ||
        eh->machine != EM_RISCV)
        return RVPROBE_EINVAL;
    const struct elf64_phdr *ph = text_segment(data, size, addr);
    if (!ph)
        return RVPROBE_ERANGE; /* not in the program's code */
    uint64_t lo = ph->vaddr, hi = ph->vaddr + ph->filesz;
    if (text_section(data, size, ph, addr, &lo, &hi) == 0)
        return RVPROBE_ERANGE; /* constant data in the code's segment */
    uint64_t start = function_start(data, size, addr, lo, hi);
    const uint8_t *code = data + ph->off + (start - ph->vaddr);
    int n = rvprobe_check_boundary(code, hi - start, start, addr);
    if (n > 0 && func_start)
        *func_start = start;
    return n;
}
