//! What __switch saves of a task that gives up the hart: where it goes on
//! (ra), its kernel stack, and the callee-saved registers.
use crate::trap::trap_return;

#[repr(C)]
pub struct TaskContext {
    ra: usize,
    sp: usize,
    s: [usize; 12],
}

impl TaskContext {
    pub fn zero_init() -> Self {
        Self { ra: 0, sp: 0, s: [0; 12] }
    }
    /// A new task starts by returning to user mode.
    pub fn goto_trap_return(kstack_ptr: usize) -> Self {
        Self { ra: trap_return as usize, sp: kstack_ptr, s: [0; 12] }
    }
}
