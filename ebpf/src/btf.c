/*
 * btf.c - just enough BTF (Linux Documentation/bpf/btf.rst) to read
 * BTF-defined maps: find DATASEC ".maps", and for each variable in it read
 * the struct libbpf's __uint()/__type() macros produce:
 *   __uint(name, N)  -> member `name`, type PTR -> ARRAY of N elements
 *   __type(name, T)  -> member `name`, type PTR -> T (we need sizeof(T))
 * Every offset is checked against the section: the input is untrusted.
 */
#include "elf_int.h"

enum {
    BTF_KIND_INT = 1,
    BTF_KIND_PTR,
    BTF_KIND_ARRAY,
    BTF_KIND_STRUCT,
    BTF_KIND_UNION,
    BTF_KIND_ENUM,
    BTF_KIND_FWD,
    BTF_KIND_TYPEDEF,
    BTF_KIND_VOLATILE,
    BTF_KIND_CONST,
    BTF_KIND_RESTRICT,
    BTF_KIND_FUNC,
    BTF_KIND_FUNC_PROTO,
    BTF_KIND_VAR,
    BTF_KIND_DATASEC,
    BTF_KIND_FLOAT,
    BTF_KIND_DECL_TAG,
    BTF_KIND_TYPE_TAG,
    BTF_KIND_ENUM64
};

struct btf_type {
    uint32_t name_off;
    uint32_t info; /* vlen 0-15, kind 24-28 */
    uint32_t size_or_type;
};

struct btf {
    const uint8_t *types, *strs;
    uint32_t types_len, strs_len;
    const struct btf_type **index; /* by type id; [0] unused */
    uint32_t n;
};

static uint32_t kind_of(const struct btf_type *t)
{
    return (t->info >> 24) & 0x1f;
}

static uint32_t vlen_of(const struct btf_type *t)
{
    return t->info & 0xffff;
}

/* Bytes after the common header for a type, or -1 if unknown. */
static long extra_len(const struct btf_type *t)
{
    switch (kind_of(t)) {
    case BTF_KIND_INT:
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
        return 4;
    case BTF_KIND_ARRAY:
        return 12;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_DATASEC:
    case BTF_KIND_ENUM64:
        return 12l * vlen_of(t);
    case BTF_KIND_ENUM:
    case BTF_KIND_FUNC_PROTO:
        return 8l * vlen_of(t);
    case BTF_KIND_PTR:
    case BTF_KIND_FWD:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_FUNC:
    case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG:
        return 0;
    }
    return -1;
}

static const char *btf_str(const struct btf *b, uint32_t off)
{
    if (off >= b->strs_len)
        return NULL;
    for (uint32_t i = off; i < b->strs_len; i++)
        if (!b->strs[i])
            return (const char *)b->strs + off;
    return NULL;
}

static const struct btf_type *type_at(const struct btf *b, uint32_t id)
{
    return id && id < b->n ? b->index[id] : NULL;
}

/* Skips typedefs and qualifiers. */
static const struct btf_type *resolve(const struct btf *b, uint32_t id)
{
    for (int depth = 0; depth < 32; depth++) {
        const struct btf_type *t = type_at(b, id);
        if (!t)
            return NULL;
        uint32_t k = kind_of(t);
        if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_VOLATILE && k != BTF_KIND_CONST &&
            k != BTF_KIND_RESTRICT && k != BTF_KIND_TYPE_TAG)
            return t;
        id = t->size_or_type;
    }
    return NULL;
}

static bool type_size(const struct btf *b, uint32_t id, uint64_t *size, int depth)
{
    const struct btf_type *t = resolve(b, id);
    if (!t || depth > 16)
        return false;
    switch (kind_of(t)) {
    case BTF_KIND_INT:
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_FLOAT:
    case BTF_KIND_DATASEC:
        *size = t->size_or_type;
        return true;
    case BTF_KIND_PTR:
        *size = 8;
        return true;
    case BTF_KIND_ARRAY: {
        const uint32_t *a = (const uint32_t *)(t + 1);
        uint64_t elem;
        if (!type_size(b, a[0], &elem, depth + 1))
            return false;
        *size = elem * a[2];
        return true;
    }
    }
    return false;
}

