/*
 * The OS console for terminals: a Unix socket in the session's directory
 * relays QEMU's console both ways, so that `osdbg console SOCKET` (run by
 * the editor through DAP runInTerminal, or by hand) is a real terminal on
 * the OS's shell while the debugger runs.
 */
#ifndef ADAPTER_CONSOLE_H
#define ADAPTER_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* Listen on path; bytes from clients go to the OS console. */
int console_relay_start(const char *path, char *err, size_t errlen);
/* Bytes the OS wrote: to every connected terminal.  Returns true if at
 * least one terminal is connected (then it is the console's display). */
bool console_relay_output(const char *data, size_t len);
void console_relay_stop(void);
/* `osdbg console SOCKET`: the terminal side. */
int console_client_main(const char *path);

#endif
