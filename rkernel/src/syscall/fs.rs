//! The console as file descriptors 0 (read) and 1 (write).
use crate::mm::translated_byte_buffer;
use crate::sbi::console_getchar;
use crate::task::{current_user_token, suspend_current_and_run_next};

const FD_STDIN: usize = 0;
const FD_STDOUT: usize = 1;

pub fn sys_write(fd: usize, buf: *const u8, len: usize) -> isize {
    if fd != FD_STDOUT {
        return -1;
    }
    let buffers = match translated_byte_buffer(current_user_token(), buf, len) {
        Some(v) => v,
        None => return -1,
    };
    for buffer in buffers {
        print!("{}", core::str::from_utf8(buffer).unwrap_or("?"));
    }
    len as isize
}

/// close(fd): descriptors 3.. are bpf() objects (task/files.rs); the
/// console's stay open.  -EBADF (Linux's 9) if fd is no open descriptor.
pub fn sys_close(fd: usize) -> isize {
    if crate::task::close_file(fd) { 0 } else { -9 }
}

/// One byte at a time, as rCore reads the SBI console; while no key is
/// waiting, other tasks run.
pub fn sys_read(fd: usize, buf: *const u8, len: usize) -> isize {
    if fd != FD_STDIN || len == 0 {
        return -1;
    }
    let c = loop {
        match console_getchar() {
            Some(c) => break c,
            None => suspend_current_and_run_next(),
        }
    };
    match translated_byte_buffer(current_user_token(), buf, 1) {
        Some(mut buffers) => {
            buffers[0][0] = c;
            1
        }
        None => -1,
    }
}
