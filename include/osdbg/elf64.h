/*
 * elf64.h - the ELF-64 structures and numbers osdbg reads, in one place for
 * the kernel's exec, the eBPF runtime's object loader and user programs
 * (bpfload).  Layouts: System V ABI, "ELF-64 Object File Format" 1.5;
 * RISC-V machine number: RISC-V ELF psABI.  The macro names are the standard ones
 * (the same values as <elf.h>); the structures are elf64_*.
 */
#ifndef OSDBG_ELF64_H
#define OSDBG_ELF64_H

#include <stdint.h>

/* e_ident */
#define EI_NIDENT   16
#define EI_CLASS    4
#define EI_DATA     5
#define ELFCLASS64  2
#define ELFDATA2LSB 1

/* e_type, e_machine */
#define ET_EXEC   2
#define EM_RISCV  243

/* program headers */
#define PT_LOAD 1
#define PF_X    1
#define PF_W    2
#define PF_R    4

/* section headers */
#define SHT_PROGBITS   1
#define SHT_SYMTAB     2
#define SHT_NOBITS     8
#define SHT_REL        9
#define SHF_ALLOC      2
#define SHF_EXECINSTR  4

/* symbols: the type in the low nibble of st_info, the binding above */
#define STT_OBJECT  1
#define STT_FUNC    2
#define STT_SECTION 3

/* relocations: the symbol in the high half of r_info, the type (for BPF:
 * R_BPF_*, osdbg/bpf_ids.h) in the low half */

struct elf64_ehdr {
    uint8_t ident[EI_NIDENT];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t off, vaddr, paddr, filesz, memsz, align;
};

struct elf64_shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};

struct elf64_sym {
    uint32_t name;
    uint8_t info, other;
    uint16_t shndx;
    uint64_t value, size;
};

struct elf64_rel {
    uint64_t offset, info;
};

/* "\x7fELF" */
static inline int elf64_magic_ok(const uint8_t *ident)
{
    return ident[0] == 0x7f && ident[1] == 'E' && ident[2] == 'L' && ident[3] == 'F';
}

#endif
