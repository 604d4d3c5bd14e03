//! Traps while the kernel runs (kernel_vec.S).  The kernel never enables
//! interrupts, so only exceptions come here.  A breakpoint (ebreak or
//! c.ebreak: a kprobe's) goes to the tracing layer's hook, which may take
//! it and say where to go on; every other trap, and a breakpoint nobody
//! claims, is a kernel bug and panics.
use super::regs::PtRegs;
use crate::ktrace;
use core::arch::asm;

/// What kernel_vec.S saves on the kernel stack: its layout is the
/// assembly's (pc and x1..x31 at 0..256, sstatus at 256, padded to 272).
#[repr(C)]
pub struct KernelTrapFrame {
    pub regs: PtRegs,
    pub sstatus: u64,
    _pad: u64,
}

const _: () = assert!(core::mem::size_of::<KernelTrapFrame>() == 34 * 8);

/// scause of a breakpoint (RISC-V privileged spec 4.1.9, table 4.2).
pub const BREAKPOINT: usize = 3;

/// Called by kernel_vec.S; returning resumes at frame.regs.pc with the
/// frame's registers and sstatus.
#[no_mangle]
pub extern "C" fn trap_from_kernel(frame: &mut KernelTrapFrame) {
    let (scause, stval): (usize, usize);
    unsafe {
        asm!("csrr {}, scause", out(reg) scause);
        asm!("csrr {}, stval", out(reg) stval);
    }
    if scause == BREAKPOINT && ktrace::hooks::on_kernel_break(&mut frame.regs, &mut frame.sstatus) {
        return;
    }
    panic!(
        "a trap from the kernel: scause {:#x}, sepc {:#x}, stval {:#x}",
        scause, frame.regs.pc, stval
    );
}
