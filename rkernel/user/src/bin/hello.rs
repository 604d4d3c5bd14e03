//! hello: the smallest program, the first one students put a breakpoint in.
#![no_std]
#![no_main]

#[macro_use]
extern crate user_lib;

use user_lib::getpid;

#[no_mangle]
pub extern "C" fn main(_argc: usize, _argv: *const *const u8) -> i32 {
    let pid = getpid();
    println!("Hello, world! (pid {})", pid);
    0
}
