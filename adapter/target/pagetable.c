#include "target/pagetable.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "target/session.h"

#include <sidestub.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PPN_MASK       ((1ULL << 44) - 1) /* PTE bits 53..10, satp bits 43..0 */
#define SATP_MODE_SV39 8ULL               /* satp bits 63..60 (4.1.11) */

struct walk {
    sv39_read_fn read;
    void *arg;
    struct sv39_range *out;
    int n, max, tables, max_tables;
    bool truncated;
};

static void add(struct walk *w, uint64_t va, uint64_t pa, uint64_t size, unsigned flags)
{
    struct sv39_range *last = w->n ? &w->out[w->n - 1] : 0;
    if (last && last->va + last->size == va && last->pa + last->size == pa &&
        last->flags == flags) {
        last->size += size;
        return;
    }
    if (w->n == w->max) {
        w->truncated = true;
        return;
    }
    w->out[w->n++] = (struct sv39_range){va, pa, size, flags};
}

/* 4.3.2 "Virtual Address Translation Process", for every valid entry of
 * the table at pa: a leaf (R or X set) maps 2^(12 + 9 * level) bytes;
 * otherwise it points to the next level's table. */
static void walk_table(struct walk *w, uint64_t pa, int level, uint64_t va_base)
{
    if (w->tables == w->max_tables) {
        w->truncated = true;
        return;
    }
    w->tables++;
    uint64_t pte[512];
    if (!w->read(pa, pte, w->arg)) {
        w->truncated = true;
        return;
    }
    for (int i = 0; i < 512; i++) {
        uint64_t e = pte[i];
        if (!(e & PTE_V))
            continue;
        uint64_t va = va_base | (uint64_t)i << (12 + 9 * level);
        /* Bits 63..39 of a valid Sv39 address copy bit 38 (4.4.1). */
        if (va & (1ULL << 38))
            va |= ~((1ULL << 39) - 1);
        uint64_t child = ((e >> 10) & PPN_MASK) << 12;
        if (e & (PTE_R | PTE_X))
            add(w, va, child, 1ULL << (12 + 9 * level), (unsigned)(e & 0xff));
        else if (level > 0)
            walk_table(w, child, level - 1, va & ((1ULL << 39) - 1));
        /* A non-leaf at level 0 is a page fault for the hardware: skip. */
    }
}

int sv39_walk(uint64_t root, sv39_read_fn read, void *arg, struct sv39_range *out, int max,
              int max_tables, bool *truncated)
{
    struct walk w = {read, arg, out, 0, max, 0, max_tables, false};
    walk_table(&w, root, 2, 0);
    *truncated = w.truncated;
    return w.n;
}

void sv39_flags_text(unsigned flags, char out[8])
{
    static const struct {
        unsigned bit;
        char c;
    } bits[] = {{PTE_R, 'r'}, {PTE_W, 'w'}, {PTE_X, 'x'}, {PTE_U, 'u'},
                {PTE_G, 'g'}, {PTE_A, 'a'}, {PTE_D, 'd'}};
    for (int i = 0; i < 7; i++)
        out[i] = flags & bits[i].bit ? bits[i].c : '-';
    out[7] = 0;
}

/* A table through QEMU's physical-memory mode (the caller turned it on). */
static bool read_physical(uint64_t pa, uint64_t pte[512], void *arg)
{
    (void)arg;
    char err[256];
    struct mi_record rec;
    if (gdb_run(&rec, err, sizeof err, "-data-read-memory-bytes 0x%llx 4096",
                (unsigned long long)pa) < 0)
        return false;
    const char *hex = mi_str(json_array_get(json_object_get(rec.results, "memory"), 0), "contents");
    uint8_t bytes[4096];
    bool ok = hex && ss_hex_decode(hex, strlen(hex), bytes, sizeof bytes) == sizeof bytes;
    for (int i = 0; ok && i < 512; i++) {
        uint64_t v = 0;
        for (int b = 7; b >= 0; b--) /* little-endian bytes */
            v = v << 8 | bytes[8 * i + b];
        pte[i] = v;
    }
    mi_record_free(&rec);
    return ok;
}

enum { MAX_RANGES = 4096, MAX_TABLES = 1024 };

void req_page_table(json_t *req, json_t *args)
{
    const char *satp_text = json_string_value(json_object_get(args, "satp"));
    const char *table_text = json_string_value(json_object_get(args, "pageTable"));
    if (!satp_text && !table_text) {
        dap_error(req, "osdbg/pageTable: needs satp or pageTable (hex text)");
        return;
    }
    uint64_t root;
    if (satp_text) {
        uint64_t satp = strtoull(satp_text, 0, 0);
        if (satp >> 60 != SATP_MODE_SV39) {
            dap_error(req, "osdbg/pageTable: satp %s is not in Sv39 mode (MODE=%llu)", satp_text,
                      (unsigned long long)(satp >> 60));
            return;
        }
        root = (satp & PPN_MASK) << 12;
    } else {
        root = strtoull(table_text, 0, 0);
    }
    if (!root || root & 0xfff) {
        dap_error(req, "osdbg/pageTable: 0x%llx is not the address of a page table",
                  (unsigned long long)root);
        return;
    }
    if (S.state != TARGET_STOPPED) {
        dap_error(req, "osdbg/pageTable: the OS is running; pause it first");
        return;
    }
    struct sv39_range *r = malloc(MAX_RANGES * sizeof *r);
    bool truncated;
    char err[64];
    gdb_physical_memory(true);
    gdb_cmd(err, sizeof err, "-gdb-set trust-readonly-sections off");
    int n = sv39_walk(root, read_physical, 0, r, MAX_RANGES, MAX_TABLES, &truncated);
    gdb_cmd(err, sizeof err, "-gdb-set trust-readonly-sections on");
    gdb_physical_memory(false);
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        char va[24], end[24], pa[24], flags[8];
        snprintf(va, sizeof va, "0x%llx", (unsigned long long)r[i].va);
        snprintf(end, sizeof end, "0x%llx", (unsigned long long)(r[i].va + r[i].size));
        snprintf(pa, sizeof pa, "0x%llx", (unsigned long long)r[i].pa);
        sv39_flags_text(r[i].flags, flags);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "va", va, "end", end, "pa",
                                              pa, "flags", flags));
    }
    free(r);
    char root_text[24];
    snprintf(root_text, sizeof root_text, "0x%llx", (unsigned long long)root);
    dap_respond(req, json_pack("{s:s, s:s, s:o, s:b}", "root", root_text, "mode", "Sv39",
                               "mappings", list, "truncated", truncated));
}
