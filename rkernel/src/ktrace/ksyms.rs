//! The kernel's function table, for kprobes by name and the stack walker:
//! the sorted start addresses of the functions, then the end of the text,
//! and their names (demangled: `os::syscall::fs::sys_write`), written by
//! scripts/gen-ksyms.sh from a first link of the kernel into a second
//! (rkernel/rkernel.mk).  The first link has an empty table of the same
//! shape, and the table lives in .rodata after the text, so no code moves
//! between the two (the build checks it).
use core::ptr::addr_of;

extern "C" {
    static ksym_count: u64;
    static ksym_addrs: [u64; 0];
    /// NUL-separated, in the order of ksym_addrs.
    static ksym_names: [u8; 0];
}

fn addrs() -> &'static [u64] {
    unsafe { core::slice::from_raw_parts(addr_of!(ksym_addrs) as *const u64, ksym_count as usize) }
}

/// The names, one per function (the last address, the end of the text, has none).
fn names() -> impl Iterator<Item = &'static [u8]> {
    let mut p = unsafe { addr_of!(ksym_names) as *const u8 };
    (0..addrs().len().saturating_sub(1)).map(move |_| {
        let mut n = 0;
        while unsafe { *p.add(n) } != 0 {
            n += 1;
        }
        let name = unsafe { core::slice::from_raw_parts(p, n) };
        p = unsafe { p.add(n + 1) };
        name
    })
}

/// Index of the function holding addr.
fn index_of(addr: usize) -> Option<usize> {
    let a = addrs();
    let addr = addr as u64;
    if a.len() < 2 || addr < a[0] || addr >= a[a.len() - 1] {
        return None;
    }
    // The last start <= addr.
    Some(a.partition_point(|&s| s <= addr) - 1)
}

/// The start of the function holding addr; 0 if addr is in none.
pub fn ksym_func_start(addr: usize) -> usize {
    index_of(addr).map_or(0, |i| addrs()[i] as usize)
}

/// The address of the function called name (the first of that name); 0 if
/// none.  Rust names are paths without the hash: `os::task::exec_commit`.
pub fn ksym_lookup(name: &str) -> usize {
    names()
        .position(|n| n == name.as_bytes())
        .map_or(0, |i| addrs()[i] as usize)
}

/// The name and start of the function holding addr.
pub fn ksym_name(addr: usize) -> Option<(&'static str, usize)> {
    let i = index_of(addr)?;
    let name = names().nth(i)?;
    Some((core::str::from_utf8(name).ok()?, addrs()[i] as usize))
}
