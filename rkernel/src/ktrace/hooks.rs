//! Where the kernel tells the tracing layer what happens, and calls into
//! libktrace (ktrace/include/ktrace.h): each function is called from one
//! place in the kernel.  The rest of the kernel sees only these; the
//! `extern "C"` calls stay here and in the port (port*.rs).
//!
//! The debugger's own hooks are elsewhere and stay as they are:
//! exec_commit and fork_commit (task/task.rs), pinned by
//! profiles/rust-kernel.json.
use super::api::*;
use super::tasks::{self, TaskFacts};
use crate::config::USER_STACK_SIZE;
use crate::drivers::dbgchan;
use crate::task::TaskControlBlock;
use crate::trap::{PtRegs, TrapContext};
use core::sync::atomic::{AtomicBool, Ordering};

static SIDESTUB: AtomicBool = AtomicBool::new(false);

/// At boot, once memory and the devices are up, before the first task:
/// bpf(), the probes, and the side-stub when there is a debug channel
/// (boot argument `dbgchan=off`: as a kernel without one; `dbgchan=echo`
/// is the channel's own test).
pub fn init() {
    unsafe {
        kt_bpf_init();
        kt_kprobe_init();
        kt_uprobe_init();
    }
    let args = crate::bootargs::get();
    let mode_off = args.split_whitespace().any(|w| w == "dbgchan=off" || w == "dbgchan=echo");
    if dbgchan::available() && !mode_off {
        unsafe { kt_sidestub_init() };
        SIDESTUB.store(true, Ordering::Release);
    }
}

/// Just before the first program: if the debugger asked for it, wait until
/// it has set its probes (the timer must be running: the wait counts ticks).
pub fn before_first_task() {
    unsafe { kt_sidestub_wait() };
}

/// HOOK kprobe: an ebreak or c.ebreak in kernel code (trap/kernel.rs).
/// true: taken, resume at regs.pc with regs and *sstatus (the handler may
/// change them); false: nobody's, the kernel panics.
pub fn on_kernel_break(regs: &mut PtRegs, sstatus: &mut u64) -> bool {
    super::selftest::on_kernel_break(regs) || unsafe { kt_kprobe_on_break(regs, sstatus) } == 1
}

/// HOOK uprobe: an ebreak or c.ebreak in a program (trap/mod.rs), its
/// registers in cx (sepc is the break's address).  true: taken, resume at
/// cx.sepc; false: the program is killed.  ktrace takes pt_regs (pc, then
/// x1..x31); the trap context is x0..x31, then sstatus and sepc.
pub fn on_user_break(cx: &mut TrapContext) -> bool {
    let mut regs = PtRegs { pc: cx.sepc as u64, x: [0; 31] };
    for n in 1..32 {
        regs.x[n - 1] = cx.x[n] as u64;
    }
    if unsafe { kt_uprobe_on_break(&mut regs) } != 1 {
        return false;
    }
    cx.sepc = regs.pc as usize;
    for n in 1..32 {
        cx.x[n] = regs.x[n - 1] as usize;
    }
    true
}

/// The bytes the host sent on the debug channel, to the side-stub.  The
/// driver is polled (drivers/mod.rs): they wait in its ring until here.
fn side_stub_input() {
    if SIDESTUB.load(Ordering::Acquire) {
        dbgchan::poll(|bytes| unsafe { kt_sidestub_input(bytes.as_ptr(), bytes.len()) });
    }
}

/// HOOK timer tick: every timer interrupt, after jiffies moved on
/// (timer.rs): the side-stub sends queued events and retransmits.
pub fn on_timer_tick() {
    side_stub_input();
    unsafe { kt_sidestub_tick() };
}

/// HOOK return to user mode: trap_return, before the trampoline
/// (trap/mod.rs): requests answered, events sent well before the next tick.
pub fn on_return_to_user() {
    side_stub_input();
    unsafe { kt_sidestub_poll() };
}

/// HOOK kernel wait: the kernel waits without a program running (the idle
/// loop; a program waiting for a key loops through it; the side-stub's
/// boot wait).  It takes no interrupts, so it looks for them here: the
/// timer's tick if it is due, the devices, the side-stub's requests.
pub fn poll_from_kernel() {
    // The devices first: a '+' the host sent while the kernel was busy
    // must reach the side-stub before the tick looks for overdue acks
    // (else a reply acknowledged in time is sent again, and a host that
    // took the copy for the next reply is one reply off).
    crate::drivers::poll();
    crate::timer::tick_if_due();
    side_stub_input();
}

