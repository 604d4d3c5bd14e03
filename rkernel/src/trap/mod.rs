//! Traps: from user mode through the trampoline (trap.S) to trap_handler,
//! which runs system calls, kills a program that faults, and switches
//! tasks at the timer; back to user mode through trap_return.  A trap from
//! the kernel itself (kernel_vec.S, kernel.rs) returns only for a
//! breakpoint the tracing layer takes (a kprobe); anything else is a bug.
mod context;
mod kernel;
mod regs;

use crate::config::{TRAMPOLINE, TRAP_CONTEXT};
use crate::syscall::syscall;
use crate::task::{
    current_task, current_trap_cx, current_user_token, exit_current_and_run_next, suspend_current_and_run_next,
};
use crate::timer::set_next_trigger;
use core::arch::{asm, global_asm};

pub use context::TrapContext;
pub use regs::{PtRegs, REG_A0};

global_asm!(include_str!("trap.S"));
global_asm!(include_str!("kernel_vec.S"));

/// scause values (RISC-V privileged spec 4.1.9, table 4.2).
const INTERRUPT: usize = 1 << 63;
const SUPERVISOR_TIMER: usize = INTERRUPT | 5;
const USER_ENV_CALL: usize = 8;
const ILLEGAL_INSTRUCTION: usize = 2;
const BREAKPOINT: usize = kernel::BREAKPOINT;
const SIE_STIE: usize = 1 << 5;

pub fn init() {
    set_kernel_trap_entry();
    // User programs may read cycle, time and instret (benchmarks): scounteren
    // bits CY, TM, IR (privileged spec 4.1.5), as the C kernel's trap.c.
    unsafe { asm!("csrw scounteren, {}", in(reg) 0x7) };
}

fn set_kernel_trap_entry() {
    extern "C" {
        fn __trap_from_kernel(); // trap.S: stvec needs a 4-byte aligned address
    }
    unsafe { asm!("csrw stvec, {}", in(reg) __trap_from_kernel as usize) };
}

fn set_user_trap_entry() {
    unsafe { asm!("csrw stvec, {}", in(reg) TRAMPOLINE) };
}

pub fn enable_timer_interrupt() {
    unsafe { asm!("csrs sie, {}", in(reg) SIE_STIE) };
}

/// Every trap from user mode arrives here, on the process's kernel stack.
#[no_mangle]
pub fn trap_handler() -> ! {
    // The trap's cause first: a kprobe hit in anything this handler calls
    // is a kernel trap of its own, which rewrites scause and stval.
    let (scause, stval): (usize, usize);
    unsafe {
        asm!("csrr {}, scause", out(reg) scause);
        asm!("csrr {}, stval", out(reg) stval);
    }
    set_kernel_trap_entry();
    crate::drivers::poll(); // polled devices (drivers/mod.rs): on every trap from user mode
    match scause {
        USER_ENV_CALL => {
            let mut cx = current_trap_cx();
            cx.sepc += 4; // return after the ecall
            let result = syscall(cx.x[17], [cx.x[10], cx.x[11], cx.x[12]]);
            // exec replaced the trap context: read it again
            cx = current_trap_cx();
            cx.x[10] = result as usize;
        }
        SUPERVISOR_TIMER => {
            set_next_trigger();
            crate::timer::tick();
            suspend_current_and_run_next();
        }
        // A uprobe's break; one nobody takes kills the program, as a
        // debugger-less Unix kills with SIGTRAP.
        BREAKPOINT if !crate::ktrace::hooks::on_user_break(current_trap_cx()) => {
            println!(
                "[kernel] {}: breakpoint (ebreak) at {:#x}, no probe there; killed",
                current_program(),
                current_trap_cx().sepc
            );
            exit_current_and_run_next(-2);
        }
        BREAKPOINT => {}
        ILLEGAL_INSTRUCTION => {
            println!("[kernel] {}: illegal instruction; killed", current_program());
            exit_current_and_run_next(-3);
        }
        _ if scause & INTERRUPT == 0 => {
            println!(
                "[kernel] {}: exception {} at {:#x} (stval {:#x}); killed",
                current_program(),
                scause,
                current_trap_cx().sepc,
                stval
            );
            exit_current_and_run_next(-2);
        }
        _ => panic!("unexpected interrupt, scause {:#x}", scause),
    }
    trap_return();
}

/// "name (pid N)" of the current process, for the kernel's messages.
fn current_program() -> alloc::string::String {
    let task = current_task().unwrap();
    alloc::format!("{} (pid {})", task.name(), task.getpid())
}

/// Back to the current process, through __restore on the trampoline.
#[no_mangle]
pub fn trap_return() -> ! {
    crate::ktrace::hooks::on_return_to_user();
    let trap_cx_ptr = TRAP_CONTEXT;
    let user_satp = current_user_token();
    // From here on a trap goes to the trampoline's user entry: nothing
    // may run that a kprobe could sit on (a kernel ebreak there would be
    // taken for a trap from user mode).  current_user_token and what it
    // calls are probeable, so they run before.
    set_user_trap_entry();
    extern "C" {
        fn __alltraps();
        fn __restore();
    }
    let restore_va = __restore as usize - __alltraps as usize + TRAMPOLINE;
    unsafe {
        asm!(
            "fence.i",
            "jr {restore_va}",
            restore_va = in(reg) restore_va,
            in("a0") trap_cx_ptr,
            in("a1") user_satp,
            options(noreturn)
        );
    }
}
