//! System calls: a7 is the number (include/osdbg/syscall_nr.h, shared with
//! the C kernel and the user library), a0..a2 the arguments.  An unknown
//! number fails with -1, as a bad argument does: nothing a program passes
//! stops the kernel.
pub mod fs;
mod process;

use fs::*;
use process::*;

// The header is shared with the C kernel: some of its calls this kernel lacks.
#[allow(dead_code)]
mod nr {
    include!(concat!(env!("OSDBG_RUST_GEN"), "/syscall_nr.rs"));
}

pub fn syscall(syscall_id: usize, args: [usize; 3]) -> isize {
    match syscall_id {
        nr::SYS_READ => sys_read(args[0], args[1] as *const u8, args[2]),
        nr::SYS_WRITE => sys_write(args[0], args[1] as *const u8, args[2]),
        nr::SYS_EXIT => sys_exit(args[0] as i32),
        nr::SYS_YIELD => sys_yield(),
        nr::SYS_UPTIME => sys_get_time(),
        nr::SYS_GETPID => sys_getpid(),
        nr::SYS_FORK => sys_fork(),
        nr::SYS_EXEC => sys_exec(args[0] as *const u8, args[1] as *const usize),
        nr::SYS_WAIT => sys_waitpid(args[0] as isize, args[1] as *mut i32),
        nr::SYS_SHUTDOWN => sys_shutdown(),
        nr::SYS_CLOSE => sys_close(args[0]),
        nr::SYS_BPF => crate::ktrace::hooks::sys_bpf(args[0], args[1], args[2]),
        _ => {
            println!("[kernel] unknown system call {}", syscall_id);
            -1
        }
    }
}