/* __uint(): PTR -> ARRAY[N]: returns N. */
static bool uint_member(const struct btf *b, uint32_t id, uint32_t *out)
{
    const struct btf_type *p = resolve(b, id);
    if (!p || kind_of(p) != BTF_KIND_PTR)
        return false;
    const struct btf_type *a = resolve(b, p->size_or_type);
    if (!a || kind_of(a) != BTF_KIND_ARRAY)
        return false;
    *out = ((const uint32_t *)(a + 1))[2];
    return true;
}

static int parse_index(ebpf_vm *vm, struct btf *b, const uint8_t *sec, uint64_t len)
{
    if (len < 24)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "BTF: section too small");
    uint16_t magic;
    uint32_t hdr_len, type_off, type_len, str_off, str_len;
    ebpfA_memcpy(&magic, sec, 2);
    ebpfA_memcpy(&hdr_len, sec + 4, 4);
    ebpfA_memcpy(&type_off, sec + 8, 4);
    ebpfA_memcpy(&type_len, sec + 12, 4);
    ebpfA_memcpy(&str_off, sec + 16, 4);
    ebpfA_memcpy(&str_len, sec + 20, 4);
    if (magic != 0xeB9F)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "BTF: bad magic 0x%x", magic);
    if ((uint64_t)hdr_len + type_off + type_len > len ||
        (uint64_t)hdr_len + str_off + str_len > len)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "BTF: header out of range");
    /* Types are 4-byte words (the BTF spec): a type section off that
     * alignment is malformed (the fuzzer's: a misaligned btf_type read) */
    if (((uintptr_t)sec + hdr_len + type_off) % 4)
        return ebpfA_fail(vm, EBPF_EINVAL, -1, "BTF: type section not 4-byte aligned");
    b->types = sec + hdr_len + type_off;
    b->types_len = type_len;
    b->strs = sec + hdr_len + str_off;
    b->strs_len = str_len;
    /* count, then index */
    uint32_t n = 1;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t off = 0, id = 1;
        while (off + sizeof(struct btf_type) <= type_len) {
            const struct btf_type *t = (const struct btf_type *)(b->types + off);
            long extra = extra_len(t);
            if (extra < 0 || off + sizeof(*t) + (uint64_t)extra > type_len)
                return ebpfA_fail(vm, EBPF_EINVAL, -1, "BTF: bad type %u (kind %u)", id,
                                  kind_of(t));
            if (pass)
                b->index[id] = t;
            id++;
            off += (uint32_t)(sizeof(*t) + (size_t)extra);
        }
        if (!pass) {
            n = id;
            b->index = ebpfA_alloc(vm, n * sizeof(*b->index));
            if (!b->index)
                return ebpfA_fail(vm, EBPF_ENOMEM, -1, "BTF: arena exhausted");
        }
    }
    b->n = n;
    return 0;
}

/* The members of a map definition struct (libbpf's __uint/__type/__array
 * conventions) into def.  `values` is __array(values, ...): for a map of
 * maps an array of pointers to the inner map's definition struct (parsed
 * into *inner, one level deep), for a program array of pointers to
 * functions; its byte offset, where the .maps initialisers are, goes to
 * *values_off. */
