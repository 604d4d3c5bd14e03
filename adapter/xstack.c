#include "xstack.h"
#include "dap.h"
#include "gdb.h"
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_USER_FRAMES 64

/* Read 8 bytes of memory at a kernel address (identity mapped). */
static int kread8(uint64_t addr, uint64_t *val)
{
    char err[256];
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-data-read-memory-bytes 0x%llx 8",
                (unsigned long long)addr) < 0)
        return -1;
    const char *hex = mi_str(json_array_get(json_object_get(rec.results, "memory"), 0), "contents");
    int ok = hex && strlen(hex) == 16;
    uint64_t v = 0;
    for (int i = 7; ok && i >= 0; i--) { /* little-endian bytes */
        unsigned b;
        sscanf(hex + 2 * i, "%2x", &b);
        v = v << 8 | b;
    }
    mi_record_free(&rec);
    *val = v;
    return ok ? 0 : -1;
}

/* Sv39 translation of a user address through the process's page table
 * (RISC-V privileged spec 4.3.2 and 4.4.1), reading the tables through
 * the kernel's identity mapping. */
struct walk_ctx {
    uint64_t root;
};

static int uread8(void *p, uint64_t va, uint64_t *val)
{
    struct walk_ctx *w = p;
    uint64_t table = w->root;
    for (int level = 2; level >= 0; level--) {
        uint64_t pte;
        if (kread8(table + ((va >> (12 + 9 * level)) & 0x1ff) * 8, &pte) < 0 || !(pte & 1))
            return -1;
        uint64_t pa = (pte >> 10) << 12;
        if (pte & 0xa) { /* R or X: a leaf, possibly a superpage */
            uint64_t page = 1ULL << (12 + 9 * level);
            if (!(pte & 0x10))
                return -1; /* not a user page */
            return kread8((pa & ~(page - 1)) | (va & (page - 1)), val);
        }
        table = pa;
    }
    return -1;
}

static bool eval_u64(const char *expr, uint64_t *out)
{
    char err[256];
    char *v = gdb_eval(err, sizeof err, "(unsigned long)(%s)", expr);
    if (!v)
        return false;
    char *end;
    *out = strtoull(v, &end, 0);
    bool ok = end != v;
    free(v);
    return ok;
}

static bool in_trap_from_user(json_t *kernel_frames)
{
    const char *entry = S.profile->trap_entry;
    size_t i;
    json_t *f;
    json_array_foreach(kernel_frames, i, f)
    {
        const char *func = mi_str(f, "func");
        if (func && strcmp(func, entry) == 0)
            return true;
    }
    return false;
}

json_t *xstack_user_frames(json_t *kernel_frames, int first_id)
{
    json_t *out = json_array();
    struct profile *p = S.profile;
    if (!p || S.here.priv != 1 || !S.here.program[0] || !p->trap_entry || !p->trapframe ||
        !p->proc_pagetable || p->tf_epc < 0 || !in_trap_from_user(kernel_frames))
        return out;
    struct debuginfo *di = user_debuginfo(S.here.program);
    uint64_t tf, root;
    if (!di || !eval_u64(p->trapframe, &tf) || !eval_u64(p->proc_pagetable, &root))
        return out;
    /* x1..x31 follow each other in the trap frame from the ra offset on
     * (include/osdbg/trapframe.h documents the layout the profile names). */
    uint64_t regs[32] = {0}, pc;
    if (kread8(tf + (uint64_t)p->tf_epc, &pc) < 0)
        return out;
    for (int r = 1; r < 32; r++)
        if (p->tf_ra >= 0 && kread8(tf + (uint64_t)p->tf_ra + 8 * (uint64_t)(r - 1), &regs[r]) < 0)
            return out;
    struct walk_ctx w = {root};
    for (int n = 0; n < MAX_USER_FRAMES; n++) {
        /* The saved epc of a system call already points past the ecall. */
        uint64_t where = n == 0 ? pc - 1 : pc - 1;
        const char *func = debuginfo_function_at(di, where);
        const char *file = 0;
        int line = 0;
        debuginfo_addr_to_line(di, where, &file, &line);
        char name[256];
        snprintf(name, sizeof name, "%s [%s]", func ? func : "??", S.here.program);
        char ip[32];
        snprintf(ip, sizeof ip, "0x%llx", (unsigned long long)pc);
        json_t *jf = json_pack("{s:i, s:s, s:i, s:i, s:s, s:s}", "id", first_id + n, "name", name,
                               "line", line, "column", line ? 1 : 0, "instructionPointerReference",
                               ip, "presentationHint", "normal");
        if (file) {
            const char *base = strrchr(file, '/');
            json_object_set_new(
                jf, "source",
                json_pack("{s:s, s:s}", "name", base ? base + 1 : file, "path", file));
        }
        json_array_append_new(out, jf);
        if (!func || strcmp(func, "_start") == 0)
            break;
        if (debuginfo_unwind(di, regs, &pc, n == 0, uread8, &w) < 0 || pc == 0)
            break;
    }
    return out;
}
