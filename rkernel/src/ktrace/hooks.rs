//! Where the kernel tells the tracing layer what happens: each function is
//! called from one place in the kernel, and is the point where the port of
//! ktrace (ktrace/include/ktrace.h) will call in.  Until libktrace is
//! linked they do nothing (the breakpoint hooks claim nothing), except
//! that the selftest (selftest.rs) may claim its own kernel break.
//!
//! The debugger's own hooks are elsewhere and stay as they are:
//! exec_commit and fork_commit (task/task.rs), pinned by
//! profiles/rust-kernel.json.
use crate::task::TaskControlBlock;
use crate::trap::{PtRegs, TrapContext};

/// HOOK kprobe: an ebreak or c.ebreak in kernel code (trap/kernel.rs).
/// true: taken, resume at regs.pc with regs and *sstatus (the handler may
/// change them); false: nobody's, the kernel panics.
pub fn on_kernel_break(regs: &mut PtRegs, sstatus: &mut u64) -> bool {
    let _ = sstatus;
    super::selftest::on_kernel_break(regs)
}

/// HOOK uprobe: an ebreak or c.ebreak in a program (trap/mod.rs), its
/// registers in cx (sepc is the break's address).  true: taken, resume at
/// cx.sepc; false: the program is killed.
pub fn on_user_break(cx: &mut TrapContext) -> bool {
    let _ = cx;
    false
}

/// HOOK timer tick: every timer interrupt, after jiffies moved on
/// (timer.rs); the side-stub's periodic work goes here.
pub fn on_timer_tick() {}

/// HOOK return to user mode: trap_return, before the trampoline
/// (trap/mod.rs); the side-stub polls its console here.
pub fn on_return_to_user() {}

/// HOOK exec: task runs a new program (its memory set, name and trap
/// context are the new ones); after exec_commit.  Uprobes arm here.
pub fn on_exec(task: &TaskControlBlock) {
    let _ = task;
}

/// HOOK fork: child is parent's copy (its memory set, uprobe slot page
/// included, copied page for page); after fork_commit.
pub fn on_fork(parent: &TaskControlBlock, child: &TaskControlBlock) {
    let _ = (parent, child);
}

/// HOOK exit: task has ended (a zombie now, its pages not yet freed).
pub fn on_exit(task: &TaskControlBlock) {
    let _ = task;
}
