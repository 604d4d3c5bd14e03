//! rfib: Rust values for the debugger's Locals and hovers: a struct with a
//! method, an Option, an enum, a slice.  fib(10) steps 10 times.
#![no_std]
#![no_main]

#[macro_use]
extern crate user_lib;

#[derive(Clone, Copy, Debug)]
enum Parity {
    Even,
    Odd(u64),
}

struct Fib {
    prev: u64,
    cur: u64,
    last: Option<u64>,
}

impl Fib {
    #[inline(never)]
    fn step(&mut self) -> Parity {
        let next = self.prev + self.cur;
        self.prev = self.cur;
        self.cur = next;
        self.last = Some(next);
        if next % 2 == 0 { Parity::Even } else { Parity::Odd(next) }
    }
}

#[inline(never)]
fn fib(n: u64) -> u64 {
    let mut f = Fib { prev: 0, cur: 1, last: None };
    let mut odd = [0u64; 4];
    let mut seen = 0;
    for _ in 0..n {
        if let Parity::Odd(v) = f.step() {
            odd[seen % odd.len()] = v;
            seen += 1;
        }
    }
    println!("rfib: last odd values {:?}, last {:?}", &odd[..seen.min(odd.len())], f.last);
    f.cur
}

#[no_mangle]
pub extern "C" fn main(_argc: usize, _argv: *const *const u8) -> i32 {
    println!("rfib: fib(10) = {}", fib(10));
    0
}
