//! probebench: what a kprobe costs, in guest instructions (instret), side
//! by side with an empty system call in the same run: the Rust twin of
//! user/probebench.c, with its command lines and its output lines (which
//! bench/kernel/probebench.mjs parses).
//!   probebench <stepped-addr> <simulated-addr> [n]
//! The addresses (hex) are instructions of the kernel's getpid: one the
//! probe engine runs out of line, one it simulates.  An empty eBPF program
//! is attached to each in turn through bpf(BPF_LINK_CREATE); the extra
//! instructions per getpid() are the probe's cost: trap, engine, program
//! run, return.
//!   probebench rate <addr> <procs> <n>
//! Hits per second instead: procs processes make n getpid() calls each,
//! all at once, first bare, then with the empty program on addr.
#![no_std]
#![no_main]

#[macro_use]
extern crate user_lib;

use user_lib::bpf::nr::SYS_GETPID;
use user_lib::bpf::{close, errname, exit_insn, link_kprobe_addr, mov64_imm, prog_load, require};
use user_lib::{arg, fork, get_time, getpid, wait};

/// Instructions retired by this hart (the Zicntr counter; the kernel lets
/// user mode read it through scounteren.IR).
fn rdinstret() -> u64 {
    let x: u64;
    unsafe { core::arch::asm!("rdinstret {}", out(reg) x) };
    x
}

/// getpid() as one inlined ecall: user_lib's getpid() goes through two
/// functions and an argument array at opt-level 0, which would count as
/// system call cost (the C twin's getpid is a three-instruction stub).
#[inline(always)]
fn bare_getpid() {
    unsafe { core::arch::asm!("ecall", inlateout("a0") 0usize => _, in("a7") SYS_GETPID) };
}

/// Instructions per getpid() round trip, of the least disturbed of 5 rounds.
fn per_call(n: u64) -> u64 {
    let mut best = u64::MAX;
    for _ in 0..5 {
        let a = rdinstret();
        let mut i = 0;
        while i < n {
            bare_getpid();
            i += 1;
        }
        best = best.min((rdinstret() - a) / n);
    }
    best
}

/// "r0 = 0; exit": a program that costs only its run.
fn load_empty() -> isize {
    let prog = prog_load(&[mov64_imm(0, 0), exit_insn()], None);
    if prog < 0 {
        println!("probebench: cannot load the empty program: {}", errname(prog));
    }
    prog
}

fn ratio(what: &str, cost: u64, syscall: u64) {
    let syscall = syscall.max(1);
    println!("probebench: {}: +{} instructions per hit = {}.{:02}x an empty system call", what,
             cost, cost / syscall, cost * 100 / syscall % 100);
}

/// procs processes x n getpid() at once; the wall time in ms.
fn burst(procs: u64, n: u64) -> isize {
    let start = get_time();
    for _ in 0..procs {
        if fork() == 0 {
            for _ in 0..n {
                getpid();
            }
            user_lib::exit(0);
        }
    }
    for _ in 0..procs {
        let mut code = 0;
        wait(&mut code);
    }
    get_time() - start
}

fn attach(prog: isize, addr: u64) -> Option<isize> {
    let link = link_kprobe_addr(prog, addr);
    if link < 0 {
        println!("probebench: cannot attach at {:#x}: {}", addr, errname(link));
        return None;
    }
    Some(link)
}

fn rate(addr: u64, procs: u64, n: u64) -> i32 {
    let prog = load_empty();
    if prog < 0 {
        return 1;
    }
    let bare = burst(procs, n);
    let link = match attach(prog, addr) {
        Some(l) => l,
        None => return 1,
    };
    let probed = burst(procs, n);
    close(link);
    println!("probebench: rate: {} processes x {} calls: {} ms bare, {} ms with the kprobe", procs,
             n, bare, probed);
    0
}

fn cost(stepped: u64, simulated: u64, n: u64) -> i32 {
    let prog = load_empty();
    if prog < 0 {
        return 1;
    }
    let base = per_call(n);
    println!("probebench: empty system call (getpid) round trip: {} instructions", base);
    for (addr, name) in [(simulated, "simulated kprobe"), (stepped, "stepped kprobe")] {
        let link = match attach(prog, addr) {
            Some(l) => l,
            None => return 1,
        };
        let with = per_call(n);
        close(link);
        // (never below the bare call, but a 0 is clearer than a wrap-around)
        ratio(name, with.saturating_sub(base), base);
    }
    0
}

/// A hexadecimal number, with or without 0x (objdump prints it without).
fn hex(s: &str) -> Option<u64> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    u64::from_str_radix(digits, 16).ok()
}

#[no_mangle]
pub extern "C" fn main(argc: usize, argv: *const *const u8) -> i32 {
    let a = |i: usize| arg(argv, i);
    if argc == 5 && a(1) == "rate" {
        require("probebench");
        return match (hex(a(2)), a(3).parse(), a(4).parse()) {
            (Some(addr), Ok(procs), Ok(n)) if n > 0 => rate(addr, procs, n),
            _ => usage(),
        };
    }
    if argc < 3 {
        return usage();
    }
    require("probebench");
    let n = if argc > 3 { a(3).parse().ok() } else { Some(2000) };
    match (hex(a(1)), hex(a(2)), n) {
        (Some(stepped), Some(simulated), Some(n)) if n > 0 => cost(stepped, simulated, n),
        _ => usage(),
    }
}

fn usage() -> i32 {
    println!("usage: probebench <stepped-addr> <simulated-addr> [n]");
    2
}
