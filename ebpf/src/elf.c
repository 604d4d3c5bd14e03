/*
 * elf.c - load a program from an ELF object made by `clang -O2 -g -target
 * bpf` (ELF-64, little endian, EM_BPF 247).
 *
 *   - the program is a section (e.g. "kprobe/do_sys_open") or a function
 *     symbol (e.g. "main" in .text);
 *   - local functions it calls (R_BPF_64_32 relocations against .text) are
 *     appended after it, transitively, and the call offsets rewritten;
 *   - maps come from the legacy "maps" section (struct bpf_map_def per
 *     symbol), from BTF-defined ".maps", and from .rodata/.data/.bss,
 *     which become one-element array maps holding the section;
 *   - R_BPF_64_64 relocations on lddw become BPF_PSEUDO_MAP_FD (map
 *     symbols) or BPF_PSEUDO_MAP_VALUE (globals), as libbpf does.
 * The input is untrusted: every offset is checked against the file.
 */
#include "elf_int.h"
#include "osdbg/elf64.h"

#define MAX_PLACED   64

struct elf {
    ebpf_vm *vm;
    const uint8_t *data;
    uint64_t size;
    const struct elf64_shdr *sh;
    uint32_t nsh;
    const char *shstr;
    uint64_t shstr_len;
    const struct elf64_sym *syms;
    uint32_t nsyms;
    const char *str;
    uint64_t str_len;
    struct elf_mapspec specs[EBPF_MAX_MAPS];
    int nspecs;
    int maps_sec, btf_maps_sec;
};

/* A function placed into the output program. */
struct placed {
    uint32_t shndx;
    uint32_t start, end; /* instruction indices in its section */
    uint32_t base;       /* first index in the output */
};

static int bad(struct elf *e, const char *what)
{
    return ebpfA_fail(e->vm, EBPF_EINVAL, -1, "ELF: %s", what);
}

static bool range_ok(const struct elf *e, uint64_t off, uint64_t len)
{
    return off <= e->size && len <= e->size - off;
}

static const char *str_at(const char *tab, uint64_t tablen, uint32_t off)
{
    if (!tab || off >= tablen)
        return NULL;
    for (uint64_t i = off; i < tablen; i++)
        if (!tab[i])
            return tab + off;
    return NULL;
}

static const char *sec_name(const struct elf *e, uint32_t i)
{
    return i < e->nsh ? str_at(e->shstr, e->shstr_len, e->sh[i].name) : NULL;
}

static const char *sym_name(const struct elf *e, const struct elf64_sym *s)
{
    return str_at(e->str, e->str_len, s->name);
}

static const uint8_t *sec_data(const struct elf *e, uint32_t i)
{
    return e->data + e->sh[i].offset;
}

/* Section i has bytes in the file (all such were range-checked). */
static bool has_data(const struct elf *e, uint32_t i)
{
    return i > 0 && i < e->nsh && e->sh[i].type != SHT_NOBITS && e->sh[i].type != 0;
}

static int find_sec(const struct elf *e, const char *name)
{
    for (uint32_t i = 1; i < e->nsh; i++) {
        const char *n = sec_name(e, i);
        if (n && !ebpfA_strcmp(n, name))
            return (int)i;
    }
    return -1;
}

static int parse_headers(struct elf *e)
{
    const struct elf64_ehdr *h = (const struct elf64_ehdr *)e->data;
    if (e->size < sizeof(*h) || !elf64_magic_ok(h->ident))
        return bad(e, "not an ELF file");
    if (h->ident[EI_CLASS] != ELFCLASS64 || h->ident[EI_DATA] != ELFDATA2LSB)
        return bad(e, "not ELF-64 little endian");
    if (h->machine != EM_BPF_MACHINE)
        return bad(e, "not a BPF object (e_machine)");
    if (h->shentsize != sizeof(struct elf64_shdr) || ((uintptr_t)e->data & 7) ||
        !range_ok(e, h->shoff, (uint64_t)h->shnum * sizeof(struct elf64_shdr)) || (h->shoff & 7))
        return bad(e, "bad section header table");
    e->sh = (const struct elf64_shdr *)(e->data + h->shoff);
    e->nsh = h->shnum;
    for (uint32_t i = 0; i < e->nsh; i++)
        if (e->sh[i].type != SHT_NOBITS && e->sh[i].type != 0 &&
            !range_ok(e, e->sh[i].offset, e->sh[i].size))
            return bad(e, "section out of range");
    if (!has_data(e, h->shstrndx))
        return bad(e, "bad section name table");
    e->shstr = (const char *)sec_data(e, h->shstrndx);
    e->shstr_len = e->sh[h->shstrndx].size;
    for (uint32_t i = 1; i < e->nsh; i++) {
        if (e->sh[i].type != SHT_SYMTAB)
            continue;
        if (!has_data(e, e->sh[i].link) || (e->sh[i].offset & 7))
            return bad(e, "bad symbol table");
        e->syms = (const struct elf64_sym *)sec_data(e, i);
        e->nsyms = (uint32_t)(e->sh[i].size / sizeof(struct elf64_sym));
        e->str = (const char *)sec_data(e, e->sh[i].link);
        e->str_len = e->sh[e->sh[i].link].size;
    }
    if (!e->syms)
        return bad(e, "no symbol table");
    return 0;
}

