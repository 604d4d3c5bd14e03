/*
 * elf_int.h - shared by the ELF loader (elf.c) and its BTF reader (btf.c).
 */
#ifndef EBPF_ELF_INT_H
#define EBPF_ELF_INT_H

#include "ebpf_int.h"

/* A map found in the object: where its symbol lives, and its shape. */
struct elf_mapspec {
    char name[EBPF_NAME_LEN];
    uint32_t shndx;  /* section of its symbol */
    uint64_t offset; /* symbol offset in that section */
    struct ebpf_map_def def;
    int fd;
    const uint8_t *init; /* initial contents (.data/.rodata), or NULL */
    uint64_t init_len;
};

/* Adds the maps of BTF DATASEC ".maps" to specs (offset = the variable's
 * offset in the .maps section; shndx is filled in by the caller). */
int ebpfE_btf_maps(ebpf_vm *vm, const uint8_t *btf, uint64_t len, struct elf_mapspec *specs,
                   int *nspecs);

#endif
