//! initproc: the first process.  Its arguments are the boot command line's
//! words (the kernel passes them):
//!   run=prog1,prog2,...  run each program in order, each to completion,
//!                        then power the machine off (as the C kernel's init);
//!   otherwise            run the shell, reaping orphans, and power off when
//!                        it exits.
#![no_std]
#![no_main]

#[macro_use]
extern crate user_lib;

use user_lib::{arg, exec, fork, shutdown, wait, waitpid};

/// Run one program to completion; its exit code.
fn run(name: &str) -> i32 {
    let mut path = [0u8; 64];
    if name.len() >= path.len() {
        println!("initproc: {}: name too long", name);
        return -1;
    }
    path[..name.len()].copy_from_slice(name.as_bytes());
    let pid = fork();
    if pid == 0 {
        let args = [path.as_ptr(), core::ptr::null()];
        let p = core::str::from_utf8(&path[..name.len() + 1]).unwrap();
        exec(p, &args);
        println!("initproc: cannot run {}", name);
        user_lib::exit(127);
    }
    let mut code = 0;
    waitpid(pid, &mut code);
    if code != 0 {
        println!("initproc: {} exited with status {}", name, code);
    }
    code
}

#[no_mangle]
pub extern "C" fn main(argc: usize, argv: *const *const u8) -> i32 {
    for i in 1..argc {
        if let Some(list) = arg(argv, i).strip_prefix("run=") {
            for name in list.split(',').filter(|n| !n.is_empty()) {
                run(name);
            }
            println!("initproc: all programs done, powering off");
            shutdown();
        }
    }
    let shell = fork();
    if shell == 0 {
        exec("user_shell\0", &[b"user_shell\0".as_ptr(), core::ptr::null()]);
        println!("initproc: cannot run user_shell");
        user_lib::exit(127);
    }
    loop {
        let mut code = 0;
        let pid = wait(&mut code);
        if pid == shell || pid < 0 {
            println!("initproc: the shell exited, powering off");
            shutdown();
        }
    }
}
