//! The kernel's constants (rCore-Tutorial-v3's values).
pub const USER_STACK_SIZE: usize = 4096 * 2;
pub const KERNEL_STACK_SIZE: usize = 4096 * 2;
pub const KERNEL_HEAP_SIZE: usize = 0x30_0000;
pub const MEMORY_END: usize = 0x8800_0000; // 128 MiB from 0x80000000 (QEMU -m 128M)
pub const PAGE_SIZE: usize = 0x1000;
pub const PAGE_SIZE_BITS: usize = 0xc;
/// The trampoline page at the top of every address space, and below it the
/// current process's trap context, at the same address in every process.
pub const TRAMPOLINE: usize = usize::MAX - PAGE_SIZE + 1;
pub const TRAP_CONTEXT: usize = TRAMPOLINE - PAGE_SIZE;
/// A process's uprobe slot page (mapped R-X U on demand, for the probe
/// engine's out-of-line steps: MemorySet::map_uprobe_slot_page): below the
/// trap context with an unmapped guard page between, above everything the
/// ELF and the user stack may use (MemorySet::from_elf refuses programs
/// that would reach it).
pub const UPROBE_SLOT_PAGE: usize = TRAP_CONTEXT - 2 * PAGE_SIZE;
/// QEMU virt's timebase (the device tree's timebase-frequency).
pub const CLOCK_FREQ: usize = 10_000_000;

/// Where process pid's kernel stack lives in the kernel's address space:
/// below the trampoline, with an unmapped guard page between stacks.
pub fn kernel_stack_position(pid: usize) -> (usize, usize) {
    let top = TRAMPOLINE - pid * (KERNEL_STACK_SIZE + PAGE_SIZE);
    let bottom = top - KERNEL_STACK_SIZE;
    (bottom, top)
}
