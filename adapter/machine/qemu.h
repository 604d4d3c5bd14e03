/* Starting and watching the QEMU that runs the debugged OS. */
#ifndef ADAPTER_QEMU_H
#define ADAPTER_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct qemu_config {
    const char *binary;       /* qemu-system-riscv64 */
    const char *const *args;  /* machine arguments from the profile, 0-terminated */
    const char *kernel;       /* -kernel */
    const char *append;       /* -append, or 0 */
    bool freeze;              /* -S: wait for the debugger before the first instruction */
    const char *debug_device; /* the debug channel's -device (osdbg/dbgchan.h) */
    const char *dir;          /* QEMU runs there: relative paths in args (a disk image)
                                 are the profile's root's, 0: the adapter's directory */
    bool no_debug_channel;    /* no virtio-serial debug port (a recording: recording.h) */
    const char *const *extra_args; /* after the others (recording_qemu_args), 0-terminated */
};

struct qemu_handlers {
    void (*console)(const char *text, size_t len); /* bytes the OS wrote to its console */
    void (*exited)(int status);                    /* QEMU is gone (status as from waitpid) */
};

/* Start QEMU with its gdbstub and the debug channel on fresh Unix sockets
 * in a private temporary directory; the OS console is QEMU's stdio. */
int qemu_start(const struct qemu_config *cfg, const struct qemu_handlers *h, char *err,
               size_t errlen);
const char *qemu_gdb_socket(void);
const char *qemu_side_socket(void);
/* The session's private directory (sockets live there). */
const char *qemu_socket_dir(void);
pid_t qemu_pid(void);
bool qemu_running(void);
/* Type into the OS console. */
/* Sends text to the OS console's input without blocking (queued); -1 if
 * the OS is not running or 64 MiB are already waiting. */
int qemu_console_input(const char *text, size_t len);
/* Kill QEMU (if running) and remove the socket directory. */
void qemu_stop(void);
/* Kill QEMU and start it again as the last qemu_start did, in the same
 * socket directory (the gdbstub's socket, the console's, stay where they
 * were); the exited handler is not called for the killed one.  A replay
 * goes back to its start so (target/timetravel.h says why). */
int qemu_restart(char *err, size_t errlen);
/* End QEMU with SIGTERM, as a user's Ctrl-C would, so that it finishes
 * what it writes (a record/replay log); killed after ms.  Its wait status,
 * or -1 if it had to be killed (no exited handler is called). */
int qemu_stop_gracefully(long ms);
/* Hand what the OS has written so far (and QEMU has not been read of yet)
 * to the console handler now: a stop's caller wants the output up to the
 * stop before it goes on. */
void qemu_console_drain(void);

#endif
