#include "target/xstack.h"
#include "dwarf/rvregs.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "target/programs.h"
#include "target/state.h"

#include "dwarf/varloc.h"

#include <rvprobe.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_USER_FRAMES 64

/* n bytes of memory at addr as GDB sees it now (GDB/MI
 * -data-read-memory-bytes: the contents as hex, two digits a byte). */
static int read_bytes(uint64_t addr, void *buf, size_t n)
{
    char err[256];
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-data-read-memory-bytes 0x%llx %zu",
                (unsigned long long)addr, n) < 0)
        return -1;
    const char *hex = mi_str(json_array_get(json_object_get(rec.results, "memory"), 0), "contents");
    int ok = hex && strlen(hex) == 2 * n;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned b;
        sscanf(hex + 2 * i, "%2x", &b);
        ((uint8_t *)buf)[i] = (uint8_t)b;
    }
    mi_record_free(&rec);
    return ok ? 0 : -1;
}

/* 8 bytes at a kernel address (identity mapped), little-endian like the
 * target and this host. */
static int kread8(uint64_t addr, uint64_t *val)
{
    return read_bytes(addr, val, sizeof *val);
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

/* Is the innermost frame the trap entry, at the place its hook or a step
 * into it stops (after the prologue), or before? */
static bool at_trap_entry(json_t *kernel_frames)
{
    const char *entry = T.profile->trap_entry;
    const char *func = mi_str(json_array_get(kernel_frames, 0), "func");
    uint64_t start;
    return debuginfo_same_function(func, entry) && T.kernel_di &&
           debuginfo_function_addr(T.kernel_di, entry, true, &start) == 0 && T.here.pc <= start;
}

static bool in_trap_from_user(json_t *kernel_frames)
{
    const char *entry = T.profile->trap_entry;
    size_t i;
    json_t *f;
    json_array_foreach(kernel_frames, i, f)
    {
        const char *func = mi_str(f, "func");
        if (debuginfo_same_function(func, entry))
            return true;
    }
    return false;
}

/* ---- returns through a uretprobe's trampoline ----
 * A uretprobe replaces a function's return address by its process's
 * trampoline and keeps the real one in the probe engine's table of
 * instances (struct rvprobe_ri), keyed by task and by the sp the caller
 * has again after the return (probes/src/table.c).  The profile names the
 * trampoline, the table and the current task ("uretprobes"). */

/* Stopped in user mode, GDB reads memory through the process's page
 * table: kernel data and page tables (physical = kernel virtual, the
 * profile's kernelIdentityMapped) need QEMU's physical memory mode.
 * Nested uses keep it on until the outermost ends. */
static int phys_depth;

static void phys_begin(void)
{
    if (phys_depth++ == 0 && T.here.priv == 0 && T.profile->kernel_identity_mapped)
        gdb_physical_memory(true);
}

static void phys_end(void)
{
    if (--phys_depth == 0 && T.here.priv == 0 && T.profile->kernel_identity_mapped)
        gdb_physical_memory(false);
}

/* Kernel memory, in either mode. */
static int kread(uint64_t addr, void *buf, size_t n)
{
    phys_begin();
    int r = read_bytes(addr, buf, n);
    phys_end();
    return r;
}

static bool eval_kernel(const char *fmt, const char *expr, uint64_t *out)
{
    char full[512];
    snprintf(full, sizeof full, fmt, expr);
    phys_begin();
    bool ok = gdb_eval_u64_in(profile_lang(), out, "%s", full);
    phys_end();
    return ok;
}

/* The trampoline's address, or 0 (no uretprobes in this profile). */
static uint64_t uretprobe_trampoline(void)
{
    uint64_t t;
    return T.profile->uret_trampoline && eval_kernel("%s", T.profile->uret_trampoline, &t) ? t : 0;
}

/* Where a return that landed on the trampoline with this sp really goes:
 * the current task's instance for that sp, the newest if several. */
static bool uretprobe_return(uint64_t sp, uint64_t *ra)
{
    struct profile *p = T.profile;
    uint64_t base, bytes, task;
    if (!p->uret_instances || !p->uret_task || !eval_kernel("&(%s)", p->uret_instances, &base) ||
        !eval_kernel("sizeof(%s)", p->uret_instances, &bytes) ||
        !eval_kernel("%s", p->uret_task, &task) || bytes > (1u << 20))
        return false;
    size_t n = (size_t)bytes / sizeof(struct rvprobe_ri);
    struct rvprobe_ri *ri = malloc(n * sizeof *ri + 1);
    bool found = false;
    uint64_t seq = 0;
    if (ri && kread(base, ri, n * sizeof *ri) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (ri[i].used && ri[i].task == task && ri[i].sp == sp && (!found || ri[i].seq > seq)) {
                *ra = ri[i].ret_addr;
                seq = ri[i].seq;
                found = true;
            }
        }
    }
    free(ri);
    return found;
}

