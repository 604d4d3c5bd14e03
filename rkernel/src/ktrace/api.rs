//! What the kernel calls in libktrace (ktrace/include/ktrace.h), and the
//! structs the port shares with it (ktrace/include/ktrace_os.h), declared
//! by hand with their C layouts asserted.  The rest of the kernel goes
//! through hooks.rs, never through these.
use super::ffi::{c_char, c_int};
use crate::trap::PtRegs;

/// KT_COMM_LEN: a program's name, NUL-terminated.
pub const KT_COMM_LEN: usize = 16;

/// struct kt_task: a task as ktrace sees it.
#[repr(C)]
pub struct KtTask {
    pub pid: c_int,
    pub tgid: c_int,
    /// The TaskControlBlock's address (bpf_get_current_task).
    pub task: u64,
    /// Its user address space: its page table's satp, 0 if none.
    pub space: u64,
    pub comm: [u8; KT_COMM_LEN],
}
const _: () = assert!(core::mem::size_of::<KtTask>() == 40);

/// struct kt_user_stack: the current task's user side, for a stack walk.
#[repr(C)]
pub struct KtUserStack {
    pub space: u64,
    pub stack_lo: u64,
    pub stack_hi: u64,
    pub text_lo: u64,
    pub text_hi: u64,
    /// pt_regs order: pc, then x1..x31.
    pub regs: [u64; 32],
}
const _: () = assert!(core::mem::size_of::<KtUserStack>() == 5 * 8 + 256);

extern "C" {
    pub fn kt_bpf_init();
    pub fn kt_sys_bpf(cmd: c_int, uattr: u64, size: u64) -> i64;
    pub fn kt_bpf_file_closed(kind: c_int, id: c_int);

    pub fn kt_kprobe_init();
    pub fn kt_uprobe_init();
    /// struct rvprobe_regs is PtRegs (trap/regs.rs asserts its size).
    pub fn kt_kprobe_on_break(regs: *mut PtRegs, sstatus: *mut u64) -> c_int;
    pub fn kt_uprobe_on_break(regs: *mut PtRegs) -> c_int;

    pub fn kt_uprobe_spaces_lock();
    pub fn kt_uprobe_spaces_unlock();
    pub fn kt_uprobe_exec(space: u64, name: *const c_char);
    pub fn kt_uprobe_fork(parent_space: u64, child_space: u64, child_task: u64, child_sp: u64);
    pub fn kt_uprobe_free(space: u64);

    pub fn kt_sidestub_init();
    pub fn kt_sidestub_input(bytes: *const u8, n: usize);
    pub fn kt_sidestub_wait();
    pub fn kt_sidestub_tick();
    pub fn kt_sidestub_poll();
    pub fn kt_sidestub_flush();
}
