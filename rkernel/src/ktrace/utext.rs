//! Is an address the start of an instruction in a program's code?  A
//! uprobe puts a break over the instruction there; anywhere else (inside an
//! instruction, data) it corrupts the program.  The address comes from
//! user space (bpf()) or the host (the side-stub), so the kernel checks it
//! as the C kernel does (kernel/utext.c): the program's ELF (embedded in
//! the image, loader.rs), the executable section holding the address
//! (SHF_EXECINSTR: user/user.ld puts .rodata in the same R-X segment as
//! .text, so the segment alone would let a break land on constant data;
//! the segment only for a file without section headers), the STT_FUNC
//! symbol of .symtab around it (else the section's start), then
//! instruction lengths decoded forward from there by the probe
//! engine (rvprobe_check_boundary: RISC-V code is not self-synchronising).
//! Every offset read from the file is checked against it (ELF-64 Object
//! File Format 1.5, "ELF Header", "Sections", "Symbol Table").
use super::ffi::c_int;
use crate::loader::get_app_data_by_name;

/// RVPROBE_E* (probes/include/rvprobe.h).
const RVPROBE_EINVAL: c_int = -1;
const RVPROBE_ERANGE: c_int = -3;

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHF_ALLOC: usize = 2;
const SHF_EXECINSTR: usize = 4;
const STT_FUNC: u8 = 2;
const SYM_SIZE: usize = 24;
const EM_RISCV: u16 = 243;

extern "C" {
    fn rvprobe_check_boundary(code: *const u8, len: usize, func_start: u64, addr: u64) -> c_int;
}

fn u16_at(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(o..o.checked_add(2)?)?.try_into().ok()?))
}
fn u32_at(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(o..o.checked_add(4)?)?.try_into().ok()?))
}
fn u64_at(d: &[u8], o: usize) -> Option<usize> {
    Some(u64::from_le_bytes(d.get(o..o.checked_add(8)?)?.try_into().ok()?) as usize)
}

/// The executable segment holding addr: (vaddr, file offset, file size).
fn text_segment(elf: &[u8], addr: usize) -> Option<(usize, usize, usize)> {
    let phoff = u64_at(elf, 32)?;
    let (phentsize, phnum) = (u16_at(elf, 54)? as usize, u16_at(elf, 56)? as usize);
    (0..phnum).find_map(|i| {
        let ph = phoff.checked_add(i.checked_mul(phentsize)?)?;
        let (kind, flags) = (u32_at(elf, ph)?, u32_at(elf, ph + 4)?);
        let (off, vaddr, filesz) = (u64_at(elf, ph + 8)?, u64_at(elf, ph + 16)?, u64_at(elf, ph + 32)?);
        let inside = kind == PT_LOAD && flags & PF_X != 0 && off.checked_add(filesz)? <= elf.len();
        (inside && addr >= vaddr && addr - vaddr < filesz).then(|| (vaddr, off, filesz))
    })
}

/// The code holding addr: (vaddr, file offset, size) of its executable
/// section (ELF "Sections": sh_type, sh_flags, sh_addr, sh_offset, sh_size
/// at 4, 8, 16, 24, 32), or of its executable segment if the file has no
/// section headers.
fn code_holding(elf: &[u8], addr: usize) -> Option<(usize, usize, usize)> {
    let shoff = u64_at(elf, 40)?;
    let (shentsize, shnum) = (u16_at(elf, 58)? as usize, u16_at(elf, 60)? as usize);
    if shnum == 0 {
        return text_segment(elf, addr);
    }
    (0..shnum).find_map(|s| {
        let sh = shoff.checked_add(s.checked_mul(shentsize)?)?;
        let (kind, flags) = (u32_at(elf, sh + 4)?, u64_at(elf, sh + 8)?);
        let (vaddr, off, size) = (u64_at(elf, sh + 16)?, u64_at(elf, sh + 24)?, u64_at(elf, sh + 32)?);
        let code = kind == SHT_PROGBITS && flags & (SHF_ALLOC | SHF_EXECINSTR) == SHF_ALLOC | SHF_EXECINSTR;
        let inside = code && off.checked_add(size)? <= elf.len();
        (inside && addr >= vaddr && addr - vaddr < size).then(|| (vaddr, off, size))
    })
}

/// The start of the function symbol around addr inside [lo, hi), else lo.
fn function_start(elf: &[u8], addr: usize, lo: usize, hi: usize) -> usize {
    let found = || -> Option<usize> {
        let shoff = u64_at(elf, 40)?;
        let (shentsize, shnum) = (u16_at(elf, 58)? as usize, u16_at(elf, 60)? as usize);
        for s in 0..shnum {
            let sh = shoff.checked_add(s.checked_mul(shentsize)?)?;
            if u32_at(elf, sh + 4)? != SHT_SYMTAB || u64_at(elf, sh + 56)? != SYM_SIZE {
                continue;
            }
            let (off, size) = (u64_at(elf, sh + 24)?, u64_at(elf, sh + 32)?);
            for i in 0..size / SYM_SIZE {
                let sym = off.checked_add(i * SYM_SIZE)?;
                let (info, shndx) = (*elf.get(sym + 4)?, u16_at(elf, sym + 6)?);
                let (value, len) = (u64_at(elf, sym + 8)?, u64_at(elf, sym + 16)?);
                if info & 0xf == STT_FUNC && shndx != 0 && value >= lo && value < hi
                    && addr >= value && addr - value < len
                {
                    return Some(value);
                }
            }
        }
        None
    };
    found().unwrap_or(lo)
}

/// (the instruction's length, the start of its function), or a negative
/// RVPROBE_E* code.
pub fn check_insn(program: &str, addr: usize) -> Result<(c_int, usize), c_int> {
    let elf = get_app_data_by_name(program).ok_or(RVPROBE_EINVAL)?;
    if elf.get(0..4) != Some(b"\x7fELF") || elf.get(4) != Some(&2) || u16_at(elf, 18) != Some(EM_RISCV) {
        return Err(RVPROBE_EINVAL);
    }
    let (vaddr, off, filesz) = code_holding(elf, addr).ok_or(RVPROBE_ERANGE)?;
    let start = function_start(elf, addr, vaddr, vaddr + filesz);
    let code = &elf[off + (start - vaddr)..off + filesz];
    let n = unsafe { rvprobe_check_boundary(code.as_ptr(), code.len(), start as u64, addr as u64) };
    if n > 0 { Ok((n, start)) } else { Err(n) }
}
