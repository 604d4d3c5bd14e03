//! The time CSR, the next timer interrupt (100 per second), and the ticks
//! taken since boot (jiffies).
use crate::config::CLOCK_FREQ;
use crate::sbi::set_timer;
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

pub const TICKS_PER_SEC: usize = 100;

/// Timer ticks taken since boot.  The kernel runs with interrupts off, so
/// a tick that falls due while it runs is taken (and counted) at the next
/// return to user mode, or polled (tick_if_due) where the kernel waits with
/// no program running (its idle loop): jiffies lag the time CSR while the
/// kernel is busy, never more than the time it runs without a break.
static JIFFIES: AtomicU64 = AtomicU64::new(0);
/// The time CSR value at which the next tick is due (set_next_trigger).
static NEXT_TICK: AtomicU64 = AtomicU64::new(u64::MAX);

/// Ticks since boot (bpf_jiffies64; TICKS_PER_SEC of them a second).
pub fn jiffies() -> u64 {
    JIFFIES.load(Ordering::Relaxed)
}

/// A timer interrupt: one more tick, then the tracing layer's tick hook.
pub fn tick() {
    JIFFIES.fetch_add(1, Ordering::Relaxed);
    crate::ktrace::hooks::on_timer_tick();
}
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
    let next = get_time() + CLOCK_FREQ / TICKS_PER_SEC;
    NEXT_TICK.store(next as u64, Ordering::Relaxed);
    set_timer(next);
}

/// Where the kernel waits with interrupts off: the tick the timer
/// interrupt would have brought, if it is due (the interrupt stays pending
/// until set_next_trigger moves the deadline, so it is not taken twice).
pub fn tick_if_due() {
    if get_time() as u64 >= NEXT_TICK.load(Ordering::Relaxed) {
        set_next_trigger();
        tick();
    }
}
