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
    /* BTF maps: the definition struct's size, where its __array(values, ...)
     * initialisers are (UINT32_MAX: none), a map of maps' inner template */
    uint32_t size;
    uint32_t values_off;
    bool has_inner;
    struct ebpf_map_def inner_def;
};

/* Adds the maps of BTF DATASEC ".maps" to specs (offset = the variable's
 * offset in the .maps section; shndx is filled in by the caller). */
int ebpfE_btf_maps(ebpf_vm *vm, const uint8_t *btf, uint64_t len, struct elf_mapspec *specs,
                   int *nspecs);

/* An extern variable of the object (BTF DATASEC ".kconfig" or ".ksyms"). */
struct elf_extern {
    char name[EBPF_NAME_LEN];
    uint32_t size;   /* bytes (0: unknown) */
    uint8_t numeric; /* integer, bool, enum or pointer: a number can be stored */
    uint8_t ksym;    /* __ksym (a kernel symbol), else __kconfig */
    uint8_t weak;    /* filled in by the loader from the symbol's binding */
    uint32_t offset; /* in the .kconfig map's value (the loader's) */
};

/* The object's externs, n of them (at most max). */
int ebpfE_btf_externs(ebpf_vm *vm, const uint8_t *btf, uint64_t len, struct elf_extern *ext,
                      int max, int *n);
/* "struct proc.parent, access \"0:2\"": a CO-RE relocation's type and access
 * string (a string offset in the BTF), for messages. */
int ebpfE_btf_describe(ebpf_vm *vm, const uint8_t *btf, uint64_t len, uint32_t type_id,
                       uint32_t access_off, char *buf, size_t n);

#endif
