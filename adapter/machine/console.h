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
/* Bytes the OS wrote: to every connected terminal, and into the history
 * (its last 64 KiB) that each terminal gets first when it connects.
 * Returns true if a terminal shows them or one is expected (then it is the
 * console's display). */
bool console_relay_output(const char *data, size_t len);
/* Time travel: the console's content is now data (the OS's output up to
 * an earlier point): terminals are cleared and shown it, and it is the
 * history a new terminal gets.  false as console_relay_output. */
bool console_relay_reset(const char *data, size_t len);
/* A terminal was asked for (DAP runInTerminal): the output waits for it.
 * If none connects within ms, or console_relay_not_coming() says the editor
 * refused, what waited goes to fallback instead, and so does what follows. */
void console_relay_expect(long ms, void (*fallback)(const char *data, size_t len));
void console_relay_not_coming(void);
void console_relay_stop(void);
/* `osdbg console SOCKET`: the terminal side. */
int console_client_main(const char *path);

#endif
