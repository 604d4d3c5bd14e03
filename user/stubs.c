/* stubs: writes through an assembly system call stub (user/lib/usys_asm.S),
 * as every xv6 program does: the debugger must unwind through a leaf with
 * no call-frame information. */
#include "ulib.h"

long asm_write(int fd, const void *buf, long n);

int main(void)
{
    static const char msg[] = "stubs: through an assembly stub\n";
    asm_write(1, msg, sizeof msg - 1);
    return 0;
}
