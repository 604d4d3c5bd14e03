// The project's sources as the adapter tests name them: a path under the
// checkout, and a line found by its text (tests never hard-code a line
// number: an edit above it would move it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../kernel/qemu.mjs';

export const src = (rel) => path.join(ROOT, rel);

// The 1-based line of rel whose text includes text, the first at or after
// line index after (0-based); the test fails if there is none.
export const lineOf = (rel, text, after = 0) => {
  const i = fs.readFileSync(src(rel), 'utf8').split('\n').findIndex((l, n) => n >= after && l.includes(text));
  assert.ok(i >= 0, `${text} in ${rel}`);
  return i + 1;
};
