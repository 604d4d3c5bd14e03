//! The kernel side of osdbg's tracing (issue 19): libktrace
//! (ktrace/include/ktrace.h) linked in, and its port
//! (ktrace/include/ktrace_os.h: the kt_os_* functions an OS defines):
//!   api.rs          ktrace's functions and the structs it shares, declared
//!   hooks.rs        where the kernel tells ktrace what happens (the only
//!                   way in from the rest of the kernel)
//!   port.rs         kt_os_*: harts, interrupts, time, current task, printing
//!   port_bpf.rs     kt_os_*: memory, stacks, bpf() descriptors, JIT pages
//!   port_probes.rs  kt_os_*: text, what must not be probed, user spaces,
//!                   the debug channel
//!   tasks.rs        the tasks as the port reads them inside a probe hit
//!   walk.rs         page-table walks the port may do inside a probe hit
//!   utext.rs        is an address an instruction of a program (uprobes)
//!   text.rs         writing instructions into kernel and user text
//!   ksyms.rs        the kernel's function table (a kprobe by name)
//!   ffi.rs          the C libraries' other functions (libebpf, librvprobe)
//!   selftest.rs     boot argument `selftest`: the groundwork, checked
//! All of it is out of reach of kprobes (linker.ld: noprobe_start..end).
mod api;
pub mod ffi;
pub mod hooks;
pub mod ksyms;
mod port;
mod port_bpf;
mod port_probes;
mod selftest;
mod tasks;
pub mod text;
mod utext;
mod walk;

pub use selftest::run as selftest;
