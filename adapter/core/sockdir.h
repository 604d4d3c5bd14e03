/*
 * sockdir.h - the private folder of a debug session's Unix sockets
 * ($TMPDIR/osdbg-XXXXXX, mode 0700: QEMU's gdbstub and debug channel, the
 * console and the trace relay).  It is removed with everything in it when
 * the session ends, whatever ended it; folders left by an adapter that was
 * killed (SIGKILL) are swept by the next session.
 */
#ifndef ADAPTER_SOCKDIR_H
#define ADAPTER_SOCKDIR_H

#include <stddef.h>

/* Sweeps stale folders, then makes a new one in $TMPDIR (or /tmp) and
 * records this process as its owner.  Returns 0, or -1 with err set. */
int sockdir_create(char *dir, size_t len, char *err, size_t errlen);
/* Removes the folder and everything in it (no-op for ""). */
void sockdir_remove(const char *dir);
/* Removes the folders of $TMPDIR (or `tmp`) whose owner process is gone;
 * returns how many. */
int sockdir_sweep(const char *tmp);

#endif
