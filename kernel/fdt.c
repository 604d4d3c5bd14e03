/*
 * A minimal flattened-device-tree reader (Devicetree Specification v0.4,
 * chapter 5 "Flattened Devicetree (DTB) Format"): walk the structure block,
 * remember /chosen/bootargs and the first /memory node's reg property.
 * All numbers in the blob are big-endian; every access is bounds-checked.
 */
#include "fdt.h"
#include "kstring.h"

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

int fdt_parse(const void *dtb, struct boot_info *out)
{
    const uint8_t *b = dtb;
    memset(out, 0, sizeof *out);
    if (!b || be32(b) != FDT_MAGIC)
        return -1;
    uint32_t total = be32(b + 4), off_struct = be32(b + 8), off_strings = be32(b + 12);
    uint32_t size_strings = be32(b + 32), size_struct = be32(b + 36);
    if (off_struct > total || size_struct > total - off_struct || off_strings > total ||
        size_strings > total - off_strings)
        return -1;

    const uint8_t *s = b + off_struct, *end = s + size_struct;
    int depth = 0;
    bool in_chosen = false, in_memory = false;
    /* #address-cells and #size-cells of the root: 2 and 2 on QEMU virt. */
    while (s + 4 <= end) {
        uint32_t tok = be32(s);
        s += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)s;
            size_t n = strnlen(name, end - s);
            if (s + n >= end)
                return -1;
            depth++;
            if (depth == 2) {
                in_chosen = strcmp(name, "chosen") == 0;
                in_memory = strncmp(name, "memory", 6) == 0 && (name[6] == 0 || name[6] == '@');
            }
            s += (n + 1 + 3) & ~3UL;
        } else if (tok == FDT_END_NODE) {
            if (depth == 2)
                in_chosen = in_memory = false;
            depth--;
        } else if (tok == FDT_PROP) {
            if (s + 8 > end)
                return -1;
            uint32_t len = be32(s), nameoff = be32(s + 4);
            s += 8;
            if (len > (uint64_t)(end - s) || nameoff >= size_strings)
                return -1;
            const char *pname = (const char *)b + off_strings + nameoff;
            if (depth == 2 && in_chosen && strcmp(pname, "bootargs") == 0 && len > 0) {
                size_t k = len < sizeof out->bootargs ? len : sizeof out->bootargs;
                memcpy(out->bootargs, s, k);
                out->bootargs[k - 1] = 0;
            } else if (depth == 2 && in_memory && strcmp(pname, "reg") == 0 && len >= 16 &&
                       out->ram_size == 0) {
                out->ram_base = be64(s);
                out->ram_size = be64(s + 8);
            }
            s += (len + 3) & ~3UL;
        } else if (tok == FDT_NOP) {
            continue;
        } else if (tok == FDT_END) {
            return 0;
        } else {
            return -1;
        }
    }
    return -1;
}
