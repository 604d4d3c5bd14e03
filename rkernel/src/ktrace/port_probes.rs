//! The Rust kernel's side of ktrace's port, the probes and side-stub
//! section (ktrace/include/ktrace_os.h): kernel text, what must not be
//! probed, the tasks and their spaces for uprobes, the uprobe slot page,
//! and the debug channel (drivers::dbgchan).  A space is a page table's
//! satp; a task is its TaskControlBlock's address (tasks.rs).
use super::api::KtTask;
use super::ffi::{c_char, c_int, c_str, c_void};
use super::port_bpf::EFAULT;
use super::walk::{kernel_addr, PTE_U, PTE_X};
use super::{ksyms, tasks, text, utext};
use crate::config::{PAGE_SIZE, UPROBE_SLOT_PAGE};
use crate::drivers::dbgchan;
use crate::task::TaskControlBlock;

const ENOMEM: c_int = 12;
const ESRCH: c_int = 3;
const EBUSY: c_int = 16;

// ---- kernel text ----

/// # Safety
/// bytes points to n bytes.
#[no_mangle]
pub unsafe extern "C" fn kt_os_kernel_write_text(addr: u64, bytes: *const c_void, n: usize) -> c_int {
    let bytes = core::slice::from_raw_parts(bytes as *const u8, n);
    match text::write_kernel_text(addr as usize, bytes) {
        Ok(()) => 0,
        Err(_) => -EFAULT,
    }
}

extern "C" {
    // linker.ld
    fn noprobe_start();
    fn noprobe_end();
    fn strampoline();
}

/// Why a kprobe must never go at addr, if it must not.  What a probe hit
/// runs must be free of probes: a break there would trap inside its own
/// handling.  linker.ld gathers the kernel's part of it (the trap path,
/// ktrace and this port, the timer, sbi, the console, the debug channel,
/// the C libraries, the slots) between noprobe_start and noprobe_end; the
/// Rust libraries the port is built of (core, alloc, spin: generic code is
/// instantiated into the kernel's own objects) are known by their names.
fn kprobe_forbidden(addr: usize) -> Option<&'static [u8]> {
    if addr >= noprobe_start as usize && addr < noprobe_end as usize {
        return Some(
            b"the trap path, ktrace and its port, the timer, the console, the debug channel and the C \
              libraries are not probeable (a probe there would trap inside its own handling)\0",
        );
    }
    if addr >= strampoline as usize && addr < strampoline as usize + PAGE_SIZE {
        return Some(b"the user/kernel trampoline is not probeable\0");
    }
    match ksyms::ksym_name(addr) {
        Some((name, _)) if name.contains("::") && !name.starts_with("os::") && !name.starts_with("<os::") => {
            Some(b"Rust's libraries (core, alloc, spin) run inside every probe hit: not probeable\0")
        }
        _ => None,
    }
}

#[no_mangle]
pub extern "C" fn kt_os_kprobe_forbidden(addr: u64) -> *const c_char {
    kprobe_forbidden(addr as usize).map_or(core::ptr::null(), |why| why.as_ptr())
}

// ---- user spaces ----

fn kt_task(f: &tasks::TaskFacts) -> KtTask {
    KtTask { pid: f.pid as i32, tgid: f.pid as i32, task: f.task as u64, space: f.space as u64, comm: f.name }
}

/// fn(t, arg) for every live task with a space (tasks.rs: exited ones are
/// not; one being created is published once it has its program).
#[no_mangle]
pub extern "C" fn kt_os_each_task(f: extern "C" fn(*const KtTask, *mut c_void), arg: *mut c_void) {
    for facts in tasks::live() {
        let t = kt_task(&facts);
        f(&t, arg);
    }
}

/// Instruction bytes into a space's text (user pages mapped X), through
/// its frames' kernel addresses, by the torn-write rule (text::patch).
fn user_write_text(space: usize, va: usize, bytes: &[u8]) -> bool {
    let n = bytes.len();
    if va & 1 != 0 || n < 2 || n % 2 != 0 || n > 8 {
        return false;
    }
    let page = |a: usize| kernel_addr(space, a, PTE_X | PTE_U);
    match (page(va), page(va.wrapping_add(2)), page(va.wrapping_add(n - 1))) {
        (Some(lo), _, _) if n == 2 => text::patch(lo, lo, bytes),
        (Some(lo), Some(hi), Some(last)) if last == hi + n - 3 => text::patch(lo, hi, bytes),
        _ => false,
    }
}

