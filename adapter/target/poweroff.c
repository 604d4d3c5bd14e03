/* Breakpoints on the OS's power-off in recorded and replayed sessions
 * (poweroff.h). */
#include "target/poweroff.h"
#include "target/breakpoints.h"
#include "target/state.h"
#include "target/timetravel.h"

#define POWEROFF_MAX 8

static struct {
    bool tried;
    int n;
    int bp[POWEROFF_MAX];         /* GDB breakpoint numbers */
    const char *fn[POWEROFF_MAX]; /* their functions (the profile's strings) */
} off;

void poweroff_arm(void)
{
    if (off.tried || tt_mode() == TT_LIVE || !T.profile || !T.profile->power_off ||
        !T.kernel_di || T.state == TARGET_NONE)
        return;
    off.tried = true;
    /* At each function's first instruction: its caller's frame is the
     * last thing the OS did (a panic's message, an exit code).  One that
     * is no kernel function is said at launch (profile_kernel.c). */
    for (char **f = T.profile->power_off; *f && off.n < POWEROFF_MAX; f++) {
        int n = breakpoint_insert_internal("powerOff", *f, false);
        if (n > 0) {
            off.fn[off.n] = *f;
            off.bp[off.n++] = n;
        }
    }
}

const char *poweroff_hit(int bkptno)
{
    for (int i = 0; bkptno > 0 && i < off.n; i++)
        if (off.bp[i] == bkptno)
            return off.fn[i];
    return 0;
}

void poweroff_reset(void)
{
    off.tried = false;
    off.n = 0;
}
