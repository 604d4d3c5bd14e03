// make bench-kprobe: guest instructions per kprobe hit (an empty eBPF
// program attached through bpf(BPF_LINK_CREATE)), for an instruction the
// engine simulates and one it runs out of line, side by side with an empty
// system call round trip in the same run.  QEMU counts instructions exactly
// with -icount shift=0 (without it, instret follows host time).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bootOS, BUILD, KERNEL } from '../../tests/kernel/qemu.mjs';

// sys_getpid's instructions, from the kernel as built.
const dis = execFileSync('riscv64-unknown-elf-objdump', ['-d', '--no-show-raw-insn', KERNEL], { encoding: 'utf8', maxBuffer: 256 << 20 });
const body = dis.slice(dis.indexOf('<sys_getpid>:')).split('\n\n')[0].split('\n').slice(1)
  .map((l) => l.match(/^\s*([0-9a-f]+):\s+(\S+)/)).filter(Boolean).map((m) => ({ addr: m[1], op: m[2] }));
const stepped = body.find((i) => ['add', 'addi', 'sd', 'mv', 'ld'].includes(i.op)); // runs in a slot
const simulated = body.find((i) => ['jal', 'call', 'auipc', 'beq', 'bne', 'j', 'jalr'].includes(i.op));
if (!stepped || !simulated) throw new Error(`cannot find instructions in sys_getpid:\n${JSON.stringify(body)}`);

const os = bootOS({ args: ['-icount', 'shift=0'] });
try {
  await os.waitFor('$ ', 60000);
  os.type(`probebench ${stepped.addr} ${simulated.addr} 2000\n`);
  await os.waitFor(/stepped kprobe: .*\n/, 120000);
  const out = os.output();
  const num = (re) => Number(out.match(re)[1]);
  const syscall = num(/round trip: (\d+) instructions/);
  const sim = num(/simulated kprobe: \+(\d+)/);
  const step = num(/stepped kprobe: \+(\d+)/);
  const rows = [
    ['empty system call (getpid) round trip', `${syscall} insns`, ''],
    [`kprobe, simulated (${simulated.op} at ${simulated.addr})`, `+${sim} insns`, `${(sim / syscall).toFixed(2)}x syscall (target <= 1.5x)`],
    [`kprobe, stepped (${stepped.op} at ${stepped.addr})`, `+${step} insns`, `${(step / syscall).toFixed(2)}x syscall`],
  ];
  console.log('kprobe cost, guest instructions per hit (QEMU -icount shift=0, empty eBPF program)');
  for (const r of rows) console.log(`  ${r[0].padEnd(48)} ${r[1].padStart(12)}  ${r[2]}`);
  fs.mkdirSync(path.join(BUILD, 'bench'), { recursive: true });
  fs.writeFileSync(path.join(BUILD, 'bench', 'kprobe.json'), JSON.stringify({ syscall, simulated: sim, stepped: step }, null, 2));
  os.type('exit\n');
  await os.waitExit(20000);
} finally {
  os.stop();
}
