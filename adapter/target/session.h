/*
 * A debug session's life on the target side (session.c): launch or attach,
 * restart, the end.  The DAP handlers (dap/handler/launch.c) drive it.
 */
#ifndef ADAPTER_TARGET_SESSION_H
#define ADAPTER_TARGET_SESSION_H

#include "gdb/gdb.h"
#include "machine/qemu.h"
#include <stdbool.h>
#include <stddef.h>

/* The profile at path and the kernel's debug information (T.profile,
 * T.kernel_di, T.kernel_base).  -1 with err if the profile is wrong or
 * the kernel ELF is missing. */
int session_load_profile(const char *path, char *err, size_t errlen);
/* GDB with the kernel's symbols, connected to the gdbstub at target (a
 * Unix socket path or host:port); the target is then stopped. */
int session_connect_gdb(const char *target, const struct gdb_handlers *handlers, char *err,
                        size_t errlen);
/* QEMU frozen before its first instruction, and GDB connected to it. */
int session_start_machine(const char *boot_args, const struct qemu_handlers *qh,
                          const struct gdb_handlers *gh, char *err, size_t errlen);
/* The next machines' extra QEMU arguments (0-terminated, kept by the
 * caller) and whether they go without the debug channel: a recording. */
void session_set_machine_extras(const char *const *extra, bool no_debug_channel);
/* QEMU has exited. */
void session_machine_gone(void);
/* Stop QEMU (if launched) and GDB: the adapter is leaving. */
void session_shutdown(void);
/* Forget what the last machine taught us (liveness, seen programs, hooks,
 * a step in progress) before a restart. */
void session_reset_for_restart(void);

#endif
