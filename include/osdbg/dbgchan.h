/*
 * The debug channel's QEMU device, shared by the kernel's driver
 * (kernel/virtio_console.c), the adapter (adapter/machine/qemu.c, adapter/cmd/run.c)
 * and the make rules (kernel/kernel.mk spells the same device).
 *
 * The channel is a port of a virtio-serial device (virtio 1.2, 5.3).  osdbg
 * starts it as a generic serial port, number DBGCHAN_SERIAL_PORT, whose
 * host side QEMU throttles (no byte is dropped when the debugger reads
 * slowly); a kernel whose driver does not speak MULTIPORT can only see
 * port 0, a console port, which QEMU lets drop bytes.  A profile chooses
 * with "qemu.debugChannel" (docs/profiles.md).
 */
#ifndef OSDBG_DBGCHAN_H
#define OSDBG_DBGCHAN_H

#define DBGCHAN_SERIAL_PORT 1                /* port number of the serial port */
#define DBGCHAN_PORT_NAME   "org.osdbg.side" /* its name (VIRTIO_CONSOLE_PORT_NAME) */

/* The "-device" arguments, after "-device virtio-serial-device" and a
 * "-chardev socket,id=" DBGCHAN_CHARDEV_ID. */
#define DBGCHAN_CHARDEV_ID "osdbgside"
#define DBGCHAN_DEVICE_SERIALPORT                                                                  \
    "virtserialport,chardev=" DBGCHAN_CHARDEV_ID ",nr=1,name=" DBGCHAN_PORT_NAME
#define DBGCHAN_DEVICE_CONSOLE "virtconsole,chardev=" DBGCHAN_CHARDEV_ID

#endif
