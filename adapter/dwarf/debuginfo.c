/*
 * Debug information of one ELF file: the DWARF line tables (DWARF 5,
 * section 6.2) flattened into one array of rows, and the function symbols
 * of the ELF symbol table with their demangled names.  See debuginfo.h for
 * the contract.
 *
 * Everything is read once at open time; queries then only search the
 * arrays.  libdw stays open for the one question the rows cannot answer:
 * which function or inlined copy a row belongs to (dwarf_getscopes).
 *
 * About 870 lines: the line table, the symbols (with demangling) and the
 * scope queries are one index built at open time, and every query searches
 * the same arrays.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include "dwarf/debuginfo.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <libiberty/demangle.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One row of a line table.  Rows of one sequence are contiguous and in
 * address order; an end_sequence row marks the first address past it. */
struct di_row {
    uint64_t addr;
    int line;
    int file;    /* index into debuginfo.files */
    int seq;     /* sequence number, unique in the whole file */
    bool stmt;   /* is_stmt: a recommended breakpoint location */
    bool end;    /* end_sequence */
    uint64_t cu; /* offset of the CU's DIE, for dwarf_getscopes */
};

struct di_func {
    uint64_t addr;
    uint64_t size;
    char *mangled; /* the symbol table's name */
    char *name;    /* demangled without Rust hash, or the plain name */
    char *base;    /* name without a C++ parameter list, or 0 if equal */
    bool global;
};

struct debuginfo {
    char *path;
    int fd;
    Elf *elf;
    Dwarf *dw;
    char **files; /* absolute, lexically normalised */
    char **rel;   /* the same relative to the CU's comp_dir, or 0 */
    int nfiles;
    struct di_row *rows; /* in line-table order */
    int nrows;
    int *byaddr;           /* row indices sorted by address */
    struct di_func *funcs; /* sorted by address */
    int nfuncs;
    Dwarf_CFI *eh_cfi; /* .eh_frame CFI handed out by debuginfo_cfi, or 0 */
};

/* ---- paths ---- */

/* Lexically normalise path: collapse "//" and ".", resolve ".." against the
 * components before it.  If base is given and path is relative, path is
 * taken relative to base.  Returns a malloc'd string or 0. */
static char *norm_path(const char *path, const char *base)
{
    size_t n = strlen(path) + (base ? strlen(base) : 0) + 2;
    char *in = malloc(n);
    char *out = malloc(n + 1);
    if (!in || !out) {
        free(in);
        free(out);
        return 0;
    }
    if (base && path[0] != '/')
        snprintf(in, n, "%s/%s", base, path);
    else
        snprintf(in, n, "%s", path);

    bool abs = in[0] == '/';
    size_t len = 0;
    size_t keep = 0; /* leading ".." of a relative path cannot be resolved */
    if (abs)
        out[len++] = '/';
    char *save = 0;
    for (char *c = strtok_r(in, "/", &save); c; c = strtok_r(0, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            size_t root = abs ? 1 : keep;
            if (len > root) {
                while (len > root && out[len - 1] != '/')
                    len--;
                if (len > root)
                    len--; /* the separator */
                continue;
            }
            if (abs)
                continue; /* "/.." is "/" */
        }
        if (len > 0 && out[len - 1] != '/')
            out[len++] = '/';
        memcpy(out + len, c, strlen(c));
        len += strlen(c);
        if (strcmp(c, "..") == 0)
            keep = len;
    }
    out[len] = 0;
    free(in);
    return out;
}

/* Is tail a suffix of s that starts at a '/' boundary (or all of s)? */
static bool path_suffix(const char *s, const char *tail)
{
    size_t ls = strlen(s), lt = strlen(tail);
    if (lt == 0 || lt > ls || strcmp(s + ls - lt, tail) != 0)
        return false;
    return lt == ls || tail[0] == '/' || s[ls - lt - 1] == '/';
}

/* The given file name, in the two forms file_match compares. */
struct wanted {
    char *abs; /* resolved against the current directory */
    char *rel; /* lexically normalised as given */
};

static bool wanted_init(struct wanted *w, const char *file)
{
    char cwd[4096];
    w->abs = norm_path(file, getcwd(cwd, sizeof cwd) ? cwd : "/");
    w->rel = norm_path(file, 0);
    return w->abs && w->rel;
}