/* The frames osdbg unwinds itself: GDB knows nothing of them, so their
 * Locals and Registers come from what the unwinding saw. */
static struct snapshot {
    int id;
    uint64_t regs[32]; /* x1..x31 as restored for this frame; [0] is its pc */
    uint64_t root;     /* the program's page table */
    char program[64];
} snaps[MAX_USER_FRAMES];
static int nsnaps;

/* DAP frames of a user program from pc and regs on, unwound with its CFI
 * through its page table; returns through the trampoline continue at the
 * real return address.  trapped: pc is a trapped instruction's (an ecall's
 * saved epc points past it, like a return address: look up pc - 1). */
static void unwind_user(struct debuginfo *di, const char *program, uint64_t regs[32], uint64_t pc,
                        struct walk_ctx *w, int first_id, json_t *out)
{
    uint64_t tramp = uretprobe_trampoline();
    for (int n = 0; n < MAX_USER_FRAMES; n++) {
        if (tramp && pc == tramp && !uretprobe_return(regs[2], &pc))
            break;
        uint64_t where = pc - 1;
        const char *func = debuginfo_function_at(di, where);
        const char *file = 0;
        int line = 0;
        debuginfo_addr_to_line(di, where, &file, &line);
        char name[256];
        snprintf(name, sizeof name, "%s [%s]", func ? func : "??", program);
        char ip[32];
        snprintf(ip, sizeof ip, "0x%llx", (unsigned long long)pc);
        json_t *jf = json_pack("{s:i, s:s, s:i, s:i, s:s, s:s}", "id", first_id + n, "name", name,
                               "line", dap_line_out(line), "column", dap_column_out(line ? 1 : 0),
                               "instructionPointerReference", ip, "presentationHint", "normal");
        if (file) {
            const char *base = strrchr(file, '/');
            json_object_set_new(
                jf, "source",
                json_pack("{s:s, s:s}", "name", base ? base + 1 : file, "path", file));
        }
        json_array_append_new(out, jf);
        if (nsnaps < MAX_USER_FRAMES) {
            struct snapshot *sn = &snaps[nsnaps++];
            memcpy(sn->regs, regs, sizeof sn->regs);
            sn->regs[0] = pc;
            sn->root = w->root;
            sn->id = first_id + n;
            snprintf(sn->program, sizeof sn->program, "%s", program);
        }
        /* The program's entry function is the outermost frame (whatever its
         * name: xv6's is _main); what lies beyond it is no caller. */
        const char *entry = debuginfo_function_at(di, debuginfo_entry(di));
        if (!func || strcmp(func, "_start") == 0 || (entry && strcmp(func, entry) == 0))
            break;
        if (debuginfo_unwind(di, regs, &pc, n == 0, uread8, w) < 0 || pc == 0) {
            /* No call-frame information (assembly, like xv6's usys.S system
             * call stubs): an innermost leaf that has not moved sp returns
             * through ra, as GDB's heuristics take it. */
            if (n != 0 || regs[1] == 0 || regs[1] == pc)
                break;
            pc = regs[1];
        }
    }
}

