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
 *     symbols) or BPF_PSEUDO_MAP_VALUE (globals), as libbpf does;
 *   - a section holding several global functions (libbpf allows several
 *     SEC("kprobe/x") functions) holds several programs, each named by its
 *     function; a section with one program is named by the section too;
 *   - `.kconfig` externs read the kernel's answers (osdbg/bpf_kconfig.h)
 *     from a read-only ".kconfig" map; `__ksym` externs are refused;
 *   - CO-RE relocations (.BTF.ext core_relo) are refused, naming the
 *     relocation: osdbg's kernel has one layout, <bpf/osdbg.h>;
 *   - an object whose e_machine is EM_NONE (some older toolchains) loads
 *     with a notice (ebpf_notice).
 * The input is untrusted: every offset is checked against the file.
 */
#include "elf_int.h"
#include "osdbg/bpf_kconfig.h"
#include "osdbg/elf64.h"

#define MAX_PLACED   64
#define MAX_EXTERNS  16
#define KCONFIG_SIZE 256 /* bytes of the .kconfig map's value */
#define EM_NONE_MACHINE 0
#define SHN_UNDEF_INDEX 0
#define STB_WEAK_BIND   2
#define KCONFIG_SHNDX   UINT32_MAX /* the .kconfig map's spec: no section */

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
    struct elf_extern ext[MAX_EXTERNS];
    int next;
    int kconfig_spec; /* index in specs of ".kconfig", or -1 */
    uint8_t kconfig[KCONFIG_SIZE];
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

/* A warning of the load under way, kept for ebpf_notice() (one line each). */
static void notice(struct elf *e, const char *fmt, const char *arg)
{
    char *n = e->vm->notice;
    size_t used = ebpfA_strlen(n);
    if (used + 2 < sizeof(e->vm->notice))
        ebpf_snprintf(n + used, sizeof(e->vm->notice) - used, used ? "\n" : "");
    used = ebpfA_strlen(n);
    ebpf_snprintf(n + used, sizeof(e->vm->notice) - used, fmt, arg);
}

