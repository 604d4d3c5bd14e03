//! The shell: reads a line, splits it into words, runs the program named by
//! the first word with the words as its arguments (fork, exec, waitpid), as
//! rCore's user_shell with user/sh.c's word splitting.  `exit` leaves it.
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

/// The kernel's exec reads at most 16 pointers, the terminating null
/// included (MAX_ARGS in rkernel/src/syscall/process.rs).
const MAX_WORDS: usize = 15;
const LINE: usize = 128;

/// The words of a command line, each NUL-terminated in place, and argv.
struct Words {
    text: [u8; LINE + 1], // the line, a NUL after each word (the last byte stays 0)
    argv: [*const u8; MAX_WORDS + 1],
    count: usize,
}

/// Splits line at spaces and tabs; None if it has more than MAX_WORDS words.
fn split(line: &[u8], w: &mut Words) -> Option<()> {
    w.text = [0; LINE + 1];
    w.text[..line.len()].copy_from_slice(line);
    w.count = 0;
    let mut i = 0;
    while i < line.len() {
        if w.text[i] == b' ' || w.text[i] == b'\t' {
            w.text[i] = 0;
        } else if i == 0 || w.text[i - 1] == 0 {
            if w.count == MAX_WORDS {
                return None;
            }
            w.argv[w.count] = w.text[i..].as_ptr();
            w.count += 1;
        }
        i += 1;
    }
    w.argv[w.count] = core::ptr::null();
    Some(())
}

/// Word k, with its NUL (what exec wants as a path).
fn word(w: &Words, k: usize) -> &str {
    let start = w.argv[k] as usize - w.text.as_ptr() as usize;
    let len = w.text[start..].iter().position(|&b| b == 0).unwrap();
    core::str::from_utf8(&w.text[start..start + len + 1]).unwrap_or("\0")
}

/// Runs the command in w: fork, exec with its words, wait.
fn run(w: &Words) {
    let path = word(w, 0);
    let name = &path[..path.len() - 1];
    let pid = fork();
    if pid == 0 {
        if exec(path, &w.argv[..w.count + 1]) == -1 {
            println!("{}: no such program", name);
            user_lib::exit(-4);
        }
        unreachable!();
    }
    let mut code = 0;
    let exit_pid = waitpid(pid, &mut code);
    assert_eq!(pid, exit_pid);
    println!("Shell: Process {} exited with code {}", pid, code);
}

#[no_mangle]
pub extern "C" fn main(_argc: usize, _argv: *const *const u8) -> i32 {
    let mut line = [0u8; LINE];
    let mut len = 0;
    let mut words = Words { text: [0; LINE + 1], argv: [core::ptr::null(); MAX_WORDS + 1], count: 0 };
    print!(">> ");
    loop {
        let c = getchar();
        match c {
            LF | CR => {
                println!("");
                match split(&line[..len], &mut words) {
                    None => println!("too many words: at most {}", MAX_WORDS),
                    Some(()) if words.count == 0 => {}
                    Some(()) if word(&words, 0) == "exit\0" => return 0,
                    Some(()) => run(&words),
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
