//! A trapped hart's registers as Linux riscv's struct pt_regs begins: pc,
//! then x1..x31 (include/osdbg/gpr.h).  The same bytes as the probe
//! engine's struct rvprobe_regs (probes/include/rvprobe.h) and the eBPF
//! programs' struct pt_regs, so a `&mut PtRegs` goes to C as it is.

#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct PtRegs {
    pub pc: u64,
    /// x1..x31: register xN is x[N - 1].
    pub x: [u64; 31],
}

// RVPROBE_REGS_SIZE: the C side's size of struct rvprobe_regs.
const _: () = assert!(core::mem::size_of::<PtRegs>() == 256);

impl PtRegs {
    /// xN (x0 reads 0), as rvprobe_reg_get.
    pub fn reg(&self, n: usize) -> u64 {
        if n == 0 || n > 31 { 0 } else { self.x[n - 1] }
    }
    /// Sets xN (writing x0 or a number past 31 does nothing).
    pub fn set_reg(&mut self, n: usize, v: u64) {
        if n != 0 && n <= 31 {
            self.x[n - 1] = v;
        }
    }
}

/// ABI register numbers used by the kernel (RISC-V psABI).
pub const REG_A0: usize = 10;