const char *ebpf_notice(const ebpf_vm *vm)
{
    return vm->notice;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    ebpfA_memcpy(&v, p, 4); /* any alignment */
    return v;
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
    if (h->machine == EM_NONE_MACHINE)
        notice(e, "ELF: e_machine is EM_NONE (0), not EM_BPF (247): loaded as BPF%s", "");
    else if (h->machine != EM_BPF_MACHINE)
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

/* Section .BTF (index b) as btf.c reads it: through 4-byte aligned words.
 * Older clang can leave .BTF at an unaligned file offset; then its bytes
 * are copied (memcpy: any alignment) into arena scratch, which the caller
 * gives back with the rest of its scratch. */
static const uint8_t *btf_bytes(struct elf *e, int b)
{
    const uint8_t *p = sec_data(e, (uint32_t)b);
    if (!((uintptr_t)p & 3))
        return p;
    uint8_t *copy = ebpfA_alloc(e->vm, e->sh[b].size);
    if (copy)
        ebpfA_memcpy(copy, p, e->sh[b].size);
    return copy;
}

static int btf_maps(struct elf *e)
{
    int s = e->btf_maps_sec = find_sec(e, ".maps");
    int b = find_sec(e, ".BTF");
    if (s < 0)
        return 0;
    if (b < 0 || !has_data(e, (uint32_t)b))
        return bad(e, ".maps without .BTF (compile with -g)");
    int first = e->nspecs;
    size_t mark = e->vm->arena_used;
    const uint8_t *btf = btf_bytes(e, b);
    int r = btf ? ebpfE_btf_maps(e->vm, btf, e->sh[b].size, e->specs, &e->nspecs)
                : ebpfA_fail(e->vm, EBPF_ENOMEM, -1, "arena exhausted");
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

/* ---- externs: .kconfig values, __ksym refused -------------------------- */

static bool kconfig_known(const char *name, uint64_t *v)
{
#define KCONFIG_ENTRY(n, value)                                                                    \
    if (!ebpfA_strcmp(name, #n)) {                                                             \
        *v = (uint64_t)(value);                                                                \
        return true;                                                                           \
    }
    OSDBG_KCONFIG(KCONFIG_ENTRY)
#undef KCONFIG_ENTRY
    return false;
}

/* Whether symbol y is an extern (undefined, with a name). */
static bool is_extern(const struct elf *e, const struct elf64_sym *y)
{
    const char *n = sym_name(e, y);
    return y->shndx == SHN_UNDEF_INDEX && n && n[0] && (y->info & 0xf) != STT_SECTION;
}

static struct elf_extern *extern_named(struct elf *e, const char *name)
{
    for (int i = 0; name && i < e->next; i++)
        if (!ebpfA_strcmp(e->ext[i].name, name))
            return &e->ext[i];
    return NULL;
}

/* Gives extern x its value in the .kconfig map's bytes (Linux's libbpf:
 * a value of the running kernel's configuration, 0 for an unknown __weak
 * one, an error for an unknown strong one). */
static int kconfig_store(struct elf *e, struct elf_extern *x, uint32_t *used)
{
    uint64_t v = 0;
    bool known = kconfig_known(x->name, &v);
    if (x->ksym)
        return ebpfA_fail(e->vm, EBPF_EINVAL, -1,
                          "ELF: extern '%s' is a __ksym (a kernel symbol): osdbg does not "
                          "resolve kernel symbols for programs",
                          x->name);
    if (!known && !x->weak)
        return ebpfA_fail(e->vm, EBPF_EINVAL, -1,
                          "ELF: unknown kconfig extern '%s' (osdbg's kernel answers "
                          "LINUX_KERNEL_VERSION and the CONFIG_ names of osdbg/bpf_kconfig.h; "
                          "declare it __weak to read 0)",
                          x->name);
    if (!x->size || x->size > 8 || (known && !x->numeric) ||
        (x->numeric && x->size != 1 && x->size != 2 && x->size != 4 && x->size != 8))
        return ebpfA_fail(e->vm, EBPF_EINVAL, -1,
                          "ELF: kconfig extern '%s': only integer, bool and enum values of "
                          "1 to 8 bytes are supported",
                          x->name);
    uint32_t at = (*used + 7) & ~7u;
    if (at + x->size > KCONFIG_SIZE)
        return ebpfA_fail(e->vm, EBPF_E2BIG, -1, "ELF: too many kconfig externs");
    x->offset = at;
    for (uint32_t i = 0; i < x->size; i++) /* little endian, truncated to its size */
        e->kconfig[at + i] = (uint8_t)(v >> (8 * i));
    *used = at + x->size;
    return 0;
}

/* The object's externs, from BTF DATASEC .kconfig/.ksyms (their sizes) and
 * the symbol table (weak or not); the .kconfig map's spec if any. */
static int resolve_externs(struct elf *e)
{
    e->kconfig_spec = -1;
    bool any = false;
    for (uint32_t i = 1; i < e->nsyms && !any; i++)
        any = is_extern(e, &e->syms[i]);
    if (!any)
        return 0;
    int b = find_sec(e, ".BTF");
    if (b < 0 || !has_data(e, (uint32_t)b))
        return bad(e, "extern variables without .BTF (compile with -g)");
    size_t mark = e->vm->arena_used;
    const uint8_t *btf = btf_bytes(e, b);
    int r = btf ? ebpfE_btf_externs(e->vm, btf, e->sh[b].size, e->ext, MAX_EXTERNS, &e->next)
                : ebpfA_fail(e->vm, EBPF_ENOMEM, -1, "arena exhausted");
    e->vm->arena_used = mark;
    uint32_t used = 0;
    for (int i = 0; !r && i < e->next; i++) {
        struct elf_extern *x = &e->ext[i];
        for (uint32_t k = 1; k < e->nsyms; k++) {
            const char *n = sym_name(e, &e->syms[k]);
            if (is_extern(e, &e->syms[k]) && !ebpfA_strcmp(n, x->name))
                x->weak = (e->syms[k].info >> 4) == STB_WEAK_BIND;
        }
        r = kconfig_store(e, x, &used);
    }
    if (r || !used)
        return r;
    struct ebpf_map_def d = {BPF_MAP_TYPE_ARRAY, 4, used, 1};
    r = add_spec(e, ".kconfig", KCONFIG_SHNDX, UINT64_MAX, &d);
    if (!r) {
        e->kconfig_spec = e->nspecs - 1;
        e->specs[e->kconfig_spec].init = e->kconfig;
        e->specs[e->kconfig_spec].init_len = used;
    }
    return r;
}

static int create_maps(struct elf *e)
{
    for (int i = 0; i < e->nspecs; i++) {
        struct elf_mapspec *m = &e->specs[i];
        ebpf_map *map = ebpf_map_by_name(e->vm, m->name);
        struct ebpf_map_def want = m->def;
        if (map && want.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !want.max_entries)
            want.max_entries = map->def.max_entries; /* 0 became the CPU count */
        if (map && ebpfA_memcmp(&map->def, &want, sizeof(want)))
            return ebpfA_fail(e->vm, EBPF_EINVAL, -1,
                              "ELF: map %s already exists with another definition", m->name);
        if (!map) {
            map = m->has_inner ? ebpfM_create_of_maps(e->vm, &m->def, m->name, &m->inner_def)
                               : ebpf_map_create(e->vm, &m->def, m->name);
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

/* ---- .maps initialisers ------------------------------------------------
 * libbpf's `values = { [i] = &x }` in a BTF map definition: clang leaves
 * the array of pointers zero in .maps and a relocation (in the REL section
 * of .maps) per element, against x's symbol.  For a map of maps x is
 * another map of the object; for a program array a program (function).
 * Calls fn for each, with the element's index. */
typedef int (*map_init_fn)(struct elf *e, struct elf_mapspec *m, uint32_t index,
                           const struct elf64_sym *y, void *arg);

static int each_map_init(struct elf *e, map_init_fn fn, void *arg)
{
    int ms = e->btf_maps_sec;
    for (uint32_t i = 1; ms > 0 && i < e->nsh; i++) {
        if (e->sh[i].type != SHT_REL || e->sh[i].info != (uint32_t)ms || !has_data(e, i))
            continue;
        const uint8_t *rel = sec_data(e, i);
        for (uint64_t k = 0; k + 16 <= e->sh[i].size; k += 16) {
            struct elf64_rel r;
            ebpfA_memcpy(&r, rel + k, sizeof r);
            uint32_t sym = (uint32_t)(r.info >> 32);
            struct elf_mapspec *m = NULL;
            for (int j = 0; j < e->nspecs && !m; j++)
                if (e->specs[j].shndx == (uint32_t)ms && r.offset >= e->specs[j].offset &&
                    r.offset - e->specs[j].offset < e->specs[j].size)
                    m = &e->specs[j];
            uint64_t at = m ? r.offset - m->offset : 0;
            if (!m || sym >= e->nsyms || m->values_off == UINT32_MAX || at < m->values_off ||
                (at - m->values_off) % 8)
                return bad(e, "relocation in .maps outside a map's values = {...}");
            uint64_t index = (at - m->values_off) / 8;
            if (index >= m->def.max_entries)
                return ebpfA_fail(e->vm, EBPF_E2BIG, -1, "ELF: map %s: values[%u] out of range",
                                  m->name, (uint32_t)index);
            int rr = fn(e, m, (uint32_t)index, &e->syms[sym], arg);
            if (rr)
                return rr;
        }
    }
    return 0;
}

static struct elf_mapspec *map_for(struct elf *e, const struct elf64_sym *y);

/* A map of maps' initialiser: the inner map goes in (programs arrays'
 * are the embedder's: ebpf_elf_prog_array_inits). */
static int apply_inner(struct elf *e, struct elf_mapspec *m, uint32_t index,
                       const struct elf64_sym *y, void *arg)
{
    (void)arg;
    if (!m->has_inner)
        return 0;
    struct elf_mapspec *in = map_for(e, y);
    if (!in || in->shndx != (uint32_t)e->btf_maps_sec)
        return ebpfA_fail(e->vm, EBPF_EINVAL, -1, "ELF: map %s: values[%u] is not a map", m->name,
                          index);
    return ebpf_map_set_inner(ebpf_map_by_fd(e->vm, m->fd), &index, ebpf_map_by_fd(e->vm, in->fd));
}

struct prog_inits {
    void (*fn)(const char *map, uint32_t index, const char *prog, void *arg);
    void *arg;
    int n;
};

static int list_prog(struct elf *e, struct elf_mapspec *m, uint32_t index,
                     const struct elf64_sym *y, void *arg)
{
    struct prog_inits *p = arg;
    const char *n = sym_name(e, y);
    if (m->def.type != BPF_MAP_TYPE_PROG_ARRAY)
        return 0;
    if ((y->info & 0xf) != STT_FUNC || !n)
        return ebpfA_fail(e->vm, EBPF_EINVAL, -1, "ELF: map %s: values[%u] is not a program",
                          m->name, index);
    p->fn(m->name, index, n, p->arg);
    p->n++;
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

/* The relocation of instruction idx of section shndx, copied into *out
 * (memcpy: a relocation section need not be 8-byte aligned in the file). */
static bool find_rel(const struct elf *e, uint32_t shndx, uint64_t idx, struct elf64_rel *out)
{
    for (uint32_t rs = 1; rs < e->nsh; rs++) {
        if (e->sh[rs].type != SHT_REL || e->sh[rs].info != shndx)
            continue;
        const uint8_t *rel = sec_data(e, rs);
        uint64_t nrel = e->sh[rs].size / sizeof(*out);
        for (uint64_t k = 0; k < nrel; k++) {
            uint64_t off;
            ebpfA_memcpy(&off, rel + k * sizeof(*out), sizeof(off));
            if (off == idx * 8) {
                ebpfA_memcpy(out, rel + k * sizeof(*out), sizeof(*out));
                return true;
            }
        }
    }
    return false;
}

/* ---- CO-RE relocations: refused, never ignored ------------------------- */

static const char *const core_kinds[] = {
    "field byte offset", "field byte size", "field exists",  "field signed",
    "field lshift u64",  "field rshift u64", "local type id", "target type id",
    "type exists",       "type size",        "enum value exists", "enum value",
    "type matches",
};

/* A string of .BTF's string table (read through its unaligned-safe header). */
static const char *btf_string(const struct elf *e, int b, uint32_t off)
{
    const uint8_t *p = sec_data(e, (uint32_t)b);
    uint64_t size = e->sh[b].size;
    if (size < 24)
        return NULL;
    uint64_t start = (uint64_t)rd32(p + 4) + rd32(p + 16), len = rd32(p + 20);
    if (start > size || len > size - start)
        return NULL;
    return str_at((const char *)p + start, len, off);
}

/* Fails if .BTF.ext holds a CO-RE relocation (Documentation/bpf/btf.rst,
 * ".BTF.ext section": core_relo, records {insn_off, type_id,
 * access_str_off, kind} grouped by section name) on an instruction of
 * section s in [start, end).  The message names the relocation. */
static int core_check(struct elf *e, uint32_t s, uint32_t start, uint32_t end, uint32_t base)
{
    int x = find_sec(e, ".BTF.ext"), b = find_sec(e, ".BTF");
    if (x < 0 || !has_data(e, (uint32_t)x) || e->sh[x].size < 8)
        return 0;
    const uint8_t *p = sec_data(e, (uint32_t)x);
    uint64_t size = e->sh[x].size, hdr = rd32(p + 4);
    if (hdr < 32 || size < 32)
        return 0; /* no core_relo part */
    uint64_t off = hdr + rd32(p + 24), len = rd32(p + 28);
    if (!len)
        return 0;
    if (off > size || len > size - off || len < 4 || b < 0 || !has_data(e, (uint32_t)b))
        return bad(e, "bad .BTF.ext core_relo part");
    const uint8_t *c = p + off, *end_c = c + len;
    uint32_t rec = rd32(c);
    const char *sname = sec_name(e, s);
    if (rec < 16)
        return bad(e, "bad .BTF.ext core_relo record size");
    for (c += 4; end_c - c >= 8;) {
        const char *n = btf_string(e, b, rd32(c));
        uint32_t count = rd32(c + 4);
        c += 8;
        if ((uint64_t)count * rec > (uint64_t)(end_c - c))
            return bad(e, "bad .BTF.ext core_relo part");
        for (uint32_t i = 0; n && sname && !ebpfA_strcmp(n, sname) && i < count; i++) {
            const uint8_t *r = c + (uint64_t)i * rec;
            uint32_t idx = rd32(r) / 8, kind = rd32(r + 12);
            if (idx < start || idx >= end)
                continue;
            char what[160];
            size_t mark = e->vm->arena_used;
            const uint8_t *btf = btf_bytes(e, b);
            if (!btf || ebpfE_btf_describe(e->vm, btf, e->sh[b].size, rd32(r + 4), rd32(r + 8),
                                           what, sizeof(what)))
                ebpf_snprintf(what, sizeof(what), "type %u", rd32(r + 4));
            e->vm->arena_used = mark;
            return ebpfA_fail(e->vm, EBPF_EINVAL, (int)(base + idx - start),
                              "ELF: CO-RE relocation (%s of %s) in %s: CO-RE is not supported "
                              "(osdbg's kernel has one layout: read its types from "
                              "<bpf/osdbg.h> with <bpf/bpf_core_read.h>, without "
                              "preserve_access_index)",
                              kind < sizeof(core_kinds) / sizeof(core_kinds[0]) ? core_kinds[kind]
                                                                                : "unknown kind",
                              what, sname);
        }
        c += (uint64_t)count * rec;
    }
    return 0;
}

/* Applies the relocations of placed function pi and resolves its local
 * calls (this may place more functions). */
static int relocate(struct linker *l, int pi)
{
    struct elf *e = l->e;
    struct placed p = l->placed[pi];
    int cr = core_check(e, p.shndx, p.start, p.end, p.base);
    if (cr)
        return cr;
    for (uint32_t idx = p.start; idx < p.end; idx++) {
        uint32_t at = p.base + (idx - p.start);
        struct ebpf_insn *in = &l->out[at];
        struct elf64_rel rel;
        const struct elf64_sym *y = NULL;
        uint32_t type = 0;
        if (find_rel(e, p.shndx, idx, &rel)) {
            uint32_t symi = (uint32_t)(rel.info >> 32);
            type = (uint32_t)rel.info;
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
            if (y && is_extern(e, y))
                return ebpfA_fail(e->vm, EBPF_EINVAL, (int)at,
                                  "ELF: call to extern function '%s' (a kfunc): not supported",
                                  sym_name(e, y));
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
            const char *n = sym_name(e, y);
            if (is_extern(e, y)) {
                struct elf_extern *x = extern_named(e, n);
                if (!x || e->kconfig_spec < 0)
                    return ebpfA_fail(e->vm, EBPF_EINVAL, (int)at,
                                      "ELF: lddw refers to '%s', an undefined symbol that is "
                                      "not a .kconfig extern",
                                      n);
                in[1].imm = (int32_t)(x->offset + (uint32_t)in->imm);
                in->src = BPF_PSEUDO_MAP_VALUE;
                in->imm = e->specs[e->kconfig_spec].fd;
                continue;
            }
            struct elf_mapspec *m = map_for(e, y);
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

/* ---- programs: sections, or functions of a section with several ------- */

static bool is_program_func(const struct elf *e, const struct elf64_sym *y, uint32_t s)
{
    uint32_t bind = y->info >> 4;
    return y->shndx == s && (y->info & 0xf) == STT_FUNC && (bind == 1 || bind == STB_WEAK_BIND) &&
           sym_name(e, y) && y->size;
}

/* Global functions of section s (libbpf's programs).  Each is given to fn
 * when fn is not NULL. */
static int section_funcs(const struct elf *e, uint32_t s, void (*fn)(const char *, void *),
                         void *arg)
{
    int n = 0;
    for (uint32_t i = 0; i < e->nsyms; i++)
        if (is_program_func(e, &e->syms[i], s)) {
            if (fn)
                fn(sym_name(e, &e->syms[i]), arg);
            n++;
        }
    return n;
}

/* An executable section other than .text: a program section. */
static bool is_program_sec(const struct elf *e, uint32_t i)
{
    const char *n = sec_name(e, i);
    return n && has_data(e, i) && (e->sh[i].flags & SHF_EXECINSTR) && e->sh[i].size &&
           ebpfA_strcmp(n, ".text");
}

struct namelist {
    char buf[160];
};

static void add_name(const char *name, void *arg)
{
    struct namelist *l = arg;
    size_t used = ebpfA_strlen(l->buf);
    ebpf_snprintf(l->buf + used, sizeof(l->buf) - used, "%s%s", used ? ", " : "", name);
}

/* Finds program `name`: a section holding one program (all of it), or a
 * function (its symbol's range).  A section with several programs is not
 * one program: the error lists their names, by which each loads. */
static int locate_program(struct elf *e, const char *name, uint32_t *ps, uint32_t *pstart,
                          uint32_t *pend)
{
    int s = find_sec(e, name);
    if (s > 0 && is_program_sec(e, (uint32_t)s)) {
        if (section_funcs(e, (uint32_t)s, NULL, NULL) > 1) {
            struct namelist l;
            l.buf[0] = 0;
            int n = section_funcs(e, (uint32_t)s, add_name, &l);
            return ebpfA_fail(e->vm, EBPF_ENOENT, -1,
                              "ELF: section '%s' holds %d programs (%s): load one by its "
                              "function name",
                              name, n, l.buf);
        }
        *ps = (uint32_t)s;
        *pstart = 0;
        *pend = (uint32_t)(e->sh[s].size / 8);
        return 0;
    }
    for (uint32_t i = 0; i < e->nsyms; i++) {
        const struct elf64_sym *y = &e->syms[i];
        const char *n = sym_name(e, y);
        if ((y->info & 0xf) == STT_FUNC && n && !ebpfA_strcmp(n, name) && has_data(e, y->shndx) &&
            !(y->value & 7) && !(y->size & 7) && y->size) {
            *ps = y->shndx;
            *pstart = (uint32_t)(y->value / 8);
            *pend = (uint32_t)((y->value + y->size) / 8);
            return 0;
        }
    }
    return ebpfA_fail(e->vm, EBPF_ENOENT, -1, "ELF: no program or function named '%s'", name);
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
    vm->notice[0] = 0;
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
    uint32_t ps = 0, pstart = 0, pend = 0;
    if (!r)
        r = locate_program(e, name, &ps, &pstart, &pend);
    if (!r)
        r = resolve_externs(e);
    if (!r)
        r = create_maps(e);
    if (!r)
        r = each_map_init(e, apply_inner, NULL);
    if (r)
        goto fail;
    if (e->kconfig_spec >= 0) /* the kernel's configuration: read-only */
        ebpf_map_freeze(ebpf_map_by_fd(vm, e->specs[e->kconfig_spec].fd));
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

/* The object's description, in the arena above the caller's mark: the
 * listing calls below give it back when they return. */
static struct elf *scratch_elf(ebpf_vm *vm, const void *data, size_t size)
{
    struct elf *e = ebpfA_alloc(vm, sizeof(struct elf));
    if (e) {
        e->vm = vm;
        e->data = data;
        e->size = size;
    }
    return e;
}

/* The program arrays' initialisers of an object (`values = { [i] = &prog }`):
 * fn(map, i, prog) for each, so that the embedder, having loaded prog in a
 * VM of its own, stores it (ebpf_prog_array_set).  Returns how many. */
int ebpf_elf_prog_array_inits(ebpf_vm *vm, const void *data, size_t size,
                              void (*fn)(const char *map, uint32_t index, const char *prog,
                                         void *arg),
                              void *arg)
{
    size_t mark = vm->arena_used;
    struct elf *e = scratch_elf(vm, data, size);
    if (!e)
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena exhausted");
    struct prog_inits p = {fn, arg, 0};
    int r = parse_headers(e);
    if (!r)
        r = btf_maps(e);
    if (!r)
        r = each_map_init(e, list_prog, &p);
    vm->arena_used = mark;
    return r ? r : p.n;
}

/* Calls fn for every program of the object: each executable section other
 * than .text (e.g. "kprobe/do_sys_open") holding one program, each global
 * function of a section holding several, then each global function in
 * .text (e.g. "main").  Returns how many, or a negative error. */
int ebpf_elf_programs(ebpf_vm *vm, const void *data, size_t size,
                      void (*fn)(const char *name, void *arg), void *arg)
{
    size_t mark = vm->arena_used;
    struct elf *e = scratch_elf(vm, data, size);
    int count = 0;
    if (!e)
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena exhausted");
    vm->notice[0] = 0;
    int r = parse_headers(e);
    if (r) {
        vm->arena_used = mark;
        return r;
    }
    for (uint32_t i = 1; i < e->nsh; i++) {
        if (!is_program_sec(e, i))
            continue;
        if (section_funcs(e, i, NULL, NULL) > 1) {
            count += section_funcs(e, i, fn, arg);
        } else {
            fn(sec_name(e, i), arg);
            count++;
        }
    }
    int text = find_sec(e, ".text");
    if (text > 0)
        count += section_funcs(e, (uint32_t)text, fn, arg);
    vm->arena_used = mark;
    return count;
}

/* The section of program `name` (itself for a section name; for a function,
 * the section holding it: "kprobe/sys_write" for `second`), which says how
 * and where to attach it (libbpf's SEC() convention). */
int ebpf_elf_program_section(ebpf_vm *vm, const void *data, size_t size, const char *name,
                             char *sec, size_t len)
{
    size_t mark = vm->arena_used;
    struct elf *e = scratch_elf(vm, data, size);
    if (!e)
        return ebpfA_fail(vm, EBPF_ENOMEM, -1, "arena exhausted");
    uint32_t ps = 0, start, end;
    int r = parse_headers(e);
    if (!r) {
        int s = find_sec(e, name);
        if (s > 0 && is_program_sec(e, (uint32_t)s))
            ps = (uint32_t)s; /* even with several programs: the section is the answer */
        else
            r = locate_program(e, name, &ps, &start, &end);
    }
    if (!r && len)
        ebpfA_strlcpy(sec, sec_name(e, ps), len);
    vm->arena_used = mark;
    return r;
}