static int map_struct(ebpf_vm *vm, const struct btf *b, const struct btf_type *st,
                      const char *name, struct ebpf_map_def *def, struct ebpf_map_def *inner,
                      bool *has_inner, uint32_t *values_off)
{
    const uint32_t *mem = (const uint32_t *)(st + 1); /* {name_off, type, offset} */
    for (uint32_t k = 0; k < vlen_of(st); k++) {
        const char *mname = btf_str(b, mem[3 * k]);
        uint32_t mtype = mem[3 * k + 1];
        if (!mname)
            continue;
        bool ok = true;
        uint64_t sz = 0;
        if (!ebpfA_strcmp(mname, "type"))
            ok = uint_member(b, mtype, &def->type);
        else if (!ebpfA_strcmp(mname, "max_entries"))
            ok = uint_member(b, mtype, &def->max_entries);
        else if (!ebpfA_strcmp(mname, "key_size"))
            ok = uint_member(b, mtype, &def->key_size);
        else if (!ebpfA_strcmp(mname, "value_size"))
            ok = uint_member(b, mtype, &def->value_size);
        else if (!ebpfA_strcmp(mname, "key") || !ebpfA_strcmp(mname, "value")) {
            const struct btf_type *p = resolve(b, mtype);
            ok = p && kind_of(p) == BTF_KIND_PTR && type_size(b, p->size_or_type, &sz, 0);
            if (ok && mname[0] == 'k')
                def->key_size = (uint32_t)sz;
            else if (ok)
                def->value_size = (uint32_t)sz;
        } else if (!ebpfA_strcmp(mname, "values")) {
            /* ARRAY (of 0 elements) of PTR to the inner STRUCT or a FUNC_PROTO */
            const struct btf_type *a = resolve(b, mtype);
            const struct btf_type *p =
                a && kind_of(a) == BTF_KIND_ARRAY ? resolve(b, ((const uint32_t *)(a + 1))[0]) : 0;
            const struct btf_type *in = p && kind_of(p) == BTF_KIND_PTR ? resolve(b, p->size_or_type) : 0;
            ok = in != 0;
            if (values_off)
                *values_off = mem[3 * k + 2] / 8; /* bit offset (no bitfields here) */
            if (ok && kind_of(in) == BTF_KIND_STRUCT) {
                if (!inner)
                    return ebpfA_fail(vm, EBPF_EINVAL, -1,
                                      "BTF: map %s: an inner map may not hold maps", name);
                int r = map_struct(vm, b, in, name, inner, NULL, NULL, NULL);
                if (r)
                    return r;
                *has_inner = true;
            }
        }
        if (!ok)
            return ebpfA_fail(vm, EBPF_EINVAL, -1, "BTF: map %s: bad member %s", name, mname);
    }
    /* libbpf: a map holding maps or programs has 4-byte values (fds) */
    if (values_off && *values_off != UINT32_MAX && !def->value_size)
        def->value_size = 4;
    return 0;
}

int ebpfE_btf_maps(ebpf_vm *vm, const uint8_t *sec, uint64_t len, struct elf_mapspec *specs,
                   int *nspecs)
{
    struct btf b;
    ebpfA_memset(&b, 0, sizeof(b));
    int r = parse_index(vm, &b, sec, len);
    if (r)
        return r;
    for (uint32_t id = 1; id < b.n; id++) {
        const struct btf_type *t = b.index[id];
        const char *name = btf_str(&b, t->name_off);
        if (kind_of(t) != BTF_KIND_DATASEC || !name || ebpfA_strcmp(name, ".maps"))
            continue;
        const uint32_t *vs = (const uint32_t *)(t + 1); /* {type, offset, size} */
        for (uint32_t i = 0; i < vlen_of(t); i++) {
            const struct btf_type *var = type_at(&b, vs[3 * i]);
            if (!var || kind_of(var) != BTF_KIND_VAR)
                return ebpfA_fail(vm, EBPF_EINVAL, -1, "BTF: .maps entry %u is not a variable", i);
            const struct btf_type *st = resolve(&b, var->size_or_type);
            const char *vname = btf_str(&b, var->name_off);
            if (!st || kind_of(st) != BTF_KIND_STRUCT || !vname)
                return ebpfA_fail(vm, EBPF_EINVAL, -1, "BTF: map %u is not a struct", i);
            if (*nspecs == EBPF_MAX_MAPS)
                return ebpfA_fail(vm, EBPF_E2BIG, -1, "too many maps");
            struct elf_mapspec *m = &specs[(*nspecs)++];
            ebpfA_memset(m, 0, sizeof(*m));
            ebpfA_strlcpy(m->name, vname, sizeof(m->name));
            m->offset = vs[3 * i + 1];
            m->size = vs[3 * i + 2]; /* the variable's: with its values = {...} */
            m->values_off = UINT32_MAX;
            r = map_struct(vm, &b, st, m->name, &m->def, &m->inner_def, &m->has_inner,
                           &m->values_off);
            if (r)
                return r;
        }
    }
    return 0;
}

/* ---- externs and CO-RE descriptions (the loader's, issue 18) ---------- */

/* Walks DATASEC ".kconfig" and ".ksyms": each VAR in them is an extern
 * (`extern int LINUX_KERNEL_VERSION __kconfig;`).  Its size comes from its
 * type; `numeric` says whether it is an integer, bool, enum or pointer. */
