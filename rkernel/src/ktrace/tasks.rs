//! The tasks as the tracing port sees them: for each pid, what ktrace may
//! ask about a task (its space, name, trap context, stack and code) from
//! anywhere, a probe hit included, without borrowing the task's cell: a
//! kprobe may fire while the kernel holds that borrow (in fork, in exec,
//! in waitpid), and UPSafeCell panics on a second one.
//!
//! The hooks keep it (hooks.rs): a task's view is published when it gets a
//! program (new, fork, exec), its space cleared when it exits, and the
//! processor says which pid runs (set_current).  A pid indexes its view:
//! pids are below MAX_PROCESSES and not reused before the task is reaped,
//! long after its space was cleared.  One hart, no preemption in the
//! kernel: a reader never sees a view half written, except through a probe
//! inside publish itself, which only this module's own code could be, and
//! it is never probed (kt_os_kprobe_forbidden).
use super::api::KT_COMM_LEN;
use crate::task::MAX_PROCESSES;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A task's facts as plain values.
#[derive(Clone, Copy, Default)]
pub struct TaskFacts {
    pub pid: usize,
    /// The TaskControlBlock's address.
    pub task: usize,
    /// Its page table's satp; 0 once it exits.
    pub space: usize,
    /// The kernel address of its trap context (its user registers).
    pub trap_cx: usize,
    pub name: [u8; KT_COMM_LEN],
    pub stack: (usize, usize),
    pub text: (usize, usize),
}

struct View {
    task: AtomicUsize,
    space: AtomicUsize,
    trap_cx: AtomicUsize,
    name: [AtomicU64; 2],
    stack: [AtomicUsize; 2],
    text: [AtomicUsize; 2],
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: View = View {
    task: AtomicUsize::new(0),
    space: AtomicUsize::new(0),
    trap_cx: AtomicUsize::new(0),
    name: [AtomicU64::new(0), AtomicU64::new(0)],
    stack: [AtomicUsize::new(0), AtomicUsize::new(0)],
    text: [AtomicUsize::new(0), AtomicUsize::new(0)],
};
static VIEWS: [View; MAX_PROCESSES] = [EMPTY; MAX_PROCESSES];
const NONE: usize = usize::MAX;
static CURRENT: AtomicUsize = AtomicUsize::new(NONE);

const R: Ordering = Ordering::Acquire;
const W: Ordering = Ordering::Release;

/// A name cut to KT_COMM_LEN - 1 bytes and NUL-padded.
pub fn comm_of(name: &str) -> [u8; KT_COMM_LEN] {
    let mut c = [0u8; KT_COMM_LEN];
    let n = name.len().min(KT_COMM_LEN - 1);
    c[..n].copy_from_slice(&name.as_bytes()[..n]);
    c
}

pub fn publish(f: &TaskFacts) {
    let v = match VIEWS.get(f.pid) {
        Some(v) => v,
        None => return,
    };
    v.task.store(f.task, W);
    v.trap_cx.store(f.trap_cx, W);
    let (lo, hi) = f.name.split_at(8);
    v.name[0].store(u64::from_le_bytes(lo.try_into().unwrap()), W);
    v.name[1].store(u64::from_le_bytes(hi.try_into().unwrap()), W);
    v.stack[0].store(f.stack.0, W);
    v.stack[1].store(f.stack.1, W);
    v.text[0].store(f.text.0, W);
    v.text[1].store(f.text.1, W);
    v.space.store(f.space, W);
}

/// The task exits: it is no live task of any space from now on.
pub fn retire(pid: usize) {
    if let Some(v) = VIEWS.get(pid) {
        v.space.store(0, W);
    }
}

/// The pid the hart runs from now on (None: the idle loop).
pub fn set_current(pid: Option<usize>) {
    CURRENT.store(pid.unwrap_or(NONE), W);
}

fn facts(pid: usize) -> Option<TaskFacts> {
    let v = VIEWS.get(pid)?;
    let task = v.task.load(R);
    if task == 0 {
        return None;
    }
    let mut name = [0u8; KT_COMM_LEN];
    name[..8].copy_from_slice(&v.name[0].load(R).to_le_bytes());
    name[8..].copy_from_slice(&v.name[1].load(R).to_le_bytes());
    Some(TaskFacts {
        pid,
        task,
        space: v.space.load(R),
        trap_cx: v.trap_cx.load(R),
        name,
        stack: (v.stack[0].load(R), v.stack[1].load(R)),
        text: (v.text[0].load(R), v.text[1].load(R)),
    })
}

/// The task running on this hart (its space is 0 while it exits).
pub fn current() -> Option<TaskFacts> {
    facts(CURRENT.load(R))
}

/// Every task that has a user space and has not exited.
pub fn live() -> impl Iterator<Item = TaskFacts> {
    (0..MAX_PROCESSES).filter_map(facts).filter(|f| f.space != 0)
}

/// The live task whose space is space.
pub fn by_space(space: usize) -> Option<TaskFacts> {
    if space == 0 {
        return None;
    }
    live().find(|f| f.space == space)
}
