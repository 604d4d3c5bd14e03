//! ecall with the number in a7 (include/osdbg/syscall_nr.h).
use core::arch::asm;

// The header is shared with the C kernel: some of its calls this library lacks.
#[allow(dead_code)]
mod nr {
    include!(concat!(env!("OSDBG_RUST_GEN"), "/syscall_nr.rs"));
}

pub fn syscall(id: usize, args: [usize; 3]) -> isize {
    let mut ret: isize;
    unsafe {
        asm!("ecall", inlateout("a0") args[0] => ret, in("a1") args[1], in("a2") args[2],
             in("a7") id);
    }
    ret
}

pub fn sys_read(fd: usize, buffer: &mut [u8]) -> isize {
    syscall(nr::SYS_READ, [fd, buffer.as_mut_ptr() as usize, buffer.len()])
}
pub fn sys_write(fd: usize, buffer: &[u8]) -> isize {
    syscall(nr::SYS_WRITE, [fd, buffer.as_ptr() as usize, buffer.len()])
}
pub fn sys_exit(exit_code: i32) -> ! {
    syscall(nr::SYS_EXIT, [exit_code as usize, 0, 0]);
    unreachable!("exit returned");
}
pub fn sys_yield() -> isize {
    syscall(nr::SYS_YIELD, [0, 0, 0])
}
pub fn sys_get_time() -> isize {
    syscall(nr::SYS_UPTIME, [0, 0, 0])
}
pub fn sys_getpid() -> isize {
    syscall(nr::SYS_GETPID, [0, 0, 0])
}
pub fn sys_fork() -> isize {
    syscall(nr::SYS_FORK, [0, 0, 0])
}
/// path and args NUL-terminated; args ends with a null pointer.
pub fn sys_exec(path: &str, args: &[*const u8]) -> isize {
    syscall(nr::SYS_EXEC, [path.as_ptr() as usize, args.as_ptr() as usize, 0])
}
pub fn sys_waitpid(pid: isize, exit_code: *mut i32) -> isize {
    syscall(nr::SYS_WAIT, [pid as usize, exit_code as usize, 0])
}
pub fn sys_shutdown() -> ! {
    syscall(nr::SYS_SHUTDOWN, [0, 0, 0]);
    unreachable!("shutdown returned");
}
