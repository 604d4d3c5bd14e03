//! forkbomb: forks until the kernel says no, then reaps everything.  The
//! kernel must refuse (fork returns -1), never panic.
#![no_std]
#![no_main]

#[macro_use]
extern crate user_lib;

use user_lib::{exit, fork, wait, yield_};

#[no_mangle]
pub extern "C" fn main(_argc: usize, _argv: *const *const u8) -> i32 {
    let mut children = 0;
    loop {
        let pid = fork();
        if pid == 0 {
            // Stay alive (and in memory) until the parent is done forking.
            for _ in 0..50 {
                yield_();
            }
            exit(0);
        }
        if pid < 0 {
            break;
        }
        children += 1;
    }
    println!("forkbomb: fork refused after {} children", children);
    let mut code = 0;
    for _ in 0..children {
        wait(&mut code);
    }
    println!("forkbomb: all reaped");
    0
}
