//! Calls into the firmware (OpenSBI), the legacy extensions rCore uses
//! (RISC-V SBI specification, chapter 5 "Legacy Extensions") and SRST for
//! the power-off.
use core::arch::asm;

const SBI_SET_TIMER: usize = 0;
const SBI_CONSOLE_PUTCHAR: usize = 1;
const SBI_CONSOLE_GETCHAR: usize = 2;
/// System Reset extension "SRST" (SBI 0.3, chapter 10).
const SBI_EXT_SRST: usize = 0x5352_5354;

#[inline(always)]
fn sbi_call(eid: usize, fid: usize, arg0: usize, arg1: usize) -> usize {
    let mut ret;
    unsafe {
        asm!("ecall", inlateout("a0") arg0 => ret, in("a1") arg1, in("a6") fid, in("a7") eid);
    }
    ret
}

pub fn set_timer(timer: usize) {
    sbi_call(SBI_SET_TIMER, 0, timer, 0);
}

pub fn console_putchar(c: usize) {
    sbi_call(SBI_CONSOLE_PUTCHAR, 0, c, 0);
}

/// A byte from the console, or None when no key is waiting (OpenSBI
/// answers -1 then).
pub fn console_getchar() -> Option<u8> {
    let c = sbi_call(SBI_CONSOLE_GETCHAR, 0, 0, 0) as isize;
    if c < 0 { None } else { Some(c as u8) }
}

/// Power off; QEMU exits with status 0 (failure: false) or 1.
pub fn shutdown(failure: bool) -> ! {
    // reset type 0: shutdown; reason 0: none, 1: system failure
    sbi_call(SBI_EXT_SRST, 0, 0, failure as usize);
    panic!("the machine did not power off");
}
