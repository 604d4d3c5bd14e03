//! The time CSR and the next timer interrupt (100 per second).
use crate::config::CLOCK_FREQ;
use crate::sbi::set_timer;
use core::arch::asm;

const TICKS_PER_SEC: usize = 100;
const MSEC_PER_SEC: usize = 1000;

pub fn get_time() -> usize {
    let t: usize;
    unsafe { asm!("csrr {}, time", out(reg) t) };
    t
}

pub fn get_time_ms() -> usize {
    get_time() / (CLOCK_FREQ / MSEC_PER_SEC)
}

pub fn set_next_trigger() {
    set_timer(get_time() + CLOCK_FREQ / TICKS_PER_SEC);
}
