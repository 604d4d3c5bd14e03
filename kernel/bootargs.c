#include "bootargs.h"
#include "kstring.h"
#include "printf.h"

/* The next space-separated word of *s (its length in *len, 0 at the end),
 * and *s moved past it. */
static const char *next_word(const char **s, size_t *len)
{
    while (**s == ' ')
        (*s)++;
    const char *word = *s;
    while (**s && **s != ' ')
        (*s)++;
    *len = (size_t)(*s - word);
    return word;
}

bool bootarg_get(const char *cmdline, const char *key, char *value, size_t size)
{
    size_t klen = strlen(key), wlen;
    for (const char *s = cmdline, *word; (word = next_word(&s, &wlen)), wlen;) {
        if (wlen >= klen && strncmp(word, key, klen) == 0 && (wlen == klen || word[klen] == '=')) {
            if (value && size) {
                size_t vlen = wlen > klen ? wlen - klen - 1 : 0;
                if (vlen >= size)
                    vlen = size - 1;
                memcpy(value, word + klen + 1, vlen);
                value[vlen] = 0;
            }
            return true;
        }
    }
    return false;
}

int bootargs_report_unknown(const char *cmdline, const char *const *known)
{
    int unknown = 0;
    size_t wlen;
    for (const char *s = cmdline, *word; (word = next_word(&s, &wlen)), wlen;) {
        size_t klen = 0;
        while (klen < wlen && word[klen] != '=')
            klen++;
        bool found = false;
        for (int i = 0; known[i] && !found; i++)
            found = strlen(known[i]) == klen && strncmp(word, known[i], klen) == 0;
        if (found)
            continue;
        unknown++;
        char text[64]; /* the kernel's printf has no %.*s */
        size_t n = wlen < sizeof text - 1 ? wlen : sizeof text - 1;
        memcpy(text, word, n);
        text[n] = 0;
        printf("[kernel] boot argument \"%s\" not understood; known:", text);
        for (int i = 0; known[i]; i++)
            printf(" %s", known[i]);
        printf("\n");
    }
    return unknown;
}
