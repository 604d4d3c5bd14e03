#include "ksyms.h"
#include "kstring.h"

/* Sorted function start addresses, then the end of the text (generated
 * ksyms_data.S; the first link uses an empty table of the same shape, so
 * that the code is the same in both links). */
extern const uint64_t ksym_addrs[];
extern const uint64_t ksym_count;
extern const char ksym_names[]; /* the functions' names, NUL-separated, same order */

uint64_t ksym_func_start(uint64_t addr)
{
    if (ksym_count < 2 || addr < ksym_addrs[0] || addr >= ksym_addrs[ksym_count - 1])
        return 0;
    /* The last start <= addr (the final entry is the end of the text). */
    uint64_t lo = 0, hi = ksym_count - 1;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ksym_addrs[mid] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    return ksym_addrs[lo];
}

uint64_t ksym_lookup(const char *name)
{
    const char *s = ksym_names;
    /* The last address is the end of the text and has no name. */
    for (uint64_t i = 0; i + 1 < ksym_count && *s; i++) {
        if (strcmp(s, name) == 0)
            return ksym_addrs[i];
        s += strlen(s) + 1;
    }
    return 0;
}