json_t *xstack_user_frames(json_t *kernel_frames, int first_id)
{
    nsnaps = 0;
    json_t *out = json_array();
    struct profile *p = T.profile;
    if (!p || T.here.priv != 1 || !T.here.program[0] || !p->trap_entry || !p->trapframe ||
        !p->proc_pagetable || p->tf_epc < 0 || !in_trap_from_user(kernel_frames))
        return out;
    struct debuginfo *di = user_debuginfo(T.here.program);
    uint64_t tf, root;
    if (!di || !gdb_eval_u64_in(profile_lang(), &tf, "%s", p->trapframe) ||
        !gdb_eval_u64_in(profile_lang(), &root, "%s", p->proc_pagetable))
        return out;
    /* x1..x31 follow each other in the trap frame from the ra offset on
     * (include/osdbg/trapframe.h documents the layout the profile names). */
    uint64_t regs[32] = {0}, pc;
    if (at_trap_entry(kernel_frames)) {
        /* Stopped where the trap entry begins (stepIn at an ecall): the
         * kernel may not have saved the user pc yet (xv6 saves it inside
         * usertrap), but sepc holds it, interrupts still off. */
        if (!gdb_eval_u64(&pc, "$sepc"))
            return out;
    } else if (kread8(tf + (uint64_t)p->tf_epc, &pc) < 0) {
        return out;
    }
    for (int r = 1; r < 32; r++)
        if (p->tf_ra >= 0 && kread8(tf + (uint64_t)p->tf_ra + 8 * (uint64_t)(r - 1), &regs[r]) < 0)
            return out;
    struct walk_ctx w = {root};
    unwind_user(di, T.here.program, regs, pc, &w, first_id, out);
    return out;
}

/* GDB's registers x1..x31 in frame level (callee-saved ones as the
 * frames below restored them). */
static bool frame_regs(size_t level, uint64_t regs[32])
{
    char err[256];
    struct mi_record rec;
    /* Only x1..x31 (GDB's numbers 1..31): asking for all would also
     * fetch CSRs QEMU may refuse. */
    char list[128];
    size_t at = 0;
    for (int n = 1; n < 32; n++)
        at += (size_t)snprintf(list + at, sizeof list - at, " %d", n);
    if (gdb_run(&rec, err, sizeof err, "-data-list-register-values --thread %d --frame %zu x%s", T.thread,
                level, list) < 0)
        return false;
    size_t k;
    json_t *r;
    json_array_foreach(json_object_get(rec.results, "register-values"), k, r)
    {
        const char *num = mi_str(r, "number"), *val = mi_str(r, "value");
        int n = num ? atoi(num) : -1;
        if (n > 0 && n < 32 && val)
            regs[n] = strtoull(val, 0, 0);
    }
    mi_record_free(&rec);
    return true;
}

size_t xstack_after_trampoline(json_t *frames, json_t **more)
{
    *more = 0;
    nsnaps = 0;
    size_t total = json_array_size(frames);
    /* A stack GDB unwound down to _start, every frame named, met no
     * trampoline: nothing to ask (this runs at every stop in user mode). */
    bool complete = total > 0;
    for (size_t i = 0; complete && i < total; i++)
        complete = mi_str(json_array_get(frames, i), "func") != 0;
    const char *bottom = total ? mi_str(json_array_get(frames, total - 1), "func") : 0;
    if (complete && bottom && strcmp(bottom, "_start") == 0)
        return total;
    uint64_t tramp = T.here.priv == 0 && T.here.program[0] && total ? uretprobe_trampoline() : 0;
    struct debuginfo *di = tramp ? user_debuginfo(T.here.program) : 0;
    uint64_t regs[32] = {0}, root, pc;
    if (!di || !eval_kernel("%s", T.profile->proc_pagetable, &root))
        return total;
    struct walk_ctx w = {root};
    /* GDB shows the trampoline as a frame, or stops before it. */
    for (size_t i = 1; i < total; i++) {
        const char *addr = mi_str(json_array_get(frames, i), "addr");
        if (addr && strtoull(addr, 0, 0) == tramp && frame_regs(i, regs)) {
            *more = json_array();
            phys_begin();
            unwind_user(di, T.here.program, regs, tramp, &w, (int)i + 1, *more);
            phys_end();
            return i;
        }
    }
    json_t *last = json_array_get(frames, total - 1);
    const char *func = mi_str(last, "func"), *addr = mi_str(last, "addr");
    if ((func && strcmp(func, "_start") == 0) || !addr || !frame_regs(total - 1, regs))
        return total;
    pc = strtoull(addr, 0, 0);
    phys_begin();
    int ur = debuginfo_unwind(di, regs, &pc, total == 1, uread8, &w);
    phys_end();
    if (ur < 0 || pc != tramp)
        return total;
    *more = json_array();
    phys_begin();
    unwind_user(di, T.here.program, regs, tramp, &w, (int)total + 1, *more);
    phys_end();
    return total;
}

