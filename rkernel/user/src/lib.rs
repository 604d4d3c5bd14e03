//! user_lib: what the Rust kernel's user programs share (rCore's user_lib):
//! the entry point, system calls, and print!.  System call numbers come from
//! include/osdbg/syscall_nr.h, as the kernel's do.
#![no_std]

pub mod bpf;
pub mod console;
mod syscall;

use core::panic::PanicInfo;

extern "C" {
    /// Every program's main(argc, argv) -> exit status.
    fn main(argc: usize, argv: *const *const u8) -> i32;
}

/// The first instruction of every program (user/user.ld puts .text.entry at
/// 0x10000); the kernel passes argc and argv in a0 and a1.
#[no_mangle]
#[link_section = ".text.entry"]
pub extern "C" fn _start(argc: usize, argv: *const *const u8) -> ! {
    exit(unsafe { main(argc, argv) });
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    if let Some(l) = info.location() {
        println!("panicked at {}:{}", l.file(), l.line());
    } else {
        println!("panicked");
    }
    exit(-1);
}

/// argv[i] as text.
pub fn arg(argv: *const *const u8, i: usize) -> &'static str {
    unsafe {
        let p = *argv.add(i);
        let mut n = 0;
        while *p.add(n) != 0 {
            n += 1;
        }
        core::str::from_utf8(core::slice::from_raw_parts(p, n)).unwrap_or("")
    }
}

/// A system call with any number and arguments (for programs that test
/// the kernel's checks).
pub fn raw_syscall(id: usize, args: [usize; 3]) -> isize {
    syscall::syscall(id, args)
}

pub fn read(fd: usize, buf: &mut [u8]) -> isize {
    syscall::sys_read(fd, buf)
}
pub fn write(fd: usize, buf: &[u8]) -> isize {
    syscall::sys_write(fd, buf)
}
pub fn exit(exit_code: i32) -> ! {
    syscall::sys_exit(exit_code)
}
pub fn yield_() -> isize {
    syscall::sys_yield()
}
pub fn get_time() -> isize {
    syscall::sys_get_time()
}
pub fn getpid() -> isize {
    syscall::sys_getpid()
}
pub fn fork() -> isize {
    syscall::sys_fork()
}
/// exec(path, args): path and each argument NUL-terminated ("hello\0").
pub fn exec(path: &str, args: &[*const u8]) -> isize {
    syscall::sys_exec(path, args)
}
pub fn shutdown() -> ! {
    syscall::sys_shutdown()
}

/// Wait for any child; its pid, its exit code in exit_code.
pub fn wait(exit_code: &mut i32) -> isize {
    waitpid(-1, exit_code)
}

/// Wait for child pid (-1: any): the kernel answers -2 while it runs, and
/// the program yields meanwhile, as rCore's user_lib does.
pub fn waitpid(pid: isize, exit_code: &mut i32) -> isize {
    loop {
        match syscall::sys_waitpid(pid, exit_code as *mut _) {
            -2 => {
                yield_();
            }
            exit_pid => return exit_pid,
        }
    }
}
