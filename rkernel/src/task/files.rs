//! A process's descriptors beyond the console's 0 and 1: bpf() objects
//! (maps, programs, links), each named by its kind and ktrace's id for it.
//! fork shares them (the child's table holds the same objects), close and
//! exit drop a reference, and when the last one goes the object tells
//! ktrace (hooks::on_bpf_file_closed).  That call may yield and may walk
//! every task (a link's uprobes are disarmed), so an object is only ever
//! dropped with no task's cell borrowed: take it out, release the borrow,
//! then drop it (close_file, close_all_files).
use super::processor::current_task;
use super::TaskControlBlock;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Descriptors per process (the C kernel's NOFILE); 0..=2 are the console's.
pub const MAX_FILES: usize = 16;
const FIRST_FD: usize = 3;

pub struct BpfObject {
    kind: i32,
    id: i32,
}

impl Drop for BpfObject {
    fn drop(&mut self) {
        crate::ktrace::hooks::on_bpf_file_closed(self.kind, self.id);
    }
}

#[derive(Clone, Default)]
pub struct FileTable {
    files: Vec<Option<Arc<BpfObject>>>,
}

impl FileTable {
    fn install(&mut self, kind: i32, id: i32) -> Option<usize> {
        let free = (FIRST_FD..MAX_FILES).find(|&fd| self.files.get(fd).map_or(true, |f| f.is_none()))?;
        if self.files.len() <= free {
            self.files.resize(free + 1, None);
        }
        self.files[free] = Some(Arc::new(BpfObject { kind, id }));
        Some(free)
    }
    fn lookup(&self, fd: usize, kind: i32) -> Option<i32> {
        match self.files.get(fd) {
            Some(Some(f)) if f.kind == kind => Some(f.id),
            _ => None,
        }
    }
    fn take(&mut self, fd: usize) -> Option<Arc<BpfObject>> {
        self.files.get_mut(fd)?.take()
    }
}

/// A descriptor of the current process for ktrace's object (kind, id);
/// None if its table is full.
pub fn install_bpf_file(kind: i32, id: i32) -> Option<usize> {
    current_task()?.inner_exclusive_access().files.install(kind, id)
}

/// The id of the object of kind the current process's fd refers to.
pub fn lookup_bpf_file(fd: i32, kind: i32) -> Option<i32> {
    let fd = usize::try_from(fd).ok()?;
    current_task()?.inner_exclusive_access().files.lookup(fd, kind)
}

/// close(fd): false if fd is no open descriptor.
pub fn close_file(fd: usize) -> bool {
    let task = match current_task() {
        Some(t) => t,
        None => return false,
    };
    let file = task.inner_exclusive_access().files.take(fd);
    file.is_some() // dropped here, the borrow released
}

/// Every descriptor of task closed (it exits).
pub fn close_all_files(task: &TaskControlBlock) {
    let files = core::mem::take(&mut task.inner_exclusive_access().files);
    drop(files);
}
