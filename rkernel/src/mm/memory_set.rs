//! Address spaces: a page table and the areas mapped in it.  The kernel's
//! maps its sections and all of physical memory at the same addresses
//! (identical), the devices' registers (drivers::MMIO) likewise, and the
//! trampoline at the top; a process's maps its ELF's segments, a user stack,
//! its trap context and the trampoline (framed: a page of memory of its own
//! for each page).
use super::address::{PhysAddr, PhysPageNum, VPNRange, VirtAddr, VirtPageNum};
use super::elf;
use super::frame_allocator::{frame_alloc, frames_available, FrameTracker};
use super::page_table::{PTEFlags, PageTable};
use crate::config::{MEMORY_END, PAGE_SIZE, TRAMPOLINE, TRAP_CONTEXT, UPROBE_SLOT_PAGE, USER_STACK_SIZE};
use crate::sync::UPSafeCell;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::arch::asm;
use core::sync::atomic::{AtomicUsize, Ordering};
use lazy_static::lazy_static;

extern "C" {
    fn stext();
    fn etext();
    fn srodata();
    fn erodata();
    fn sdata();
    fn edata();
    fn sbss_with_stack();
    fn ebss();
    fn ekernel();
    fn strampoline();
}

lazy_static! {
    /// The kernel's address space: every process's traps run in it.
    pub static ref KERNEL_SPACE: Arc<UPSafeCell<MemorySet>> =
        Arc::new(unsafe { UPSafeCell::new(MemorySet::new_kernel()) });
}

/// The kernel's satp, once its address space is active: its page table
/// without KERNEL_SPACE's cell, which a trap may find borrowed.
static KERNEL_SATP: AtomicUsize = AtomicUsize::new(0);

/// The kernel's satp (0 before its address space is active), for the
/// tracing port's own page-table walks (ktrace/walk.rs).
pub fn kernel_satp() -> usize {
    KERNEL_SATP.load(Ordering::Relaxed)
}

pub struct MemorySet {
    page_table: PageTable,
    areas: Vec<MapArea>,
}

