// The bug hunt's program (user/bughunt.c, docs/bug-hunt.md) shows its
// symptom as specified: an 8-character owner name copied with an off-by-one
// zeroes the low byte of ledger[2].balance, and the parent's audit, after the
// child's transactions, reports the damage.  The expected numbers follow from
// the program's constants and the little-endian layout of struct account,
// not from a run.  The other bug-hunt tests (record/replay, reverse
// execution) find their lines by the markers checked here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD, ROOT, bootOS } from './qemu.mjs';

const SOURCE = fs.readFileSync(path.join(ROOT, 'user', 'bughunt.c'), 'utf8');
const constant = (name) => Number(SOURCE.match(new RegExp(`^#define ${name} (\\d+)$`, 'm'))[1]);
const INITIAL = constant('INITIAL');
const ROUNDS = constant('ROUNDS');
// owner[8] is the byte after the array: balance's lowest byte (RISC-V is
// little-endian), set to 0 by the 8-character name's terminator.
const CORRUPTED = INITIAL & ~0xff;

test('the program\'s constants make a visible corruption (the low byte of INITIAL is not 0)', () => {
  assert.notEqual(CORRUPTED, INITIAL);
  assert.equal(INITIAL, 1000, 'docs/bug-hunt.md tells the story with 1000 and 768');
  assert.equal(CORRUPTED, 768);
});

test('the markers the walk-through and the reverse-execution tests rely on', () => {
  const lines = SOURCE.split('\n');
  const bug = lines.findIndex((l) => l.includes('/* the bug: */'));
  assert.ok(bug >= 0, '/* the bug: */ marker');
  assert.match(lines[bug + 1], /for \(int i = 0; i <= n; i\+\+\)/, 'the loop with the off-by-one follows the marker');
  assert.equal(lines.filter((l) => l.includes('/* writes dst[n] too */')).length, 1);
  assert.match(lines.find((l) => l.includes('/* writes dst[n] too */')), /^\s+dst\[i\] = src\[i\]; \/\* writes dst\[n\] too \*\/$/);
  const symptom = lines.filter((l) => l.includes('/* the symptom */'));
  assert.equal(symptom.length, 1);
  assert.ok(symptom[0].includes('"bughunt: ledger corrupted: account %d has %d, expected %d\\n"'), symptom[0]);
});

test('ledger is a global of 4 accounts of 16 bytes (owner[8], then balance)', () => {
  const syms = execFileSync('riscv64-unknown-elf-nm', ['-S', path.join(BUILD, 'user', 'bughunt')], { encoding: 'utf8' });
  assert.match(syms, /^[0-9a-f]+ 0000000000000040 B ledger$/m);
  assert.match(syms, /^[0-9a-f]+ [0-9a-f]+ T copy_name$/m);
});

for (const smp of [1, 2]) {
  test(`run=bughunt on ${smp} hart(s): the child's line, then the audit's symptom, exit status 1`, async () => {
    const os = bootOS({ append: 'run=bughunt', smp });
    try {
      const { code } = await os.waitExit(20000);
      assert.equal(code, 0, 'QEMU powers off normally');
      const out = os.output();
      const child = out.match(new RegExp(`^bughunt: child (\\d+) did ${2 * ROUNDS} transactions$`, 'm'));
      assert.ok(child, `the child's line in\n${out}`);
      const symptom = `bughunt: ledger corrupted: account 2 has ${CORRUPTED}, expected ${INITIAL}\n`;
      assert.ok(out.includes(symptom), `"${symptom.trim()}" in\n${out}`);
      assert.ok(out.indexOf(child[0]) < out.indexOf(symptom), 'the parent audits after waiting for the child');
      assert.ok(!out.includes('bughunt: ledger ok'), out);
      assert.ok(out.includes('init: bughunt exited with status 1\n'), out);
    } finally {
      os.stop();
    }
  });
}
