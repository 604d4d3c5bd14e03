//! osdbg's Rust reference kernel, in the mould of rCore-Tutorial-v3 chapter 5
//! (process management): Sv39 with a kernel address space and one per
//! process, a trampoline page, a trap context per process, fork/exec/waitpid,
//! a ready queue and a processor behind lazily initialised statics, and Rust
//! user programs embedded in the image.  docs/rust-kernel.md describes it.
//!
//! The crate is called `os`, as rCore's is: its functions are `os::...` in
//! the debugger (`os::syscall::fs::sys_write`).
#![no_std]
#![no_main]
#![feature(alloc_error_handler)]
#![feature(panic_info_message)]

extern crate alloc;
#[macro_use]
extern crate bitflags;

#[macro_use]
mod console;
mod bootargs;
mod config;
mod drivers;
mod ktrace;
mod lang_items;
mod loader;
mod mm;
mod sbi;
mod sync;
mod syscall;
mod task;
mod timer;
mod trap;

core::arch::global_asm!(include_str!("entry.asm"));
core::arch::global_asm!(include_str!(concat!(env!("OSDBG_RKERNEL_GEN"), "/link_app.S")));

fn clear_bss() {
    extern "C" {
        fn sbss();
        fn ebss();
    }
    // write_bytes is memset (compiler_builtins, optimised): a byte loop in
    // this opt-level 0 kernel took a second for the 4 MiB of .bss.
    unsafe { core::ptr::write_bytes(sbss as usize as *mut u8, 0, ebss as usize - sbss as usize) };
}

/// Called by entry.asm with OpenSBI's a0 (hart id) and a1 (device tree).
#[no_mangle]
pub fn rust_main(_hart_id: usize, device_tree: usize) -> ! {
    clear_bss();
    println!("[kernel] osdbg Rust reference kernel");
    mm::init_heap();
    // Before paging: the device tree is read where OpenSBI left it, and
    // copied before the frame allocator can hand its pages out.
    bootargs::init(device_tree);
    mm::init();
    drivers::init();
    trap::init();
    ktrace::hooks::init();
    ktrace::selftest(); // boot argument `selftest` only
    trap::enable_timer_interrupt();
    timer::set_next_trigger();
    ktrace::hooks::before_first_task();
    loader::list_apps();
    task::add_initproc();
    task::run_tasks();
}