static void wanted_free(struct wanted *w)
{
    free(w->abs);
    free(w->rel);
}

static bool file_match(const struct debuginfo *di, int i, const struct wanted *w)
{
    if (strcmp(di->files[i], w->abs) == 0)
        return true;
    if (strncmp(w->rel, "../", 3) != 0 && strcmp(w->rel, "..") != 0 &&
        path_suffix(di->files[i], w->rel))
        return true;
    return di->rel[i] && path_suffix(w->abs, di->rel[i]);
}

/* ---- demangling ---- */

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Remove a Rust legacy hash "::h" + 16 hex digits from the end of name. */
static void strip_rust_hash(char *name)
{
    size_t n = strlen(name);
    if (n < 19)
        return;
    char *h = name + n - 19;
    if (strncmp(h, "::h", 3) != 0)
        return;
    for (int i = 3; i < 19; i++)
        if (!is_hex(h[i]))
            return;
    *h = 0;
}

char *debuginfo_demangle(const char *name)
{
    if (!name || !*name)
        return 0;
    /* DMGL_AUTO tries Rust (legacy and v0) first, then the C++ ABI. */
    char *d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
    if (!d)
        return 0;
    /* Current libiberty already drops the hash unless DMGL_VERBOSE; older
     * ones print it, and the contract is a name without it. */
    strip_rust_hash(d);
    return d;
}

/* A C++ name without its parameter list ("ns::f(int) const" -> "ns::f"),
 * or 0 if there is none to remove. */
static char *without_params(const char *name)
{
    size_t n = strlen(name);
    if (n >= 6 && strcmp(name + n - 6, " const") == 0)
        n -= 6;
    if (n == 0 || name[n - 1] != ')')
        return 0;
    int depth = 0;
    for (size_t i = n; i-- > 0;) {
        if (name[i] == ')')
            depth++;
        else if (name[i] == '(' && --depth == 0)
            return i > 0 ? strndup(name, i) : 0;
    }
    return 0;
}

/* ---- loading ---- */

static int intern_file(struct debuginfo *di, const char *name, const char *comp_dir)
{
    char *abs = norm_path(name, comp_dir && *comp_dir ? comp_dir : "/");
    if (!abs)
        return -1;
    for (int i = 0; i < di->nfiles; i++) {
        if (strcmp(di->files[i], abs) == 0) {
            free(abs);
            return i;
        }
    }
    char **f = realloc(di->files, (di->nfiles + 1) * sizeof *f);
    if (f)
        di->files = f;
    char **r = realloc(di->rel, (di->nfiles + 1) * sizeof *r);
    if (r)
        di->rel = r;
    if (!f || !r) {
        free(abs);
        return -1;
    }
    /* The part below comp_dir, for matching a source tree that moved. */
    char *rel = 0;
    char *dir = comp_dir && *comp_dir ? norm_path(comp_dir, "/") : 0;
    size_t ld = dir ? strlen(dir) : 0;
    if (dir && ld > 1 && strncmp(abs, dir, ld) == 0 && abs[ld] == '/')
        rel = strdup(abs + ld + 1);
    free(dir);
    di->files[di->nfiles] = abs;
    di->rel[di->nfiles] = rel;
    return di->nfiles++;
}

static int add_row(struct debuginfo *di, int *cap, const struct di_row *row)
{
    if (di->nrows == *cap) {
        int ncap = *cap ? *cap * 2 : 1024;
        struct di_row *r = realloc(di->rows, ncap * sizeof *r);
        if (!r)
            return -1;
        di->rows = r;
        *cap = ncap;
    }
    di->rows[di->nrows++] = *row;
    return 0;
}

