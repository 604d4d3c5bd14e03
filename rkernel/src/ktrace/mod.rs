//! The kernel side of osdbg's tracing (issue 19), the groundwork the port of
//! ktrace (ktrace/include/ktrace_os.h: the kt_os_* functions an OS defines)
//! stands on:
//!   ffi.rs       the C libraries' functions (libebpf, librvprobe, common/)
//!   hooks.rs     where the kernel tells the tracing layer what happens
//!   ksyms.rs     the kernel's function table (a kprobe by name)
//!   text.rs      writing instructions into kernel and user text
//!   selftest.rs  boot argument `selftest`: each of the above, checked
pub mod ffi;
pub mod hooks;
pub mod ksyms;
mod selftest;
pub mod text;

pub use selftest::run as selftest;
