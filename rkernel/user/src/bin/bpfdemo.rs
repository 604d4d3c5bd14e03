//! bpfdemo: bpf() from a Rust program, as a libbpf-style loader uses it:
//! maps, a program load, a kprobe on a kernel function by name, a uprobe on
//! a function of this program, and bad input the kernel must refuse with
//! the right errno (and without stopping).  One "ok: ..." or
//! "FAIL: ...: ..." line per check, then "bpfdemo: N passed, M failed".
//!   bpfdemo [kernel-function]
//! The kernel function defaults to the Rust kernel's getpid (its symbol
//! table has demangled paths); `bpfdemo sys_getpid` runs on the C kernel.
#![no_std]
#![no_main]

#[macro_use]
extern crate user_lib;

use user_lib::bpf::attach::BPF_TRACE_UPROBE_MULTI;
use user_lib::bpf::errno::*;
use user_lib::bpf::ids::*;
use user_lib::bpf::*;
use user_lib::{arg, fork, getpid, waitpid};

/// The kernel function getpid() runs, by name (NUL-terminated for bpf()).
const GETPID_FN: &str = "os::syscall::process::sys_getpid";
/// This program's name, as the kernel runs it (uprobes name the program).
const PROGRAM: &str = "bpfdemo\0";
const GETPID_CALLS: u64 = 25;
const TARGET_CALLS: u64 = 7;

struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    /// One check: `why` says what was seen when it fails.
    fn check(&mut self, ok: bool, what: &str, why: core::fmt::Arguments) {
        if ok {
            self.passed += 1;
            println!("ok: {}", what);
        } else {
            self.failed += 1;
            println!("FAIL: {}: {}", what, why);
        }
    }

    /// A call that must answer -errno.
    fn refused(&mut self, r: isize, errno: isize, what: &str) {
        self.check(r == -errno, what,
                   format_args!("got {} ({}), not -{} ({})", r, errname(r), errno, errname(-errno)));
    }

    /// A call that must give a descriptor.
    fn fd(&mut self, r: isize, what: &str) -> isize {
        self.check(r >= 0, what, format_args!("got {} ({})", r, errname(r)));
        r
    }
}

fn array_map(c: &mut Checks) {
    let m = c.fd(map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4, "demo_array"), "array map created");
    let (mut k, mut v) = (1u32, 0xdead_beefu64);
    let r = map_lookup(m, &k, &mut v);
    c.check(r == 0 && v == 0, "an array's elements start at zero",
            format_args!("lookup gave {} ({}), value {:#x}", r, errname(r), v));
    let r = map_update(m, &k, &0x1122_3344_5566_7788u64, BPF_ANY);
    c.check(r == 0, "array update", format_args!("got {} ({})", r, errname(r)));
    let r = map_lookup(m, &k, &mut v);
    c.check(r == 0 && v == 0x1122_3344_5566_7788, "array lookup reads the value stored",
            format_args!("got {} ({}), value {:#x}", r, errname(r), v));
    k = 4;
    c.refused(map_lookup(m, &k, &mut v), ENOENT, "array lookup past max_entries: ENOENT");
    c.refused(map_update(m, &k, &v, BPF_ANY), E2BIG, "array update past max_entries: E2BIG");
    k = 1;
    c.refused(map_delete(m, &k), EINVAL, "array elements cannot be deleted: EINVAL");
}

fn hash_map(c: &mut Checks) {
    let h = c.fd(map_create(BPF_MAP_TYPE_HASH, 4, 8, 16, "demo_hash"), "hash map created");
    let (k, mut v) = (7u32, 0u64);
    c.refused(map_lookup(h, &k, &mut v), ENOENT, "hash lookup of a missing key: ENOENT");
    let r = map_update(h, &k, &42u64, BPF_NOEXIST);
    c.check(r == 0, "hash update inserts", format_args!("got {} ({})", r, errname(r)));
    let r = map_lookup(h, &k, &mut v);
    c.check(r == 0 && v == 42, "hash lookup reads the value stored",
            format_args!("got {} ({}), value {}", r, errname(r), v));
    c.refused(map_update(h, &k, &1u64, BPF_NOEXIST), EEXIST,
              "BPF_NOEXIST on an existing key: EEXIST");
    c.refused(map_update(h, &8u32, &1u64, BPF_EXIST), ENOENT, "BPF_EXIST on a missing key: ENOENT");
    c.refused(map_update(h, &k, &1u64, 99), EINVAL, "update with unknown flags: EINVAL");
    for key in 100u32..103 {
        map_update(h, &key, &(key as u64), BPF_ANY);
    }
    // Every key once, in the map's order, then ENOENT.
    let (mut seen, mut sum, mut next) = (0, 0u32, 0u32);
    let mut r = map_get_next_key(h, None::<&u32>, &mut next);
    while r == 0 && seen < 10 {
        seen += 1;
        sum += next;
        let cur = next;
        r = map_get_next_key(h, Some(&cur), &mut next);
    }
    c.check(seen == 4 && sum == 7 + 100 + 101 + 102 && r == -ENOENT,
            "get_next_key walks the 4 keys once each, then ENOENT",
            format_args!("{} keys summing to {}, then {} ({})", seen, sum, r, errname(r)));
    let (first, again) = (map_delete(h, &k), map_delete(h, &k));
    c.check(first == 0 && again == -ENOENT, "hash delete works once, then ENOENT",
            format_args!("got {} then {} ({})", first, again, errname(again)));
}

