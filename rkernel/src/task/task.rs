//! A process: rCore's TaskControlBlock: its pid, its address space (whose
//! page table's satp tells the debugger which program it runs,
//! profiles/rust-kernel.json), its trap context's page, its family, and
//! (unlike rCore's, for the tracer's comm and uprobes by program) the name
//! of the program it runs: the path exec was given.
use super::files::FileTable;
use super::pid::{pid_alloc, KernelStack, PidHandle};
use super::TaskContext;
use crate::config::TRAP_CONTEXT;
use crate::mm::{translated_refmut, MemorySet, PhysPageNum, VirtAddr, KERNEL_SPACE};
use crate::sync::UPSafeCell;
use crate::trap::{trap_handler, TrapContext};
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::cell::RefMut;

pub struct TaskControlBlock {
    pub pid: PidHandle,
    pub kernel_stack: KernelStack,
    inner: UPSafeCell<TaskControlBlockInner>,
}

pub struct TaskControlBlockInner {
    /// The program's name: the path of the last exec ("initproc" for the
    /// first process); a forked child has its parent's.
    pub name: String,
    pub trap_cx_ppn: PhysPageNum,
    pub base_size: usize,
    pub task_cx: TaskContext,
    pub task_status: TaskStatus,
    pub memory_set: MemorySet,
    pub parent: Option<Weak<TaskControlBlock>>,
    pub children: Vec<Arc<TaskControlBlock>>,
    pub exit_code: i32,
    /// Descriptors 3.. (bpf() objects), shared with children on fork.
    pub files: FileTable,
}

impl TaskControlBlockInner {
    pub fn get_trap_cx(&self) -> &'static mut TrapContext {
        self.trap_cx_ppn.get_mut()
    }
    pub fn get_user_token(&self) -> usize {
        self.memory_set.token()
    }
    pub fn is_zombie(&self) -> bool {
        self.task_status == TaskStatus::Zombie
    }
}

#[derive(Copy, Clone, PartialEq)]
pub enum TaskStatus {
    Ready,
    Running,
    Zombie,
}

/// Push args on a new user stack as C's main(argc, argv) expects them:
/// the strings, then the NULL-terminated array of their addresses.
/// (sp, argc, argv), or None if they do not fit.
fn push_args(memory_set: &MemorySet, user_sp: usize, args: &[String]) -> Option<(usize, usize, usize)> {
    let token = memory_set.token();
    let mut sp = user_sp;
    let mut addrs = Vec::new();
    for arg in args.iter() {
        sp -= arg.len() + 1;
        for (i, b) in arg.bytes().chain(core::iter::once(0)).enumerate() {
            *translated_refmut(token, (sp + i) as *mut u8)? = b;
        }
        addrs.push(sp);
    }
    sp &= !7;
    sp -= (args.len() + 1) * 8;
    let argv = sp;
    for (i, a) in addrs.iter().chain(core::iter::once(&0)).enumerate() {
        *translated_refmut(token, (argv + i * 8) as *mut usize)? = *a;
    }
    sp &= !15; // the RISC-V psABI's stack alignment
    Some((sp, args.len(), argv))
}

