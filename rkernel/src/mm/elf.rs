//! Just enough of ELF64 (System V gABI, "ELF Header" and "Program Header")
//! to load a user program: its entry point and PT_LOAD segments.  Anything
//! malformed is an error, never a panic: exec takes any file.
pub struct Segment {
    pub vaddr: usize,
    pub memsz: usize,
    pub offset: usize,
    pub filesz: usize,
    pub flags: u32, // PF_X 1, PF_W 2, PF_R 4
}

pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
const PT_LOAD: u32 = 1;
const EM_RISCV: u16 = 243;

fn u16_at(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(o..o + 4)?.try_into().ok()?))
}
fn u64_at(d: &[u8], o: usize) -> Option<usize> {
    Some(u64::from_le_bytes(d.get(o..o + 8)?.try_into().ok()?) as usize)
}

/// The entry point and the loadable segments of a RISC-V ELF64 executable.
pub fn parse(data: &[u8]) -> Option<(usize, alloc::vec::Vec<Segment>)> {
    if data.get(0..4)? != b"\x7fELF" || *data.get(4)? != 2 /* 64-bit */ || *data.get(5)? != 1
    /* little-endian */
    {
        return None;
    }
    if u16_at(data, 18)? != EM_RISCV {
        return None;
    }
    let entry = u64_at(data, 24)?;
    let phoff = u64_at(data, 32)?;
    let phentsize = u16_at(data, 54)? as usize;
    let phnum = u16_at(data, 56)? as usize;
    let mut segments = alloc::vec::Vec::new();
    for i in 0..phnum {
        let ph = phoff.checked_add(i.checked_mul(phentsize)?)?;
        if u32_at(data, ph)? != PT_LOAD {
            continue;
        }
        let s = Segment {
            flags: u32_at(data, ph + 4)?,
            offset: u64_at(data, ph + 8)?,
            vaddr: u64_at(data, ph + 16)?,
            filesz: u64_at(data, ph + 32)?,
            memsz: u64_at(data, ph + 40)?,
        };
        if s.filesz > s.memsz || s.offset.checked_add(s.filesz)? > data.len() {
            return None;
        }
        segments.push(s);
    }
    Some((entry, segments))
}