static int add_spec(struct elf *e, const char *name, uint32_t shndx, uint64_t off,
                    const struct ebpf_map_def *def)
{
    if (e->nspecs == EBPF_MAX_MAPS)
        return ebpfA_fail(e->vm, EBPF_E2BIG, -1, "too many maps");
    struct elf_mapspec *m = &e->specs[e->nspecs++];
    ebpfA_memset(m, 0, sizeof(*m));
    ebpfA_strlcpy(m->name, name, sizeof(m->name));
    m->shndx = shndx;
    m->offset = off;
    m->def = *def;
    return 0;
}

/* Legacy maps: struct bpf_map_def {type, key_size, value_size, max_entries,
 * map_flags} at each symbol of section "maps". */
static int legacy_maps(struct elf *e)
{
    int s = e->maps_sec = find_sec(e, "maps");
    if (s < 0)
        return 0;
    if (!has_data(e, (uint32_t)s))
        return bad(e, "legacy maps section has no data");
    for (uint32_t i = 0; i < e->nsyms; i++) {
        const struct elf64_sym *y = &e->syms[i];
        if (y->shndx != s || (y->info & 0xf) == STT_SECTION)
            continue;
        const char *n = sym_name(e, y);
        if (!n || y->value > e->sh[s].size || e->sh[s].size - y->value < 16)
            return bad(e, "bad legacy map symbol");
        struct ebpf_map_def d;
        ebpfA_memcpy(&d, sec_data(e, (uint32_t)s) + y->value, 16);
        int r = add_spec(e, n, (uint32_t)s, y->value, &d);
        if (r)
            return r;
    }
    return 0;
}

static int btf_maps(struct elf *e)
{
    int s = e->btf_maps_sec = find_sec(e, ".maps");
    int b = find_sec(e, ".BTF");
    if (s < 0)
        return 0;
    if (b < 0 || !has_data(e, (uint32_t)b))
        return bad(e, ".maps without .BTF (compile with -g)");
    if (e->sh[b].offset & 3)
        return bad(e, "misaligned .BTF");
    int first = e->nspecs;
    size_t mark = e->vm->arena_used;
    int r = ebpfE_btf_maps(e->vm, sec_data(e, (uint32_t)b), e->sh[b].size, e->specs, &e->nspecs);
    e->vm->arena_used = mark; /* the BTF index was temporary */
    /* clang leaves DATASEC offsets to the loader (libbpf fixes them up
     * from the symbol table): take each map's offset from its symbol. */
    for (int i = first; !r && i < e->nspecs; i++) {
        struct elf_mapspec *m = &e->specs[i];
        m->shndx = (uint32_t)s;
        m->offset = UINT64_MAX - 1;
        for (uint32_t k = 0; k < e->nsyms; k++) {
            const char *n = sym_name(e, &e->syms[k]);
            if (e->syms[k].shndx == s && n && !ebpfA_strcmp(n, m->name))
                m->offset = e->syms[k].value;
        }
        if (m->offset == UINT64_MAX - 1)
            r = ebpfA_fail(e->vm, EBPF_EINVAL, -1, "ELF: map %s has no symbol", m->name);
    }
    return r;
}

