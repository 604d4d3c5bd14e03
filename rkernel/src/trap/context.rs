//! The trap context: what a trap from user mode saves (trap.S), one page per
//! process at TRAP_CONTEXT in its address space.  The debugger reads the
//! user's registers from it (profiles/rust-kernel.json: trap.*Offset), so
//! its layout is fixed: x0..x31 at 0..256, sstatus at 256, sepc at 264.
use core::arch::asm;

/// sstatus.SPP (RISC-V privileged spec 4.1.1): the privilege a trap came
/// from, and what sret returns to (0: user).
const SSTATUS_SPP: usize = 1 << 8;

#[repr(C)]
pub struct TrapContext {
    pub x: [usize; 32],
    pub sstatus: usize,
    pub sepc: usize,
    /// Where __alltraps goes in the kernel: its satp, the process's kernel
    /// stack, and trap_handler.
    pub kernel_satp: usize,
    pub kernel_sp: usize,
    pub trap_handler: usize,
}

impl TrapContext {
    pub fn set_sp(&mut self, sp: usize) {
        self.x[2] = sp;
    }
    /// A context that starts a program at entry, in user mode.
    pub fn app_init_context(
        entry: usize,
        sp: usize,
        kernel_satp: usize,
        kernel_sp: usize,
        trap_handler: usize,
    ) -> Self {
        let mut sstatus: usize;
        unsafe { asm!("csrr {}, sstatus", out(reg) sstatus) };
        sstatus &= !SSTATUS_SPP;
        let mut cx = Self { x: [0; 32], sstatus, sepc: entry, kernel_satp, kernel_sp, trap_handler };
        cx.set_sp(sp);
        cx
    }
}
