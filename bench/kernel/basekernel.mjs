// The C kernel of an older commit, for benchmarks that measure it side by
// side with the current one in the same run (make bench-kprobe's
// KPROBE_BASE, make bench-sidestub's SIDESTUB_BASE): the commit's own
// sources, from `git archive`, built in a temporary folder; the image is
// kept as build/bench/kernel-<short>.elf.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD, ROOT } from '../../tests/kernel/qemu.mjs';

// { short, elf } or { error } saying why there is none (the caller then
// leaves the comparison out and goes on).
export function buildBase(base) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'osdbg-kernel-base.'));
  try {
    const short = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', base], { encoding: 'utf8' }).trim();
    execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${short}" | tar -x -C "${tmp}"`]);
    const elf = path.join(tmp, 'build', 'kernel', 'kernel.elf');
    execFileSync('make', ['-s', '-j2', '-C', tmp, elf], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    const kept = path.join(BUILD, 'bench', `kernel-${short}.elf`);
    fs.mkdirSync(path.dirname(kept), { recursive: true });
    fs.copyFileSync(elf, kept);
    return { short, elf: kept };
  } catch (e) {
    return { error: `${base}: ${(e.stderr?.toString() || e.message).trim().split('\n').slice(-3).join(' / ')}` };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
