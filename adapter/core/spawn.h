/* Starting a helper program (GDB, QEMU) with its stdin/stdout on pipes. */
#ifndef ADAPTER_SPAWN_H
#define ADAPTER_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* Run argv (found on PATH) in directory dir (0: the adapter's), in its own
 * process group, with stdin from *to_child and stdout+stderr to *from_child
 * (both close-on-exec in the adapter).  A failure to enter dir or to exec
 * is reported here, not as a child that exits at once.  Returns the pid,
 * or -1 with a message in err. */
pid_t spawn_piped(const char *dir, const char *const argv[], int *to_child, int *from_child,
                  char *err, size_t errlen);

#endif
