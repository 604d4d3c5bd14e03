//! bpf(cmd, attr, size): Linux's eBPF system call (SYS_BPF), as a
//! libbpf-style loader calls it: the attributes are the `#[repr(C)]` twins
//! of include/osdbg/bpf_attr.h (Linux's `union bpf_attr` members, Linux's
//! offsets, checked below at compile time), the numbers come from the C
//! headers (scripts/gen-rust-consts.sh), and every call answers a
//! descriptor, 0 or -errno.  Thin wrappers only: the kernel's checks
//! (ktrace/src/bpf.c) are what programs exercise.
use core::mem::size_of;

use crate::raw_syscall;

/// Command numbers, map types, helper ids, update flags (osdbg/bpf_ids.h).
pub mod ids {
    include!(concat!(env!("OSDBG_RUST_GEN"), "/bpf_ids.rs"));
}
/// BPF_OBJ_NAME_LEN and the attach types (osdbg/bpf_attr.h).
pub mod attach {
    include!(concat!(env!("OSDBG_RUST_GEN"), "/bpf_attr.rs"));
}
/// The errno values a call answers negated (osdbg/errno.h).
pub mod errno {
    include!(concat!(env!("OSDBG_RUST_GEN"), "/errno.rs"));
}
/// The system call numbers (osdbg/syscall_nr.h): bpf and close here, and
/// getpid for probebench's bare ecall.
pub mod nr {
    include!(concat!(env!("OSDBG_RUST_GEN"), "/syscall_nr.rs"));
}

use errno::*;
use ids::*;

const NAME_LEN: usize = attach::BPF_OBJ_NAME_LEN as usize;

/// BPF_F_KPROBE_MULTI_RETURN / BPF_F_UPROBE_MULTI_RETURN: at the return
/// (`(1u << 0)` in the header, which the generator does not read).
pub const MULTI_RETURN: u32 = 1;

// ---- the attributes (include/osdbg/bpf_attr.h) -------------------------

/// BPF_MAP_CREATE.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct MapCreate {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; NAME_LEN],
}

/// BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM, BPF_MAP_GET_NEXT_KEY (value is
/// next_key there).  Pointers are u64, as in Linux.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct MapElem {
    pub map_fd: u32,
    pub pad: u32,
    pub key: u64,
    pub value: u64,
    pub flags: u64,
}

/// BPF_PROG_LOAD.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ProgLoad {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_name: [u8; NAME_LEN],
}

/// BPF_LINK_CREATE with the kprobe_multi member of the union.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkKprobe {
    pub prog_fd: u32,
    pub target_fd: u32,
    pub attach_type: u32,
    pub flags: u32,
    pub kp_flags: u32,
    pub cnt: u32,
    pub syms: u64,
    pub addrs: u64,
    pub cookies: u64,
}

/// BPF_LINK_CREATE with the uprobe_multi member of the union.  The tail
/// padding C leaves after pid is a named field here, so that every byte
/// passed to the kernel is defined.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkUprobe {
    pub prog_fd: u32,
    pub target_fd: u32,
    pub attach_type: u32,
    pub flags: u32,
    pub path: u64,
    pub offsets: u64,
    pub ref_ctr_offsets: u64,
    pub cookies: u64,
    pub cnt: u32,
    pub up_flags: u32,
    pub pid: u32,
    pub tail_pad: u32,
}

impl MapCreate {
    pub const ZERO: Self = Self { map_type: 0, key_size: 0, value_size: 0, max_entries: 0,
        map_flags: 0, inner_map_fd: 0, numa_node: 0, map_name: [0; NAME_LEN] };
}
impl MapElem {
    pub const ZERO: Self = Self { map_fd: 0, pad: 0, key: 0, value: 0, flags: 0 };
}
impl ProgLoad {
    pub const ZERO: Self = Self { prog_type: 0, insn_cnt: 0, insns: 0, license: 0, log_level: 0,
        log_size: 0, log_buf: 0, kern_version: 0, prog_flags: 0, prog_name: [0; NAME_LEN] };
}
impl LinkKprobe {
    pub const ZERO: Self = Self { prog_fd: 0, target_fd: 0, attach_type: 0, flags: 0,
        kp_flags: 0, cnt: 0, syms: 0, addrs: 0, cookies: 0 };
}
impl LinkUprobe {
    pub const ZERO: Self = Self { prog_fd: 0, target_fd: 0, attach_type: 0, flags: 0, path: 0,
        offsets: 0, ref_ctr_offsets: 0, cookies: 0, cnt: 0, up_flags: 0, pid: 0, tail_pad: 0 };
}

// ---- layout checks: Linux's offsets (BPF_ATTR_CHECK_LAYOUT in the header) --
// rustc 1.63 has no const offset_of: a field is set to a marker in an
// all-zero value, and the first nonzero byte of its bytes is the offset
// (the structs have no padding, so every byte is defined).

