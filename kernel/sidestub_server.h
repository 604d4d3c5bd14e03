/*
 * The side-stub: a server inside the kernel on the debug channel (the
 * virtio console), speaking the side-stub protocol (GDB RSP framing;
 * docs/side-stub-protocol.md) so that the host can trace the running OS
 * without stopping it.  Started at boot when the channel exists.
 */
#ifndef KERNEL_SIDESTUB_SERVER_H
#define KERNEL_SIDESTUB_SERVER_H

void sidestub_init(void);
/* From the timer interrupt: send queued events, retransmit unacknowledged
 * replies. */
void sidestub_tick(void);

#endif