void xstack_bind_ids(json_t *frames)
{
    for (int i = 0; i < nsnaps && (size_t)i < json_array_size(frames); i++)
        snaps[i].id = (int)json_integer_value(json_object_get(json_array_get(frames, i), "id"));
}

static struct snapshot *snapshot_of(int frame_id)
{
    for (int i = 0; i < nsnaps; i++)
        if (snaps[i].id == frame_id)
            return &snaps[i];
    return 0;
}

/* n bytes of user memory at va through the page table (8 at a time). */
static bool uread(struct walk_ctx *w, uint64_t va, void *buf, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v;
        if (uread8(w, va + i, &v) < 0)
            return false;
        memcpy((uint8_t *)buf + i, &v, n - i < 8 ? n - i : 8);
    }
    return true;
}

/* Up to 63 bytes of text at va, quoted, C escapes for the rest. */
static void text_at(struct walk_ctx *w, uint64_t va, size_t max, char *out, size_t cap)
{
    char raw[64];
    size_t n = max < sizeof raw - 1 ? max : sizeof raw - 1;
    if (!uread(w, va, raw, n)) {
        snprintf(out, cap, "<unreadable>");
        return;
    }
    size_t k = 0;
    out[k++] = '"';
    for (size_t i = 0; i < n && raw[i] && k + 6 < cap; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c >= 32 && c < 127 && c != '"' && c != '\\')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", c);
    }
    if (k + 2 < cap)
        out[k++] = '"';
    out[k] = 0;
}

/* One variable's value in a frame, as the Locals view shows it. */
/* A struct or array of one of these frames, at an address of its
 * program's memory, that the editor may expand: XSTACK_CHILD_BASE + its
 * index is its variablesReference, until the next stop. */
#define MAX_CHILDREN       512
#define MAX_ELEMENTS_SHOWN 64
static struct child {
    int frame_id;
    struct varloc v;
    uint64_t addr;
} children[MAX_CHILDREN];
static int nchildren;

static int child_ref(int frame_id, const struct varloc *v, uint64_t addr)
{
    if (nchildren == MAX_CHILDREN)
        return 0;
    children[nchildren] = (struct child){frame_id, *v, addr};
    return XSTACK_CHILD_BASE + nchildren++;
}

void xstack_forget_children(void)
{
    nchildren = 0;
}

static void value_of(struct debuginfo *di, struct snapshot *sn, struct walk_ctx *w,
                     const struct varloc *v, char *out, size_t cap)
{
    uint64_t addr = 0, raw = 0;
    if (v->kind == VARLOC_ADDR)
        addr = v->addr;
    else if (v->kind == VARLOC_MEM)
        addr = sn->regs[v->reg] + (uint64_t)v->offset;
    if (v->shape != VARLOC_SCALAR) {
        if (v->is_string && v->kind != VARLOC_REG)
            text_at(w, addr, v->count ? v->count : 63, out, cap);
        else
            snprintf(out, cap, "%s (%s at 0x%llx)", v->shape == VARLOC_ARRAY ? "[...]" : "{...}",
                     v->type_name, (unsigned long long)addr);
        return;
    }
    if (v->kind == VARLOC_REG)
        raw = sn->regs[v->reg];
    else if (!uread(w, addr, &raw, 8)) {
        snprintf(out, cap, "<unreadable at 0x%llx>", (unsigned long long)addr);
        return;
    }
    if (v->size < 8)
        raw &= (1ULL << (8 * v->size)) - 1;
    if (v->is_pointer) {
        int k = snprintf(out, cap, "0x%llx", (unsigned long long)raw);
        if (v->is_string && raw && k > 0 && (size_t)k + 4 < cap) {
            out[k++] = ' ';
            text_at(w, raw, 63, out + k, cap - (size_t)k);
        }
    } else if (v->is_signed) {
        int shift = 64 - 8 * v->size;
        snprintf(out, cap, "%lld", (long long)((int64_t)(raw << shift) >> shift));
    } else {
        snprintf(out, cap, "%llu", (unsigned long long)raw);
    }
    (void)di;
}

