//! The kernel heap: a buddy allocator over a static array.  Blocks are powers
//! of two from 16 bytes up; a free block's first word links it into the
//! free list of its size; freeing merges a block with its free buddy.
use crate::config::KERNEL_HEAP_SIZE;
use crate::sync::UPSafeCell;
use core::alloc::{GlobalAlloc, Layout};

const MIN_ORDER: usize = 4; // 16 bytes: room for the link
const ORDERS: usize = 32;

struct Buddy {
    free: [usize; ORDERS], // head of each order's free list, 0 = empty
}

impl Buddy {
    const fn empty() -> Self {
        Buddy { free: [0; ORDERS] }
    }

    fn push(&mut self, order: usize, block: usize) {
        unsafe { *(block as *mut usize) = self.free[order] };
        self.free[order] = block;
    }

    /// Take block off order's list if it is there.
    fn take(&mut self, order: usize, block: usize) -> bool {
        let mut link: *mut usize = &mut self.free[order];
        unsafe {
            while *link != 0 {
                if *link == block {
                    *link = *(block as *const usize);
                    return true;
                }
                link = *link as *mut usize;
            }
        }
        false
    }

    fn init(&mut self, base: usize, size: usize) {
        // Carve [base, base + size) into aligned power-of-two blocks.
        let (mut start, end) = (base, base + size);
        while start + (1 << MIN_ORDER) <= end {
            let mut order = start.trailing_zeros() as usize;
            while order >= ORDERS || start + (1 << order) > end {
                order -= 1;
            }
            self.push(order, start);
            start += 1 << order;
        }
    }

    fn order_of(layout: &Layout) -> usize {
        let size = layout.size().max(layout.align()).max(1 << MIN_ORDER);
        size.next_power_of_two().trailing_zeros() as usize
    }

    fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let want = Self::order_of(&layout);
        let mut order = want;
        while order < ORDERS && self.free[order] == 0 {
            order += 1;
        }
        if order == ORDERS {
            return core::ptr::null_mut();
        }
        let block = self.free[order];
        self.free[order] = unsafe { *(block as *const usize) };
        while order > want {
            order -= 1;
            self.push(order, block + (1 << order)); // the upper half is free
        }
        block as *mut u8
    }

    fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        let mut order = Self::order_of(&layout);
        let mut block = ptr as usize;
        while order + 1 < ORDERS {
            // Blocks are aligned to their size (init carves them so), so a
            // block's buddy differs in one address bit.  It merges only if
            // it is on the free list, hence inside the heap.
            let buddy = block ^ (1 << order);
            if !self.take(order, buddy) {
                break;
            }
            block = block.min(buddy);
            order += 1;
        }
        self.push(order, block);
    }
}

struct Heap(UPSafeCell<Buddy>);

// Safety: one hart, and allocation never happens in an interrupt handler.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0.exclusive_access().alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.0.exclusive_access().dealloc(ptr, layout)
    }
}

#[global_allocator]
static HEAP: Heap = Heap(unsafe { UPSafeCell::new(Buddy::empty()) });

static mut HEAP_SPACE: [u8; KERNEL_HEAP_SIZE] = [0; KERNEL_HEAP_SIZE];

pub fn init_heap() {
    unsafe {
        HEAP.0
            .exclusive_access()
            .init(HEAP_SPACE.as_ptr() as usize, KERNEL_HEAP_SIZE);
    }
}

#[alloc_error_handler]
pub fn handle_alloc_error(layout: Layout) -> ! {
    panic!("kernel heap exhausted: {:?}", layout);
}