impl TaskControlBlock {
    pub fn inner_exclusive_access(&self) -> RefMut<'_, TaskControlBlockInner> {
        self.inner.exclusive_access()
    }
    /// The cell, or None if it is borrowed (for the tracing port, which
    /// must never panic on a second borrow).
    pub fn try_inner_exclusive_access(&self) -> Option<RefMut<'_, TaskControlBlockInner>> {
        self.inner.try_exclusive_access()
    }
    pub fn getpid(&self) -> usize {
        self.pid.0
    }
    /// The program's name (exec's path).
    pub fn name(&self) -> String {
        self.inner_exclusive_access().name.clone()
    }
    /// A process running program `name` (elf_data) with args (initproc).
    pub fn new(name: &str, elf_data: &[u8], args: &[String]) -> Option<Self> {
        let (memory_set, user_sp, entry_point) = MemorySet::from_elf(elf_data)?;
        let (sp, argc, argv) = push_args(&memory_set, user_sp, args)?;
        let trap_cx_ppn = memory_set.translate(VirtAddr::from(TRAP_CONTEXT).into())?;
        let pid_handle = pid_alloc()?;
        let kernel_stack = KernelStack::new(&pid_handle);
        let kernel_stack_top = kernel_stack.get_top();
        let task = Self {
            pid: pid_handle,
            kernel_stack,
            inner: unsafe {
                UPSafeCell::new(TaskControlBlockInner {
                    name: String::from(name),
                    trap_cx_ppn,
                    base_size: user_sp,
                    task_cx: TaskContext::goto_trap_return(kernel_stack_top),
                    task_status: TaskStatus::Ready,
                    memory_set,
                    parent: None,
                    children: Vec::new(),
                    exit_code: 0,
                    files: FileTable::default(),
                })
            },
        };
        let cx = task.inner_exclusive_access().get_trap_cx();
        *cx = TrapContext::app_init_context(
            entry_point,
            sp,
            KERNEL_SPACE.exclusive_access().token(),
            kernel_stack_top,
            trap_handler as usize,
        );
        cx.x[10] = argc;
        cx.x[11] = argv;
        exec_commit(name, task.getpid(), task.inner_exclusive_access().memory_set.token());
        Some(task)
    }
    /// Replace the program with `name` (exec); false, and nothing changed,
    /// if elf_data is not a program this kernel runs.
    pub fn exec(&self, name: &str, elf_data: &[u8], args: &[String]) -> bool {
        let (memory_set, user_sp, entry_point) = match MemorySet::from_elf(elf_data) {
            Some(m) => m,
            None => return false,
        };
        let (sp, argc, argv) = match push_args(&memory_set, user_sp, args) {
            Some(a) => a,
            None => return false,
        };
        let trap_cx_ppn = match memory_set.translate(VirtAddr::from(TRAP_CONTEXT).into()) {
            Some(p) => p,
            None => return false,
        };
        let mut inner = self.inner_exclusive_access();
        inner.name = String::from(name);
        // The old memory set (its uprobe slot page with it) goes after the
        // exec hook: the tracer forgets its space first.
        let old = core::mem::replace(&mut inner.memory_set, memory_set);
        inner.trap_cx_ppn = trap_cx_ppn;
        inner.base_size = user_sp;
        let cx = inner.get_trap_cx();
        *cx = TrapContext::app_init_context(
            entry_point,
            sp,
            KERNEL_SPACE.exclusive_access().token(),
            self.kernel_stack.get_top(),
            trap_handler as usize,
        );
        cx.x[10] = argc;
        cx.x[11] = argv;
        exec_commit(name, self.getpid(), inner.memory_set.token());
        drop(inner);
        crate::ktrace::hooks::on_exec(self, Some(old.token()));
        drop(old);
        true
    }
    /// A child with a copy of this process's address space (fork); None
    /// when there are MAX_PROCESSES already.
    pub fn fork(self: &Arc<Self>) -> Option<Arc<Self>> {
        let pid_handle = pid_alloc()?;
        let mut parent = self.inner_exclusive_access();
        let memory_set = MemorySet::from_existed_user(&parent.memory_set);
        let trap_cx_ppn = memory_set.translate(VirtAddr::from(TRAP_CONTEXT).into()).unwrap();
        let kernel_stack = KernelStack::new(&pid_handle);
        let kernel_stack_top = kernel_stack.get_top();
        let child = Arc::new(TaskControlBlock {
            pid: pid_handle,
            kernel_stack,
            inner: unsafe {
                UPSafeCell::new(TaskControlBlockInner {
                    name: parent.name.clone(),
                    trap_cx_ppn,
                    base_size: parent.base_size,
                    task_cx: TaskContext::goto_trap_return(kernel_stack_top),
                    task_status: TaskStatus::Ready,
                    memory_set,
                    parent: Some(Arc::downgrade(self)),
                    children: Vec::new(),
                    exit_code: 0,
                    files: parent.files.clone(),
                })
            },
        });
        parent.children.push(child.clone());
        child.inner_exclusive_access().get_trap_cx().kernel_sp = kernel_stack_top;
        let child_satp = child.inner_exclusive_access().memory_set.token();
        fork_commit(parent.memory_set.token(), child.getpid(), child_satp);
        drop(parent);
        crate::ktrace::hooks::on_fork(self, &child);
        Some(child)
    }
}

/// Called once exec has committed a new image: the program's name (the
/// path exec was given), its pid, and the satp of its new address space.
/// The process keeps no name; the debugger's exec hook breaks here
/// (profiles/rust-kernel.json "exec") and learns which page table runs
/// which program.  Never inlined, so the hook has a place to break.
#[inline(never)]
pub fn exec_commit(path: &str, pid: usize, satp: usize) {
    let _ = (path, pid, satp); // for the debugger: the arguments are the point
}

/// Called once fork has made a child: the parent's satp, and the child's
/// pid and satp.  The child runs its parent's program in a page table of
/// its own; the debugger's fork hook learns that here.
#[inline(never)]
pub fn fork_commit(parent_satp: usize, child_pid: usize, child_satp: usize) {
    let _ = (parent_satp, child_pid, child_satp); // for the debugger
}
