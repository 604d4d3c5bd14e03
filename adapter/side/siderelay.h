/*
 * The debug channel shared with terminals.  QEMU's side-stub socket takes
 * one client, and a debug session holds it (its logpoints and `trace`
 * commands); `osdbg trace --socket <dir>/trace.sock` in a terminal joins the
 * same OS through the adapter instead.  Each relay client speaks the
 * side-stub protocol (docs/side-stub-protocol.md) as if it were alone: its
 * requests go to the kernel one at a time, its replies come back, and it
 * gets the events of the probes it attached, numbered in a sequence of its
 * own.  Probes a client leaves attached are detached when it goes.
 */
#ifndef ADAPTER_SIDERELAY_H
#define ADAPTER_SIDERELAY_H

#include <sidestub.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Listen on path (in the session's socket folder). */
int siderelay_start(const char *path, char *err, size_t errlen);
/* Whether a relay client attached probe id (for listings). */
bool siderelay_owns(uint32_t id);
/* The session ends: clients are disconnected, the socket removed. */
void siderelay_stop(void);

#endif
