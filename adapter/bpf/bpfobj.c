/*
 * eBPF objects on the host (bpfobj.h): clang for user programs, the
 * project's own loader and verifier (ebpf/) to check them before upload.
 */
#include "bpf/bpfobj.h"
#include "core/paths.h"

#include <ebpf.h>
#include <osdbg/bpf_kernel_helpers.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The kernel's limits (ktrace/src/bpf.c): the context is struct pt_regs. */
#define CTX_SIZE   256
#define ARENA_SIZE (4u << 20)

const char *bpfobj_top(void)
{
    static char build[PATH_MAX], top[PATH_MAX];
    if (!top[0])
        osdbg_locate(build, top, sizeof top);
    return top;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : 0;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = 0;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
}

int bpfobj_compile(const char *path, uint8_t **elf, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char out[] = "/tmp/osdbg-bpf-XXXXXX", log[] = "/tmp/osdbg-bpflog-XXXXXX";
    int ofd = mkstemp(out), lfd = mkstemp(log);
    if (ofd < 0 || lfd < 0) {
        snprintf(err, errlen, "cannot create temporary files");
        if (ofd >= 0)
            close(ofd), unlink(out);
        if (lfd >= 0)
            close(lfd), unlink(log);
        return -1;
    }
    close(ofd);
    char inc[PATH_MAX + 16];
    snprintf(inc, sizeof inc, "-I%s/include", bpfobj_top());
    char *argv[] = {"clang", "-O2", "-g", "-target", "bpf", inc, "-c", (char *)path, "-o", out, 0};
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(lfd, 1);
        dup2(lfd, 2);
        execvp("clang", argv);
        _exit(127);
    }
    int rc = pid < 0 ? errno : 0;
    close(lfd);
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    int result = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot run clang: %s", strerror(rc));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(err, errlen, "cannot run clang (is it installed? scripts/deps.sh installs it)");
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        size_t n;
        uint8_t *text = slurp(log, &n);
        /* The first lines say what is wrong. */
        snprintf(err, errlen, "clang failed: %.*s", text ? (int)(n < 600 ? n : 600) : 0,
                 text ? (char *)text : "");
        free(text);
    } else if (!(*elf = slurp(out, len))) {
        snprintf(err, errlen, "clang wrote no object");
    } else {
        result = 0;
    }
    unlink(out);
    unlink(log);
    return result;
}

