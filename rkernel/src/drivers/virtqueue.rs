//! Split virtqueues, the driver side (virtio 1.2, 2.7 "Split Virtqueues").
//!
//! A queue is a descriptor table, an available ring (driver -> device) and
//! a used ring (device -> driver) in guest memory, which the device reads
//! and writes while we run: every access to them is volatile, through raw
//! pointers, never through a Rust reference.  Each descriptor owns a fixed
//! BUF_SIZE buffer (descriptor id == buffer index), so nothing is allocated
//! after init; buffers are single descriptors (no chains, no indirect
//! descriptors: those features are never negotiated).  Not locked: the
//! driver serialises all calls.
use core::arch::asm;
use core::ptr::{read_volatile, write_volatile};

pub const QUEUE_SIZE: usize = 16; // entries per queue (the device's maximum may be larger)
/// Four pages of buffers per queue (issue 21): the side-stub sends its events
/// in batches, each buffer a trip into QEMU's socket, and keeps 4 KiB of room
/// for its replies (ktrace/src/sidestub_server.c SEND_SLACK, a multiple).
pub const BUF_SIZE: usize = 1024;
const PAGE_SIZE: usize = 4096;
/// The legacy interface wants the used ring on a QueueAlign boundary and the
/// whole ring physically contiguous (4.2.4); like Linux we pick the page, so
/// a ring spans two pages.  The same layout meets the modern interface's
/// alignments (2.7.1: 16, 2 and 4 bytes).
pub const RING_ALIGN: usize = PAGE_SIZE;
const RING_BYTES: usize = 2 * PAGE_SIZE;

const DESC_BYTES: usize = 16; // 2.7.5: addr u64, len u32, flags u16, next u16
const DESC_F_WRITE: u16 = 2; // the device writes the buffer (else reads it)
const AVAIL_F_NO_INTERRUPT: u16 = 1; // 2.7.7: we poll, no used-buffer interrupts
const USED_F_NO_NOTIFY: u16 = 1; // 2.7.10

/// A queue's memory: the rings, then the buffers.  The kernel maps itself
/// at the same addresses (VA == PA), so a pointer into it is the
/// guest-physical address the device uses.
#[repr(C, align(4096))]
#[derive(Clone, Copy)]
pub struct QueueMem {
    ring: [u8; RING_BYTES],
    bufs: [[u8; BUF_SIZE]; QUEUE_SIZE],
}

impl QueueMem {
    pub const ZERO: QueueMem = QueueMem { ring: [0; RING_BYTES], bufs: [[0; BUF_SIZE]; QUEUE_SIZE] };
}

/// "fence iorw, iorw": orders our ring accesses against the device's view
/// of them and against the later MMIO notify store (the spec's memory
/// barriers, 2.7.13.3.1, 2.7.13.4, 2.7.14).  Also a compiler barrier.
fn fence() {
    unsafe { asm!("fence iorw, iorw") };
}

pub struct VirtQueue {
    index: u16, // queue number on the device (QueueSel, QueueNotify)
    num: u16,   // ring size: a power of 2, at most QUEUE_SIZE
    mem: *mut QueueMem,
    avail_idx: u16, // our copy of avail.idx: free-running, mod 2^16
    last_used: u16, // next used-ring entry to consume, free-running
    free: [u16; QUEUE_SIZE],
    nfree: usize,
}

// Safety: the memory is a static that only this queue uses (see new).
unsafe impl Send for VirtQueue {}

impl VirtQueue {
    /// Lay queue `index` out in mem (zeroed here) with every descriptor free.
    /// Safety: mem is valid for the kernel's lifetime, identity mapped, and
    /// used by no other queue from now on.
    pub unsafe fn new(index: u16, num: u16, mem: *mut QueueMem) -> VirtQueue {
        assert!(num > 0 && num.is_power_of_two() && num as usize <= QUEUE_SIZE);
        // The device does not use the queue yet: a plain memset.
        core::ptr::write_bytes(mem, 0, 1);
        let mut free = [0; QUEUE_SIZE];
        for i in 0..num as usize {
            free[i] = num - 1 - i as u16; // a stack: descriptor 0 is handed out first
        }
        let mut vq = VirtQueue { index, num, mem, avail_idx: 0, last_used: 0, free, nfree: num as usize };
        vq.set_u16(vq.avail_offset(), AVAIL_F_NO_INTERRUPT);
        vq
    }
    pub fn index(&self) -> u16 {
        self.index
    }
    pub fn nfree(&self) -> usize {
        self.nfree
    }