/// The counter program: map[0] += 1 at every hit of its probe
/// (RFC 9669 encodings; r10 is the frame pointer).
fn counter_program(map: isize) -> [Insn; 12] {
    let [ld0, ld1] = ld_map_fd(1, map as i32);
    [
        st_w(10, -4, 0),                      // u32 key = 0 on the stack
        ld0, ld1,                             // r1 = the map
        mov64_reg(2, 10),
        add64_imm(2, -4),                     // r2 = &key
        call(BPF_FUNC_MAP_LOOKUP_ELEM),       // r0 = &map[0] or NULL
        jeq_imm(0, 0, 3),                     // the verifier wants the NULL check
        ldx_dw(1, 0, 0),
        add64_imm(1, 1),
        stx_dw(0, 1, 0),                      // map[0] += 1
        mov64_imm(0, 0),                      // (a pointer must not be returned)
        exit_insn(),
    ]
}

/// A loaded counter program and its map, or None (the failure said).
fn load_counter(c: &mut Checks, what: &str) -> Option<(isize, isize)> {
    let m = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, "demo_count");
    let mut log = [0u8; 1024];
    let p = prog_load(&counter_program(m), Some(&mut log));
    let n = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    let text = core::str::from_utf8(&log[..n]).unwrap_or("(log not UTF-8)");
    c.check(m >= 0 && p >= 0, what,
            format_args!("map {} ({}), program {} ({}): {}", m, errname(m), p, errname(p), text));
    if m >= 0 && p >= 0 {
        Some((m, p))
    } else {
        None
    }
}

fn count(map: isize) -> u64 {
    let mut v = u64::MAX;
    map_lookup(map, &0u32, &mut v);
    v
}

fn programs(c: &mut Checks, map: isize, prog: isize) {
    // A map value used without its NULL check: the verifier refuses it.
    let [ld0, ld1] = ld_map_fd(1, map as i32);
    let unchecked = [st_w(10, -4, 0), ld0, ld1, mov64_reg(2, 10), add64_imm(2, -4),
                     call(BPF_FUNC_MAP_LOOKUP_ELEM), ldx_dw(0, 0, 0), exit_insn()];
    c.refused(prog_load(&unchecked, None), EACCES, "a map value used without a NULL check: EACCES");
    let [ld0, ld1] = ld_map_fd(1, prog as i32);
    let not_a_map = [ld0, ld1, mov64_imm(0, 0), exit_insn()];
    c.refused(prog_load(&not_a_map, None), EBADF, "lddw of a descriptor that is no map: EBADF");
    c.refused(prog_load(&[], None), EINVAL, "a program of no instructions: EINVAL");
}

fn kprobe(c: &mut Checks, func: &str) {
    let (m, p) = match load_counter(c, "counter program loaded (kprobe)") {
        Some(loaded) => loaded,
        None => return,
    };
    let mut name = [0u8; 128];
    let n = func.len().min(name.len() - 1);
    name[..n].copy_from_slice(&func.as_bytes()[..n]);
    let name = core::str::from_utf8(&name[..n + 1]).unwrap();
    let link = c.fd(link_kprobe(p, name, 0), "kprobe link on the kernel's getpid by name");
    if link < 0 {
        return;
    }
    for _ in 0..GETPID_CALLS {
        getpid();
    }
    let seen = count(m);
    c.check(seen == GETPID_CALLS, "the kprobe program ran once per getpid()",
            format_args!("{} runs for {} calls", seen, GETPID_CALLS));
    let r = close(link);
    for _ in 0..5 {
        getpid();
    }
    let after = count(m);
    c.check(r == 0 && after == seen, "closing the link detaches the kprobe",
            format_args!("close gave {} ({}), {} runs after it", r, errname(r), after - seen));
    c.refused(link_kprobe(p, "no_such_kernel_function\0", 0), ENOENT,
              "a kernel function that does not exist: ENOENT");
    c.refused(link_kprobe(m, name, 0), EBADF, "a link of a descriptor that is no program: EBADF");
}

