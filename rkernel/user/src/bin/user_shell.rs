//! The shell: reads a line, runs the program of that name (fork, exec,
//! waitpid), as rCore's user_shell.  `exit` leaves it.
#![no_std]
#![no_main]

#[macro_use]
extern crate user_lib;

use user_lib::console::getchar;
use user_lib::{exec, fork, waitpid};

const LF: u8 = 0x0a;
const CR: u8 = 0x0d;
const DL: u8 = 0x7f;
const BS: u8 = 0x08;

#[no_mangle]
pub extern "C" fn main(_argc: usize, _argv: *const *const u8) -> i32 {
    let mut line = [0u8; 128];
    let mut len = 0;
    print!(">> ");
    loop {
        let c = getchar();
        match c {
            LF | CR => {
                println!("");
                let cmd = core::str::from_utf8(&line[..len]).unwrap_or("").trim();
                if cmd == "exit" {
                    return 0;
                }
                if !cmd.is_empty() {
                    let mut path = [0u8; 130];
                    path[..cmd.len()].copy_from_slice(cmd.as_bytes());
                    let pid = fork();
                    if pid == 0 {
                        let p = core::str::from_utf8(&path[..cmd.len() + 1]).unwrap();
                        if exec(p, &[path.as_ptr(), core::ptr::null()]) == -1 {
                            println!("{}: no such program", cmd);
                            return -4;
                        }
                        unreachable!();
                    }
                    let mut code = 0;
                    let exit_pid = waitpid(pid, &mut code);
                    assert_eq!(pid, exit_pid);
                    println!("Shell: Process {} exited with code {}", pid, code);
                }
                len = 0;
                print!(">> ");
            }
            BS | DL => {
                if len > 0 {
                    print!("{}", BS as char);
                    print!(" ");
                    print!("{}", BS as char);
                    len -= 1;
                }
            }
            _ => {
                if len < line.len() {
                    print!("{}", c as char);
                    line[len] = c;
                    len += 1;
                }
            }
        }
    }
}
