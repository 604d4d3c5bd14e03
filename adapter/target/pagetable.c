#include "target/pagetable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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

