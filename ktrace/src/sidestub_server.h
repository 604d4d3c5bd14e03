/*
 * The side-stub: a server inside the kernel on the debug channel (the
 * virtio console), speaking the side-stub protocol (GDB RSP framing;
 * docs/side-stub-protocol.md) so that the host can trace the running OS
 * without stopping it.  Started at boot when the channel exists.
 */
#ifndef KERNEL_SIDESTUB_SERVER_H
#define KERNEL_SIDESTUB_SERVER_H

void sidestub_init(void);
/* If the debugger asked for it (sidestub_wait_ms), wait at boot until it
 * sends vTGo or the time is up, so its probes are in place before init. */
void sidestub_wait(void);
/* From the timer interrupt: send queued events, retransmit unacknowledged
 * replies. */
void sidestub_tick(void);
/* On the way back to user mode (interrupts off): send queued events if
 * some wait and the last send was at least a millisecond ago, so an event
 * reaches the host well before the next timer tick. */
void sidestub_poll(void);
/* Send every queued event now (before power-off). */
void sidestub_flush(void);

#endif
