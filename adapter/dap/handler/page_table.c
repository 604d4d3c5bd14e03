/*
 * osdbg/pageTable (custom) {satp | pageTable} (hex text): the mappings of
 * an Sv39 page table, {root, mode, mappings: [{va, end, pa, flags}],
 * truncated}, numbers as hex text; read through QEMU's physical-memory
 * mode and walked by target/pagetable.c.  Only while the OS is stopped.
 */
#include "dap/handler/handlers.h"
#include "gdb/gdb.h"
#include "target/pagetable.h"
#include "target/state.h"

#include <sidestub.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (T.state != TARGET_STOPPED) {
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
