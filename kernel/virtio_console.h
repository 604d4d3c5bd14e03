/*
 * The debug channel: a port of a virtio console (virtio 1.x spec, 5.3
 * "Console Device") on one of QEMU virt's virtio-mmio slots, wired on the
 * host to a Unix socket (-device virtserialport,chardev=...,nr=1, or a
 * virtconsole; osdbg/dbgchan.h).  A byte pipe between the kernel and the
 * debugger, independent of the OS console on the UART.
 * The kernel works the same whether or not the device is present.
 */
#ifndef KERNEL_VIRTIO_CONSOLE_H
#define KERNEL_VIRTIO_CONSOLE_H

#include "types.h"

/* Called with each batch of received bytes, in interrupt context. */
typedef void (*dbgchan_receiver)(const uint8_t *data, size_t len);

/* Probe all virtio-mmio slots for a console (device id 3), legacy (v1) or
 * modern (v2) transport.  Returns 0 if found and ready, -1 if absent. */
int virtio_console_init(void);
bool dbgchan_present(void);
/* Queue bytes for the host; returns bytes accepted (0 if absent). */
size_t dbgchan_send(const void *data, size_t len);
/* Install the function that receives host bytes (0 = drop them).  Until
 * the first call, received bytes are held (up to 4 KiB, then the host
 * waits) and handed to the first receiver.  Not callable from a receiver. */
void dbgchan_set_receiver(dbgchan_receiver fn);
/* Echo every received byte back to the host (bootarg dbgchan=echo). */
void dbgchan_echo_mode(void);
/* PLIC interrupt for a virtio-mmio slot's irq. */
void virtio_console_intr(int irq);
/* Bytes dbgchan_send can take now without waiting for the host. */
size_t dbgchan_room(void);
/* Bytes dbgchan_send could not queue (transmit ring full for too long). */
uint64_t dbgchan_dropped(void);

#endif
