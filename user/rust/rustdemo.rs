//! rustdemo: the Rust user program of the reference OS.
//!
//!     rustdemo [n]      (n defaults to 10)
//!
//! prints its pid and the sum of the first n Fibonacci numbers.  The functions
//! are kept out of line so a debugger finds them by their Rust names
//! (`rustdemo::work`, `rustdemo::Fib::step`); built with -C opt-level=0 every
//! local stays visible.  Build: user/rust/rust.mk, docs/rust-user-programs.md.
#![no_std]
#![no_main]

// No std to pull it in: compiler_builtins supplies memcpy/memset and the
// other helpers LLVM's code may call.
extern crate compiler_builtins;

#[macro_use]
mod ulib;

use ulib::Args;

/// Two consecutive Fibonacci numbers.
struct Fib {
    prev: u64,
    cur: u64,
}

impl Fib {
    /// Advance by one: (prev, cur) becomes (cur, prev + cur).
    #[inline(never)]
    fn step(&mut self) {
        let next = self.prev + self.cur;
        self.prev = self.cur;
        self.cur = next;
    }
}

/// Sum of the first n Fibonacci numbers (1, 1, 2, 3, ...); work(10) = 143.
/// Overflow (n > 90) panics in the debug build.
#[inline(never)]
fn work(n: u64) -> u64 {
    let mut fib = Fib { prev: 0, cur: 1 };
    let mut sum = 0u64;
    let mut i = 0;
    while i < n {
        sum += fib.cur;
        fib.step();
        i += 1;
    }
    sum
}

fn usage() -> i32 {
    eprintln!("usage: rustdemo [n]");
    1
}

fn main(args: Args) -> i32 {
    println!("rustdemo: hello from Rust (pid {})", ulib::getpid());
    let n = match (args.len(), args.get(1)) {
        (0 | 1, _) => 10,
        (2, Some(s)) => match s.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    println!("rustdemo: work({}) = {}", n, work(n));
    0
}

/// Entry point, placed first in the image by user/user.ld so that it is at
/// exactly 0x10000.  The kernel enters with a0 = argc, a1 = argv and sp
/// 16-byte aligned, which is the C calling convention for this signature.
#[no_mangle]
#[link_section = ".text.entry"]
pub extern "C" fn _start(argc: usize, argv: *const *const u8) -> ! {
    // SAFETY: the kernel passes argc valid C strings (kernel/exec.c).
    let args = unsafe { Args::new(argc, argv) };
    ulib::exit(main(args))
}
