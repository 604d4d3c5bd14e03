//! The boot command line (QEMU -append): /chosen/bootargs in the flattened
//! device tree OpenSBI passes in a1 (Devicetree Specification v0.4, chapter
//! 5: a big-endian header, a structure block of tokens, a strings block).
//! The kernel hands it to initproc as its arguments; `run=prog,...` there
//! runs programs and powers off, as the C kernel's init does.
use crate::sync::UPSafeCell;
use alloc::string::String;
use lazy_static::lazy_static;

const FDT_MAGIC: u32 = 0xd00d_feed;
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;

lazy_static! {
    static ref BOOTARGS: UPSafeCell<String> = unsafe { UPSafeCell::new(String::new()) };
}

fn be32(addr: usize) -> u32 {
    u32::from_be(unsafe { (addr as *const u32).read_unaligned() })
}

fn c_str(addr: usize) -> &'static [u8] {
    let mut len = 0;
    while unsafe { *((addr + len) as *const u8) } != 0 {
        len += 1;
    }
    unsafe { core::slice::from_raw_parts(addr as *const u8, len) }
}

/// The value of /chosen/bootargs, if the tree has one.
fn find_bootargs(fdt: usize) -> Option<&'static [u8]> {
    if fdt == 0 || be32(fdt) != FDT_MAGIC {
        return None;
    }
    let structs = fdt + be32(fdt + 8) as usize;
    let strings = fdt + be32(fdt + 12) as usize;
    let size = be32(fdt + 36) as usize; // size_dt_struct
    let (mut p, end) = (structs, structs + size);
    let mut depth = 0;
    let mut in_chosen = false;
    while p < end {
        let token = be32(p);
        p += 4;
        match token {
            FDT_BEGIN_NODE => {
                let name = c_str(p);
                depth += 1;
                in_chosen = depth == 2 && (name == b"chosen" || name.starts_with(b"chosen@"));
                p = (p + name.len() + 1 + 3) & !3;
            }
            FDT_END_NODE => {
                depth -= 1;
                in_chosen = false;
            }
            FDT_PROP => {
                let len = be32(p) as usize;
                let name = c_str(strings + be32(p + 4) as usize);
                let value = p + 8;
                if in_chosen && name == b"bootargs" {
                    let v = unsafe { core::slice::from_raw_parts(value as *const u8, len) };
                    return Some(v.split(|&c| c == 0).next().unwrap_or(&[]));
                }
                p = (value + len + 3) & !3;
            }
            FDT_NOP => {}
            FDT_END => break,
            _ => return None,
        }
    }
    None
}

pub fn init(fdt: usize) {
    if let Some(args) = find_bootargs(fdt) {
        let mut s = BOOTARGS.exclusive_access();
        s.push_str(core::str::from_utf8(args).unwrap_or(""));
        println!("[kernel] boot arguments: {}", s.as_str());
    }
}

pub fn get() -> String {
    BOOTARGS.exclusive_access().clone()
}