#[allow(dead_code)] // (used only in the const checks, which the lint does not see)
const fn first_set(bytes: &[u8]) -> usize {
    let mut i = 0;
    while i < bytes.len() && bytes[i] == 0 {
        i += 1;
    }
    i
}

macro_rules! offset_of {
    ($t:ident, $field:ident, $marker:expr) => {{
        let mut v = $t::ZERO;
        v.$field = $marker;
        first_set(&unsafe { core::mem::transmute::<$t, [u8; size_of::<$t>()]>(v) })
    }};
}

const _: () = {
    assert!(size_of::<MapCreate>() == 44);
    assert!(offset_of!(MapCreate, map_name, [1; NAME_LEN]) == 28);
    assert!(size_of::<MapElem>() == 32);
    assert!(offset_of!(MapElem, flags, 1) == 24);
    assert!(size_of::<ProgLoad>() == 64);
    assert!(offset_of!(ProgLoad, log_buf, 1) == 32);
    assert!(offset_of!(ProgLoad, prog_name, [1; NAME_LEN]) == 48);
    assert!(size_of::<LinkKprobe>() == 48);
    assert!(offset_of!(LinkKprobe, kp_flags, 1) == 16);
    assert!(offset_of!(LinkKprobe, addrs, 1) == 32);
    assert!(size_of::<LinkUprobe>() == 64);
    assert!(offset_of!(LinkUprobe, path, 1) == 16);
    assert!(offset_of!(LinkUprobe, cnt, 1) == 48);
    assert!(offset_of!(LinkUprobe, pid, 1) == 56);
    assert!(size_of::<LinkUprobe>() <= BPF_ATTR_SIZE as usize);
};

// ---- eBPF instructions (RFC 9669 section 3) ------------------------------

/// One instruction: opcode, dst in the low nibble of regs and src in the
/// high one, offset, immediate.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Insn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}
const _: () = assert!(size_of::<Insn>() == 8);

pub const fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn { code, regs: dst | src << 4, off, imm }
}
pub const fn mov64_imm(dst: u8, imm: i32) -> Insn {
    insn(0xb7, dst, 0, 0, imm)
}
pub const fn mov64_reg(dst: u8, src: u8) -> Insn {
    insn(0xbf, dst, src, 0, 0)
}
pub const fn add64_imm(dst: u8, imm: i32) -> Insn {
    insn(0x07, dst, 0, 0, imm)
}
pub const fn ldx_dw(dst: u8, src: u8, off: i16) -> Insn {
    insn(0x79, dst, src, off, 0)
}
pub const fn stx_dw(dst: u8, src: u8, off: i16) -> Insn {
    insn(0x7b, dst, src, off, 0)
}
pub const fn st_w(dst: u8, off: i16, imm: i32) -> Insn {
    insn(0x62, dst, 0, off, imm)
}
pub const fn jeq_imm(dst: u8, imm: i32, off: i16) -> Insn {
    insn(0x15, dst, 0, off, imm)
}
pub const fn call(helper: u32) -> Insn {
    insn(0x85, 0, 0, 0, helper as i32)
}
pub const fn exit_insn() -> Insn {
    insn(0x95, 0, 0, 0, 0)
}
/// lddw dst, map: the map named by its descriptor (two instruction slots).
pub const fn ld_map_fd(dst: u8, fd: i32) -> [Insn; 2] {
    [insn(0x18, dst, BPF_PSEUDO_MAP_FD as u8, 0, fd), insn(0, 0, 0, 0, 0)]
}

// ---- the calls ------------------------------------------------------------

/// bpf(cmd, attr, size) with any attribute pointer and size (for programs
/// that test the kernel's checks).
pub fn bpf_raw(cmd: u32, attr: usize, size: usize) -> isize {
    raw_syscall(nr::SYS_BPF, [cmd as usize, attr, size])
}

/// bpf(cmd, &attr, sizeof attr).  The kernel may write results back into
/// the attributes (BPF_PROG_TEST_RUN), hence &mut.
pub fn bpf<T>(cmd: u32, attr: &mut T) -> isize {
    bpf_raw(cmd, attr as *mut T as usize, size_of::<T>())
}

/// close(fd): descriptors of maps, programs and links are files.
pub fn close(fd: isize) -> isize {
    raw_syscall(nr::SYS_CLOSE, [fd as usize, 0, 0])
}

/// Whether the kernel has bpf(): a command no kernel knows is refused with
/// EINVAL by bpf() itself, while a kernel without the call answers -1
/// (EPERM, which bpf() never gives) or ENOSYS.
pub fn available() -> bool {
    let mut a = [0u8; BPF_ATTR_SIZE as usize];
    let r = bpf(u32::MAX, &mut a);
    r != -EPERM && r != -ENOSYS
}

/// Exits with one line when the kernel has no bpf(): what programs call first.
pub fn require(program: &str) {
    if !available() {
        crate::println!("{}: bpf: not supported by this kernel", program);
        crate::exit(1);
    }
}

