//! The virtio-mmio transport (virtio 1.2, 4.2 "Virtio Over MMIO"): register
//! offsets, device status bits (2.1), transport feature bits (6), and a safe
//! handle on one slot's register block.
//!
//! QEMU virt has eight slots at 0x10001000 + n * 0x1000
//! (include/osdbg/memlayout.h, VIRTIO_MMIO_*), filled from the top.  Version
//! 1 is the legacy layout of 4.2.4 (QEMU's default), version 2 the modern
//! one of 4.2.2 (`-global virtio-mmio.force-legacy=false`); the driver speaks
//! both, as the C kernel's does, because osdbg's host starts QEMU's default.

/// include/osdbg/memlayout.h: VIRTIO_MMIO_BASE, _SLOTS, _STRIDE.
pub const MMIO_BASE: usize = 0x1000_1000;
pub const MMIO_SLOTS: usize = 8;
pub const MMIO_STRIDE: usize = 0x1000;

// Register offsets (4.2.2; "legacy" / "modern": only in that layout).
pub const MAGIC_VALUE: usize = 0x000; // reads "virt"
pub const VERSION: usize = 0x004;
pub const DEVICE_ID: usize = 0x008; // 0: empty slot
pub const DEVICE_FEATURES: usize = 0x010;
pub const DEVICE_FEATURES_SEL: usize = 0x014;
pub const DRIVER_FEATURES: usize = 0x020;
pub const DRIVER_FEATURES_SEL: usize = 0x024;
pub const GUEST_PAGE_SIZE: usize = 0x028; // legacy
pub const QUEUE_SEL: usize = 0x030;
pub const QUEUE_NUM_MAX: usize = 0x034;
pub const QUEUE_NUM: usize = 0x038;
pub const QUEUE_ALIGN: usize = 0x03c; // legacy
pub const QUEUE_PFN: usize = 0x040; // legacy
pub const QUEUE_READY: usize = 0x044; // modern
pub const QUEUE_NOTIFY: usize = 0x050;
pub const STATUS: usize = 0x070;
pub const QUEUE_DESC_LOW: usize = 0x080; // modern, up to QUEUE_DEVICE_HIGH
pub const QUEUE_DESC_HIGH: usize = 0x084;
pub const QUEUE_DRIVER_LOW: usize = 0x090; // the available ring
pub const QUEUE_DRIVER_HIGH: usize = 0x094;
pub const QUEUE_DEVICE_LOW: usize = 0x0a0; // the used ring
pub const QUEUE_DEVICE_HIGH: usize = 0x0a4;
pub const CONFIG: usize = 0x100; // device-specific configuration
const REGISTER_BLOCK: usize = 0x200; // every offset above is below this

pub const MAGIC: u32 = 0x7472_6976; // "virt", little-endian

// Device status (2.1).
pub const STATUS_ACKNOWLEDGE: u32 = 1;
pub const STATUS_DRIVER: u32 = 2;
pub const STATUS_DRIVER_OK: u32 = 4;
pub const STATUS_FEATURES_OK: u32 = 8;
pub const STATUS_FAILED: u32 = 128;

/// Device type of a console (5).
pub const ID_CONSOLE: u32 = 3;

/// Transport feature bit: required by, and only in, the modern interface (6).
pub const F_VERSION_1: u32 = 32;

/// One slot's register block.  Only `slot` makes one, for a slot inside the
/// region the kernel's address space maps (mm/memory_set.rs maps
/// `drivers::MMIO`), so every access below is to mapped device memory.
#[derive(Clone, Copy)]
pub struct Mmio {
    base: usize,
}

impl Mmio {
    pub fn slot(n: usize) -> Option<Mmio> {
        if n < MMIO_SLOTS {
            Some(Mmio { base: MMIO_BASE + n * MMIO_STRIDE })
        } else {
            None
        }
    }
    /// A 32-bit register (4.2.2: "all register accesses are 32 bits wide").
    pub fn read(&self, reg: usize) -> u32 {
        assert!(reg < REGISTER_BLOCK && reg % 4 == 0);
        // Safety: an aligned word of this slot's mapped register block.
        unsafe { core::ptr::read_volatile((self.base + reg) as *const u32) }
    }
    pub fn write(&self, reg: usize, value: u32) {
        assert!(reg < REGISTER_BLOCK && reg % 4 == 0);
        // Safety: as in read.
        unsafe { core::ptr::write_volatile((self.base + reg) as *mut u32, value) }
    }
    pub fn set_status(&self, bits: u32) {
        self.write(STATUS, self.read(STATUS) | bits);
    }
}
