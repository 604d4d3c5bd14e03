/*
 * The side-stub: a server inside the kernel on the debug channel (the OS's
 * kt_os_chan_* and kt_sidestub_input), speaking the side-stub protocol (GDB
 * RSP framing; docs/side-stub-protocol.md) so that the host can trace the
 * running OS without stopping it.  Started at boot when the channel exists.
 * What the OS calls (kt_sidestub_init, _input, _wait, _tick, _poll,
 * _flush) is in ktrace.h.
 */
#ifndef KTRACE_SIDESTUB_SERVER_H
#define KTRACE_SIDESTUB_SERVER_H

#include "ktrace.h"

/* How long kt_sidestub_wait waits for the debugger's vTGo, in ms: the
 * debugger writes it (by this name, through GDB) before the kernel's first
 * instruction.  0: no wait. */
extern volatile uint64_t sidestub_wait_ms;

#endif