static int load_lines(struct debuginfo *di)
{
    int cap = 0, seq = 0;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(di->dw, off, &next, &hsize, 0, 0, 0) == 0) {
        Dwarf_Die cudie;
        Dwarf_Lines *lines;
        size_t nlines;
        if (!dwarf_offdie(di->dw, off + hsize, &cudie) ||
            dwarf_getsrclines(&cudie, &lines, &nlines) != 0) {
            off = next;
            continue;
        }
        Dwarf_Attribute attr;
        const char *comp_dir = dwarf_formstring(dwarf_attr(&cudie, DW_AT_comp_dir, &attr));
        const char *last_src = 0;
        int last_file = -1;
        for (size_t i = 0; i < nlines; i++) {
            Dwarf_Line *l = dwarf_onesrcline(lines, i);
            Dwarf_Addr addr;
            int lineno = 0;
            bool stmt = false, end = false;
            const char *src;
            if (!l || dwarf_lineaddr(l, &addr) != 0 || dwarf_lineno(l, &lineno) != 0 ||
                !(src = dwarf_linesrc(l, 0, 0)))
                continue;
            dwarf_linebeginstatement(l, &stmt);
            dwarf_lineendsequence(l, &end);
            /* libdw hands out one string per file of the CU: intern each once. */
            if (src != last_src) {
                last_file = intern_file(di, src, comp_dir);
                if (last_file < 0)
                    return -1;
                last_src = src;
            }
            struct di_row row = {addr, lineno, last_file, seq, stmt, end, dwarf_dieoffset(&cudie)};
            if (add_row(di, &cap, &row) != 0)
                return -1;
            if (end)
                seq++;
        }
        off = next;
    }
    return 0;
}

/* By address; at one address an end_sequence row comes before the start of
 * the next sequence, and otherwise table order is kept, so the last row at
 * or below an address is the one that describes it. */
static int cmp_byaddr(const void *a, const void *b, void *arg)
{
    const struct debuginfo *di = arg;
    const struct di_row *x = &di->rows[*(const int *)a];
    const struct di_row *y = &di->rows[*(const int *)b];
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->end != y->end)
        return x->end ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

static int cmp_func(const void *a, const void *b)
{
    const struct di_func *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->global != y->global)
        return x->global ? -1 : 1;
    return strcmp(x->mangled, y->mangled);
}

static int add_func(struct debuginfo *di, int *cap, const char *name, uint64_t addr, uint64_t size,
                    bool global)
{
    if (di->nfuncs == *cap) {
        int ncap = *cap ? *cap * 2 : 256;
        struct di_func *f = realloc(di->funcs, ncap * sizeof *f);
        if (!f)
            return -1;
        di->funcs = f;
        *cap = ncap;
    }
    struct di_func *f = &di->funcs[di->nfuncs];
    f->addr = addr;
    f->size = size;
    f->global = global;
    f->mangled = strdup(name);
    f->name = debuginfo_demangle(name);
    if (!f->name)
        f->name = strdup(name);
    if (!f->mangled || !f->name) {
        free(f->mangled);
        free(f->name);
        return -1;
    }
    f->base = without_params(f->name);
    di->nfuncs++;
    return 0;
}

static int load_symtab(struct debuginfo *di, int *cap)
{
    Elf_Scn *scn = 0;
    while ((scn = elf_nextscn(di->elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0)
            continue;
        Elf_Data *data = elf_getdata(scn, 0);
        if (!data)
            continue;
        size_t n = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; i < n; i++) {
            GElf_Sym sym;
            /* (Address 0 is a place like any other: xv6 links programs there.) */
            if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF ||
                sym.st_shndx >= SHN_LORESERVE)
                continue;
            /* Functions, and the global labels of assembly code (xv6's
             * usys.S system call stubs: NOTYPE, size 0) in a code section:
             * their size is up to the next function (load_funcs). */
            bool asm_label = false;
            if (GELF_ST_TYPE(sym.st_info) == STT_NOTYPE && GELF_ST_BIND(sym.st_info) == STB_GLOBAL) {
                GElf_Shdr code;
                Elf_Scn *in = elf_getscn(di->elf, sym.st_shndx);
                asm_label = in && gelf_getshdr(in, &code) && (code.sh_flags & SHF_EXECINSTR);
            }
            if (GELF_ST_TYPE(sym.st_info) != STT_FUNC && !asm_label)
                continue;
            const char *name = elf_strptr(di->elf, sh.sh_link, sym.st_name);
            if (!name || !*name)
                continue;
            if (add_func(di, cap, name, sym.st_value, sym.st_size,
                         GELF_ST_BIND(sym.st_info) != STB_LOCAL) != 0)
                return -1;
        }
    }
    return 0;
}

struct funcs_ctx {
    struct debuginfo *di;
    int *cap;
    int nsym; /* functions that came from the symbol table */
    int err;
};

