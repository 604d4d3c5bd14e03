#include "dwarf/rvregs.h"

#include <osdbg/gpr.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *const rv_reg_names[32] = {"pc", OSDBG_GPR_LIST(OSDBG_GPR_NAME)};

int rv_reg_index(const char *name, size_t n)
{
    for (int i = 0; i < 32; i++)
        if (strlen(rv_reg_names[i]) == n && strncmp(rv_reg_names[i], name, n) == 0)
            return i;
    if (n == 2 && strncmp(name, "fp", 2) == 0)
        return 8;
    if (n >= 2 && n <= 3 && name[0] == 'x' && isdigit((unsigned char)name[1])) {
        int v = atoi(name + 1);
        if ((n == 2 || isdigit((unsigned char)name[2])) && v >= 1 && v < 32)
            return v;
    }
    return -1;
}
