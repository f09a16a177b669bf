// The fuzz targets' regression inputs and seeds, replayed: `node fuzz/run.js
// --replay` builds fuzz/*.cc with clang++-16 (AddressSanitizer + UBSan),
// writes the seed corpora from the wire corpus, and runs every kept
// regression input (fuzz/regressions/<target>/) and every seed once through
// each target; any crash, sanitizer report, leak or broken invariant fails
// it. Without clang++-16 (and its libFuzzer runtime) the test is skipped:
// the sanitized build needs them (CI installs clang-16 libclang-rt-16-dev).

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const clang = spawnSync('clang++-16', ['--version'], { stdio: 'ignore' }).status === 0;

test('every fuzz target keeps regression inputs (what the fuzzers found, fixed since)', () => {
  for (const target of ['wire_receive', 'cross_demux']) {
    const dir = join(root, 'fuzz', 'regressions', target);
    expect(existsSync(dir) && readdirSync(dir).length > 0, target).toBe(true);
  }
});

test.skipIf(!clang)(
  'fuzz/run.js --replay: every regression input and seed runs clean under ASan + UBSan (skipped without clang++-16)',
  () => {
    const run = spawnSync(process.execPath, [join(root, 'fuzz', 'run.js'), '--replay'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const replayed = [...run.stdout.matchAll(/fuzz: replaying (\d+) inputs through (\w+)/g)].map(
      (m) => [m[2], Number(m[1])],
    );
    expect(run.status, run.stdout.slice(-4000) + run.stderr.slice(-4000)).toBe(0);
    // Every target ran, each on its seeds as well as its regression inputs.
    expect(replayed.map(([name]) => name).sort()).toEqual([
      'cross_demux',
      'handshake_parent',
      'wire_receive',
    ]);
    for (const [, count] of replayed) expect(count).toBeGreaterThan(10);
  },
  900_000,
);
