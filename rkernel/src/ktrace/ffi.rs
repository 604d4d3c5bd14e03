//! The C libraries' functions the Rust kernel calls, declared by hand from
//! their headers (no bindgen): ebpf/include/ebpf.h (libebpf.a),
//! probes/include/rvprobe.h (librvprobe.a), common/format.h and
//! common/kstring.h (compiled for this kernel, rkernel/rkernel.mk).  Each
//! struct repeats its C layout field for field; the asserts below pin the
//! sizes the C compiler gives them (lp64).  Only what the kernel uses so
//! far is here; add declarations as the port grows.
#![allow(dead_code)]
use crate::trap::PtRegs;
pub use core::ffi::c_void;

// core::ffi's c_char and c_int are unstable in rustc 1.63: the RISC-V
// psABI's (char is unsigned, int 32 bits).
#[allow(non_camel_case_types)]
pub type c_char = u8;
#[allow(non_camel_case_types)]
pub type c_int = i32;

// ---- libebpf ---------------------------------------------------------------

/// struct ebpf_insn (RFC 9669 3): opcode, dst (low nibble) and src (high
/// nibble) registers, offset, immediate.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct EbpfInsn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}
const _: () = assert!(core::mem::size_of::<EbpfInsn>() == 8);

impl EbpfInsn {
    pub const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        Self { code, regs: (src << 4) | (dst & 0xf), off, imm }
    }
}

/// An opaque ebpf_vm.
#[repr(C)]
pub struct EbpfVm {
    _private: [u8; 0],
}

/// struct ebpf_verify_opts.
#[repr(C)]
pub struct EbpfVerifyOpts {
    pub ctx_size: u32,
    pub ctx_writable: u32,
    pub ctx_wr_off: u32,
    pub ctx_wr_len: u32,
    pub log: *mut c_char,
    pub log_size: usize,
    pub log_level: c_int,
    pub insn_limit: u32,
    pub r2_is_ctx_len: u32,
}
const _: () = assert!(core::mem::size_of::<EbpfVerifyOpts>() == 48);

impl EbpfVerifyOpts {
    /// A read-only context of ctx_size bytes, no log, the default budget.
    pub fn for_context(ctx_size: u32) -> Self {
        Self {
            ctx_size,
            ctx_writable: 0,
            ctx_wr_off: 0,
            ctx_wr_len: 0,
            log: core::ptr::null_mut(),
            log_size: 0,
            log_level: 0,
            insn_limit: 0,
            r2_is_ctx_len: 0,
        }
    }
}

extern "C" {
    pub fn ebpf_create(mem: *mut c_void, size: usize, err: *mut c_char, errlen: usize) -> *mut EbpfVm;
    pub fn ebpf_error(vm: *const EbpfVm) -> *const c_char;
    pub fn ebpf_arena_used(vm: *const EbpfVm) -> usize;
    pub fn ebpf_load(vm: *mut EbpfVm, insns: *const EbpfInsn, count: u32) -> c_int;
    pub fn ebpf_verify(vm: *mut EbpfVm, opts: *const EbpfVerifyOpts) -> c_int;
    pub fn ebpf_set_bounds_check(vm: *mut EbpfVm, on: c_int);
    pub fn ebpf_exec(vm: *mut EbpfVm, ctx: *mut c_void, ctx_len: u64, ret: *mut u64) -> c_int;
}

// ---- librvprobe ------------------------------------------------------------

/// enum rvprobe_class.
pub const RVPROBE_REFUSE: c_int = 0;
pub const RVPROBE_SIMULATE: c_int = 1;
pub const RVPROBE_STEP: c_int = 2;
/// enum rvprobe_op: the ones the kernel names.
pub const RVPROBE_OP_AUIPC: u8 = 1;

/// struct rvprobe_insn.
#[repr(C)]
pub struct RvprobeInsn {
    pub raw: u32,
    pub len: u8,
    pub cls: u8,
    pub op: u8,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub imm: i64,
    pub name: *const c_char,
    pub reason: *const c_char,
}
const _: () = assert!(core::mem::size_of::<RvprobeInsn>() == 40);

impl RvprobeInsn {
    pub fn zeroed() -> Self {
        Self {
            raw: 0,
            len: 0,
            cls: 0,
            op: 0,
            rd: 0,
            rs1: 0,
            rs2: 0,
            imm: 0,
            name: core::ptr::null(),
            reason: core::ptr::null(),
        }
    }
}

extern "C" {
    pub fn rvprobe_strerror(err: c_int) -> *const c_char;
    pub fn rvprobe_insn_len(first: u16) -> u32;
    /// Returns the enum rvprobe_class.
    pub fn rvprobe_decode(insn: u32, len: u32, xlen: u32, out: *mut RvprobeInsn) -> c_int;
    pub fn rvprobe_simulate(insn: u32, len: u32, regs: *mut PtRegs) -> c_int;
}

// ---- common/ ---------------------------------------------------------------

extern "C" {
    pub fn snprintf(buf: *mut c_char, size: usize, fmt: *const c_char, ...) -> c_int;
    pub fn strlen(s: *const c_char) -> usize;
}

/// A C string the libraries return (static or in a caller's buffer), as
/// text; "" for NULL, "?" if it is not UTF-8.
///
/// # Safety
/// s is NULL or points to a NUL-terminated string that outlives 'a.
pub unsafe fn c_str<'a>(s: *const c_char) -> &'a str {
    if s.is_null() {
        return "";
    }
    let bytes = core::slice::from_raw_parts(s as *const u8, strlen(s));
    core::str::from_utf8(bytes).unwrap_or("?")
}