/// A map; name is at most 15 bytes (longer is cut, as Linux's is refused).
pub fn map_create(map_type: u32, key_size: u32, value_size: u32, max_entries: u32,
                  name: &str) -> isize {
    let mut a = MapCreate { map_type, key_size, value_size, max_entries, ..MapCreate::ZERO };
    let n = name.len().min(NAME_LEN - 1);
    a.map_name[..n].copy_from_slice(&name.as_bytes()[..n]);
    bpf(BPF_MAP_CREATE, &mut a)
}

fn elem(cmd: u32, fd: isize, key: usize, value: usize, flags: u64) -> isize {
    let mut a = MapElem { map_fd: fd as u32, key: key as u64, value: value as u64, flags,
                          ..MapElem::ZERO };
    bpf(cmd, &mut a)
}

/// The key and value types must have the map's key_size and value_size.
pub fn map_lookup<K, V>(fd: isize, key: &K, value: &mut V) -> isize {
    elem(BPF_MAP_LOOKUP_ELEM, fd, key as *const K as usize, value as *mut V as usize, 0)
}
/// flags: BPF_ANY, BPF_NOEXIST or BPF_EXIST.
pub fn map_update<K, V>(fd: isize, key: &K, value: &V, flags: u32) -> isize {
    elem(BPF_MAP_UPDATE_ELEM, fd, key as *const K as usize, value as *const V as usize,
         flags as u64)
}
pub fn map_delete<K>(fd: isize, key: &K) -> isize {
    elem(BPF_MAP_DELETE_ELEM, fd, key as *const K as usize, 0, 0)
}
/// The key after `key` (the first one for None); ENOENT after the last.
pub fn map_get_next_key<K>(fd: isize, key: Option<&K>, next: &mut K) -> isize {
    let k = key.map_or(0, |k| k as *const K as usize);
    elem(BPF_MAP_GET_NEXT_KEY, fd, k, next as *mut K as usize, 0)
}

/// A kprobe program (GPL), its verifier log in `log` when given (at least
/// 128 bytes, as the kernel asks).
pub fn prog_load(insns: &[Insn], log: Option<&mut [u8]>) -> isize {
    let mut a = ProgLoad { prog_type: BPF_PROG_TYPE_KPROBE, insn_cnt: insns.len() as u32,
                           insns: insns.as_ptr() as u64, license: b"GPL\0".as_ptr() as u64,
                           ..ProgLoad::ZERO };
    if let Some(buf) = log {
        buf[0] = 0;
        a.log_level = 1;
        a.log_size = buf.len() as u32;
        a.log_buf = buf.as_mut_ptr() as u64;
    }
    bpf(BPF_PROG_LOAD, &mut a)
}

/// A program on the kernel function `name` (NUL-terminated: "sys_getpid\0"),
/// found by the kernel in its symbol table; flags MULTI_RETURN for a kretprobe.
pub fn link_kprobe(prog: isize, name: &str, flags: u32) -> isize {
    let syms = [name.as_ptr() as u64];
    let mut a = LinkKprobe { prog_fd: prog as u32, attach_type: attach::BPF_TRACE_KPROBE_MULTI,
                             kp_flags: flags, cnt: 1, syms: syms.as_ptr() as u64,
                             ..LinkKprobe::ZERO };
    bpf(BPF_LINK_CREATE, &mut a)
}

/// A program on the kernel instruction at addr.
pub fn link_kprobe_addr(prog: isize, addr: u64) -> isize {
    let addrs = [addr];
    let mut a = LinkKprobe { prog_fd: prog as u32, attach_type: attach::BPF_TRACE_KPROBE_MULTI,
                             cnt: 1, addrs: addrs.as_ptr() as u64, ..LinkKprobe::ZERO };
    bpf(BPF_LINK_CREATE, &mut a)
}

/// A program on the instruction at addr of the user program `path`
/// (NUL-terminated, the name it is run by), in every process of it.
/// osdbg's programs are static ELFs: addr is a virtual address, not a
/// file offset (bpf_attr.h).
pub fn link_uprobe(prog: isize, path: &str, addr: u64, flags: u32) -> isize {
    let offsets = [addr];
    let mut a = LinkUprobe { prog_fd: prog as u32, attach_type: attach::BPF_TRACE_UPROBE_MULTI,
                             path: path.as_ptr() as u64, offsets: offsets.as_ptr() as u64,
                             cnt: 1, up_flags: flags, ..LinkUprobe::ZERO };
    bpf(BPF_LINK_CREATE, &mut a)
}

/// A negative result's errno by name ("ENOENT"), for messages.
pub fn errname(r: isize) -> &'static str {
    match -r {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        E2BIG => "E2BIG",
        EBADF => "EBADF",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EFAULT => "EFAULT",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        EINVAL => "EINVAL",
        EMFILE => "EMFILE",
        ENOSPC => "ENOSPC",
        ENOSYS => "ENOSYS",
        _ if r >= 0 => "no error",
        _ => "an unknown errno",
    }
}
