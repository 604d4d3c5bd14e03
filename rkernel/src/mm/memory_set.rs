//! Address spaces: a page table and the areas mapped in it.  The kernel's
//! maps its sections and all of physical memory at the same addresses
//! (identical), and the trampoline at the top; a process's maps its ELF's
//! segments, a user stack, its trap context and the trampoline (framed: a
//! page of memory of its own for each page).
use super::address::{PhysAddr, PhysPageNum, VPNRange, VirtAddr, VirtPageNum};
use super::elf;
use super::frame_allocator::{frame_alloc, FrameTracker};
use super::page_table::{PTEFlags, PageTable};
use crate::config::{MEMORY_END, PAGE_SIZE, TRAMPOLINE, TRAP_CONTEXT, USER_STACK_SIZE};
use crate::sync::UPSafeCell;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::arch::asm;
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
            if seg.vaddr >= TRAP_CONTEXT || end.0 >= TRAP_CONTEXT {
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
