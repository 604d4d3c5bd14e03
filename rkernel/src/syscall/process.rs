//! Processes: exit, yield, time, getpid, fork, exec, waitpid, shutdown.
use crate::loader::get_app_data_by_name;
use crate::mm::{frames_available, translated_refmut, translated_str};
use crate::sbi::shutdown;
use crate::task::{
    add_task, current_task, current_user_token, exit_current_and_run_next,
    suspend_current_and_run_next,
};
use crate::timer::{get_time_ms, jiffies};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Longest path, argument and argument count exec accepts.
const MAX_PATH: usize = 256;
const MAX_ARGS: usize = 16;

pub fn sys_exit(exit_code: i32) -> ! {
    exit_current_and_run_next(exit_code);
    panic!("an exited task ran again");
}

pub fn sys_yield() -> isize {
    suspend_current_and_run_next();
    0
}

pub fn sys_get_time() -> isize {
    get_time_ms() as isize
}

pub fn sys_getpid() -> isize {
    current_task().unwrap().pid.0 as isize
}

/// Frames kept for the kernel itself (kernel stacks, its page table).
const FRAMES_RESERVED: usize = 64;

pub fn sys_fork() -> isize {
    let current_task = current_task().unwrap();
    // Out of memory is an error for the program, not a kernel panic.
    let needed = current_task.inner_exclusive_access().memory_set.frames_to_copy();
    if frames_available() < needed + FRAMES_RESERVED {
        return -1;
    }
    let new_task = match current_task.fork() {
        Some(t) => t,
        None => return -1,
    };
    let new_pid = new_task.pid.0;
    // The child returns 0 from fork.
    new_task.inner_exclusive_access().get_trap_cx().x[10] = 0;
    add_task(new_task);
    new_pid as isize
}

/// exec(path, argv): argv a NULL-terminated array of strings, or NULL.
pub fn sys_exec(path: *const u8, argv: *const usize) -> isize {
    let token = current_user_token();
    let path = match translated_str(token, path, MAX_PATH) {
        Some(v) => v,
        None => return -1,
    };
    let mut args: Vec<String> = Vec::new();
    if !argv.is_null() {
        loop {
            if args.len() == MAX_ARGS {
                return -1;
            }
            let p = match translated_refmut(token, unsafe { argv.add(args.len()) } as *mut usize) {
                Some(v) => v,
                None => return -1,
            };
            if *p == 0 {
                break;
            }
            let arg = match translated_str(token, *p as *const u8, MAX_PATH) {
                Some(v) => v,
                None => return -1,
            };
            args.push(arg);
        }
    }
    match get_app_data_by_name(path.as_str()) {
        Some(data) if frames_available() < data.len() / 4096 + 16 + FRAMES_RESERVED => -1,
        Some(data) => match current_task().unwrap().exec(path.as_str(), data, &args) {
            true => args.len() as isize, // the trap handler puts it in a0: the new program's argc, as xv6
            false => -1,
        },
        None => -1,
    }
}

/// waitpid(pid or -1, &exit_code): the child's pid once it has exited;
/// -1 if there is no such child; -2 while it still runs (the user library
/// yields and asks again, as rCore's does).
pub fn sys_waitpid(pid: isize, exit_code_ptr: *mut i32) -> isize {
    let task = current_task().unwrap();
    let mut inner = task.inner_exclusive_access();
    if !inner.children.iter().any(|p| pid == -1 || pid as usize == p.getpid()) {
        return -1;
    }
    let pair = inner.children.iter().enumerate().find(|(_, p)| {
        p.inner_exclusive_access().is_zombie() && (pid == -1 || pid as usize == p.getpid())
    });
    if let Some((idx, _)) = pair {
        let child = inner.children.remove(idx);
        // The last reference: its pid and kernel stack go with it.
        assert_eq!(Arc::strong_count(&child), 1);
        let found_pid = child.getpid();
        let exit_code = child.inner_exclusive_access().exit_code;
        if !exit_code_ptr.is_null() {
            match translated_refmut(inner.memory_set.token(), exit_code_ptr) {
                Some(p) => *p = exit_code,
                None => return -1,
            }
        }
        found_pid as isize
    } else {
        -2
    }
}

pub fn sys_shutdown() -> isize {
    crate::ktrace::hooks::on_power_off(); // tracing events still queued
    println!("[kernel] shutdown after {} timer ticks in {} ms", jiffies(), get_time_ms());
    shutdown(false)
}

