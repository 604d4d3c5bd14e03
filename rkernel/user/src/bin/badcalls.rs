//! badcalls: system calls with wrong arguments, and faults, which the
//! kernel must refuse or contain without stopping (tests/kernel/rkernel).
#![no_std]
#![no_main]

#[macro_use]
extern crate user_lib;

use user_lib::{exit, fork, raw_syscall, waitpid};

const SYS_WRITE: usize = 64;
const SYS_EXEC: usize = 221;
const SYS_WAIT: usize = 260;

fn child(what: &str, f: fn()) {
    let pid = fork();
    if pid == 0 {
        f();
        exit(0);
    }
    let mut code = 0;
    waitpid(pid, &mut code);
    println!("badcalls: {} child exit code {}", what, code);
}

#[no_mangle]
pub extern "C" fn main(_argc: usize, _argv: *const *const u8) -> i32 {
    let kernel = 0x8020_0000usize;
    println!("badcalls: write from kernel memory {}", raw_syscall(SYS_WRITE, [1, kernel, 16]));
    println!("badcalls: write from unmapped memory {}", raw_syscall(SYS_WRITE, [1, 0x4000_0000, 16]));
    println!("badcalls: write of a huge length {}", raw_syscall(SYS_WRITE, [1, 0x10000, usize::MAX]));
    println!("badcalls: exec of a bad path {}", raw_syscall(SYS_EXEC, [0x4000_0000, 0, 0]));
    println!("badcalls: exec of a bad argv {}", raw_syscall(SYS_EXEC, [b"hello\0".as_ptr() as usize, 8, 0]));
    println!("badcalls: exec of no such program {}", raw_syscall(SYS_EXEC, [b"nosuch\0".as_ptr() as usize, 0, 0]));
    println!("badcalls: wait with a bad status pointer {}", raw_syscall(SYS_WAIT, [usize::MAX, kernel, 0]));
    println!("badcalls: unknown system call {}", raw_syscall(9999, [0, 0, 0]));
    child("load fault", || unsafe {
        core::ptr::read_volatile(0x4000_0000 as *const u64);
    });
    child("store to kernel", || unsafe {
        core::ptr::write_volatile(0x8020_0000usize as *mut u64, 1);
    });
    child("illegal instruction", || unsafe {
        core::arch::asm!("csrw satp, zero");
    });
    // A break where no uprobe is: the program is killed, as a fault.
    child("breakpoint", || unsafe {
        core::arch::asm!("ebreak");
    });
    println!("badcalls: done");
    0
}