impl MemorySet {
    pub fn new_bare() -> Self {
        Self { page_table: PageTable::new(), areas: Vec::new() }
    }
    /// satp of this address space.
    pub fn token(&self) -> usize {
        self.page_table.token()
    }
    pub fn insert_framed_area(&mut self, start: VirtAddr, end: VirtAddr, perm: MapPermission) {
        self.push(MapArea::new(start, end, MapType::Framed, perm), None);
    }
    pub fn remove_area_with_start_vpn(&mut self, start_vpn: VirtPageNum) {
        if let Some(i) = self.areas.iter().position(|a| a.vpn_range.get_start() == start_vpn) {
            let mut area = self.areas.remove(i);
            area.unmap(&mut self.page_table);
        }
    }
    fn push(&mut self, mut area: MapArea, data: Option<(&[u8], usize)>) {
        area.map(&mut self.page_table);
        if let Some((data, offset)) = data {
            area.copy_data(&mut self.page_table, data, offset);
        }
        self.areas.push(area);
    }
    /// The trampoline is no area: it is the kernel's page, shared by all.
    fn map_trampoline(&mut self) {
        self.page_table.map(
            VirtAddr::from(TRAMPOLINE).into(),
            PhysAddr::from(strampoline as usize).into(),
            PTEFlags::R | PTEFlags::X,
        );
    }
    fn new_kernel() -> Self {
        let mut ms = Self::new_bare();
        ms.map_trampoline();
        let identical = |s: usize, e: usize, perm| MapArea::new(s.into(), e.into(), MapType::Identical, perm);
        ms.push(identical(stext as usize, etext as usize, MapPermission::R | MapPermission::X), None);
        ms.push(identical(srodata as usize, erodata as usize, MapPermission::R), None);
        ms.push(identical(sdata as usize, edata as usize, MapPermission::R | MapPermission::W), None);
        ms.push(
            identical(sbss_with_stack as usize, ebss as usize, MapPermission::R | MapPermission::W),
            None,
        );
        ms.push(identical(ekernel as usize, MEMORY_END, MapPermission::R | MapPermission::W), None);
        for &(start, len) in crate::drivers::MMIO {
            ms.push(identical(start, start + len, MapPermission::R | MapPermission::W), None);
        }
        ms
    }
    /// A process's address space from its ELF: (it, user stack top, entry),
    /// or None if the ELF is not one this kernel runs.
    pub fn from_elf(elf_data: &[u8]) -> Option<(Self, usize, usize)> {
        let (entry, segments) = elf::parse(elf_data)?;
        let mut ms = Self::new_bare();
        ms.map_trampoline();
        let mut max_end_vpn = VirtPageNum(0);
        for seg in segments.iter() {
            let start = VirtAddr::from(seg.vaddr);
            let end = VirtAddr::from(seg.vaddr.checked_add(seg.memsz)?);
            if seg.vaddr >= UPROBE_SLOT_PAGE || end.0 >= UPROBE_SLOT_PAGE {
                return None;
            }
            let mut perm = MapPermission::U;
            if seg.flags & elf::PF_R != 0 {
                perm |= MapPermission::R;
            }
            if seg.flags & elf::PF_W != 0 {
                perm |= MapPermission::W;
            }
            if seg.flags & elf::PF_X != 0 {
                perm |= MapPermission::X;
            }
            let area = MapArea::new(start, end, MapType::Framed, perm);
            if ms.areas.iter().any(|a| a.overlaps(&area)) {
                return None;
            }
            max_end_vpn = max_end_vpn.max(area.vpn_range.get_end());
            let data = &elf_data[seg.offset..seg.offset + seg.filesz];
            ms.push(area, Some((data, start.page_offset())));
        }
        // A guard page, then the user stack.
        let bottom: usize = VirtAddr::from(max_end_vpn).0 + PAGE_SIZE;
        let top = bottom + USER_STACK_SIZE;
        if top >= UPROBE_SLOT_PAGE - PAGE_SIZE {
            return None; // no room for the stack below the slot page's guard
        }
        ms.push(
            MapArea::new(bottom.into(), top.into(), MapType::Framed,
                         MapPermission::R | MapPermission::W | MapPermission::U),
            None,
        );
        ms.push(
            MapArea::new(TRAP_CONTEXT.into(), TRAMPOLINE.into(), MapType::Framed,
                         MapPermission::R | MapPermission::W),
            None,
        );
        Some((ms, top, entry))
    }
    /// A copy of another process's address space, page for page (fork).
    pub fn from_existed_user(user: &Self) -> Self {
        let mut ms = Self::new_bare();
        ms.map_trampoline();
        for area in user.areas.iter() {
            ms.push(MapArea::from_another(area), None);
            for vpn in area.vpn_range {
                let src = user.page_table.translate(vpn).unwrap().ppn();
                let dst = ms.page_table.translate(vpn).unwrap().ppn();
                dst.get_bytes_array().copy_from_slice(src.get_bytes_array());
            }
        }
        ms
    }
    pub fn activate(&self) {
        let satp = self.page_table.token();
        if self.areas.iter().any(|a| a.map_type == MapType::Identical) {
            KERNEL_SATP.store(satp, Ordering::Relaxed); // the kernel's
        }
        unsafe {
            asm!("csrw satp, {}", "sfence.vma", in(reg) satp);
        }
    }
    pub fn translate(&self, vpn: VirtPageNum) -> Option<PhysPageNum> {
        self.page_table.translate(vpn).filter(|p| p.is_valid()).map(|p| p.ppn())
    }
    /// Frames a copy of this address space needs (its pages, and at most
    /// one page-table page per 512 of them at each level, and the roots).
    pub fn frames_to_copy(&self) -> usize {
        let pages: usize = self.areas.iter().map(|a| a.vpn_range.into_iter().count()).sum();
        pages + 3 * (pages / 512 + 2)
    }
    /// Maps the uprobe slot page (config::UPROBE_SLOT_PAGE) R-X U, zeroed,
    /// if it is not mapped yet; its address, or None when memory is short.
    /// A forked child gets a copy (it is an area like the others); exec
    /// starts from a new memory set, without one.
    pub fn map_uprobe_slot_page(&mut self) -> Option<usize> {
        let vpn = VirtAddr::from(UPROBE_SLOT_PAGE).floor();
        if self.translate(vpn).is_none() {
            // The page, and the page-table pages its entry may need.
            if frames_available() < 4 {
                return None;
            }
            let perm = MapPermission::R | MapPermission::X | MapPermission::U;
            let end = UPROBE_SLOT_PAGE + PAGE_SIZE;
            self.push(MapArea::new(UPROBE_SLOT_PAGE.into(), end.into(), MapType::Framed, perm), None);
        }
        Some(UPROBE_SLOT_PAGE)
    }
    /// [lo, hi) around the program's code (its executable user areas; the
    /// uprobe slot page is none of them): return addresses of a user stack
    /// walk lie there.
    pub fn user_text_range(&self) -> (usize, usize) {
        let slot = VirtAddr::from(UPROBE_SLOT_PAGE).floor();
        let code = self.areas.iter().filter(|a| {
            a.map_perm.contains(MapPermission::X | MapPermission::U) && a.vpn_range.get_start() != slot
        });
        let lo = code.clone().map(|a| a.vpn_range.get_start().0).min().unwrap_or(0);
        let hi = code.map(|a| a.vpn_range.get_end().0).max().unwrap_or(0);
        (lo * PAGE_SIZE, hi * PAGE_SIZE)
    }
    /// Whether the uprobe slot page is mapped.
    pub fn has_uprobe_slot_page(&self) -> bool {
        self.translate(VirtAddr::from(UPROBE_SLOT_PAGE).floor()).is_some()
    }
    /// The kernel address of user address va (RAM is mapped at the same
    /// addresses in the kernel) if its page is mapped with every one of flags.
    fn user_kernel_addr(&self, va: usize, flags: PTEFlags) -> Option<usize> {
        let v = VirtAddr::from(va);
        let ppn = self.page_table.page_with(v.floor(), flags | PTEFlags::U)?;
        Some(PhysAddr::from(ppn).0 + v.page_offset())
    }
    /// Writes instruction bytes (2 or 4; up to 8 into a slot nothing runs)
    /// at va in this process's text (pages mapped X U, read-only to the
    /// program) through its frames' kernel addresses, by the torn-write
    /// rule (ktrace/text.rs).  false, nothing written, if va is odd, the
    /// bytes are not executable user pages, or a slot crosses a page.
    pub fn write_user_text(&self, va: usize, bytes: &[u8]) -> bool {
        let n = bytes.len();
        if va & 1 != 0 || n < 2 || n % 2 != 0 || n > 8 {
            return false;
        }
        let lo = self.user_kernel_addr(va, PTEFlags::X);
        let hi = self.user_kernel_addr(va.wrapping_add(2), PTEFlags::X);
        let last = self.user_kernel_addr(va.wrapping_add(n - 1), PTEFlags::X);
        match (lo, hi, last) {
            (Some(lo), _, _) if n == 2 => crate::ktrace::text::patch(lo, lo, bytes),
            (Some(lo), Some(hi), Some(last)) if last == hi + n - 3 => {
                crate::ktrace::text::patch(lo, hi, bytes)
            }
            _ => false,
        }
    }
    /// Reads buf.len() bytes of this process's memory at va (any user
    /// page); false if some of it is not user memory.
    pub fn read_user(&self, va: usize, buf: &mut [u8]) -> bool {
        for (i, b) in buf.iter_mut().enumerate() {
            match self.user_kernel_addr(va.wrapping_add(i), PTEFlags::empty()) {
                Some(k) => *b = unsafe { *(k as *const u8) },
                None => return false,
            }
        }
        true
    }
    /// Free the process's pages now (exit); the page table goes when the
    /// parent reaps it.
    pub fn recycle_data_pages(&mut self) {
        self.areas.clear();
    }
}

