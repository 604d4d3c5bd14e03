/* A small allocator on memory from sbrk: freed blocks go to a first-fit free
 * list; new blocks are carved from the current sbrk chunk.  Blocks are not
 * merged (the programs here are short-lived). */
#include "ulib.h"

#define CHUNK 16384

struct block {
    size_t size; /* bytes after the header */
    struct block *next_free;
};

static struct block *free_list;
static char *chunk_next, *chunk_end;

void *malloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    for (struct block **pp = &free_list; *pp; pp = &(*pp)->next_free) {
        if ((*pp)->size >= n) {
            struct block *b = *pp;
            *pp = b->next_free;
            return b + 1;
        }
    }
    size_t need = n + sizeof(struct block);
    if ((size_t)(chunk_end - chunk_next) < need) {
        size_t grow = need > CHUNK ? need : CHUNK;
        char *mem = sbrk((long)grow);
        if ((long)mem < 0)
            return 0;
        chunk_next = mem;
        chunk_end = mem + grow;
    }
    struct block *b = (struct block *)chunk_next;
    chunk_next += need;
    b->size = n;
    return b + 1;
}

void free(void *p)
{
    if (!p)
        return;
    struct block *b = (struct block *)p - 1;
    b->next_free = free_list;
    free_list = b;
}
