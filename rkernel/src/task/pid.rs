//! Process ids, and each process's kernel stack (in the kernel's address
//! space, at a place its pid decides: config::kernel_stack_position).
use crate::config::{kernel_stack_position, KERNEL_STACK_SIZE};
use crate::mm::{MapPermission, VirtAddr, KERNEL_SPACE};
use crate::sync::UPSafeCell;
use alloc::vec::Vec;
use lazy_static::lazy_static;

/// At most this many processes at once: fork fails beyond it, so that a
/// program forking in a loop meets an error, not an exhausted kernel heap.
pub const MAX_PROCESSES: usize = 128;

struct PidAllocator {
    current: usize,
    recycled: Vec<usize>,
}

impl PidAllocator {
    fn alloc(&mut self) -> Option<PidHandle> {
        if let Some(pid) = self.recycled.pop() {
            Some(PidHandle(pid))
        } else if self.current < MAX_PROCESSES {
            self.current += 1;
            Some(PidHandle(self.current - 1))
        } else {
            None
        }
    }
    fn dealloc(&mut self, pid: usize) {
        assert!(pid < self.current);
        assert!(!self.recycled.iter().any(|p| *p == pid), "pid {} freed twice", pid);
        self.recycled.push(pid);
    }
}

lazy_static! {
    static ref PID_ALLOCATOR: UPSafeCell<PidAllocator> =
        unsafe { UPSafeCell::new(PidAllocator { current: 0, recycled: Vec::new() }) };
}

/// A pid, freed when dropped.
pub struct PidHandle(pub usize);

impl Drop for PidHandle {
    fn drop(&mut self) {
        PID_ALLOCATOR.exclusive_access().dealloc(self.0);
    }
}

pub fn pid_alloc() -> Option<PidHandle> {
    PID_ALLOCATOR.exclusive_access().alloc()
}

pub struct KernelStack {
    pid: usize,
}

impl KernelStack {
    pub fn new(pid_handle: &PidHandle) -> Self {
        let pid = pid_handle.0;
        let (bottom, top) = kernel_stack_position(pid);
        KERNEL_SPACE.exclusive_access().insert_framed_area(
            bottom.into(),
            top.into(),
            MapPermission::R | MapPermission::W,
        );
        KernelStack { pid }
    }
    pub fn get_top(&self) -> usize {
        kernel_stack_position(self.pid).1
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        let (bottom, _) = kernel_stack_position(self.pid);
        let start: VirtAddr = bottom.into();
        KERNEL_SPACE.exclusive_access().remove_area_with_start_vpn(start.floor());
    }
}

const _: () = assert!(KERNEL_STACK_SIZE % 4096 == 0);