    // 2.7.2: descriptor table, the available ring (flags, idx, ring[num],
    // used_event), the used ring (flags, idx, ring[num] of (id u32, len
    // u32), avail_event) on the next RING_ALIGN boundary.
    fn avail_offset(&self) -> usize {
        DESC_BYTES * self.num as usize
    }
    fn used_offset(&self) -> usize {
        let avail_end = self.avail_offset() + 2 * (3 + self.num as usize);
        (avail_end + RING_ALIGN - 1) & !(RING_ALIGN - 1)
    }
    fn ring(&self) -> *mut u8 {
        self.mem as *mut u8
    }
    pub fn desc_addr(&self) -> u64 {
        self.ring() as u64
    }
    pub fn avail_addr(&self) -> u64 {
        self.desc_addr() + self.avail_offset() as u64
    }
    pub fn used_addr(&self) -> u64 {
        self.desc_addr() + self.used_offset() as u64
    }

    // Volatile accessors; offsets come from the layout above, inside the
    // ring (used_offset + 4 + 8 * num + 2 <= RING_BYTES for num <= 16) and
    // aligned for their type.
    fn set_u16(&mut self, off: usize, v: u16) {
        unsafe { write_volatile(self.ring().add(off) as *mut u16, v) }
    }
    fn get_u16(&self, off: usize) -> u16 {
        unsafe { read_volatile(self.ring().add(off) as *const u16) }
    }
    fn get_u32(&self, off: usize) -> u32 {
        unsafe { read_volatile(self.ring().add(off) as *const u32) }
    }

    /// Buffer id's address (guest-physical).
    fn buf_ptr(&self, id: u16) -> *mut u8 {
        assert!((id as usize) < QUEUE_SIZE);
        unsafe { (*self.mem).bufs[id as usize].as_mut_ptr() }
    }
    /// Copy bytes into buffer id (at most BUF_SIZE); the buffer must not be
    /// in the device's hands.
    pub fn fill(&mut self, id: u16, data: &[u8]) {
        assert!(data.len() <= BUF_SIZE);
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.buf_ptr(id), data.len()) }
    }
    /// Copy buffer id's first len bytes out (the device has returned it).
    pub fn copy_out(&self, id: u16, out: &mut [u8]) {
        assert!(out.len() <= BUF_SIZE);
        unsafe { core::ptr::copy_nonoverlapping(self.buf_ptr(id), out.as_mut_ptr(), out.len()) }
    }

    /// A free descriptor, or None if all are with the device.
    pub fn alloc(&mut self) -> Option<u16> {
        if self.nfree == 0 {
            return None;
        }
        self.nfree -= 1;
        Some(self.free[self.nfree])
    }
    pub fn free(&mut self, id: u16) {
        assert!(self.nfree < self.num as usize);
        self.free[self.nfree] = id;
        self.nfree += 1;
    }

    /// Make descriptor id's buffer (its first len bytes) available to the
    /// device, to read, or to write if device_writes.  The device sees it
    /// after the next notification check (should_notify).
    pub fn submit(&mut self, id: u16, len: usize, device_writes: bool) {
        assert!(id < self.num && len <= BUF_SIZE);
        let d = self.ring() as usize + DESC_BYTES * id as usize;
        unsafe {
            write_volatile(d as *mut u64, self.buf_ptr(id) as u64);
            write_volatile((d + 8) as *mut u32, len as u32);
            write_volatile((d + 12) as *mut u16, if device_writes { DESC_F_WRITE } else { 0 });
        }
        // 2.7.13.2: the head goes in the next free available-ring slot.
        let slot = (self.avail_idx & (self.num - 1)) as usize;
        self.set_u16(self.avail_offset() + 4 + 2 * slot, id);
        // 2.7.13.3.1: the descriptor and ring entry before the new idx.
        fence();
        self.avail_idx = self.avail_idx.wrapping_add(1);
        self.set_u16(self.avail_offset() + 2, self.avail_idx);
    }
    /// Post every free descriptor as a receive buffer.
    pub fn post_all_receive(&mut self) {
        while let Some(id) = self.alloc() {
            self.submit(id, BUF_SIZE, true);
        }
    }

    /// Whether the device wants a notification after submit (2.7.10).
    pub fn should_notify(&self) -> bool {
        // 2.7.13.4: the idx store before reading the device's flag.
        fence();
        self.get_u16(self.used_offset()) & USED_F_NO_NOTIFY == 0
    }

    /// The next buffer the device has finished with: its descriptor and the
    /// bytes it wrote (at most BUF_SIZE).  Ids outside the ring (a broken
    /// device) are skipped.
    pub fn pop_used(&mut self) -> Option<(u16, usize)> {
        loop {
            if self.last_used == self.get_u16(self.used_offset() + 2) {
                return None;
            }
            // 2.7.14: read the entry only after seeing the idx that covers it.
            fence();
            let e = self.used_offset() + 4 + 8 * (self.last_used & (self.num - 1)) as usize;
            let (id, len) = (self.get_u32(e), self.get_u32(e + 4));
            self.last_used = self.last_used.wrapping_add(1);
            if id < self.num as u32 {
                return Some((id as u16, (len as usize).min(BUF_SIZE)));
            }
        }
    }
}
