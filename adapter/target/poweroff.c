/* Breakpoints on the OS's power-off in recorded and replayed sessions
 * (poweroff.h). */
#include "target/poweroff.h"
#include "dap/dap.h"
#include "dwarf/debuginfo.h"
#include "gdb/gdb.h"
#include "target/state.h"
#include "target/timetravel.h"

#include <stdlib.h>

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
    for (char **f = T.profile->power_off; *f && off.n < POWEROFF_MAX; f++) {
        uint64_t addr;
        char err[256];
        /* At the function's first instruction: its caller's frame is the
         * last thing the OS did (a panic's message, an exit code). */
        if (debuginfo_function_addr(T.kernel_di, *f, false, &addr) < 0) {
            dap_log("powerOff %s: not a kernel function", *f);
            continue; /* said at launch (profile_kernel.c) */
        }
        struct mi_record rec;
        if (gdb_run(&rec, err, sizeof err, "-break-insert *0x%llx", (unsigned long long)addr) < 0) {
            dap_log("powerOff %s: %s", *f, err);
            continue;
        }
        const char *num = mi_str(rec.results, "bkpt.number");
        if (num && atoi(num) > 0) {
            off.fn[off.n] = *f;
            off.bp[off.n++] = atoi(num);
        }
        mi_record_free(&rec);
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