static bool have_func_at(const struct debuginfo *di, int n, uint64_t addr)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (di->funcs[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && di->funcs[lo].addr == addr;
}

/* DWARF subprograms that the symbol table lacks (a stripped .symtab). */
static int dwarf_func_cb(Dwarf_Die *die, void *arg)
{
    struct funcs_ctx *c = arg;
    Dwarf_Addr lo, hi;
    if (dwarf_lowpc(die, &lo) != 0 || lo == 0 || have_func_at(c->di, c->nsym, lo))
        return DWARF_CB_OK;
    Dwarf_Attribute attr;
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!name)
        name = dwarf_diename(die);
    if (!name)
        return DWARF_CB_OK;
    uint64_t size = dwarf_highpc(die, &hi) == 0 && hi > lo ? hi - lo : 0;
    if (add_func(c->di, c->cap, name, lo, size, dwarf_hasattr(die, DW_AT_external)) != 0) {
        c->err = -1;
        return DWARF_CB_ABORT;
    }
    return DWARF_CB_OK;
}

static int load_funcs(struct debuginfo *di)
{
    int cap = 0;
    if (load_symtab(di, &cap) != 0)
        return -1;
    if (di->nfuncs) /* an ELF without a symbol table has none: qsort(0, 0) is undefined */
        qsort(di->funcs, di->nfuncs, sizeof *di->funcs, cmp_func);
    struct funcs_ctx c = {di, &cap, di->nfuncs, 0};
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (c.err == 0 && dwarf_nextcu(di->dw, off, &next, &hsize, 0, 0, 0) == 0) {
        Dwarf_Die cudie;
        if (dwarf_offdie(di->dw, off + hsize, &cudie))
            dwarf_getfuncs(&cudie, dwarf_func_cb, &c, 0);
        off = next;
    }
    if (c.err)
        return -1;
    if (di->nfuncs)
        qsort(di->funcs, di->nfuncs, sizeof *di->funcs, cmp_func);
    /* An assembly label has no size: it reaches the next function. */
    for (int i = 0; i < di->nfuncs; i++) {
        int j = i + 1;
        while (j < di->nfuncs && di->funcs[j].addr == di->funcs[i].addr)
            j++;
        if (di->funcs[i].size == 0 && j < di->nfuncs)
            di->funcs[i].size = di->funcs[j].addr - di->funcs[i].addr;
    }
    return 0;
}

