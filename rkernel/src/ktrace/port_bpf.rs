//! The Rust kernel's side of ktrace's port, the bpf() section
//! (ktrace/include/ktrace_os.h): user and kernel memory, where the kernel's
//! code and stacks are, bpf() descriptors in the process's file table
//! (task/files.rs), the JIT's pages, waiting.  A space is a page table's
//! satp.  Memory is reached by the port's own walks (walk.rs): the helpers
//! and the stack walker call these inside probe hits.
use super::api::KtUserStack;
use super::ffi::{c_int, c_void};
use super::walk::{self, PTE_R, PTE_W, PTE_X};
use super::{tasks, text};
use crate::config::{kernel_stack_position, KERNEL_STACK_SIZE, MEMORY_END, PAGE_SIZE, TRAMPOLINE};
use crate::mm::{frame_alloc, kernel_satp, FrameTracker};
use crate::trap::TrapContext;
use alloc::vec::Vec;
use core::arch::asm;
use spin::Mutex;

/// errno values (include/osdbg/errno.h, Linux's).
pub const EFAULT: c_int = 14;
pub const EBADF: c_int = 9;
pub const EMFILE: c_int = 24;

// ---- memory ----

/// # Safety
/// buf has room for n bytes.
#[no_mangle]
pub unsafe extern "C" fn kt_os_user_read(space: u64, addr: u64, buf: *mut c_void, n: usize) -> c_int {
    if walk::user_copy(space as usize, addr as usize, buf as *mut u8, n, PTE_R, false) { 0 } else { -EFAULT }
}

/// Only what the program itself could write: user pages mapped W.
///
/// # Safety
/// buf holds n bytes.
#[no_mangle]
pub unsafe extern "C" fn kt_os_user_write(space: u64, addr: u64, buf: *const c_void, n: usize) -> c_int {
    if walk::user_copy(space as usize, addr as usize, buf as *mut u8, n, PTE_W, true) { 0 } else { -EFAULT }
}

/// The kernel's own memory starts at its image (0x80200000): below are the
/// devices' registers (mapped, but a read has effects) and OpenSBI.
fn kernel_readable(addr: usize, n: usize) -> bool {
    let end = match addr.checked_add(n) {
        Some(e) => e,
        None => return false,
    };
    if addr < text::kernel_text().0 {
        return false;
    }
    let satp = kernel_satp();
    let mut page = addr & !(PAGE_SIZE - 1);
    while page < end {
        if walk::kernel_addr(satp, page, PTE_R).is_none() {
            return false;
        }
        page += PAGE_SIZE;
    }
    true
}

#[no_mangle]
pub extern "C" fn kt_os_kernel_readable(addr: u64, n: usize) -> bool {
    kernel_readable(addr as usize, n)
}

/// # Safety
/// lo and hi point to writable words.
#[no_mangle]
pub unsafe extern "C" fn kt_os_kernel_text(lo: *mut u64, hi: *mut u64) {
    let (l, h) = text::kernel_text();
    *lo = l as u64;
    *hi = h as u64;
}

// ---- stacks ----

/// The boot stack (entry.asm), where the kernel runs before the first
/// process.
const BOOT_STACK_PAGES: usize = 16;

/// The kernel stack sp points into, [sp, its top): a process's
/// (config::kernel_stack_position: two pages each below the trampoline,
/// between unmapped guard pages, above all of physical memory), or the
/// boot stack.  sp + a fixed depth would wrap past 2^64 for the stacks
/// right below the trampoline (every bpf_get_stack of a system call
/// failed).
fn kernel_stack_top(sp: usize) -> Option<usize> {
    extern "C" {
        fn boot_stack_top();
    }
    let boot_top = boot_stack_top as usize;
    if sp < boot_top && sp >= boot_top - BOOT_STACK_PAGES * PAGE_SIZE {
        return Some(boot_top);
    }
    if sp < MEMORY_END || sp >= TRAMPOLINE {
        return None;
    }
    let (bottom, top) = kernel_stack_position((TRAMPOLINE - 1 - sp) / (KERNEL_STACK_SIZE + PAGE_SIZE));
    if sp >= bottom && sp < top { Some(top) } else { None }
}

