/*
 * bpfload: load an eBPF ELF object from the file system (clang -target bpf),
 * create its maps, attach its kprobe program, and print what the maps hold
 * - user space tracing the kernel through bpf(), like libbpf's loaders.
 *   bpfload <object> [calls [procs]]
 * The object's maps are legacy "maps" definitions; its program is the first
 * section named kprobe/<kernel function>.  With calls, bpfload makes that
 * many getpid() calls itself before reading the maps; with procs too, it
 * forks procs children that make them, all at once (on several harts), and
 * prints every element of every map (hash maps by key) once they are done.
 */
#include "ulib.h"
#include <osdbg/bpf_attr.h>
#include <osdbg/elf64.h>

struct map_def {
    uint32_t type, key_size, value_size, max_entries, flags;
};
struct insn {
    uint8_t code, regs;
    int16_t off;
    int32_t imm;
};

static uint8_t *obj;
static long obj_size;

static int fail(const char *what)
{
    printf("bpfload: %s\n", what);
    return 1;
}

static const struct elf64_shdr *section(int i)
{
    const struct elf64_ehdr *eh = (const void *)obj;
    return (const struct elf64_shdr *)(obj + eh->shoff) + i;
}

static const char *secname(int i)
{
    const struct elf64_ehdr *eh = (const void *)obj;
    return (const char *)obj + section(eh->shstrndx)->offset + section(i)->name;
}

/* Every element: "bpfload: map NAME[KEY] = VALUE" (4-byte keys, 8-byte values). */
static void print_map(int fd, const char *name)
{
    uint32_t key = 0, next;
    uint64_t value;
    struct bpf_attr_map_elem e = {(uint32_t)fd, 0, 0, (uint64_t)&next, 0};
    while (bpf(BPF_MAP_GET_NEXT_KEY, &e, sizeof e) == 0) {
        struct bpf_attr_map_elem l = {(uint32_t)fd, 0, (uint64_t)&next, (uint64_t)&value, 0};
        if (bpf(BPF_MAP_LOOKUP_ELEM, &l, sizeof l) == 0)
            printf("bpfload: map %s[%u] = %lu\n", name, next, (unsigned long)value);
        key = next;
        e.key = (uint64_t)&key;
    }
}

