//! The Rust user library of the reference OS, the counterpart of the C
//! library in user/lib: system calls, line-buffered console output
//! (`print!`, `println!`, `eprintln!`), argv access and the panic handler.
//!
//! A program uses it with `#[macro_use] mod ulib;` (the macros are textually
//! scoped, so the `mod` line must come before their first use) and provides
//! its own `_start` in section `.text.entry` (see user/user.ld).

use core::fmt::{self, Write};
use core::panic::PanicInfo;

/// System call numbers, generated at build time from
/// include/osdbg/syscall_nr.h by scripts/gen-rust-consts.sh (user/rust/rust.mk
/// sets OSDBG_RUST_GEN to the folder of the generated file).
#[allow(dead_code)]
pub mod nr {
    include!(concat!(env!("OSDBG_RUST_GEN"), "/syscall_nr.rs"));
}

/// One system call.  The kernel's convention is RISC-V Linux's: number in a7,
/// arguments in a0..a5, result in a0, a negative result is -errno
/// (include/osdbg/errno.h).  `ecall` may read and write user memory (write
/// reads the buffer), so the asm is not marked `nomem`.
fn syscall(n: usize, a0: usize, a1: usize, a2: usize) -> isize {
    let ret: isize;
    // SAFETY: the kernel validates every argument and only touches user
    // memory through its copyin/copyout helpers.
    unsafe {
        core::arch::asm!("ecall",
            inlateout("a0") a0 => ret,
            in("a1") a1, in("a2") a2, in("a7") n,
            options(nostack));
    }
    ret
}

/// write(fd, buf) -> bytes written, or -errno.
pub fn write(fd: usize, buf: &[u8]) -> isize {
    syscall(nr::SYS_WRITE, fd, buf.as_ptr() as usize, buf.len())
}

/// exit(status): never returns.
pub fn exit(status: i32) -> ! {
    syscall(nr::SYS_EXIT, status as usize, 0, 0);
    // The kernel does not return from exit; spin rather than run off the end.
    loop {}
}

/// getpid() -> the caller's process id.
pub fn getpid() -> isize {
    syscall(nr::SYS_GETPID, 0, 0, 0)
}

/// Collects formatted output in a buffer on the stack and hands it to the
/// kernel in one write per line (or per full buffer), so that lines of
/// different processes do not interleave and a debugger sees one sys_write
/// per println!.
struct LineWriter {
    fd: usize,
    len: usize,
    buf: [u8; 128],
}

impl LineWriter {
    fn flush(&mut self) {
        let mut done = 0;
        while done < self.len {
            let n = write(self.fd, &self.buf[done..self.len]);
            if n <= 0 {
                break; // nowhere to report a console error
            }
            done += n as usize;
        }
        self.len = 0;
    }
}

impl Write for LineWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
            if b == b'\n' {
                self.flush();
            }
        }
        Ok(())
    }
}

/// Back end of the print macros: format `args` onto file descriptor `fd`.
pub fn print_fmt(fd: usize, args: fmt::Arguments) {
    let mut w = LineWriter { fd, len: 0, buf: [0; 128] };
    let _ = w.write_fmt(args);
    w.flush();
}

/// Formatted output on standard output (fd 1).
macro_rules! print {
    ($($arg:tt)*) => { $crate::ulib::print_fmt(1, format_args!($($arg)*)) };
}

/// `print!` plus a newline.
macro_rules! println {
    () => { print!("\n") };
    ($($arg:tt)*) => { print!("{}\n", format_args!($($arg)*)) };
}

/// Formatted output and a newline on standard error (fd 2).
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::ulib::print_fmt(2, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// The program's arguments as the kernel passed them to `_start`: argc and a
/// null-terminated array of pointers to NUL-terminated strings (kernel/exec.c).
pub struct Args {
    argc: usize,
    argv: *const *const u8,
}

impl Args {
    /// # Safety
    /// `argv` must point to `argc` valid C strings, as the kernel guarantees
    /// at `_start`.
    pub unsafe fn new(argc: usize, argv: *const *const u8) -> Args {
        Args { argc, argv }
    }

    pub fn len(&self) -> usize {
        self.argc
    }

    /// Argument `i`, or None if there is none or it is not UTF-8.
    pub fn get(&self, i: usize) -> Option<&'static str> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: i < argc and the strings live on the user stack for the
        // whole life of the program (Args::new's contract).
        unsafe {
            let s = *self.argv.add(i);
            let mut len = 0;
            while *s.add(len) != 0 {
                len += 1;
            }
            core::str::from_utf8(core::slice::from_raw_parts(s, len)).ok()
        }
    }
}

/// A panic prints its message and location on standard error and exits with
/// status 101 (Rust's customary panic status).  There is no unwinding
/// (-C panic=abort).
#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    eprintln!("{}", info);
    exit(101)
}