#[derive(Copy, Clone, PartialEq, Debug)]
pub enum MapType {
    Identical,
    Framed,
}

bitflags! {
    pub struct MapPermission: u8 {
        const R = 1 << 1;
        const W = 1 << 2;
        const X = 1 << 3;
        const U = 1 << 4;
    }
}

pub struct MapArea {
    vpn_range: VPNRange,
    data_frames: BTreeMap<VirtPageNum, FrameTracker>,
    map_type: MapType,
    map_perm: MapPermission,
}

impl MapArea {
    pub fn new(start: VirtAddr, end: VirtAddr, map_type: MapType, map_perm: MapPermission) -> Self {
        Self {
            vpn_range: VPNRange::new(start.floor(), end.ceil()),
            data_frames: BTreeMap::new(),
            map_type,
            map_perm,
        }
    }
    fn from_another(other: &Self) -> Self {
        Self {
            vpn_range: other.vpn_range,
            data_frames: BTreeMap::new(),
            map_type: other.map_type,
            map_perm: other.map_perm,
        }
    }
    fn overlaps(&self, other: &Self) -> bool {
        self.vpn_range.get_start() < other.vpn_range.get_end()
            && other.vpn_range.get_start() < self.vpn_range.get_end()
    }
    fn map(&mut self, pt: &mut PageTable) {
        for vpn in self.vpn_range {
            let ppn = match self.map_type {
                MapType::Identical => PhysPageNum(vpn.0),
                MapType::Framed => {
                    let frame = frame_alloc().expect("out of physical memory");
                    let ppn = frame.ppn;
                    self.data_frames.insert(vpn, frame);
                    ppn
                }
            };
            pt.map(vpn, ppn, PTEFlags::from_bits(self.map_perm.bits).unwrap());
        }
    }
    fn unmap(&mut self, pt: &mut PageTable) {
        for vpn in self.vpn_range {
            self.data_frames.remove(&vpn);
            pt.unmap(vpn);
        }
    }
    /// Copy data into the area, starting offset bytes into its first page.
    fn copy_data(&mut self, pt: &mut PageTable, data: &[u8], offset: usize) {
        let mut copied = 0;
        let mut page_offset = offset;
        let mut vpn = self.vpn_range.get_start();
        while copied < data.len() {
            let n = (PAGE_SIZE - page_offset).min(data.len() - copied);
            let dst = pt.translate(vpn).unwrap().ppn().get_bytes_array();
            dst[page_offset..page_offset + n].copy_from_slice(&data[copied..copied + n]);
            copied += n;
            page_offset = 0;
            vpn.0 += 1;
        }
    }
}