int bpfobj_load(const char *path, uint8_t **elf, size_t *len, char *err, size_t errlen)
{
    size_t n = strlen(path);
    if (n < 2 || strcmp(path + n - 2, ".o") != 0)
        return bpfobj_compile(path, elf, len, err, errlen);
    if (!(*elf = slurp(path, len))) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

struct pick {
    const char *prefix;
    ebpf_vm *vm;
    const uint8_t *elf;
    size_t len;
    char first[128], match[128];
    /* the tail-call targets of the object's program arrays (by function
     * and by section): never the program a probe runs first */
    int ntargets;
    char targets[16][2][128];
};

static void on_tail_target(const char *map, uint32_t index, const char *prog, void *arg)
{
    (void)map, (void)index;
    struct pick *p = arg;
    if (p->ntargets == (int)(sizeof p->targets / sizeof p->targets[0]))
        return;
    char(*t)[128] = p->targets[p->ntargets++];
    snprintf(t[0], sizeof t[0], "%s", prog);
    if (ebpf_elf_program_section(p->vm, p->elf, p->len, prog, t[1], sizeof t[1]) < 0)
        t[1][0] = 0;
}

/* Is program `name` (a function, or a section holding one program) a
 * tail-call target? */
static int is_tail_target(const struct pick *p, const char *name)
{
    for (int i = 0; i < p->ntargets; i++)
        if (strcmp(name, p->targets[i][0]) == 0 || strcmp(name, p->targets[i][1]) == 0)
            return 1;
    return 0;
}

/* A program is named by its section ("kprobe/sys_write") or, one of several
 * in a section, by its function: its kind is its section's ("kprobe",
 * "kprobe/...", as libbpf's SEC names). */
static void on_program(const char *name, void *arg)
{
    struct pick *p = arg;
    if (!p->first[0])
        snprintf(p->first, sizeof p->first, "%s", name);
    char sec[128];
    if (ebpf_elf_program_section(p->vm, p->elf, p->len, name, sec, sizeof sec) < 0)
        snprintf(sec, sizeof sec, "%s", name);
    size_t n = strlen(p->prefix);
    if (!p->match[0] && strncmp(sec, p->prefix, n) == 0 && (sec[n] == '/' || !sec[n]) &&
        !is_tail_target(p, name))
        snprintf(p->match, sizeof p->match, "%s", name);
}

static ebpf_vm *new_vm(void **arena, char *err, size_t errlen)
{
    *arena = malloc(ARENA_SIZE);
    ebpf_vm *vm = *arena ? ebpf_create(*arena, ARENA_SIZE, err, errlen) : 0;
    if (!vm) {
        free(*arena);
        *arena = 0;
    }
    return vm;
}

int bpfobj_pick_program(const uint8_t *elf, size_t len, const char *prefix, char *name,
                        size_t namelen, char *err, size_t errlen)
{
    void *arena;
    ebpf_vm *vm = new_vm(&arena, err, errlen);
    if (!vm)
        return -1;
    struct pick p = {.prefix = prefix, .vm = vm, .elf = elf, .len = len};
    /* libbpf's loader puts these in their arrays; the probe runs the entry
     * (which may share its section kind: SEC("kprobe") targets) */
    int n = ebpf_elf_prog_array_inits(vm, elf, len, on_tail_target, &p);
    if (n >= 0)
        n = ebpf_elf_programs(vm, elf, len, on_program, &p);
    int rc = -1;
    if (n < 0)
        snprintf(err, errlen, "not an eBPF object: %s", ebpf_error(vm));
    else if (!p.first[0])
        snprintf(err, errlen, "the object has no program");
    else {
        snprintf(name, namelen, "%s", p.match[0] ? p.match : p.first);
        rc = 0;
    }
    free(arena);
    return rc;
}

/* Stand-ins for the kernel's helpers: verification only needs their
 * prototypes (the kernel registers the same list, ktrace/src/bpf_helpers.c). */
static uint64_t stub(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ebpf_vm *vm)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)vm;
    return 0;
}

int bpfobj_verify(const uint8_t *elf, size_t len, const char *name, char *err, size_t errlen)
{
    void *arena;
    ebpf_vm *vm = new_vm(&arena, err, errlen);
    if (!vm)
        return -1;
    ebpf_register_map_helpers(vm);
#define KERNEL_HELPER_ID(name) BPF_FUNC_##name,
    static const uint32_t kernel_helpers[] = {OSDBG_KERNEL_HELPERS(KERNEL_HELPER_ID)};
#undef KERNEL_HELPER_ID
    for (size_t i = 0; i < sizeof kernel_helpers / sizeof kernel_helpers[0]; i++)
        ebpf_register_helper(vm, kernel_helpers[i], stub, ebpf_linux_proto(kernel_helpers[i]));
    int rc = ebpf_load_elf(vm, elf, len, name);
    if (rc < 0) {
        snprintf(err, errlen, "%s", ebpf_error(vm));
        free(arena);
        return -1;
    }
    static char log[8192];
    struct ebpf_verify_opts opts = {
        .ctx_size = CTX_SIZE, .log = log, .log_size = sizeof log, .log_level = 0};
    rc = ebpf_verify(vm, &opts);
    if (rc < 0)
        snprintf(err, errlen, "the verifier rejects %s: %s", name, log[0] ? log : ebpf_error(vm));
    free(arena);
    return rc < 0 ? -1 : 0;
}
