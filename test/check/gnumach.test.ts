// GNU Mach's .defs (gnumach-dev) through the whole front end in GNU's
// dialect: no file may cause an internal error, and every routine's name,
// message id and reply id must equal what GNU MIG's `-list` prints for the
// same file and macros (plain, KERNEL_USER and KERNEL_SERVER). The same
// files in Apple's dialect must say which GNU-only syntax has no Apple layout.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileDefs } from '../../generator/check/compile.js';

const INCLUDE = '/usr/include/x86_64-linux-gnu';
const GNU_MIG = 'x86_64-gnu-mig';
const migFound = spawnSync(GNU_MIG, ['-version']).error === undefined;
const defsFound = existsSync(join(INCLUDE, 'mach', 'mach.defs'));
const skipReason = !defsFound ? `skipped: gnumach-dev is not installed (${INCLUDE})` : '';
const listSkipReason = skipReason || (!migFound ? `skipped: ${GNU_MIG} is not installed` : '');

/** Every gnumach .defs, as `dir/name.defs`. */
const FILES = defsFound
  ? ['mach', 'device', 'mach_debug'].flatMap((dir) =>
      readdirSync(join(INCLUDE, dir))
        .filter((n) => n.endsWith('.defs'))
        .map((n) => `${dir}/${n}`),
    )
  : [];

/** Files with only types: GNU MIG itself can't read them without a subsystem. */
const TYPE_ONLY = new Set(
  FILES.filter((f) => !/^\s*subsystem\b/m.test(readFileSync(join(INCLUDE, f), 'utf8'))),
);

const CONFIGS: Array<{ name: string; defines: string[] }> = [
  { name: 'plain', defines: [] },
  { name: 'KERNEL_USER', defines: ['KERNEL_USER'] },
  { name: 'KERNEL_SERVER', defines: ['KERNEL_SERVER'] },
];

const work = migFound && defsFound ? mkdtempSync(join(tmpdir(), 'tsmig-gnumach-')) : '';
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** tsmig's front end, as GNU MIG preprocesses (`-undef`, then `-D__x86_64__`). */
function tsmig(file: string, defines: string[], dialect: 'gnu' | 'apple' = 'gnu') {
  return compileDefs(
    { file: join(INCLUDE, file) },
    {
      includePaths: [INCLUDE],
      undef: true,
      defines: [['__x86_64__', '1'], ...defines.map((d): [string, string] => [d, '1'])],
      dialect,
    },
  );
}

/** GNU MIG's `-list` lines: `subsystem base routine index id replyid`. */
function gnuList(file: string, defines: string[]): string[] | null {
  const out = join(work, 'list.txt');
  const res = spawnSync(
    GNU_MIG,
    ['-D__x86_64__', ...defines.map((d) => `-D${d}`), `-I${INCLUDE}`, '-list', out, '-user', '/dev/null', '-server', '/dev/null', '-header', '/dev/null', join(INCLUDE, file)],
    { cwd: work, encoding: 'utf8' },
  );
  if (res.status !== 0) return null;
  return readFileSync(out, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

describe.each(CONFIGS)('gnumach .defs, $name', ({ defines }) => {
  it.skipIf(skipReason !== '')(`check without internal errors ${skipReason}`, () => {
    for (const file of FILES) {
      const r = tsmig(file, defines);
      const internal = r.diagnostics.filter((d) => d.code.endsWith('internal-error'));
      expect(internal, file).toEqual([]);
      const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
      if (TYPE_ONLY.has(file)) {
        // Like GNU MIG, a file of types alone has no subsystem to define its built-ins.
        expect(errors, file).toEqual(['check-gnu-subsystem-first', 'check-missing-subsystem']);
      } else {
        expect(errors, file).toEqual([]);
        expect(r.layouts.routines.every((l) => l !== null), `${file}: every routine laid out`).toBe(true);
      }
    }
  });

  it.skipIf(listSkipReason !== '')(`routine names and ids equal GNU MIG's -list ${listSkipReason}`, () => {
    let compared = 0;
    for (const file of FILES.filter((f) => !TYPE_ONLY.has(f))) {
      const expected = gnuList(file, defines);
      if (expected === null) continue;
      const r = tsmig(file, defines);
      const sub = r.ir.subsystem!;
      // GNU MIG prints 0 as the reply id of a simpleroutine.
      const actual = r.ir.routines.map(
        (rt) => `${sub.name} ${sub.base} ${rt.name} ${rt.number} ${rt.id} ${rt.oneWay ? 0 : rt.replyId}`,
      );
      expect(actual, file).toEqual(expected);
      compared += actual.length;
    }
    expect(compared).toBeGreaterThan(100);
  });
});

describe('gnumach .defs in Apple dialect', () => {
  it.skipIf(skipReason !== '')(`says GNU-only syntax has no Apple layout ${skipReason}`, () => {
    const r = tsmig('mach/mach.defs', [], 'apple');
    const gnuOnly = r.diagnostics.filter((d) => d.code === 'check-gnu-only');
    expect(gnuOnly.length).toBeGreaterThan(0);
    for (const d of gnuOnly) {
      expect(d.message).toContain('no message layout');
      expect(d.loc?.file).toMatch(/\.defs$/);
    }
    expect(r.diagnostics.filter((d) => d.code.endsWith('internal-error'))).toEqual([]);
  });
});
