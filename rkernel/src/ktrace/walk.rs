//! Sv39 page-table walks for the port (RISC-V privileged spec 4.4, 4.3.2),
//! of its own rather than mm's: they run inside probe hits, where only
//! code that is never probed may run (kt_os_kprobe_forbidden), and they
//! allocate nothing.  Physical memory is mapped at the same addresses in
//! the kernel's address space, so a page-table page or a frame is read at
//! its physical address.
use crate::config::PAGE_SIZE;

pub const PTE_V: u64 = 1 << 0;
pub const PTE_R: u64 = 1 << 1;
pub const PTE_W: u64 = 1 << 2;
pub const PTE_X: u64 = 1 << 3;
pub const PTE_U: u64 = 1 << 4;

const PPN_MASK: usize = (1 << 44) - 1;

/// The leaf entry mapping va in the table satp names, and the size of the
/// page it maps (a superpage's too); None if va is not mapped.
pub fn leaf(satp: usize, va: usize) -> Option<(*mut u64, usize)> {
    let mut table = (satp & PPN_MASK) * PAGE_SIZE;
    for level in (0..3).rev() {
        let index = (va >> (12 + 9 * level)) & 0x1ff;
        let pte = (table + index * 8) as *mut u64;
        let e = unsafe { pte.read_volatile() };
        if e & PTE_V == 0 {
            return None;
        }
        if e & (PTE_R | PTE_X) != 0 {
            return Some((pte, PAGE_SIZE << (9 * level)));
        }
        table = ((e >> 10) as usize & PPN_MASK) * PAGE_SIZE;
    }
    None
}

/// The kernel address of va in the table satp names, if its page is
/// mapped with every one of flags.
pub fn kernel_addr(satp: usize, va: usize, flags: u64) -> Option<usize> {
    let (pte, size) = leaf(satp, va)?;
    let e = unsafe { pte.read_volatile() };
    if e & flags != flags {
        return None;
    }
    let base = ((e >> 10) as usize & PPN_MASK) * PAGE_SIZE;
    Some(base + (va & (size - 1)))
}

/// Copies between user memory of the space satp names and a kernel
/// buffer, a page at a time, through the frames; every page must be a user
/// page with flags.  false (some bytes maybe copied) if one is not.
pub fn user_copy(satp: usize, va: usize, buf: *mut u8, n: usize, flags: u64, to_user: bool) -> bool {
    if satp == 0 || va.checked_add(n).is_none() {
        return false;
    }
    let mut done = 0;
    while done < n {
        let at = va + done;
        let chunk = (PAGE_SIZE - at % PAGE_SIZE).min(n - done);
        let k = match kernel_addr(satp, at, flags | PTE_U) {
            Some(k) => k as *mut u8,
            None => return false,
        };
        unsafe {
            if to_user {
                core::ptr::copy_nonoverlapping(buf.add(done), k, chunk);
            } else {
                core::ptr::copy_nonoverlapping(k, buf.add(done), chunk);
            }
        }
        done += chunk;
    }
    true
}
