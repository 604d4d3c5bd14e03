/* fault: a user program that crashes on purpose, by storing to address 0.
 * The kernel must kill it with a message and keep running. */
#include "ulib.h"

int main(void)
{
    printf("fault: about to store to a null pointer\n");
    volatile int *p = 0;
    *p = 1;
    printf("fault: still alive (this must not happen)\n");
    return 0;
}