/* .rodata, .data, .bss (and .rodata.*, .data.*): one-element array maps. */
static int global_maps(struct elf *e)
{
    for (uint32_t i = 1; i < e->nsh; i++) {
        const char *n = sec_name(e, i);
        if (!n || (ebpfA_strncmp(n, ".rodata", 7) && ebpfA_strncmp(n, ".data", 5) &&
                   ebpfA_strcmp(n, ".bss")))
            continue;
        if (!e->sh[i].size)
            continue;
        if (e->sh[i].size > (1u << 24))
            return bad(e, "global data section too large");
        struct ebpf_map_def d = {BPF_MAP_TYPE_ARRAY, 4, (uint32_t)e->sh[i].size, 1};
        int r = add_spec(e, n, i, 0, &d);
        if (r)
            return r;
        if (e->sh[i].type != SHT_NOBITS) {
            e->specs[e->nspecs - 1].init = sec_data(e, i);
            e->specs[e->nspecs - 1].init_len = e->sh[i].size;
        }
        e->specs[e->nspecs - 1].offset = UINT64_MAX; /* whole section */
    }
    return 0;
}

static int create_maps(struct elf *e)
{
    for (int i = 0; i < e->nspecs; i++) {
        struct elf_mapspec *m = &e->specs[i];
        ebpf_map *map = ebpf_map_by_name(e->vm, m->name);
        if (map && ebpfA_memcmp(&map->def, &m->def, sizeof(m->def)))
            return ebpfA_fail(e->vm, EBPF_EINVAL, -1,
                              "ELF: map %s already exists with another definition", m->name);
        if (!map) {
            map = ebpf_map_create(e->vm, &m->def, m->name);
            if (!map)
                return -EBPF_EINVAL;
            if (m->init)
                ebpfA_memcpy(map->data, m->init, m->init_len);
            if (m->offset == UINT64_MAX && !ebpfA_strncmp(m->name, ".rodata", 7))
                ebpf_map_freeze(map);
        }
        m->fd = ebpfM_index(e->vm, map);
    }
    return 0;
}

/* The map a relocation's symbol names: a map symbol, or a global section. */
static struct elf_mapspec *map_for(struct elf *e, const struct elf64_sym *y)
{
    for (int i = 0; i < e->nspecs; i++) {
        struct elf_mapspec *m = &e->specs[i];
        if (m->shndx != y->shndx)
            continue;
        if (m->offset == UINT64_MAX || m->offset == y->value)
            return m;
    }
    return NULL;
}

/* The function (FUNC symbol) of section s holding instruction idx. */
static bool func_at(const struct elf *e, uint32_t s, uint32_t idx, uint32_t *start, uint32_t *end)
{
    for (uint32_t i = 0; i < e->nsyms; i++) {
        const struct elf64_sym *y = &e->syms[i];
        if (y->shndx != s || (y->info & 0xf) != STT_FUNC || (y->value & 7) || (y->size & 7))
            continue;
        if (idx * 8ull >= y->value && idx * 8ull < y->value + y->size) {
            *start = (uint32_t)(y->value / 8);
            *end = (uint32_t)((y->value + y->size) / 8);
            return true;
        }
    }
    return false;
}

struct linker {
    struct elf *e;
    struct ebpf_insn *out;
    uint32_t n, cap;
    struct placed placed[MAX_PLACED];
    int nplaced;
};

static int place(struct linker *l, uint32_t s, uint32_t start, uint32_t end)
{
    struct elf *e = l->e;
    if (l->nplaced == MAX_PLACED)
        return bad(e, "too many functions");
    if (!has_data(e, s) || (uint64_t)end * 8 > e->sh[s].size || start >= end)
        return bad(e, "function out of its section");
    if (l->n + (end - start) > l->cap)
        return bad(e, "program too large");
    struct placed *p = &l->placed[l->nplaced++];
    p->shndx = s;
    p->start = start;
    p->end = end;
    p->base = l->n;
    ebpfA_memcpy(l->out + l->n, sec_data(e, s) + start * 8ull, (end - start) * 8ull);
    l->n += end - start;
    return 0;
}

