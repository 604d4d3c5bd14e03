// Boot the reference OS in QEMU for host-driven tests.
//
// bootOS({append, args}) starts qemu-system-riscv64 with the console on the
// child's stdio (no monitor, so every byte reaches the OS) and returns an
// object to wait for console output, type into the console, and wait for
// QEMU to exit.  Every QEMU started here is killed by pid in stop(); tests
// call it from a finally block or after() hook.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD = process.env.OSDBG_BUILD ?? path.join(ROOT, 'build');
export const KERNEL = path.join(BUILD, 'kernel', 'kernel.elf');
// The Rust reference kernel (rkernel/, docs/rust-kernel.md).
export const RKERNEL = path.join(BUILD, 'rkernel', 'rkernel.elf');

// Harts (QEMU -smp): 2 unless a test asks for another number or OSDBG_SMP
// says so (make test-kernel-boot-smp runs a subset on 1 and on 4).
export const SMP = Number(process.env.OSDBG_SMP ?? 2);

export function qemuArgs({ append = '', args = [], kernel = KERNEL, smp = SMP } = {}) {
  const a = ['-machine', 'virt', '-bios', 'default', '-m', '128M', '-smp', String(smp),
    '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-kernel', kernel, ...args];
  if (append) a.push('-append', append);
  return a;
}

export function bootOS(opts = {}) {
  const started = process.hrtime.bigint();
  const proc = spawn('qemu-system-riscv64', qemuArgs(opts), { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let waiters = [];
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      for (const w of waiters) w.fail(new Error(`QEMU exited (code ${code}, signal ${signal}) while waiting for ${w.what}\n--- console ---\n${out}`));
      waiters = [];
      resolve({ code, signal });
    });
  });
  const check = () => {
    waiters = waiters.filter((w) => {
      const m = typeof w.what === 'string' ? (out.includes(w.what) ? [w.what] : null) : out.match(w.what);
      if (m) { clearTimeout(w.timer); w.ok({ match: m, ms: Number(process.hrtime.bigint() - started) / 1e6 }); }
      return !m;
    });
  };
  const onData = (d) => { out += d.toString('latin1').replace(/\r/g, ''); check(); };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  return {
    proc,
    output: () => out,
    exited,
    // Resolves with {match, ms since start} once the console shows `what`
    // (a string or a RegExp); rejects after timeoutMs or if QEMU exits first.
    waitFor(what, timeoutMs = 20000) {
      return new Promise((ok, fail) => {
        const w = { what, ok, fail };
        w.timer = setTimeout(() => {
          waiters = waiters.filter((x) => x !== w);
          fail(new Error(`timeout after ${timeoutMs} ms waiting for ${what}\n--- console ---\n${out}`));
        }, timeoutMs);
        waiters.push(w);
        check();
      });
    },
    type(text) { proc.stdin.write(text); },
    // Resolves with QEMU's exit status; kills it after timeoutMs.
    async waitExit(timeoutMs = 20000) {
      let timer;
      const t = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`QEMU still running after ${timeoutMs} ms\n--- console ---\n${out}`)), timeoutMs); });
      try { return await Promise.race([exited, t]); } finally { clearTimeout(timer); }
    },
    stop() { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); },
  };
}

// Boot with a command line, wait for QEMU to power off, return {code, out}.
export async function runOS(append, timeoutMs = 30000, args = [], kernel = KERNEL) {
  const os = bootOS({ append, args, kernel });
  try {
    const { code } = await os.waitExit(timeoutMs);
    return { code, out: os.output() };
  } finally {
    os.stop();
  }
}

// The console lines the OS printed after the kernel banner (OpenSBI's
// banner dropped), without the kernel's own "[kernel]" lines.
export function programLines(out) {
  const start = out.indexOf('osdbg reference kernel');
  return out.slice(start).split('\n').slice(1).filter((l) => l && !l.startsWith('[kernel]'));
}