int main(int argc, char *argv[])
{
    if (argc < 2)
        return fail("usage: bpfload <object> [calls]");
    int fd = open(argv[1], O_RDONLY);
    struct ustat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return fail("cannot open the object");
    obj_size = (long)st.size;
    obj = malloc((size_t)obj_size);
    if (!obj || read(fd, obj, (size_t)obj_size) != obj_size)
        return fail("cannot read the object");
    close(fd);
    const struct elf64_ehdr *eh = (const void *)obj;
    if (obj_size < (long)sizeof *eh || !elf64_magic_ok(eh->ident) || eh->machine != EM_BPF_MACHINE ||
        eh->shoff + (uint64_t)eh->shnum * sizeof(struct elf64_shdr) > (uint64_t)obj_size)
        return fail("not an eBPF ELF object");

    int maps = -1, prog = -1, symtab = -1, relsec = -1;
    for (int i = 1; i < eh->shnum; i++) {
        const char *n = secname(i);
        if (strcmp(n, "maps") == 0)
            maps = i;
        else if (prog < 0 && strncmp(n, "kprobe/", 7) == 0)
            prog = i;
        else if (section(i)->type == SHT_SYMTAB)
            symtab = i;
    }
    for (int i = 1; i < eh->shnum; i++)
        if (section(i)->type == SHT_REL && (int)section(i)->info == prog)
            relsec = i;
    if (prog < 0 || symtab < 0)
        return fail("no kprobe/ program or no symbol table");
    const struct elf64_sym *syms = (const void *)(obj + section(symtab)->offset);
    int nsyms = (int)(section(symtab)->size / sizeof(struct elf64_sym));
    const char *strtab = (const char *)obj + section((int)section(symtab)->link)->offset;

    /* Maps: one BPF_MAP_CREATE per symbol in the maps section. */
    int map_fd[64], map_sym[64], nmaps = 0;
    for (int i = 0; i < nsyms && maps >= 0 && nmaps < 64; i++) {
        if (syms[i].shndx != maps || !syms[i].name)
            continue;
        const struct map_def *d = (const void *)(obj + section(maps)->offset + syms[i].value);
        struct bpf_attr_map_create a = {d->type, d->key_size, d->value_size, d->max_entries, 0, 0,
                                        0,       ""};
        strlcpy(a.map_name, strtab + syms[i].name, sizeof a.map_name);
        long m = bpf(BPF_MAP_CREATE, &a, sizeof a);
        if (m < 0)
            return fail("BPF_MAP_CREATE failed");
        map_fd[nmaps] = (int)m;
        map_sym[nmaps++] = i;
    }
    /* The program, with lddw of each map made to name its descriptor. */
    uint32_t ninsns = (uint32_t)(section(prog)->size / sizeof(struct insn));
    struct insn *insns = malloc(section(prog)->size);
    memcpy(insns, obj + section(prog)->offset, section(prog)->size);
    if (relsec >= 0) {
        const struct elf64_rel *r = (const void *)(obj + section(relsec)->offset);
        for (uint64_t k = 0; k < section(relsec)->size / sizeof *r; k++) {
            int symi = (int)(r[k].info >> 32);
            if ((r[k].info & 0xffffffff) != R_BPF_64_64 || r[k].offset / 8 >= ninsns)
                return fail("unsupported relocation");
            int m;
            for (m = 0; m < nmaps && map_sym[m] != symi; m++)
                ;
            if (m == nmaps)
                return fail("relocation against something that is not a map");
            insns[r[k].offset / 8].regs =
                (uint8_t)((insns[r[k].offset / 8].regs & 0x0f) | (BPF_PSEUDO_MAP_FD << 4));
            insns[r[k].offset / 8].imm = map_fd[m];
        }
    }
    static char log[4096];
    struct bpf_attr_prog_load pl = {0};
    pl.prog_type = BPF_PROG_TYPE_KPROBE;
    pl.insn_cnt = ninsns;
    pl.insns = (uint64_t)insns;
    pl.license = (uint64_t) "GPL";
    pl.log_level = 1;
    pl.log_size = sizeof log;
    pl.log_buf = (uint64_t)log;
    long p = bpf(BPF_PROG_LOAD, &pl, sizeof pl);
    if (p < 0) {
        printf("bpfload: the verifier refused %s (error %ld):\n%s", secname(prog), p, log);
        return 1;
    }
    const char *target = secname(prog) + 7;
    const char *syms_arg[1] = {target};
    struct bpf_attr_link_create lc = {0};
    lc.prog_fd = (uint32_t)p;
    lc.attach_type = BPF_TRACE_KPROBE_MULTI;
    lc.kprobe_multi.cnt = 1;
    lc.kprobe_multi.syms = (uint64_t)syms_arg;
    long link = bpf(BPF_LINK_CREATE, &lc, sizeof lc);
    if (link < 0)
        return fail("cannot attach");
    printf("bpfload: %s (%u instructions, %d maps) attached to %s\n", secname(prog), ninsns, nmaps,
           target);
    long calls = argc > 2 ? atol(argv[2]) : 0;
    long procs = argc > 3 ? atol(argv[3]) : 0;
    if (procs > 0) {
        for (long c = 0; c < procs; c++) {
            int pid = fork();
            if (pid == 0) {
                for (long i = 0; i < calls; i++)
                    getpid();
                exit(0);
            }
            if (pid < 0)
                return fail("fork failed");
        }
        for (long c = 0; c < procs; c++)
            wait(-1, 0);
        for (int m = 0; m < nmaps; m++)
            print_map(map_fd[m], strtab + syms[map_sym[m]].name);
        printf("bpfload: %ld processes done\n", procs);
        close((int)link);
        return 0;
    }
    for (long i = 0; i < calls; i++)
        getpid();
    for (int m = 0; m < nmaps; m++) {
        uint32_t key = 0;
        uint64_t value = 0;
        struct bpf_attr_map_elem e = {(uint32_t)map_fd[m], 0, (uint64_t)&key, (uint64_t)&value, 0};
        if (bpf(BPF_MAP_LOOKUP_ELEM, &e, sizeof e) == 0)
            printf("bpfload: map %s[0] = %lu\n", strtab + syms[map_sym[m]].name,
                   (unsigned long)value);
    }
    close((int)link);
    return 0;
}
