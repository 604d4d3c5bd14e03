//! Boot argument `selftest`: the groundwork of the tracing port, each piece
//! checked in the running kernel before initproc starts: the C libraries
//! linked in (an eBPF program verified and run, an instruction decoded by
//! the probe engine), kernel traps that return (ebreak and c.ebreak taken
//! by the break hook, registers back as the hook left them), the function
//! table, writing kernel text (a function's first instruction made a break
//! and back), the torn-write rule's shapes, and a process's uprobe slot
//! page and text.  Each check prints one line; the last says how many
//! failed (tests/kernel/rkernel.test.mjs reads them).
use super::ffi::{self, EbpfInsn, EbpfVerifyOpts, RvprobeInsn};
use super::ksyms::{ksym_func_start, ksym_lookup, ksym_name};
use super::text::{is_kernel_text, patch, write_kernel_text, TextError};
use crate::config::UPROBE_SLOT_PAGE;
use crate::loader::get_app_data_by_name;
use crate::mm::{MemorySet, PageTable, VirtAddr, KERNEL_SPACE};
use crate::trap::{PtRegs, REG_A0};
use core::arch::asm;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// What the break hook does with a break while a check runs.
const BREAK_OFF: u8 = 0;
/// Step over the break (its length read at pc), a0 += 100.
const BREAK_SKIP: u8 = 1;
/// Return from the function the break is in with 42 (pc = ra).
const BREAK_RETURN_42: u8 = 2;
static BREAK_MODE: AtomicU8 = AtomicU8::new(BREAK_OFF);
static BREAK_HITS: AtomicUsize = AtomicUsize::new(0);
static FAILED: AtomicUsize = AtomicUsize::new(0);

/// The selftest's part of the kernel break hook (hooks::on_kernel_break):
/// claims a break only while a check expects one.
pub fn on_kernel_break(regs: &mut PtRegs) -> bool {
    match BREAK_MODE.load(Ordering::Relaxed) {
        BREAK_SKIP => {
            let first = unsafe { (regs.pc as *const u16).read() };
            regs.pc += unsafe { ffi::rvprobe_insn_len(first) } as u64;
            regs.set_reg(REG_A0, regs.reg(REG_A0) + 100);
        }
        BREAK_RETURN_42 => {
            regs.set_reg(REG_A0, 42);
            regs.pc = regs.reg(1); // ra
        }
        _ => return false,
    }
    BREAK_HITS.fetch_add(1, Ordering::Relaxed);
    true
}

