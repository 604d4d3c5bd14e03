/*
 * The virtio-mmio transport: register offsets, device status bits and the
 * transport-level feature bits (virtio 1.2, 4.2 "Virtio Over MMIO", 2.1
 * "Device Status Field", 6 "Reserved Feature Bits").
 *
 * One register block per slot (include/osdbg/memlayout.h).  Version 2 is the
 * modern layout of 4.2.2; version 1 is the legacy layout of 4.2.4, which QEMU
 * uses unless started with -global virtio-mmio.force-legacy=false.  Both
 * share most offsets; the ones only one of them has are marked.
 */
#ifndef KERNEL_VIRTIO_MMIO_H
#define KERNEL_VIRTIO_MMIO_H

#include "types.h"

#define VIRTIO_MMIO_MAGIC_VALUE         0x000 /* reads "virt" (VIRTIO_MAGIC) */
#define VIRTIO_MMIO_VERSION             0x004 /* 1 legacy, 2 modern */
#define VIRTIO_MMIO_DEVICE_ID           0x008 /* 0: empty slot */
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010 /* legacy name: HostFeatures */
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020 /* legacy name: GuestFeatures */
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE     0x028 /* legacy only */
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_ALIGN         0x03c /* legacy only */
#define VIRTIO_MMIO_QUEUE_PFN           0x040 /* legacy only */
#define VIRTIO_MMIO_QUEUE_READY         0x044 /* modern only */
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080 /* modern only, up to CONFIG_GENERATION */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090 /* the available ring */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0 /* the used ring */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100 /* device-specific configuration */

#define VIRTIO_MAGIC 0x74726976 /* "virt", little-endian */

/* InterruptStatus / InterruptACK bits (4.2.2). */
#define VIRTIO_MMIO_INT_VRING  (1u << 0) /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG (1u << 1) /* configuration change */

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* Device types (5). */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3

/* Transport feature bits (6), as bit numbers in the 64-bit feature space. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32 /* required by, and only in, the modern interface */

static inline uint32_t virtio_mmio_read(uint64_t base, uint32_t reg)
{
    return *(volatile uint32_t *)(base + reg);
}

static inline void virtio_mmio_write(uint64_t base, uint32_t reg, uint32_t val)
{
    *(volatile uint32_t *)(base + reg) = val;
}

#endif
