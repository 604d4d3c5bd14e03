/*
 * eBPF bytecode emitters and the ELF object around the programs (bpfgen.h).
 * Instruction encodings: RFC 9669 section 5; the object's shape is what
 * `clang -O2 -target bpf` produces for legacy maps, so the one loader in
 * the kernel (ebpf/src/elf.c) serves clang's objects and ours.
 */
#include "bpf/bpfgen.h"

#include <gelf.h>
#include <libelf.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void bpfgen_init(struct bpfgen *g)
{
    memset(g, 0, sizeof *g);
}

int bpfgen_map(struct bpfgen *g, const char *name, uint32_t type, uint32_t key_size,
               uint32_t value_size, uint32_t max_entries)
{
    if (g->nmaps == BPFGEN_MAX_MAPS) {
        g->overflow = true;
        return 0;
    }
    struct bpfgen_map *m = &g->maps[g->nmaps];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->type = type;
    m->key_size = key_size;
    m->value_size = value_size;
    m->max_entries = max_entries;
    return g->nmaps++;
}

void bpfgen_prog(struct bpfgen *g, const char *name, const char *section)
{
    if (g->nprogs == BPFGEN_MAX_PROGS) {
        g->overflow = true;
        return;
    }
    struct bpfgen_prog *p = &g->progs[g->nprogs++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->section, sizeof p->section, "%s", section);
}

static struct bpfgen_prog *cur(struct bpfgen *g)
{
    return g->nprogs ? &g->progs[g->nprogs - 1] : 0;
}

int bpfgen_here(const struct bpfgen *g)
{
    return g->nprogs ? g->progs[g->nprogs - 1].n : 0;
}

int bpfgen_insn(struct bpfgen *g, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
    struct bpfgen_prog *p = cur(g);
    if (!p || p->n == BPFGEN_MAX_INSNS) {
        g->overflow = true;
        return 0;
    }
    p->insns[p->n] =
        (struct ebpf_insn){.code = code, .dst = (uint8_t)dst, .src = (uint8_t)src, .off = off,
                           .imm = imm};
    return p->n++;
}

