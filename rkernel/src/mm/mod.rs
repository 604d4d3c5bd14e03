//! Memory: the kernel heap, physical frames, Sv39 page tables, and the
//! address spaces (memory sets) of the kernel and of each process.
mod address;
mod elf;
mod frame_allocator;
mod heap_allocator;
mod memory_set;
mod page_table;

pub use address::{PhysPageNum, VirtAddr, VirtPageNum};
pub use frame_allocator::{frame_alloc, frames_available, FrameTracker};
pub use memory_set::{kernel_satp, MapPermission, MemorySet, KERNEL_SPACE};
pub use page_table::{PTEFlags, translated_byte_buffer, translated_refmut, translated_str, PageTable};

pub fn init_heap() {
    heap_allocator::init_heap();
}

/// Frames from the end of the kernel on, and the kernel's address space on.
pub fn init() {
    frame_allocator::init_frame_allocator();
    KERNEL_SPACE.exclusive_access().activate();
}