/// ktrace's spaces lock, held while a task's space or name changes as
/// ktrace sees them (tasks::publish), so that a uprobe being armed never
/// sees a space half-changed.
struct SpacesLocked;

impl SpacesLocked {
    fn new() -> Self {
        unsafe { kt_uprobe_spaces_lock() };
        SpacesLocked
    }
}

impl Drop for SpacesLocked {
    fn drop(&mut self) {
        unsafe { kt_uprobe_spaces_unlock() };
    }
}

/// What the port may ask about task without borrowing it (tasks.rs).
fn facts_of(task: &TaskControlBlock) -> TaskFacts {
    let inner = task.inner_exclusive_access();
    let stack_top = inner.base_size;
    TaskFacts {
        pid: task.getpid(),
        task: task as *const TaskControlBlock as usize,
        space: inner.memory_set.token(),
        trap_cx: inner.get_trap_cx() as *const TrapContext as usize,
        name: tasks::comm_of(&inner.name),
        stack: (stack_top - USER_STACK_SIZE, stack_top),
        text: inner.memory_set.user_text_range(),
    }
}

/// HOOK run: the processor switches to the task pid (None: to its idle
/// loop).
pub fn on_run(pid: Option<usize>) {
    tasks::set_current(pid);
}

/// HOOK exec: task runs a new program (its memory set, name and trap
/// context are the new ones; initproc's first one too, old_space None).
/// old_space is the replaced memory set's, not freed yet: ktrace forgets
/// it first, then arms the new program's uprobes.
pub fn on_exec(task: &TaskControlBlock, old_space: Option<usize>) {
    let facts = facts_of(task);
    {
        let _locked = SpacesLocked::new();
        tasks::publish(&facts);
    }
    let name = facts.name; // NUL-terminated: KT_COMM_LEN - 1 bytes at most
    unsafe {
        if let Some(old) = old_space {
            kt_uprobe_free(old as u64);
        }
        kt_uprobe_exec(facts.space as u64, name.as_ptr());
    }
}

/// HOOK fork: child is parent's copy (its memory set, uprobe slot page
/// included, copied page for page), not run yet; after fork_commit.
/// ktrace fixes the child's copy of the parent's breaks and arms it.
pub fn on_fork(parent: &TaskControlBlock, child: &TaskControlBlock) {
    let facts = facts_of(child);
    {
        let _locked = SpacesLocked::new();
        tasks::publish(&facts);
    }
    let parent_inner = parent.inner_exclusive_access();
    let parent_space = parent_inner.memory_set.token() as u64;
    let child_sp = parent_inner.get_trap_cx().x[2] as u64;
    drop(parent_inner);
    unsafe { kt_uprobe_fork(parent_space, facts.space as u64, facts.task as u64, child_sp) };
}

/// HOOK exit: task has ended (a zombie now, its descriptors closed, its
/// pages not yet freed): no live task of its space any more.
pub fn on_exit(task: &TaskControlBlock) {
    let space = task.inner_exclusive_access().memory_set.token();
    {
        let _locked = SpacesLocked::new();
        tasks::retire(task.getpid());
    }
    unsafe { kt_uprobe_free(space as u64) };
}

/// HOOK: the last reference to a bpf() descriptor went (close, exit;
/// task/files.rs): a link detaches, a program or map is freed when unused.
pub fn on_bpf_file_closed(kind: i32, id: i32) {
    unsafe { kt_bpf_file_closed(kind, id) };
}

/// HOOK power off (shutdown, initproc's exit): queued events go out.
pub fn on_power_off() {
    unsafe { kt_sidestub_flush() };
}

/// bpf(cmd, attr, size), Linux's call (include/osdbg/bpf_attr.h): >= 0 or
/// -errno.
pub fn sys_bpf(cmd: usize, attr: usize, size: usize) -> isize {
    unsafe { kt_sys_bpf(cmd as i32, attr as u64, size as u64) as isize }
}
