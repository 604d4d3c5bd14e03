//! forktest: a parent and its children, all running the same code at the
//! same addresses (per-address-space breakpoints meet this).
#![no_std]
#![no_main]

#[macro_use]
extern crate user_lib;

use user_lib::{exit, fork, getpid, wait};

const CHILDREN: usize = 3;

#[inline(never)]
fn child_work(i: usize) -> i32 {
    let pid = getpid();
    println!("forktest: child {} is pid {}", i, pid);
    (i * 10) as i32
}

#[no_mangle]
pub extern "C" fn main(_argc: usize, _argv: *const *const u8) -> i32 {
    for i in 0..CHILDREN {
        let pid = fork();
        if pid == 0 {
            exit(child_work(i));
        }
    }
    let mut total = 0;
    for _ in 0..CHILDREN {
        let mut code = 0;
        assert!(wait(&mut code) > 0);
        total += code;
    }
    println!("forktest: all {} children done (exit codes sum {})", CHILDREN, total);
    0
}