/// What the uprobe watches: its address is `uprobe_target as usize`.
#[inline(never)]
#[no_mangle]
pub extern "C" fn uprobe_target(x: u64) -> u64 {
    x * 2 + 1
}

fn uprobe(c: &mut Checks) {
    let (m, p) = match load_counter(c, "counter program loaded (uprobe)") {
        Some(loaded) => loaded,
        None => return,
    };
    let addr = uprobe_target as usize as u64;
    let link = c.fd(link_uprobe(p, PROGRAM, addr, 0), "uprobe link on this program's uprobe_target");
    if link < 0 {
        return;
    }
    let mut sum = 0;
    for i in 0..TARGET_CALLS {
        sum += uprobe_target(i);
    }
    c.check(sum == TARGET_CALLS * TARGET_CALLS, "the probed function still computes its result",
            format_args!("sum {}", sum));
    let seen = count(m);
    c.check(seen == TARGET_CALLS, "the uprobe program ran once per call",
            format_args!("{} runs for {} calls", seen, TARGET_CALLS));
    // A child runs the same program, so it hits the same probe.
    let pid = fork();
    if pid == 0 {
        uprobe_target(1);
        user_lib::exit(0);
    }
    let mut status = -1;
    waitpid(pid, &mut status);
    let child = count(m) - seen;
    c.check(pid > 0 && status == 0 && child == 1, "a forked child's call is counted too",
            format_args!("fork {}, status {}, {} runs", pid, status, child));
    let r = close(link);
    uprobe_target(1);
    let after = count(m) - seen - child;
    c.check(r == 0 && after == 0, "closing the link detaches the uprobe",
            format_args!("close gave {} ({}), {} runs after it", r, errname(r), after));
}

/// More zero bytes than bpf() reads (it refuses sizes over 4096).
static ZEROS: [u8; 4104] = [0; 4104];

fn bad_input(c: &mut Checks) {
    let size = BPF_ATTR_SIZE as usize;
    c.refused(bpf_raw(BPF_MAP_CREATE, 8, size), EFAULT, "attributes at an unmapped address: EFAULT");
    c.refused(bpf_raw(BPF_MAP_CREATE, 0x8020_0000, size), EFAULT,
              "attributes in kernel memory: EFAULT");
    // A valid buffer, so that only the size can be what is refused.
    let attr = ZEROS.as_ptr() as usize;
    c.refused(bpf_raw(BPF_MAP_CREATE, attr, 4097), EINVAL, "attributes of more than a page: EINVAL");
    c.refused(bpf_raw(BPF_MAP_CREATE, attr, 0), EINVAL, "attributes of size 0: EINVAL");
    c.refused(bpf_raw(999, attr, size), EINVAL, "an unknown command: EINVAL");
    let p = prog_load(&[mov64_imm(0, 0), exit_insn()], None);
    let mut v = 0u64;
    c.refused(map_lookup(p, &0u32, &mut v), EBADF, "a map lookup on a program's descriptor: EBADF");
    c.refused(map_update(1000, &0u32, &v, BPF_ANY), EBADF, "a map update on no descriptor: EBADF");
    c.refused(map_create(BPF_MAP_TYPE_HASH, 0, 8, 4, "bad"), EINVAL, "a map of 0-byte keys: EINVAL");
    c.refused(map_create(12345, 4, 8, 4, "bad"), EINVAL, "an unknown map type: EINVAL");
    let mut bad_path = LinkUprobe { prog_fd: p as u32, attach_type: BPF_TRACE_UPROBE_MULTI,
                                    path: 0x4000_0000, offsets: 0x4000_0000, cnt: 1,
                                    ..LinkUprobe::ZERO };
    c.refused(bpf(BPF_LINK_CREATE, &mut bad_path), EFAULT, "a uprobe link with a bad path: EFAULT");
    close(p);
}

#[no_mangle]
pub extern "C" fn main(argc: usize, argv: *const *const u8) -> i32 {
    require("bpfdemo");
    let func = if argc > 1 { arg(argv, 1) } else { GETPID_FN };
    let mut c = Checks { passed: 0, failed: 0 };
    array_map(&mut c);
    hash_map(&mut c);
    if let Some((m, p)) = load_counter(&mut c, "counter program loaded") {
        programs(&mut c, m, p);
    }
    kprobe(&mut c, func);
    uprobe(&mut c);
    bad_input(&mut c);
    println!("bpfdemo: {} passed, {} failed", c.passed, c.failed);
    if c.failed == 0 {
        0
    } else {
        1
    }
}