int ebpfE_btf_externs(ebpf_vm *vm, const uint8_t *sec, uint64_t len, struct elf_extern *ext,
                      int max, int *n)
{
    struct btf b;
    ebpfA_memset(&b, 0, sizeof(b));
    int r = parse_index(vm, &b, sec, len);
    if (r)
        return r;
    *n = 0;
    for (uint32_t id = 1; id < b.n; id++) {
        const struct btf_type *t = b.index[id];
        const char *name = btf_str(&b, t->name_off);
        if (kind_of(t) != BTF_KIND_DATASEC || !name ||
            (ebpfA_strcmp(name, ".kconfig") && ebpfA_strcmp(name, ".ksyms")))
            continue;
        const uint32_t *vs = (const uint32_t *)(t + 1); /* {type, offset, size} */
        for (uint32_t i = 0; i < vlen_of(t); i++) {
            const struct btf_type *var = type_at(&b, vs[3 * i]);
            const char *vname = var ? btf_str(&b, var->name_off) : NULL;
            if (!var || !vname || (kind_of(var) != BTF_KIND_VAR && kind_of(var) != BTF_KIND_FUNC))
                return ebpfA_fail(vm, EBPF_EINVAL, -1, "BTF: %s entry %u is not a variable", name,
                                  i);
            if (*n == max)
                return ebpfA_fail(vm, EBPF_E2BIG, -1, "too many extern variables");
            struct elf_extern *x = &ext[(*n)++];
            ebpfA_memset(x, 0, sizeof(*x));
            ebpfA_strlcpy(x->name, vname, sizeof(x->name));
            x->ksym = name[1] == 'k' && name[2] == 's';
            if (kind_of(var) == BTF_KIND_FUNC)
                continue; /* a kernel function (__ksym): refused by the caller */
            uint64_t size = 0;
            const struct btf_type *vt = resolve(&b, var->size_or_type);
            if (vt && type_size(&b, var->size_or_type, &size, 0))
                x->size = (uint32_t)size;
            uint32_t k = vt ? kind_of(vt) : 0;
            x->numeric = k == BTF_KIND_INT || k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64 ||
                         k == BTF_KIND_PTR;
        }
    }
    return 0;
}

/* "struct proc.parent->pid": a CO-RE access string ("0:2:1", indexes into
 * the root pointer, then member numbers or array indexes) spelled through
 * the types of the object's BTF, for error messages.  Best effort: stops
 * at the first step it cannot follow. */
static void describe_access(const struct btf *b, const struct btf_type *t, const char *acc,
                            char *buf, size_t n)
{
    size_t used = ebpfA_strlen(buf);
    bool first = true;
    for (const char *p = acc; *p && t && used + 2 < n; first = false) {
        uint32_t idx = 0;
        while (*p >= '0' && *p <= '9')
            idx = idx * 10 + (uint32_t)(*p++ - '0');
        if (*p && *p != ':')
            break;
        if (*p == ':')
            p++;
        if (first)
            continue; /* an index into the root pointer: s[0] is *s */
        uint32_t k = kind_of(t);
        if ((k == BTF_KIND_STRUCT || k == BTF_KIND_UNION) && idx < vlen_of(t)) {
            const uint32_t *mem = (const uint32_t *)(t + 1);
            const char *mname = btf_str(b, mem[3 * idx]);
            ebpf_snprintf(buf + used, n - used, ".%s", mname && *mname ? mname : "?");
            t = resolve(b, mem[3 * idx + 1]);
        } else if (k == BTF_KIND_ARRAY) {
            ebpf_snprintf(buf + used, n - used, "[%u]", idx);
            t = resolve(b, ((const uint32_t *)(t + 1))[0]);
        } else {
            break;
        }
        used = ebpfA_strlen(buf);
    }
}

int ebpfE_btf_describe(ebpf_vm *vm, const uint8_t *sec, uint64_t len, uint32_t type_id,
                       uint32_t access_off, char *buf, size_t n)
{
    struct btf b;
    ebpfA_memset(&b, 0, sizeof(b));
    buf[0] = 0;
    int r = parse_index(vm, &b, sec, len);
    if (r)
        return r;
    const struct btf_type *t = resolve(&b, type_id);
    const char *acc = btf_str(&b, access_off);
    const char *tname = t ? btf_str(&b, t->name_off) : NULL;
    uint32_t k = t ? kind_of(t) : 0;
    const char *kw = k == BTF_KIND_STRUCT  ? "struct "
                     : k == BTF_KIND_UNION ? "union "
                     : k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64 ? "enum "
                                                                  : "";
    ebpf_snprintf(buf, n, "%s%s", kw, tname && *tname ? tname : "(anonymous)");
    if (acc && (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION))
        describe_access(&b, t, acc, buf, n);
    size_t used = ebpfA_strlen(buf);
    ebpf_snprintf(buf + used, n - used, ", access \"%s\"", acc ? acc : "?");
    return 0;
}
