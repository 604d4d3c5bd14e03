#include "bootargs.h"
#include "kstring.h"

bool bootarg_get(const char *cmdline, const char *key, char *value, size_t size)
{
    size_t klen = strlen(key);
    const char *s = cmdline;
    while (*s) {
        while (*s == ' ')
            s++;
        const char *word = s;
        while (*s && *s != ' ')
            s++;
        size_t wlen = (size_t)(s - word);
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