static int placed_base(struct linker *l, uint32_t s, uint32_t idx, int64_t *out)
{
    for (int i = 0; i < l->nplaced; i++) {
        struct placed *p = &l->placed[i];
        if (p->shndx == s && idx >= p->start && idx < p->end) {
            *out = p->base + (idx - p->start);
            return 0;
        }
    }
    uint32_t fs, fe;
    if (!func_at(l->e, s, idx, &fs, &fe))
        return bad(l->e, "call target is not inside a function");
    int r = place(l, s, fs, fe);
    if (r)
        return r;
    *out = l->placed[l->nplaced - 1].base + (idx - fs);
    return 0;
}

static const struct elf64_rel *find_rel(const struct elf *e, uint32_t shndx, uint64_t idx)
{
    for (uint32_t rs = 1; rs < e->nsh; rs++) {
        if (e->sh[rs].type != SHT_REL || e->sh[rs].info != shndx || (e->sh[rs].offset & 7))
            continue;
        const struct elf64_rel *rel = (const struct elf64_rel *)sec_data(e, rs);
        uint64_t nrel = e->sh[rs].size / sizeof(*rel);
        for (uint64_t k = 0; k < nrel; k++)
            if (rel[k].offset == idx * 8)
                return &rel[k];
    }
    return NULL;
}

/* Applies the relocations of placed function pi and resolves its local
 * calls (this may place more functions). */
static int relocate(struct linker *l, int pi)
{
    struct elf *e = l->e;
    struct placed p = l->placed[pi];
    for (uint32_t idx = p.start; idx < p.end; idx++) {
        uint32_t at = p.base + (idx - p.start);
        struct ebpf_insn *in = &l->out[at];
        const struct elf64_rel *rel = find_rel(e, p.shndx, idx);
        const struct elf64_sym *y = NULL;
        uint32_t type = 0;
        if (rel) {
            uint32_t symi = (uint32_t)(rel->info >> 32);
            type = (uint32_t)rel->info;
            if (symi >= e->nsyms)
                return bad(e, "relocation symbol out of range");
            y = &e->syms[symi];
        }
        if (in->code == (BPF_JMP | BPF_CALL) &&
            (in->src == BPF_PSEUDO_CALL || type == R_BPF_64_32)) {
            /* target = symbol's instruction + imm + 1 (libbpf's rule); an
             * unrelocated local call is relative within its section */
            int64_t t = y ? (int64_t)(y->value / 8) + in->imm + 1 : (int64_t)idx + in->imm + 1;
            uint32_t ts = y ? y->shndx : p.shndx;
            int64_t nt = 0;
            if (t < 0 || ts >= e->nsh)
                return bad(e, "bad call target");
            int r = placed_base(l, ts, (uint32_t)t, &nt);
            if (r)
                return r;
            in->src = BPF_PSEUDO_CALL;
            in->imm = (int32_t)(nt - at - 1);
        } else if (type == R_BPF_64_64 && ebpfL_is_lddw(in)) {
            if (idx + 1 >= p.end)
                return bad(e, "lddw relocation at the end");
            struct elf_mapspec *m = map_for(e, y);
            const char *n = sym_name(e, y);
            if (!m)
                return ebpfA_fail(e->vm, EBPF_EINVAL, (int)at,
                                  "ELF: lddw refers to '%s', which is not a map or global",
                                  n ? n : "?");
            if (m->offset == UINT64_MAX) { /* global variable */
                in[1].imm = (int32_t)(y->value + (uint32_t)in->imm);
                in->src = BPF_PSEUDO_MAP_VALUE;
            } else {
                in->src = BPF_PSEUDO_MAP_FD;
            }
            in->imm = m->fd;
        }
    }
    return 0;
}