/// # Safety
/// bytes points to n bytes.
#[no_mangle]
pub unsafe extern "C" fn kt_os_user_write_text(space: u64, addr: u64, bytes: *const c_void, n: usize) -> c_int {
    let bytes = core::slice::from_raw_parts(bytes as *const u8, n);
    if user_write_text(space as usize, addr as usize, bytes) { 0 } else { -EFAULT }
}

/// The task owning space.  Its TaskControlBlock lives while the task has
/// not exited (its parent, or initproc, holds it until it is reaped), and
/// by_space finds only those.
fn task_of(space: usize) -> Option<&'static TaskControlBlock> {
    tasks::by_space(space).map(|f| unsafe { &*(f.task as *const TaskControlBlock) })
}

/// The slot page of the task's memory set (config::UPROBE_SLOT_PAGE,
/// mapped on first use; fork copies it, exec's new memory set has none).
fn uprobe_slot_page(space: usize) -> Result<usize, c_int> {
    let task = task_of(space).ok_or(-ESRCH)?;
    // Called from system calls and the exec and fork hooks, never while
    // the kernel holds the task's cell; refused rather than panicking if
    // that ever changes.
    let mut inner = task.try_inner_exclusive_access().ok_or(-EBUSY)?;
    inner.memory_set.map_uprobe_slot_page().ok_or(-ENOMEM)
}

/// # Safety
/// addr points to a writable word.
#[no_mangle]
pub unsafe extern "C" fn kt_os_uprobe_slot_page(space: u64, addr: *mut u64) -> c_int {
    match uprobe_slot_page(space as usize) {
        Ok(a) => {
            *addr = a as u64;
            0
        }
        Err(e) => e,
    }
}

/// One hart: a task whose space ktrace patches is in a trap (the current
/// one) or not running, at its trap context's sepc.
///
/// # Safety
/// pc points to a writable word.
#[no_mangle]
pub unsafe extern "C" fn kt_os_user_pc(space: u64, pc: *mut u64) -> c_int {
    match tasks::by_space(space as usize) {
        Some(f) if f.trap_cx != 0 => {
            *pc = (*(f.trap_cx as *const crate::trap::TrapContext)).sepc as u64;
            0
        }
        _ => -ESRCH,
    }
}

/// What a program's ELF may map: from its first page up to the slot page
/// (MemorySet::from_elf refuses segments that reach it); the slot page
/// itself is the kernel's.
#[no_mangle]
pub extern "C" fn kt_os_user_addr(addr: u64) -> bool {
    addr as usize >= PAGE_SIZE && (addr as usize) < UPROBE_SLOT_PAGE
}

/// # Safety
/// program is a NUL-terminated string; func_start NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kt_os_uprobe_check_insn(program: *const c_char, addr: u64, func_start: *mut u64) -> c_int {
    match utext::check_insn(c_str(program), addr as usize) {
        Ok((len, start)) => {
            if !func_start.is_null() {
                *func_start = start as u64;
            }
            len
        }
        Err(e) => e,
    }
}

// ---- the debug channel (drivers::dbgchan, polled) ----

/// A whole buffer or nothing (the driver queues frames whole).
///
/// # Safety
/// data points to n bytes.
#[no_mangle]
pub unsafe extern "C" fn kt_os_chan_send(data: *const c_void, n: usize) -> usize {
    if dbgchan::send(core::slice::from_raw_parts(data as *const u8, n)) { n } else { 0 }
}

#[no_mangle]
pub extern "C" fn kt_os_chan_room() -> usize {
    dbgchan::room()
}

#[no_mangle]
pub extern "C" fn kt_os_chan_dropped() -> u64 {
    dbgchan::dropped()
}

/// The kernel takes no interrupts: wait for the timer's (wfi wakes on a
/// pending enabled interrupt even with sstatus.SIE off, privileged spec
/// 3.3.3), then do what its handler would (hooks::poll_from_kernel).
#[no_mangle]
pub extern "C" fn kt_os_wait_interrupt() {
    unsafe { core::arch::asm!("wfi") };
    super::hooks::poll_from_kernel();
}
