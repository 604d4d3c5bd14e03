//! Writing instructions the hart may be about to run: a probe's break,
//! and the original instruction back (kernel text, and a program's text
//! through its frames' kernel addresses: mm::MemorySet::write_user_text).
//!
//! The torn-write rule (kernel/textpatch.c has the story): a hart fetching
//! while bytes change must see the old instruction or the new one, never a
//! mix (`add sp,sp,-16` 0x1141 half become c.ebreak 0x9002 reads 0x1102,
//! `slli sp,sp,32`).  So a patch is one naturally aligned store where it
//! can be (RISC-V unprivileged spec, "Memory Consistency Model": aligned
//! stores are single-copy atomic), and otherwise goes through states that
//! are each a break or a whole instruction:
//!
//!   2 bytes (2-aligned)                    one halfword store
//!   4 bytes at a 4-aligned address         one word store
//!   4 bytes inside an aligned doubleword   the doubleword read, changed, stored
//!   4 bytes across doublewords or pages    c.ebreak into the first half, the
//!                                          second half, then the first half
//!
//! with fence.i between the steps.  This kernel runs on one hart (the
//! others stay in OpenSBI), so the local fence.i is every hart's; a kernel
//! on several would add an SBI remote fence.i (kt_os_fence_i_all).
use super::walk::{leaf, PTE_W};
use crate::config::PAGE_SIZE;
use core::arch::asm;
use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};

const C_EBREAK: u16 = 0x9002;

extern "C" {
    fn stext();
    fn etext();
}

pub fn fence_i() {
    unsafe { asm!("fence.i") };
}

fn half(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn store16(at: usize, v: u16) {
    unsafe { (*(at as *const AtomicU16)).store(v, Ordering::Release) };
}

/// Writes bytes (2, 4, or up to 8 for a slot nothing runs meanwhile; an
/// even count) at lo, a 2-aligned writable kernel address, the bytes from
/// offset 2 on at hi (lo + 2, unless they are on another page mapped
/// elsewhere), by the torn-write rule above.  false if the shape is not one
/// of those (nothing written).
pub fn patch(lo: usize, hi: usize, bytes: &[u8]) -> bool {
    let n = bytes.len();
    if lo & 1 != 0 || hi & 1 != 0 || n == 0 || n % 2 != 0 || n > 8 {
        return false;
    }
    if n == 2 {
        store16(lo, half(bytes, 0));
    } else if n == 4 && hi == lo + 2 && lo & 3 == 0 {
        let v = half(bytes, 0) as u32 | (half(bytes, 2) as u32) << 16;
        unsafe { (*(lo as *const AtomicU32)).store(v, Ordering::Release) };
    } else if n == 4 && hi == lo + 2 && lo & 7 != 6 {
        let dw = unsafe { &*((lo & !7) as *const AtomicU64) };
        let shift = (lo & 7) * 8;
        let insn = half(bytes, 0) as u64 | (half(bytes, 2) as u64) << 16;
        let v = dw.load(Ordering::Relaxed) & !(0xffff_ffffu64 << shift) | insn << shift;
        dw.store(v, Ordering::Release);
    } else if n == 4 {
        store16(lo, C_EBREAK); // a break now, whatever the halves say
        fence_i();
        store16(hi, half(bytes, 2));
        fence_i();
        store16(lo, half(bytes, 0));
    } else {
        // A slot: nothing runs it while it is written.
        for i in (0..n).step_by(2) {
            store16(if i < 2 { lo + i } else { hi + i - 2 }, half(bytes, i));
        }
    }
    fence_i();
    true
}

/// Whether [addr, addr + n) is the kernel's text (n > 0).
pub fn is_kernel_text(addr: usize, n: usize) -> bool {
    match addr.checked_add(n) {
        Some(end) => n > 0 && addr >= stext as usize && end <= etext as usize,
        None => false,
    }
}

#[derive(Debug, PartialEq)]
pub enum TextError {
    /// Not all of it kernel text.
    NotText,
    /// Not a shape patch() writes (odd address or length, more than 8 bytes).
    BadShape,
}

/// Makes the kernel's text pages holding [addr, end) writable or read-only
/// again (their entries in the kernel's page table, walked here rather than
/// by mm: this runs when a probe is armed, and is never probed itself),
/// then sfence.vma (privileged spec 4.2.1).
fn set_writable(addr: usize, end: usize, writable: bool) {
    let satp = crate::mm::kernel_satp();
    let mut page = addr & !(PAGE_SIZE - 1);
    while page < end {
        if let Some((pte, _)) = leaf(satp, page) {
            unsafe {
                let e = pte.read_volatile();
                pte.write_volatile(if writable { e | PTE_W } else { e & !PTE_W });
            }
        }
        page += PAGE_SIZE;
    }
    unsafe { asm!("sfence.vma") };
}

/// Writes bytes at addr in the kernel's text, which is mapped R-X: its
/// pages are made writable for the write and read-only again after, each
/// change followed by sfence.vma, and the write by fence.i.  Called with
/// interrupts off (the kernel's state).
pub fn write_kernel_text(addr: usize, bytes: &[u8]) -> Result<(), TextError> {
    if !is_kernel_text(addr, bytes.len()) {
        return Err(TextError::NotText);
    }
    if addr & 1 != 0 || bytes.len() % 2 != 0 || bytes.len() > 8 {
        return Err(TextError::BadShape);
    }
    set_writable(addr, addr + bytes.len(), true);
    let ok = patch(addr, addr + 2, bytes);
    set_writable(addr, addr + bytes.len(), false);
    fence_i();
    if ok { Ok(()) } else { Err(TextError::BadShape) }
}

/// [stext, etext): the kernel's code.
pub fn kernel_text() -> (usize, usize) {
    (stext as usize, etext as usize)
}
