// Build outputs the debugger relies on: every user program is an rv64 ELF
// with DWARF line info whose entry _start is exactly 0x10000; the kernel has
// DWARF and the symbols that the docs, tests and profile name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD, KERNEL } from './qemu.mjs';

const tool = (name, ...args) => execFileSync(`riscv64-unknown-elf-${name}`, args, { encoding: 'utf8', maxBuffer: 64 << 20 });

// The pinned programs (issue: sh, hello, matrix, a fork/exec/wait exerciser)
// plus the rest of user/, each with the source file its main lives in.
const PROGRAMS = {
  sh: 'sh.c', hello: 'hello.c', matrix: 'matrix.c', forktest: 'forktest.c', init: 'init.c',
  selftest: 'selftest.c', fault: 'fault.c', cat: 'cat.c', ls: 'ls.c', rustdemo: 'rustdemo.rs', sysbench: 'sysbench.c', twins: 'twins.c', orphan: 'orphan.c', bpftest: 'bpftest.c', probebench: 'probebench.c', bpfload: 'bpfload.c',
};

for (const [prog, source] of Object.entries(PROGRAMS)) {
  test(`${prog}: rv64 ELF, _start at exactly 0x10000, DWARF lines for ${source}`, () => {
    const elf = path.join(BUILD, 'user', prog);
    assert.ok(fs.existsSync(elf), `${elf} is built`);
    const header = tool('readelf', '-h', elf);
    assert.match(header, /Class:\s+ELF64/);
    assert.match(header, /Machine:\s+RISC-V/);
    assert.match(header, /Entry point address:\s+0x10000\n/);
    assert.match(header, /Flags:\s+0x1, RVC, soft-float ABI/, 'rv64imac, lp64 (compressed, no FP)');
    const start = tool('nm', elf).split('\n').find((l) => / _start$/.test(l));
    assert.equal(start, '0000000000010000 T _start');
    const lines = tool('objdump', '--dwarf=decodedline', elf);
    assert.ok(lines.includes(source), `line table mentions ${source}`);
  });
}

test('rustdemo: Rust functions keep their mangled names (rustdemo::work)', () => {
  const syms = tool('nm', path.join(BUILD, 'user', 'rustdemo'));
  assert.match(syms, / t _ZN8rustdemo4work17h[0-9a-f]{16}E\n/, 'legacy-mangled rustdemo::work, not inlined');
});

test('the ramdisk holds every program', () => {
  const list = execFileSync('cpio', ['-it', '--quiet'], { input: fs.readFileSync(path.join(BUILD, 'user', 'fs.cpio')), encoding: 'utf8' })
    .split('\n');
  for (const prog of Object.keys(PROGRAMS)) assert.ok(list.includes(prog), `${prog} in fs.cpio`);
});

test('kernel.elf: entry 0x80200000, DWARF, and the symbols the debugger names', () => {
  const header = tool('readelf', '-h', KERNEL);
  assert.match(header, /Entry point address:\s+0x80200000\n/);
  const sections = tool('readelf', '-S', KERNEL);
  for (const s of ['.debug_info', '.debug_line']) assert.ok(sections.includes(s), `kernel has ${s}`);
  const syms = new Set(tool('nm', KERNEL).split('\n').map((l) => l.split(' ')[2]));
  for (const s of ['sys_write', 'usertrap', 'usertrapret', 'exec_commit', 'kerneltrap', 'uservec', 'userret'])
    assert.ok(syms.has(s), `kernel defines ${s}`);
  const lines = tool('objdump', '--dwarf=decodedline', KERNEL);
  assert.ok(lines.includes('sysfile.c'), 'sys_write has line info');
});