/// # Safety
/// lo and hi point to writable words.
#[no_mangle]
pub unsafe extern "C" fn kt_os_kernel_stack(sp: u64, lo: *mut u64, hi: *mut u64) -> bool {
    match kernel_stack_top(sp as usize) {
        Some(top) => {
            *lo = sp;
            *hi = top as u64;
            true
        }
        None => false,
    }
}

/// The current task's user stack, code and registers (its trap context:
/// x0..x31, then sepc), from its published facts.
fn user_stack(u: &mut KtUserStack) -> bool {
    let f = match tasks::current() {
        Some(f) if f.space != 0 && f.trap_cx != 0 => f,
        _ => return false,
    };
    let cx = unsafe { &*(f.trap_cx as *const TrapContext) };
    u.space = f.space as u64;
    u.stack_lo = f.stack.0 as u64;
    u.stack_hi = f.stack.1 as u64;
    u.text_lo = f.text.0 as u64;
    u.text_hi = f.text.1 as u64;
    u.regs[0] = cx.sepc as u64;
    for i in 1..32 {
        u.regs[i] = cx.x[i] as u64;
    }
    true
}

/// # Safety
/// u points to a struct kt_user_stack.
#[no_mangle]
pub unsafe extern "C" fn kt_os_user_stack(u: *mut KtUserStack) -> bool {
    user_stack(&mut *u)
}

// ---- descriptors (task/files.rs) ----

#[no_mangle]
pub extern "C" fn kt_os_fd_install(kind: c_int, id: c_int) -> i64 {
    match crate::task::install_bpf_file(kind, id) {
        Some(fd) => fd as i64,
        None => -EMFILE as i64,
    }
}

#[no_mangle]
pub extern "C" fn kt_os_fd_lookup(fd: c_int, kind: c_int) -> c_int {
    crate::task::lookup_bpf_file(fd, kind).unwrap_or(-EBADF)
}

// ---- the JIT's pages ----
// A frame of the kernel's RAM, which the kernel maps R-W a page at a time
// (mm: identical areas of 4 KiB pages): made R-X when sealed, R-W again
// before it is freed, never both writable and executable.

static CODE_PAGES: Mutex<Vec<FrameTracker>> = Mutex::new(Vec::new());

#[no_mangle]
pub extern "C" fn kt_os_code_page_alloc() -> *mut c_void {
    match frame_alloc() {
        Some(frame) => {
            let addr = frame.ppn.0 * PAGE_SIZE;
            CODE_PAGES.lock().push(frame);
            addr as *mut c_void
        }
        None => core::ptr::null_mut(),
    }
}

fn set_executable(page: usize, exec: bool) {
    if let Some((pte, _)) = walk::leaf(kernel_satp(), page) {
        unsafe {
            let e = pte.read_volatile();
            pte.write_volatile(if exec { (e & !PTE_W) | PTE_X } else { (e & !PTE_X) | PTE_W });
            asm!("sfence.vma {}", "fence.i", in(reg) page);
        }
    }
}

#[no_mangle]
pub extern "C" fn kt_os_code_page_seal(page: *mut c_void) {
    set_executable(page as usize, true);
}

#[no_mangle]
pub extern "C" fn kt_os_code_page_free(page: *mut c_void) {
    set_executable(page as usize, false);
    let mut pages = CODE_PAGES.lock();
    if let Some(i) = pages.iter().position(|f| f.ppn.0 * PAGE_SIZE == page as usize) {
        pages.swap_remove(i); // the frame goes back to the allocator
    }
}

// ---- waiting ----

/// Another task runs for a while (only a second bpf() command arriving
/// while one is under way waits; in this kernel, which never preempts a
/// system call, that does not happen).
#[no_mangle]
pub extern "C" fn kt_os_yield() {
    if crate::task::current_task().is_some() {
        crate::task::suspend_current_and_run_next();
    }
}
