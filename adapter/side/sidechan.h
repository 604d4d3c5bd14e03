/*
 * The side channel's one owner: the adapter's connection to the kernel's
 * side-stub (over QEMU's debug-channel socket), made on first use while the
 * OS runs, watched by the event loop, closed with the session.
 *
 * Whoever attaches a probe subscribes to its id; each event goes to its
 * probe's subscriber (eBPF logpoints and console traces in tracecmd.c, a
 * terminal's probes in siderelay.c).  An event nobody subscribed to (a probe
 * whose attach was given up and is being detached) is logged and dropped.
 */
#ifndef ADAPTER_SIDECHAN_H
#define ADAPTER_SIDECHAN_H

#include "side/sideclient.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The connection, made if there is none (the OS must be running): 0 with a
 * message in err if it cannot be. */
struct side_client *sidechan_get(char *err, size_t errlen);
/* The same, waiting at most ms for the side-stub's first answer. */
struct side_client *sidechan_connect(long ms, char *err, size_t errlen);
/* The connection if there is one, else 0 (never connects). */
struct side_client *sidechan_current(void);
void sidechan_close(void);

typedef void (*sidechan_event_fn)(const struct ss_event *ev, void *arg);
/* Events of probe id go to fn (replacing an earlier subscriber). */
void sidechan_subscribe(uint32_t probe, sidechan_event_fn fn, void *arg);
void sidechan_unsubscribe(uint32_t probe);

/* What the owner tells its listeners, in the order they registered
 * (logpoints.c first: it flushes its buffered lines, so that tracecmd.c's
 * notice of a loss comes after them): events lost before the next one
 * (sequence gaps), the end of each read of the socket, the connection's
 * end.  Any member may be 0.  At most 4 listeners. */
struct sidechan_listener {
    void (*lost)(uint64_t n);
    void (*after_read)(void);
    void (*closed)(void);
};
void sidechan_listen(const struct sidechan_listener *l);

/* Seconds from the first event of any probe since the connection was
 * made to ev (the side-stub's TimeFreq), for {time} and trace lines. */
double sidechan_seconds(const struct ss_event *ev);

#endif