fn check(what: &str, ok: bool) {
    println!("[kernel] selftest: {} {}", what, if ok { "ok" } else { "FAILED" });
    if !ok {
        FAILED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs every check when the boot arguments hold the word `selftest`.
pub fn run() {
    if !crate::bootargs::get().split_whitespace().any(|w| w == "selftest") {
        return;
    }
    ebpf_program();
    rvprobe_decode();
    ksyms();
    kernel_breaks();
    torn_write_shapes();
    kernel_text();
    uprobe_slot_page();
    println!("[kernel] selftest: done, {} failed", FAILED.load(Ordering::Relaxed));
}

#[repr(C, align(16))]
struct Arena([u8; 128 * 1024]);
static mut EBPF_ARENA: Arena = Arena([0; 128 * 1024]);

/// r0 = ctx[0] * ctx[1] + 1 (RFC 9669 opcodes: ldxdw 0x79, mul64 reg
/// 0x2f, add64 imm 0x07, exit 0x95), verified and run bounds-checked.
fn ebpf_program() {
    let prog = [
        EbpfInsn::new(0x79, 0, 1, 0, 0),
        EbpfInsn::new(0x79, 2, 1, 8, 0),
        EbpfInsn::new(0x2f, 0, 2, 0, 0),
        EbpfInsn::new(0x07, 0, 0, 0, 1),
        EbpfInsn::new(0x95, 0, 0, 0, 0),
    ];
    let mut err = [0u8; 128];
    let mut ctx: [u64; 2] = [6, 7];
    let mut ret = 0u64;
    let (vm, rc) = unsafe {
        let arena = &mut *core::ptr::addr_of_mut!(EBPF_ARENA);
        let vm = ffi::ebpf_create(arena.0.as_mut_ptr() as *mut _, arena.0.len(), err.as_mut_ptr(), err.len());
        if vm.is_null() {
            check("ebpf_create", false);
            return;
        }
        let mut rc = ffi::ebpf_load(vm, prog.as_ptr(), prog.len() as u32);
        if rc == 0 {
            rc = ffi::ebpf_verify(vm, &EbpfVerifyOpts::for_context(16));
        }
        if rc == 0 {
            ffi::ebpf_set_bounds_check(vm, 1);
            rc = ffi::ebpf_exec(vm, ctx.as_mut_ptr() as *mut _, 16, &mut ret);
        }
        (vm, rc)
    };
    if rc != 0 {
        println!("[kernel] selftest: ebpf error {}: {}", rc, unsafe { ffi::c_str(ffi::ebpf_error(vm)) });
    }
    println!(
        "[kernel] selftest: ebpf program r0 = 6 * 7 + 1 = {} ({} arena bytes)",
        ret,
        unsafe { ffi::ebpf_arena_used(vm) }
    );
    check("ebpf verified and run", rc == 0 && ret == 43);
}

/// A known instruction, and the first of a kernel function read from its text.
fn rvprobe_decode() {
    let mut insn = RvprobeInsn::zeroed();
    // auipc a0, 0x1: simulated by the engine (pc-relative).
    let cls = unsafe { ffi::rvprobe_decode(0x0000_1517, 4, 64, &mut insn) };
    let name = unsafe { ffi::c_str(insn.name) };
    check(
        "rvprobe decodes auipc a0, 0x1",
        cls == ffi::RVPROBE_SIMULATE && insn.op == ffi::RVPROBE_OP_AUIPC && insn.rd == 10
            && insn.imm == 0x1000 && name == "auipc",
    );
    let f = crate::syscall::fs::sys_write as usize;
    let first = unsafe { (f as *const u16).read() };
    let len = unsafe { ffi::rvprobe_insn_len(first) };
    let raw = if len == 2 { first as u32 } else { unsafe { (f as *const u32).read_unaligned() } };
    let cls = unsafe { ffi::rvprobe_decode(raw, len, 64, &mut insn) };
    println!(
        "[kernel] selftest: sys_write begins with {} ({} bytes, class {})",
        unsafe { ffi::c_str(insn.name) },
        len,
        cls
    );
    check("rvprobe decodes sys_write's first instruction", cls != ffi::RVPROBE_REFUSE);
}

fn ksyms() {
    let sys_write = crate::syscall::fs::sys_write as usize;
    let ebpf_create = ffi::ebpf_create as usize;
    check("ksym_lookup(os::syscall::fs::sys_write)", ksym_lookup("os::syscall::fs::sys_write") == sys_write);
    check("ksym_lookup(ebpf_create), a C function", ksym_lookup("ebpf_create") == ebpf_create);
    check("ksym_lookup of no such function is 0", ksym_lookup("os::no::such") == 0);
    check("ksym_func_start(inside sys_write)", ksym_func_start(sys_write + 2) == sys_write);
    let data = core::ptr::addr_of!(FAILED) as usize;
    check("ksym_func_start(data) is 0", ksym_func_start(data) == 0);
    match ksym_name(sys_write + 2) {
        Some((name, start)) => {
            println!("[kernel] selftest: {:#x} is in {} at {:#x}", sys_write + 2, name, start);
            check("ksym_name(inside sys_write)", name == "os::syscall::fs::sys_write" && start == sys_write);
        }
        None => check("ksym_name(inside sys_write)", false),
    }
}

/// ebreak and c.ebreak in kernel code, stepped over by the hook, which
/// adds 100 to a0 each time; t3 must come back as it was.
fn kernel_breaks() {
    let (mut a0, mut t3): (u64, u64) = (5, 0x1234_5678_9abc_def0);
    BREAK_HITS.store(0, Ordering::Relaxed);
    BREAK_MODE.store(BREAK_SKIP, Ordering::Relaxed);
    unsafe {
        asm!(
            ".4byte 0x00100073", // ebreak
            ".2byte 0x9002",     // c.ebreak
            "addi t3, t3, 1",
            inout("a0") a0,
            inout("t3") t3,
        );
    }
    BREAK_MODE.store(BREAK_OFF, Ordering::Relaxed);
    println!("[kernel] selftest: after ebreak and c.ebreak a0 = {}", a0);
    check(
        "kernel ebreak and c.ebreak return, registers as the hook left them",
        a0 == 205 && t3 == 0x1234_5678_9abc_def1 && BREAK_HITS.load(Ordering::Relaxed) == 2,
    );
}

/// Every shape patch() writes, on a buffer: the bytes end up as asked.
fn torn_write_shapes() {
    #[repr(align(8))]
    struct Buf([u8; 32]);
    let mut ok = true;
    for (at, n) in [(0usize, 2usize), (4, 4), (2, 4), (10, 4), (6, 4), (14, 4), (16, 8)] {
        let mut b = Buf([0x11; 32]);
        let bytes = [0xa1u8, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18];
        let base = b.0.as_mut_ptr() as usize;
        ok &= patch(base + at, base + at + 2, &bytes[..n]);
        let mut want = [0x11u8; 32];
        want[at..at + n].copy_from_slice(&bytes[..n]);
        ok &= b.0 == want;
    }
    let mut b = Buf([0; 32]);
    let base = b.0.as_mut_ptr() as usize;
    ok &= !patch(base + 1, base + 3, &[1, 2]) && !patch(base, base + 2, &[1, 2, 3]);
    check("text patch shapes (2, 4 aligned, in a doubleword, across, slot)", ok && b.0 == [0; 32]);
}

#[inline(never)]
fn break_target() -> usize {
    7
}

/// break_target's first instruction made a break (the hook returns 42
/// from it), then put back; its page read-only again after each write.
fn kernel_text() {
    let f = break_target as usize;
    let first = unsafe { (f as *const u16).read() };
    let len = unsafe { ffi::rvprobe_insn_len(first) } as usize;
    let mut orig = [0u8; 4];
    orig[..len].copy_from_slice(unsafe { core::slice::from_raw_parts(f as *const u8, len) });
    let brk: &[u8] = if len == 2 { &[0x02, 0x90] } else { &[0x73, 0x00, 0x10, 0x00] };
    check("is_kernel_text(break_target)", is_kernel_text(f, len));
    let data = core::ptr::addr_of!(FAILED) as usize;
    check("is_kernel_text(data) is false", !is_kernel_text(data, 2));
    check("write_kernel_text(data) refused", write_kernel_text(data, &[0, 0]) == Err(TextError::NotText));

    let call: fn() -> usize = unsafe { core::ptr::read_volatile(&(break_target as fn() -> usize)) };
    BREAK_HITS.store(0, Ordering::Relaxed);
    BREAK_MODE.store(BREAK_RETURN_42, Ordering::Relaxed);
    let wrote = write_kernel_text(f, brk).is_ok();
    let with_break = call();
    BREAK_MODE.store(BREAK_OFF, Ordering::Relaxed);
    let restored = write_kernel_text(f, &orig[..len]).is_ok();
    let after = call();
    let kernel_pt = PageTable::from_token(KERNEL_SPACE.exclusive_access().token());
    let read_only = kernel_pt
        .page_with(VirtAddr::from(f).floor(), crate::mm::PTEFlags::W)
        .is_none();
    println!("[kernel] selftest: break_target() with a break {}, restored {}", with_break, after);
    check(
        "kernel text written (break) and restored, read-only after",
        wrote && restored && with_break == 42 && after == 7 && read_only
            && BREAK_HITS.load(Ordering::Relaxed) == 1,
    );
}

/// A process's uprobe slot page and text, on hello's memory set: mapped
/// R-X U on demand, written through the kernel, copied by fork (a frame
/// of its own), absent after exec (a new memory set).
fn uprobe_slot_page() {
    let elf = match get_app_data_by_name("hello") {
        Some(e) => e,
        None => return check("hello in the image", false),
    };
    let (mut ms, stack_top, entry) = match MemorySet::from_elf(elf) {
        Some(m) => m,
        None => return check("hello's memory set", false),
    };
    let absent = !ms.has_uprobe_slot_page();
    let mapped = ms.map_uprobe_slot_page() == Some(UPROBE_SLOT_PAGE) && ms.has_uprobe_slot_page();
    let slot = [0x13u8, 0x05, 0x15, 0x00, 0x02, 0x90, 0x01, 0x00]; // addi a0,a0,1; c.ebreak; c.nop
    let mut back = [0u8; 8];
    let slot_ok = ms.write_user_text(UPROBE_SLOT_PAGE + 16, &slot)
        && ms.read_user(UPROBE_SLOT_PAGE + 16, &mut back)
        && back == slot;
    check("uprobe slot page mapped and written", absent && mapped && slot_ok);

    let mut orig = [0u8; 2];
    let mut now = [0u8; 2];
    let text_ok = ms.read_user(entry, &mut orig)
        && ms.write_user_text(entry, &[0x02, 0x90])
        && ms.read_user(entry, &mut now)
        && now == [0x02, 0x90];
    check("user text written at hello's entry", text_ok);

    let child = MemorySet::from_existed_user(&ms);
    let mut child_slot = [0u8; 8];
    let vpn = VirtAddr::from(UPROBE_SLOT_PAGE).floor();
    let copied = child.has_uprobe_slot_page()
        && child.read_user(UPROBE_SLOT_PAGE + 16, &mut child_slot)
        && child_slot == slot
        && child.translate(vpn).map(|p| p.0) != ms.translate(vpn).map(|p| p.0);
    check("fork copies the slot page (a frame of its own)", copied);
    let (fresh, _, _) = MemorySet::from_elf(elf).unwrap();
    check("exec's new memory set has no slot page", !fresh.has_uprobe_slot_page());
    // The user stack is no text to patch, nor is kernel memory.
    check(
        "write_user_text outside user text refused",
        !ms.write_user_text(stack_top - 16, &[0, 0]) && !ms.write_user_text(0x8020_0000, &[0, 0]),
    );
}
