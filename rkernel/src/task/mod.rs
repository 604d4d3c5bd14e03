//! Processes and scheduling (rCore-Tutorial-v3 chapter 5).
mod context;
mod files;
mod manager;
mod pid;
mod processor;
mod switch;
#[allow(clippy::module_inception)]
mod task;

use crate::loader::get_app_data_by_name;
use crate::sbi::shutdown;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lazy_static::lazy_static;
use switch::__switch;
use task::TaskStatus;
pub use task::TaskControlBlock;
pub use files::{close_file, install_bpf_file, lookup_bpf_file};
pub use pid::MAX_PROCESSES;

pub use context::TaskContext;
pub use manager::{add_task, fetch_task};
pub use processor::{current_task, current_trap_cx, current_user_token, run_tasks, schedule, take_current_task};

/// The current task gives up the hart and waits in the ready queue.
pub fn suspend_current_and_run_next() {
    let task = take_current_task().unwrap();
    let mut task_inner = task.inner_exclusive_access();
    let task_cx_ptr = &mut task_inner.task_cx as *mut TaskContext;
    task_inner.task_status = TaskStatus::Ready;
    drop(task_inner);
    add_task(task);
    schedule(task_cx_ptr);
}

/// The current task ends: a zombie until its parent reaps it; its children
/// go to initproc.  When initproc itself ends, the machine powers off.
pub fn exit_current_and_run_next(exit_code: i32) {
    // While it is still the current task: closing a bpf() descriptor may
    // yield (task/files.rs).
    files::close_all_files(&current_task().unwrap());
    let task = take_current_task().unwrap();
    if task.getpid() == INITPROC.getpid() {
        println!("[kernel] initproc exited with {}; powering off", exit_code);
        crate::ktrace::hooks::on_power_off();
        shutdown(exit_code != 0);
    }
    let mut inner = task.inner_exclusive_access();
    inner.task_status = TaskStatus::Zombie;
    inner.exit_code = exit_code;
    {
        let mut initproc_inner = INITPROC.inner_exclusive_access();
        for child in inner.children.iter() {
            child.inner_exclusive_access().parent = Some(Arc::downgrade(&INITPROC));
            initproc_inner.children.push(child.clone());
        }
    }
    inner.children.clear();
    drop(inner);
    crate::ktrace::hooks::on_exit(&task);
    task.inner_exclusive_access().memory_set.recycle_data_pages();
    drop(task);
    // Nothing to save: this task never runs again.
    let mut unused = TaskContext::zero_init();
    schedule(&mut unused as *mut _);
}

lazy_static! {
    /// The first process; its arguments are the boot command line's words.
    pub static ref INITPROC: Arc<TaskControlBlock> = Arc::new({
        let args: Vec<String> = core::iter::once(String::from("initproc"))
            .chain(crate::bootargs::get().split_whitespace().map(String::from))
            .collect();
        TaskControlBlock::new("initproc", get_app_data_by_name("initproc").unwrap(), &args)
            .expect("initproc is not a program this kernel runs")
    });
}

pub fn add_initproc() {
    // Its exec hook once it has its place (tasks are named by address).
    crate::ktrace::hooks::on_exec(&INITPROC, None);
    add_task(INITPROC.clone());
}
