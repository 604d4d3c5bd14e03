//! Physical page frames from the end of the kernel to MEMORY_END: a stack
//! allocator that reuses freed frames first.  A frame is owned by a
//! FrameTracker, which frees it when dropped.
use super::address::{PhysAddr, PhysPageNum};
use crate::config::MEMORY_END;
use crate::sync::UPSafeCell;
use alloc::vec::Vec;
use core::fmt::{self, Debug, Formatter};
use lazy_static::lazy_static;

pub struct FrameTracker {
    pub ppn: PhysPageNum,
}

impl FrameTracker {
    /// A zeroed frame.
    pub fn new(ppn: PhysPageNum) -> Self {
        let page = ppn.get_bytes_array();
        unsafe { core::ptr::write_bytes(page.as_mut_ptr(), 0, page.len()) }; // memset
        Self { ppn }
    }
}

impl Debug for FrameTracker {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_fmt(format_args!("FrameTracker:PPN={:#x}", self.ppn.0))
    }
}

impl Drop for FrameTracker {
    fn drop(&mut self) {
        frame_dealloc(self.ppn);
    }
}

pub struct StackFrameAllocator {
    start: usize,
    current: usize, // next never-used frame
    end: usize,
    recycled: Vec<usize>,
    in_use: Vec<u64>, // a bit per frame: a double free is caught in O(1)
}

impl StackFrameAllocator {
    fn new() -> Self {
        Self { start: 0, current: 0, end: 0, recycled: Vec::new(), in_use: Vec::new() }
    }
    fn init(&mut self, l: PhysPageNum, r: PhysPageNum) {
        self.start = l.0;
        self.current = l.0;
        self.end = r.0;
        self.in_use = alloc::vec![0; (r.0 - l.0 + 63) / 64];
    }
    fn flip(&mut self, ppn: usize) -> bool {
        let i = ppn - self.start;
        let bit = 1u64 << (i % 64);
        self.in_use[i / 64] ^= bit;
        self.in_use[i / 64] & bit != 0
    }
    fn alloc(&mut self) -> Option<PhysPageNum> {
        let ppn = if let Some(ppn) = self.recycled.pop() {
            ppn
        } else if self.current == self.end {
            return None;
        } else {
            self.current += 1;
            self.current - 1
        };
        self.flip(ppn);
        Some(ppn.into())
    }
    fn dealloc(&mut self, ppn: PhysPageNum) {
        let ppn = ppn.0;
        if ppn < self.start || ppn >= self.current || self.flip(ppn) {
            panic!("frame ppn={:#x} has not been allocated", ppn);
        }
        self.recycled.push(ppn);
    }
}

lazy_static! {
    pub static ref FRAME_ALLOCATOR: UPSafeCell<StackFrameAllocator> =
        unsafe { UPSafeCell::new(StackFrameAllocator::new()) };
}

pub fn init_frame_allocator() {
    extern "C" {
        fn ekernel();
    }
    FRAME_ALLOCATOR.exclusive_access().init(
        PhysAddr::from(ekernel as usize).ceil(),
        PhysAddr::from(MEMORY_END).floor(),
    );
}

/// Frames not in use now.
pub fn frames_available() -> usize {
    let a = FRAME_ALLOCATOR.exclusive_access();
    a.end - a.current + a.recycled.len()
}

pub fn frame_alloc() -> Option<FrameTracker> {
    FRAME_ALLOCATOR.exclusive_access().alloc().map(FrameTracker::new)
}

fn frame_dealloc(ppn: PhysPageNum) {
    FRAME_ALLOCATOR.exclusive_access().dealloc(ppn);
}