int ebpf_load_elf(ebpf_vm *vm, const void *data, size_t size, const char *name)
{
    struct elf *e = ebpfA_alloc(vm, sizeof(struct elf));
    size_t mark = vm->arena_used;
    if (!e)
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena exhausted");
    e->vm = vm;
    e->data = data;
    e->size = size;
    int r = parse_headers(e);
    if (!r)
        r = legacy_maps(e);
    if (!r)
        r = btf_maps(e);
    if (!r)
        r = global_maps(e);
    int lic = find_sec(e, "license");
    if (!r && lic >= 0 && has_data(e, (uint32_t)lic) && e->sh[lic].size)
        ebpfA_strlcpy(vm->license, (const char *)sec_data(e, (uint32_t)lic),
                      e->sh[lic].size + 1 < sizeof(vm->license) ? e->sh[lic].size + 1
                                                                : sizeof(vm->license));
    /* Locate the program: a section, else a function symbol. */
    uint32_t ps = 0, pstart = 0, pend = 0;
    if (!r) {
        int s = find_sec(e, name);
        if (s > 0 && has_data(e, (uint32_t)s) && (e->sh[s].flags & SHF_EXECINSTR)) {
            ps = (uint32_t)s;
            pend = (uint32_t)(e->sh[s].size / 8);
        } else {
            for (uint32_t i = 0; i < e->nsyms; i++) {
                const char *n = sym_name(e, &e->syms[i]);
                if ((e->syms[i].info & 0xf) == STT_FUNC && n && !ebpfA_strcmp(n, name) &&
                    has_data(e, e->syms[i].shndx)) {
                    ps = e->syms[i].shndx;
                    pstart = (uint32_t)(e->syms[i].value / 8);
                    pend = (uint32_t)((e->syms[i].value + e->syms[i].size) / 8);
                }
            }
        }
        if (!ps)
            r = ebpfA_fail(vm, EBPF_ENOENT, -1, "ELF: no program or function named '%s'", name);
    }
    if (!r)
        r = create_maps(e);
    if (r)
        goto fail;
    mark = vm->arena_used; /* maps stay; the rest is temporary */
    struct linker *l = ebpfA_alloc(vm, sizeof(*l));
    uint32_t cap = (uint32_t)(size / 8 < EBPF_MAX_INSNS ? size / 8 : EBPF_MAX_INSNS);
    if (!l || !(l->out = ebpfA_alloc(vm, cap * 8ull + 8))) {
        r = ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena exhausted");
        goto fail;
    }
    l->e = e;
    l->cap = cap;
    r = place(l, ps, pstart, pend);
    for (int i = 0; !r && i < l->nplaced; i++)
        r = relocate(l, i);
    if (!r) {
        /* ebpf_load copies the program below the linker's scratch: move
         * the scratch out of the way by loading from a copy at its end. */
        struct ebpf_insn *out = l->out;
        uint32_t n = l->n;
        vm->arena_used = mark;
        struct ebpf_insn *tmp = NULL;
        size_t need = n * sizeof(*out);
        /* out lies above mark; ebpf_load allocates from mark upward and
         * copies, so copy to the top of the free arena first. */
        if (vm->arena_size - vm->arena_used > 2 * need + 64 + n * sizeof(struct ebpf_dinsn)) {
            tmp = (struct ebpf_insn *)(vm->arena + ((vm->arena_size - need) & ~(size_t)15));
            for (uint32_t i = n; i-- > 0;) /* regions may overlap: copy backwards */
                tmp[i] = out[i];
        }
        if (!tmp)
            return ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena exhausted");
        return ebpf_load(vm, tmp, n);
    }
fail:
    vm->arena_used = mark;
    return r;
}

/* Calls fn for every program of the object: each executable section other
 * than .text (e.g. "kprobe/do_sys_open"), then each global function in
 * .text (e.g. "main").  Returns how many, or a negative error. */
int ebpf_elf_programs(ebpf_vm *vm, const void *data, size_t size,
                      void (*fn)(const char *name, void *arg), void *arg)
{
    size_t mark = vm->arena_used;
    struct elf *e = ebpfA_alloc(vm, sizeof(struct elf));
    int count = 0;
    if (!e)
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena exhausted");
    e->vm = vm;
    e->data = data;
    e->size = size;
    int r = parse_headers(e);
    if (r) {
        vm->arena_used = mark;
        return r;
    }
    int text = find_sec(e, ".text");
    for (uint32_t i = 1; i < e->nsh; i++) {
        const char *n = sec_name(e, i);
        if (n && has_data(e, i) && (e->sh[i].flags & 4) && (int)i != text && e->sh[i].size) {
            fn(n, arg);
            count++;
        }
    }
    for (uint32_t i = 0; text > 0 && i < e->nsyms; i++) {
        const struct elf64_sym *y = &e->syms[i];
        const char *n = sym_name(e, y);
        if (n && y->shndx == text && (y->info & 0xf) == STT_FUNC && (y->info >> 4) == 1) {
            fn(n, arg);
            count++;
        }
    }
    vm->arena_used = mark;
    return count;
}
