//! Sv39 page tables (RISC-V privileged spec 4.4.1, 4.3.1 for the PTE bits),
//! and reading a process's memory through its table.
use super::address::{PhysAddr, PhysPageNum, VirtAddr, VirtPageNum};
use crate::config::PAGE_SIZE;
use super::frame_allocator::{frame_alloc, FrameTracker};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

bitflags! {
    pub struct PTEFlags: u8 {
        const V = 1 << 0;
        const R = 1 << 1;
        const W = 1 << 2;
        const X = 1 << 3;
        const U = 1 << 4;
        const G = 1 << 5;
        const A = 1 << 6;
        const D = 1 << 7;
    }
}

#[derive(Copy, Clone)]
#[repr(C)]
pub struct PageTableEntry {
    pub bits: usize,
}

impl PageTableEntry {
    pub fn new(ppn: PhysPageNum, flags: PTEFlags) -> Self {
        PageTableEntry { bits: ppn.0 << 10 | flags.bits as usize }
    }
    pub fn empty() -> Self {
        PageTableEntry { bits: 0 }
    }
    pub fn ppn(&self) -> PhysPageNum {
        (self.bits >> 10 & ((1usize << 44) - 1)).into()
    }
    pub fn flags(&self) -> PTEFlags {
        PTEFlags::from_bits(self.bits as u8).unwrap()
    }
    pub fn is_valid(&self) -> bool {
        (self.flags() & PTEFlags::V) != PTEFlags::empty()
    }
}

pub struct PageTable {
    root_ppn: PhysPageNum,
    frames: Vec<FrameTracker>, // the table's own pages
}

impl PageTable {
    pub fn new() -> Self {
        let frame = frame_alloc().unwrap();
        PageTable { root_ppn: frame.ppn, frames: vec![frame] }
    }
    /// A view of the table satp points to (owns nothing: for reading a
    /// process's memory from the kernel).
    pub fn from_token(satp: usize) -> Self {
        Self { root_ppn: PhysPageNum::from(satp & ((1usize << 44) - 1)), frames: Vec::new() }
    }
    fn find_pte_create(&mut self, vpn: VirtPageNum) -> Option<&mut PageTableEntry> {
        let idxs = vpn.indexes();
        let mut ppn = self.root_ppn;
        for (i, idx) in idxs.iter().enumerate() {
            let pte = &mut ppn.get_pte_array()[*idx];
            if i == 2 {
                return Some(pte);
            }
            if !pte.is_valid() {
                let frame = frame_alloc().unwrap();
                *pte = PageTableEntry::new(frame.ppn, PTEFlags::V);
                self.frames.push(frame);
            }
            ppn = pte.ppn();
        }
        None
    }
    fn find_pte(&self, vpn: VirtPageNum) -> Option<&mut PageTableEntry> {
        let idxs = vpn.indexes();
        let mut ppn = self.root_ppn;
        for (i, idx) in idxs.iter().enumerate() {
            let pte = &mut ppn.get_pte_array()[*idx];
            if i == 2 {
                return Some(pte);
            }
            if !pte.is_valid() {
                return None;
            }
            ppn = pte.ppn();
        }
        None
    }
    pub fn map(&mut self, vpn: VirtPageNum, ppn: PhysPageNum, flags: PTEFlags) {
        let pte = self.find_pte_create(vpn).unwrap();
        assert!(!pte.is_valid(), "vpn {:?} is mapped before mapping", vpn);
        *pte = PageTableEntry::new(ppn, flags | PTEFlags::V);
    }
    pub fn unmap(&mut self, vpn: VirtPageNum) {
        let pte = self.find_pte(vpn).unwrap();
        assert!(pte.is_valid(), "vpn {:?} is invalid before unmapping", vpn);
        *pte = PageTableEntry::empty();
    }
    pub fn translate(&self, vpn: VirtPageNum) -> Option<PageTableEntry> {
        self.find_pte(vpn).map(|pte| *pte)
    }
    /// satp for this table: mode Sv39 (8) and the root's page number.
    pub fn token(&self) -> usize {
        8usize << 60 | self.root_ppn.0
    }
}

/// A user buffer [ptr, ptr + len) as the kernel's slices of its pages;
/// None if any of it is not user memory (a system call then fails: nothing
/// a program passes makes the kernel panic).
pub fn translated_byte_buffer(
    token: usize,
    ptr: *const u8,
    len: usize,
) -> Option<Vec<&'static mut [u8]>> {
    let page_table = PageTable::from_token(token);
    let mut start = ptr as usize;
    let end = start.checked_add(len)?;
    let mut v = Vec::new();
    while start < end {
        let va = VirtAddr::from(start);
        let ppn = page_table.user_page(va.floor())?;
        let stop = end.min((start & !(PAGE_SIZE - 1)) + PAGE_SIZE);
        let off = va.page_offset();
        v.push(&mut ppn.get_bytes_array()[off..off + (stop - start)]);
        start = stop;
    }
    Some(v)
}

/// A NUL-terminated string in user memory (at most max bytes).
pub fn translated_str(token: usize, ptr: *const u8, max: usize) -> Option<String> {
    let page_table = PageTable::from_token(token);
    let mut string = String::new();
    let mut va = ptr as usize;
    while string.len() < max {
        let ppn = page_table.user_page(VirtAddr::from(va).floor())?;
        let ch = ppn.get_bytes_array()[VirtAddr::from(va).page_offset()];
        if ch == 0 {
            return Some(string);
        }
        string.push(ch as char);
        va += 1;
    }
    None
}

/// A user variable, writable from the kernel; None if it is not in user
/// memory or crosses a page.
pub fn translated_refmut<T>(token: usize, ptr: *mut T) -> Option<&'static mut T> {
    let va = ptr as usize;
    let size = core::mem::size_of::<T>();
    if va % core::mem::align_of::<T>() != 0 || (va & (PAGE_SIZE - 1)) + size > PAGE_SIZE {
        return None;
    }
    let ppn = PageTable::from_token(token).user_page(VirtAddr::from(va).floor())?;
    let pa: PhysAddr = ppn.into();
    Some(PhysAddr::from(pa.0 + VirtAddr::from(va).page_offset()).get_mut())
}

impl PageTable {
    /// The frame of a valid user page (U set), if vpn is one.
    fn user_page(&self, vpn: VirtPageNum) -> Option<PhysPageNum> {
        self.page_with(vpn, PTEFlags::U)
    }
    /// The frame of vpn if it is mapped (V) with every one of flags.
    pub fn page_with(&self, vpn: VirtPageNum, flags: PTEFlags) -> Option<PhysPageNum> {
        let pte = self.find_pte(vpn)?;
        if pte.is_valid() && pte.flags().contains(flags) {
            Some(pte.ppn())
        } else {
            None
        }
    }
}