struct debuginfo *debuginfo_open(const char *path, char *err, size_t errlen)
{
    struct debuginfo *di = calloc(1, sizeof *di);
    if (!di) {
        snprintf(err, errlen, "%s: out of memory", path);
        return 0;
    }
    di->fd = -1;
    di->path = strdup(path);
    elf_version(EV_CURRENT);
    if (!di->path)
        goto nomem;
    di->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (di->fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    di->elf = elf_begin(di->fd, ELF_C_READ_MMAP, 0);
    if (!di->elf || elf_kind(di->elf) != ELF_K_ELF) {
        snprintf(err, errlen, "%s: not an ELF file", path);
        goto fail;
    }
    di->dw = dwarf_begin_elf(di->elf, DWARF_C_READ, 0);
    if (!di->dw) {
        snprintf(err, errlen, "%s: no DWARF debug information (%s)", path, dwarf_errmsg(-1));
        goto fail;
    }
    if (load_lines(di) != 0)
        goto nomem;
    if (di->nrows == 0) {
        snprintf(err, errlen, "%s: no DWARF line table", path);
        goto fail;
    }
    di->byaddr = malloc(di->nrows * sizeof *di->byaddr);
    if (!di->byaddr)
        goto nomem;
    for (int i = 0; i < di->nrows; i++)
        di->byaddr[i] = i;
    qsort_r(di->byaddr, di->nrows, sizeof *di->byaddr, cmp_byaddr, di);
    if (load_funcs(di) != 0)
        goto nomem;
    return di;
nomem:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    debuginfo_close(di);
    return 0;
}

void debuginfo_close(struct debuginfo *di)
{
    if (!di)
        return;
    for (int i = 0; i < di->nfiles; i++) {
        free(di->files[i]);
        free(di->rel[i]);
    }
    free(di->files);
    free(di->rel);
    free(di->rows);
    free(di->byaddr);
    for (int i = 0; i < di->nfuncs; i++) {
        free(di->funcs[i].mangled);
        free(di->funcs[i].name);
        free(di->funcs[i].base);
    }
    free(di->funcs);
    if (di->eh_cfi)
        dwarf_cfi_end(di->eh_cfi);
    if (di->dw)
        dwarf_end(di->dw);
    if (di->elf)
        elf_end(di->elf);
    if (di->fd >= 0)
        close(di->fd);
    free(di->path);
    free(di);
}

const char *debuginfo_path(const struct debuginfo *di)
{
    return di->path;
}

Dwarf *debuginfo_dwarf(struct debuginfo *di)
{
    return di->dw;
}

/* libdw caches the .debug_frame CFI in the Dwarf session; a CFI read from
 * .eh_frame is the caller's, so di keeps the one it hands out. */
Dwarf_CFI *debuginfo_cfi(struct debuginfo *di)
{
    Dwarf_CFI *cfi = di->dw ? dwarf_getcfi(di->dw) : 0;
    if (!cfi && !di->eh_cfi && di->elf)
        di->eh_cfi = dwarf_getcfi_elf(di->elf);
    return cfi ? cfi : di->eh_cfi;
}

int debuginfo_sources(struct debuginfo *di, const char ***files)
{
    *files = (const char **)di->files;
    return di->nfiles;
}

/* ---- lines ---- */

static const struct di_func *func_containing(const struct debuginfo *di, uint64_t addr);

bool debuginfo_has_source(struct debuginfo *di, const char *file)
{
    struct wanted w;
    bool found = false;
    if (wanted_init(&w, file))
        for (int i = 0; i < di->nfiles && !found; i++)
            found = file_match(di, i, &w);
    wanted_free(&w);
    return found;
}

/* The function or inlined copy that contains a row: the offset of the
 * innermost DW_TAG_subprogram or DW_TAG_inlined_subroutine DIE, else the
 * symbol's address, else the address itself. */
static uint64_t row_scope(struct debuginfo *di, const struct di_row *r)
{
    Dwarf_Die cudie, *scopes = 0;
    uint64_t key = 0;
    if (dwarf_offdie(di->dw, r->cu, &cudie)) {
        int n = dwarf_getscopes(&cudie, r->addr, &scopes);
        for (int i = 0; i < n; i++) {
            int tag = dwarf_tag(&scopes[i]);
            if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
                key = dwarf_dieoffset(&scopes[i]) | (1ull << 63);
                break;
            }
        }
        free(scopes);
    }
    if (key)
        return key;
    const struct di_func *f = func_containing(di, r->addr);
    return f ? f->addr : r->addr;
}

int debuginfo_line_to_addrs(struct debuginfo *di, const char *file, int line, uint64_t *addrs,
                            int max, int *actual_line)
{
    struct wanted w;
    if (!wanted_init(&w, file)) {
        wanted_free(&w);
        return -1;
    }
    bool *match = calloc(di->nfiles ? di->nfiles : 1, sizeof *match);
    bool known = false;
    for (int i = 0; match && i < di->nfiles; i++)
        known |= match[i] = file_match(di, i, &w);
    wanted_free(&w);
    if (!known) {
        free(match);
        return -1;
    }
    /* The first line at or after the wanted one that starts a statement. */
    int best = 0;
    for (int i = 0; i < di->nrows; i++) {
        const struct di_row *r = &di->rows[i];
        if (match[r->file] && r->stmt && !r->end && r->line >= line &&
            (best == 0 || r->line < best))
            best = r->line;
    }
    if (actual_line)
        *actual_line = best;
    int n = 0;
    if (best == 0) {
        free(match);
        return 0;
    }
    /* Its lowest address in each function or inlined copy: rows in
     * address order, the first one per scope wins. */
    uint64_t *keys = malloc(di->nrows * sizeof *keys);
    int nkeys = 0;
    for (int k = 0; keys && k < di->nrows && n < max; k++) {
        const struct di_row *r = &di->rows[di->byaddr[k]];
        if (!match[r->file] || !r->stmt || r->end || r->line != best)
            continue;
        uint64_t key = row_scope(di, r);
        bool seen = false;
        for (int j = 0; j < nkeys && !seen; j++)
            seen = keys[j] == key;
        if (seen)
            continue;
        keys[nkeys++] = key;
        addrs[n++] = r->addr;
    }
    free(keys);
    free(match);
    return n;
}

