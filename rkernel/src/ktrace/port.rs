//! The Rust kernel's side of ktrace's port, common part
//! (ktrace/include/ktrace_os.h): harts, interrupts, fences, time, the
//! current task, printing, kernel symbols.  Each `kt_os_*` is a thin
//! `extern "C"` shell over safe Rust; the bpf() and probe sections are
//! port_bpf.rs and port_probes.rs.
//!
//! Everything here may run inside a probe hit: it calls only code that is
//! never probed (this module, the trap path, sbi, timer: linker.ld puts
//! them between noprobe_start and noprobe_end) and Rust's own libraries,
//! which kt_os_kprobe_forbidden refuses by name.
use super::api::KtTask;
use super::ffi::{c_char, c_int, c_str};
use super::{ksyms, tasks};
use crate::config::CLOCK_FREQ;
use crate::timer::{jiffies, TICKS_PER_SEC};
use core::arch::asm;

/// sstatus.SIE (privileged spec 4.1.1).
const SSTATUS_SIE: u64 = 1 << 1;

/// One hart: the others stay in OpenSBI.
#[no_mangle]
pub extern "C" fn kt_os_hart() -> u32 {
    0
}

/// The kernel runs with interrupts off anyway; kept exact all the same.
#[no_mangle]
pub extern "C" fn kt_os_irq_save() -> u64 {
    let old: u64;
    unsafe { asm!("csrrc {}, sstatus, {}", out(reg) old, in(reg) SSTATUS_SIE) };
    old & SSTATUS_SIE
}

#[no_mangle]
pub extern "C" fn kt_os_irq_restore(saved: u64) {
    if saved & SSTATUS_SIE != 0 {
        unsafe { asm!("csrs sstatus, {}", in(reg) SSTATUS_SIE) };
    }
}

/// One hart: the local fences are every hart's.
#[no_mangle]
pub extern "C" fn kt_os_fence_i_all() {
    unsafe { asm!("fence.i") };
}

#[no_mangle]
pub extern "C" fn kt_os_sfence_vma_all() {
    unsafe { asm!("sfence.vma") };
}

#[no_mangle]
pub extern "C" fn kt_os_timebase_hz() -> u64 {
    CLOCK_FREQ as u64
}

#[no_mangle]
pub extern "C" fn kt_os_jiffies() -> u64 {
    jiffies()
}

#[no_mangle]
pub extern "C" fn kt_os_tick_hz() -> u64 {
    TICKS_PER_SEC as u64
}

/// The task the processor runs (tasks.rs), read without its cell.
fn current_task(t: &mut KtTask) -> bool {
    *t = KtTask { pid: 0, tgid: 0, task: 0, space: 0, comm: [0; 16] };
    match tasks::current() {
        Some(f) => {
            *t = KtTask {
                pid: f.pid as i32,
                tgid: f.pid as i32,
                task: f.task as u64,
                space: f.space as u64,
                comm: f.name,
            };
            true
        }
        None => false,
    }
}

/// # Safety
/// t points to a struct kt_task (ktrace passes its own).
#[no_mangle]
pub unsafe extern "C" fn kt_os_current(t: *mut KtTask) -> bool {
    current_task(&mut *t)
}

/// # Safety
/// pid and space are NULL or point to writable values (ktrace's own).
#[no_mangle]
pub unsafe extern "C" fn kt_os_current_task(pid: *mut c_int, space: *mut u64) -> u64 {
    match tasks::current() {
        Some(f) => {
            if !pid.is_null() {
                *pid = f.pid as c_int;
            }
            if !space.is_null() {
                *space = f.space as u64;
            }
            f.task as u64
        }
        None => 0,
    }
}

/// Byte by byte on the SBI console: never core::fmt (it may be probed
/// elsewhere) and no lock (the kernel's println! has none either).
fn print_bytes(s: &[u8]) {
    for &b in s {
        crate::sbi::console_putchar(b as usize);
    }
}

/// # Safety
/// s points to n readable bytes.
#[no_mangle]
pub unsafe extern "C" fn kt_os_print(s: *const c_char, n: usize) {
    print_bytes(core::slice::from_raw_parts(s, n));
}

/// # Safety
/// msg is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn kt_os_panic(msg: *const c_char) -> ! {
    panic!("ktrace: {}", c_str(msg));
}

/// # Safety
/// name is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn kt_os_ksym_lookup(name: *const c_char) -> u64 {
    ksyms::ksym_lookup(c_str(name)) as u64
}

#[no_mangle]
pub extern "C" fn kt_os_ksym_func_start(addr: u64) -> u64 {
    ksyms::ksym_func_start(addr as usize) as u64
}