void bpfgen_mov_imm(struct bpfgen *g, int dst, int32_t imm)
{
    bpfgen_insn(g, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

void bpfgen_mov_reg(struct bpfgen *g, int dst, int src)
{
    bpfgen_insn(g, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

void bpfgen_alu_imm(struct bpfgen *g, uint8_t op, int dst, int32_t imm)
{
    bpfgen_insn(g, BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}

void bpfgen_alu_reg(struct bpfgen *g, uint8_t op, int dst, int src)
{
    bpfgen_insn(g, BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}

/* lddw: two slots, the high half in the second one's imm (RFC 9669 5.4). */
void bpfgen_ld_imm64(struct bpfgen *g, int dst, uint64_t value)
{
    bpfgen_insn(g, BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (int32_t)(uint32_t)value);
    bpfgen_insn(g, 0, 0, 0, 0, (int32_t)(uint32_t)(value >> 32));
}

/* An lddw of the map's address, to be relocated against the map's symbol:
 * the loader turns it into BPF_PSEUDO_MAP_FD as libbpf does. */
void bpfgen_ld_map(struct bpfgen *g, int dst, int map)
{
    struct bpfgen_prog *p = cur(g);
    if (!p || p->nrelocs == BPFGEN_MAX_RELOCS || map < 0 || map >= g->nmaps) {
        g->overflow = true;
        return;
    }
    p->relocs[p->nrelocs].insn = p->n;
    p->relocs[p->nrelocs].map = map;
    p->nrelocs++;
    bpfgen_ld_imm64(g, dst, 0);
}

void bpfgen_ldx(struct bpfgen *g, uint8_t size, int dst, int src, int16_t off)
{
    bpfgen_insn(g, BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}

void bpfgen_stx(struct bpfgen *g, uint8_t size, int dst, int16_t off, int src)
{
    bpfgen_insn(g, BPF_STX | BPF_MEM | size, dst, src, off, 0);
}

void bpfgen_st_imm(struct bpfgen *g, uint8_t size, int dst, int16_t off, int32_t imm)
{
    bpfgen_insn(g, BPF_ST | BPF_MEM | size, dst, 0, off, imm);
}

void bpfgen_atomic_add64(struct bpfgen *g, int dst, int16_t off, int src)
{
    bpfgen_insn(g, BPF_STX | BPF_ATOMIC | BPF_DW, dst, src, off, BPF_ADD);
}

void bpfgen_call(struct bpfgen *g, int32_t helper)
{
    bpfgen_insn(g, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_HELPER, 0, helper);
}

void bpfgen_exit(struct bpfgen *g)
{
    bpfgen_insn(g, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int bpfgen_jmp_imm(struct bpfgen *g, uint8_t op, int dst, int32_t imm)
{
    return bpfgen_insn(g, BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}

int bpfgen_jmp_reg(struct bpfgen *g, uint8_t op, int dst, int src)
{
    return bpfgen_insn(g, BPF_JMP | op | BPF_X, dst, src, 0, 0);
}

int bpfgen_ja(struct bpfgen *g)
{
    return bpfgen_insn(g, BPF_JMP | BPF_JA, 0, 0, 0, 0);
}

/* Jump offsets count from the instruction after the jump (RFC 9669 4.4). */
void bpfgen_land(struct bpfgen *g, int jump)
{
    struct bpfgen_prog *p = cur(g);
    if (p && jump >= 0 && jump < p->n)
        p->insns[jump].off = (int16_t)(p->n - jump - 1);
}

/* ---- the ELF object ---- */

/* Legacy map definition as clang lays out libbpf's struct bpf_map_def. */
struct legacy_map_def {
    uint32_t type, key_size, value_size, max_entries, map_flags;
};

struct strtab {
    char buf[1024];
    size_t len;
};

static uint32_t str_add(struct strtab *t, const char *s)
{
    size_t n = strlen(s) + 1;
    if (t->len + n > sizeof t->buf)
        return 0;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    return (uint32_t)(t->len - n);
}

static Elf_Scn *add_section(Elf *e, uint32_t name, uint32_t type, uint64_t flags, void *data,
                            size_t size, Elf_Type dtype, size_t align, size_t entsize)
{
    Elf_Scn *scn = elf_newscn(e);
    Elf_Data *d = scn ? elf_newdata(scn) : 0;
    GElf_Shdr sh;
    if (!d || !gelf_getshdr(scn, &sh))
        return 0;
    d->d_buf = data;
    d->d_size = size;
    d->d_type = dtype;
    d->d_align = align;
    d->d_version = EV_CURRENT;
    sh.sh_name = name;
    sh.sh_type = type;
    sh.sh_flags = flags;
    sh.sh_addralign = align;
    sh.sh_entsize = entsize;
    gelf_update_shdr(scn, &sh);
    return scn;
}

int bpfgen_object(const struct bpfgen *g, uint8_t **elf_out, size_t *len_out, char *err,
                  size_t errlen)
{
    if (g->overflow || g->nprogs == 0) {
        snprintf(err, errlen, "%s", g->overflow ? "program too large" : "no program");
        return -1;
    }
    if (elf_version(EV_CURRENT) == EV_NONE) {
        snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
        return -1;
    }
    /* libelf writes to a file descriptor: an anonymous in-memory file. */
    int fd = memfd_create("osdbg-bpfobj", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "memfd_create failed");
        return -1;
    }
    Elf *e = elf_begin(fd, ELF_C_WRITE, 0);
    int rc = -1;
    static struct strtab str;
    memset(&str, 0, sizeof str);
    str_add(&str, "");
    struct legacy_map_def defs[BPFGEN_MAX_MAPS];
    Elf64_Sym syms[1 + BPFGEN_MAX_PROGS + BPFGEN_MAX_MAPS];
    Elf64_Rel rels[BPFGEN_MAX_PROGS][BPFGEN_MAX_RELOCS];
    static const char license[] = "GPL";
    memset(syms, 0, sizeof syms);
    Elf64_Ehdr *eh = e ? elf64_newehdr(e) : 0;
    if (!eh)
        goto out;
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_type = ET_REL;
    eh->e_machine = EM_BPF;
    eh->e_version = EV_CURRENT;

    /* Section order: .strtab, programs, maps, license, .symtab, relocations. */
    Elf_Scn *strscn =
        add_section(e, str_add(&str, ".strtab"), SHT_STRTAB, 0, str.buf, 0, ELF_T_BYTE, 1, 0);
    size_t prog_idx[BPFGEN_MAX_PROGS];
    for (int i = 0; i < g->nprogs; i++) {
        const struct bpfgen_prog *p = &g->progs[i];
        Elf_Scn *s = add_section(e, str_add(&str, p->section), SHT_PROGBITS,
                                 SHF_ALLOC | SHF_EXECINSTR, (void *)p->insns,
                                 (size_t)p->n * sizeof p->insns[0], ELF_T_BYTE, 8, 0);
        if (!s)
            goto out;
        prog_idx[i] = elf_ndxscn(s);
    }
    size_t maps_idx = 0;
    if (g->nmaps) {
        for (int i = 0; i < g->nmaps; i++)
            defs[i] = (struct legacy_map_def){g->maps[i].type, g->maps[i].key_size,
                                              g->maps[i].value_size, g->maps[i].max_entries, 0};
        Elf_Scn *s = add_section(e, str_add(&str, "maps"), SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
                                 defs, (size_t)g->nmaps * sizeof defs[0], ELF_T_BYTE, 4, 0);
        if (!s)
            goto out;
        maps_idx = elf_ndxscn(s);
    }
    if (!add_section(e, str_add(&str, "license"), SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
                     (void *)license, sizeof license, ELF_T_BYTE, 1, 0))
        goto out;
    /* Symbols: the null symbol, one global function per program, one
     * global object per map (its value is the offset of its definition). */
    int nsyms = 1;
    for (int i = 0; i < g->nprogs; i++)
        syms[nsyms++] = (Elf64_Sym){.st_name = str_add(&str, g->progs[i].name),
                                    .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
                                    .st_shndx = (uint16_t)prog_idx[i],
                                    .st_size = (uint64_t)g->progs[i].n * 8};
    int first_map_sym = nsyms;
    for (int i = 0; i < g->nmaps; i++)
        syms[nsyms++] = (Elf64_Sym){.st_name = str_add(&str, g->maps[i].name),
                                    .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
                                    .st_shndx = (uint16_t)maps_idx,
                                    .st_value = (uint64_t)i * sizeof defs[0],
                                    .st_size = sizeof defs[0]};
    Elf_Scn *symscn = add_section(e, str_add(&str, ".symtab"), SHT_SYMTAB, 0, syms,
                                  (size_t)nsyms * sizeof syms[0], ELF_T_SYM, 8, sizeof syms[0]);
    if (!symscn)
        goto out;
    GElf_Shdr sh;
    gelf_getshdr(symscn, &sh);
    sh.sh_link = (uint32_t)elf_ndxscn(strscn);
    sh.sh_info = 1; /* index of the first global symbol */
    gelf_update_shdr(symscn, &sh);
    for (int i = 0; i < g->nprogs; i++) {
        const struct bpfgen_prog *p = &g->progs[i];
        if (!p->nrelocs)
            continue;
        for (int k = 0; k < p->nrelocs; k++)
            rels[i][k] = (Elf64_Rel){.r_offset = (uint64_t)p->relocs[k].insn * 8,
                                     .r_info = ELF64_R_INFO(
                                         (uint64_t)(first_map_sym + p->relocs[k].map),
                                         R_BPF_64_64)};
        char name[BPFGEN_NAME_MAX + 8];
        snprintf(name, sizeof name, ".rel%s", p->section);
        Elf_Scn *s = add_section(e, str_add(&str, name), SHT_REL, 0, rels[i],
                                 (size_t)p->nrelocs * sizeof rels[i][0], ELF_T_REL, 8,
                                 sizeof rels[i][0]);
        if (!s)
            goto out;
        gelf_getshdr(s, &sh);
        sh.sh_link = (uint32_t)elf_ndxscn(symscn);
        sh.sh_info = (uint32_t)prog_idx[i];
        gelf_update_shdr(s, &sh);
    }
    /* Every name is in the table now: give it its size. */
    elf_getdata(strscn, 0)->d_size = str.len;
    eh->e_shstrndx = (uint16_t)elf_ndxscn(strscn);
    if (str.len >= sizeof str.buf - 1)
        goto out;
    off_t size = elf_update(e, ELF_C_WRITE);
    if (size <= 0)
        goto out;
    uint8_t *buf = malloc((size_t)size);
    if (buf && pread(fd, buf, (size_t)size, 0) == size) {
        *elf_out = buf;
        *len_out = (size_t)size;
        rc = 0;
    } else {
        free(buf);
    }
out:
    if (rc < 0)
        snprintf(err, errlen, "cannot write the ELF object: %s", elf_errmsg(-1));
    if (e)
        elf_end(e);
    close(fd);
    return rc;
}