/* Index into byaddr of the last row at or below addr, or -1. */
static int row_at(const struct debuginfo *di, uint64_t addr)
{
    int lo = 0, hi = di->nrows;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (di->rows[di->byaddr[mid]].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

int debuginfo_addr_to_line(struct debuginfo *di, uint64_t addr, const char **file, int *line)
{
    int k = row_at(di, addr);
    if (k < 0)
        return -1;
    const struct di_row *r = &di->rows[di->byaddr[k]];
    if (r->end || r->line == 0)
        return -1;
    *file = di->files[r->file];
    *line = r->line;
    return 0;
}

/* ---- functions ---- */

static const struct di_func *func_containing(const struct debuginfo *di, uint64_t addr)
{
    int lo = 0, hi = di->nfuncs;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (di->funcs[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Among the symbols at that address, cmp_func put the global one first. */
    int i = lo - 1;
    if (i < 0)
        return 0;
    while (i > 0 && di->funcs[i - 1].addr == di->funcs[i].addr)
        i--;
    for (int j = i; j < di->nfuncs && di->funcs[j].addr == di->funcs[i].addr; j++) {
        const struct di_func *f = &di->funcs[j];
        if (addr < f->addr + f->size || (f->size == 0 && addr == f->addr))
            return f;
    }
    return 0;
}

const char *debuginfo_function_at(struct debuginfo *di, uint64_t addr)
{
    const struct di_func *f = func_containing(di, addr);
    return f ? f->name : 0;
}

/* GDB's "break func": the second row of the function's line table, i.e. the
 * first statement row past the entry address in the same sequence and
 * inside the function. */
static uint64_t after_prologue(const struct debuginfo *di, const struct di_func *f)
{
    int k = row_at(di, f->addr);
    if (k < 0)
        return f->addr;
    const struct di_row *first = &di->rows[di->byaddr[k]];
    if (first->end)
        return f->addr;
    for (k++; k < di->nrows; k++) {
        const struct di_row *r = &di->rows[di->byaddr[k]];
        if (r->seq != first->seq || r->end || (f->size && r->addr >= f->addr + f->size))
            break;
        if (r->addr > f->addr && r->stmt && r->line != 0)
            return r->addr;
    }
    return f->addr;
}

int debuginfo_function_addr(struct debuginfo *di, const char *name, bool after, uint64_t *addr)
{
    const struct di_func *found = 0;
    for (int i = 0; i < di->nfuncs; i++) {
        const struct di_func *f = &di->funcs[i];
        if (strcmp(f->name, name) == 0 || strcmp(f->mangled, name) == 0 ||
            (f->base && strcmp(f->base, name) == 0)) {
            /* Prefer a global symbol over a file-local one of the same name. */
            if (!found || (f->global && !found->global))
                found = f;
        }
    }
    if (!found)
        return -1;
    *addr = after ? after_prologue(di, found) : found->addr;
    return 0;
}

/* ---- call-frame information ---- */

/* Evaluate the small DWARF expressions libdw produces for CFA and register
 * rules (DWARF 5 §2.5, §6.4.1): bregN, bregx, call_frame_cfa, constants, plus,
 * minus, plus_uconst, stack_value.  *is_value tells whether the result is
 * the value itself (DW_OP_stack_value) or the address holding it. */
static int eval_cfi_ops(const Dwarf_Op *ops, size_t nops, const uint64_t regs[32], uint64_t cfa,
                        uint64_t *out, bool *is_value)
{
    uint64_t stack[8];
    int sp = 0;
    *is_value = false;
    for (size_t i = 0; i < nops; i++) {
        uint8_t op = ops[i].atom;
        if (op >= DW_OP_breg0 && op <= DW_OP_breg31) {
            if (sp == 8)
                return -1;
            stack[sp++] = regs[op - DW_OP_breg0] + (uint64_t)(int64_t)ops[i].number;
        } else if (op == DW_OP_bregx) {
            if (sp == 8 || ops[i].number >= 32)
                return -1;
            stack[sp++] = regs[ops[i].number] + (uint64_t)(int64_t)ops[i].number2;
        } else if (op >= DW_OP_lit0 && op <= DW_OP_lit31) {
            if (sp == 8)
                return -1;
            stack[sp++] = op - DW_OP_lit0;
        } else if (op == DW_OP_call_frame_cfa) {
            if (sp == 8)
                return -1;
            stack[sp++] = cfa;
        } else if (op == DW_OP_consts || op == DW_OP_constu || op == DW_OP_const1s ||
                   op == DW_OP_const1u || op == DW_OP_const2s || op == DW_OP_const2u ||
                   op == DW_OP_const4s || op == DW_OP_const4u || op == DW_OP_const8s ||
                   op == DW_OP_const8u) {
            if (sp == 8)
                return -1;
            stack[sp++] = ops[i].number;
        } else if (op == DW_OP_plus_uconst) {
            if (sp < 1)
                return -1;
            stack[sp - 1] += ops[i].number;
        } else if (op == DW_OP_plus || op == DW_OP_minus) {
            if (sp < 2)
                return -1;
            uint64_t b = stack[--sp];
            stack[sp - 1] = op == DW_OP_plus ? stack[sp - 1] + b : stack[sp - 1] - b;
        } else if (op == DW_OP_stack_value) {
            *is_value = true;
        } else {
            return -1; /* not produced for the code we debug */
        }
    }
    if (sp < 1)
        return -1;
    *out = stack[sp - 1];
    return 0;
}

static Dwarf_CFI *cfi_for(struct debuginfo *di)
{
    Dwarf_CFI *cfi = di->dw ? dwarf_getcfi(di->dw) : 0;
    if (!cfi && di->elf)
        cfi = dwarf_getcfi_elf(di->elf);
    return cfi;
}

int debuginfo_unwind(struct debuginfo *di, uint64_t regs[32], uint64_t *pc, bool innermost,
                     int (*read)(void *ctx, uint64_t addr, uint64_t *val), void *ctx)
{
    Dwarf_CFI *cfi = cfi_for(di);
    if (!cfi)
        return -1;
    /* An outer frame's pc is a return address: look up the call itself. */
    Dwarf_Frame *frame;
    if (dwarf_cfi_addrframe(cfi, innermost ? *pc : *pc - 1, &frame) != 0)
        return -1;
    Dwarf_Op *ops;
    size_t nops;
    uint64_t cfa;
    bool is_value;
    if (dwarf_frame_cfa(frame, &ops, &nops) != 0 ||
        eval_cfi_ops(ops, nops, regs, 0, &cfa, &is_value) < 0) {
        free(frame);
        return -1;
    }
    Dwarf_Addr start, end;
    bool signalp;
    int ra_col = dwarf_frame_info(frame, &start, &end, &signalp);
    uint64_t caller[32];
    memcpy(caller, regs, sizeof caller);
    for (int r = 1; r < 32; r++) {
        Dwarf_Op mem[3];
        if (dwarf_frame_register(frame, r, mem, &ops, &nops) != 0) {
            free(frame);
            return -1;
        }
        if (nops == 0) {
            /* undefined (ops == 0) or same value: keep the register */
            continue;
        }
        uint64_t v;
        if (eval_cfi_ops(ops, nops, regs, cfa, &v, &is_value) < 0) {
            free(frame);
            return -1;
        }
        if (!is_value && read(ctx, v, &v) < 0) {
            free(frame);
            return -1;
        }
        caller[r] = v;
    }
    free(frame);
    caller[2] = cfa; /* the caller's sp is this frame's CFA */
    uint64_t ret = ra_col >= 0 && ra_col < 32 ? caller[ra_col] : caller[1];
    if (ret == *pc && caller[2] == regs[2])
        return -1; /* no progress */
    memcpy(regs, caller, sizeof caller);
    *pc = ret;
    return 0;
}

/* a is b, or ends with "::" b. */
static bool ends_with_path(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la == lb ? !strcmp(a, b)
                    : la > lb + 2 && !strcmp(a + la - lb, b) && a[la - lb - 1] == ':' &&
                          a[la - lb - 2] == ':';
}

bool debuginfo_same_function(const char *frame_function, const char *symbol)
{
    return frame_function && symbol &&
           (ends_with_path(frame_function, symbol) || ends_with_path(symbol, frame_function));
}

uint64_t debuginfo_entry(struct debuginfo *di)
{
    GElf_Ehdr eh;
    return gelf_getehdr(di->elf, &eh) ? eh.e_entry : 0;
}