/* A child reference for a struct or array (not text) in memory, else 0. */
static int expandable(struct snapshot *sn, const struct varloc *v)
{
    if (v->shape == VARLOC_SCALAR || v->is_string || v->kind == VARLOC_REG)
        return 0;
    uint64_t addr = v->kind == VARLOC_ADDR ? v->addr : sn->regs[v->reg] + (uint64_t)v->offset;
    return child_ref(sn->id, v, addr);
}

/* One member or element at addr: name, value, and its own reference. */
static json_t *child_variable(struct debuginfo *di, struct snapshot *sn, struct walk_ctx *w,
                              const char *name, struct varloc *m, uint64_t addr)
{
    char value[256];
    m->kind = VARLOC_ADDR;
    m->addr = addr;
    value_of(di, sn, w, m, value, sizeof value);
    return json_pack("{s:s, s:s, s:s, s:i}", "name", name, "value", value, "type", m->type_name,
                     "variablesReference", expandable(sn, m));
}

json_t *xstack_child_variables(int ref)
{
    int k = ref - XSTACK_CHILD_BASE;
    if (k < 0 || k >= nchildren)
        return 0;
    struct child c = children[k]; /* children[] grows while we list */
    struct snapshot *sn = snapshot_of(c.frame_id);
    struct debuginfo *di = sn ? user_debuginfo(sn->program) : 0;
    if (!di)
        return 0;
    json_t *vars = json_array();
    struct walk_ctx w = {sn->root};
    char why[200];
    struct varloc m;
    phys_begin();
    if (c.v.shape == VARLOC_ARRAY) {
        uint64_t n = c.v.count < MAX_ELEMENTS_SHOWN ? c.v.count : MAX_ELEMENTS_SHOWN;
        for (uint64_t i = 0; i < n && varloc_index(di, &c.v, &m, why, sizeof why) == 0; i++) {
            char name[32];
            snprintf(name, sizeof name, "[%llu]", (unsigned long long)i);
            json_array_append_new(vars,
                                  child_variable(di, sn, &w, name, &m, c.addr + i * c.v.elem_size));
        }
    } else {
        char names[128][VARLOC_NAME_MAX];
        int n = varloc_member_names(di, &c.v, names, 128);
        for (int i = 0; i < n; i++) {
            if (varloc_member(di, &c.v, names[i], &m, why, sizeof why) < 0) {
                json_array_append_new(vars, json_pack("{s:s, s:s, s:i}", "name", names[i], "value",
                                                      why, "variablesReference", 0));
                continue;
            }
            json_array_append_new(
                vars, child_variable(di, sn, &w, names[i], &m, c.addr + (uint64_t)m.offset));
        }
    }
    phys_end();
    return vars;
}

json_t *xstack_frame_variables(int frame_id, bool locals)
{
    struct snapshot *sn = snapshot_of(frame_id);
    if (!sn)
        return 0;
    json_t *vars = json_array();
    char value[256];
    if (!locals) {
        for (int r = 0; r < 32; r++) {
            snprintf(value, sizeof value, "0x%016llx", (unsigned long long)sn->regs[r]);
            json_array_append_new(vars, json_pack("{s:s, s:s, s:i}", "name", rv_reg_names[r],
                                                  "value", value, "variablesReference", 0));
        }
        return vars;
    }
    struct debuginfo *di = user_debuginfo(sn->program);
    if (!di)
        return vars;
    /* A return address is past its call: look the scope up at pc - 1. */
    uint64_t where = sn->regs[0] - 1;
    char names[64][VARLOC_NAME_MAX];
    int n = varloc_names(di, where, names, 64);
    struct walk_ctx w = {sn->root};
    phys_begin();
    for (int i = 0; i < n; i++) {
        struct varloc v;
        char why[200];
        why[0] = 0;
        const char *type = "";
        int ref = 0;
        if (varloc_find(di, where, names[i], &v, why, sizeof why) < 0) {
            snprintf(value, sizeof value, "<%.200s>", why);
        } else {
            value_of(di, sn, &w, &v, value, sizeof value);
            type = v.type_name;
            ref = expandable(sn, &v);
        }
        json_array_append_new(vars, json_pack("{s:s, s:s, s:s, s:i}", "name", names[i], "value",
                                              value, "type", type, "variablesReference", ref));
    }
    phys_end();
    return vars;
}
