//! Device drivers.  One so far: the debug channel, a virtio console
//! (dbgchan.rs, virtio_console.rs) on virtio-mmio (virtio_mmio.rs) with
//! split virtqueues (virtqueue.rs).
//!
//! Polled, not interrupt-driven: this kernel runs with interrupts off in
//! S-mode and has no PLIC driver.  `poll` runs on every trap from user mode
//! (system calls, and the 100 Hz timer), where it handles the device's
//! control messages, reclaims finished transmit buffers, and echoes when
//! asked to.  The queues ask the device for no used-buffer interrupts
//! (VRING_AVAIL_F_NO_INTERRUPT).  Received bytes wait in the device's ring
//! until the channel's user calls `dbgchan::poll`.
pub mod dbgchan;
mod virtio_console;
mod virtio_mmio;
mod virtqueue;

/// Device memory the kernel's address space maps (start, length): the
/// virtio-mmio slots.
pub const MMIO: &[(usize, usize)] =
    &[(virtio_mmio::MMIO_BASE, virtio_mmio::MMIO_SLOTS * virtio_mmio::MMIO_STRIDE)];

/// After the kernel's address space is active: find the devices.
pub fn init() {
    dbgchan::init();
    let echo = crate::bootargs::get().split_whitespace().any(|w| w == "dbgchan=echo");
    dbgchan::set_echo(echo);
}

/// The trap path's (and so the timer tick's) look at the devices.
pub fn poll() {
    dbgchan::service();
}
