// GNU Mach's .defs (gnumach-dev) through the whole front end in GNU's
// dialect: every file checks and lays out without an error (type-only files
// wrapped in a subsystem, as GNU MIG needs them), never with an internal
// error, and every routine's name, message id and reply id equal what GNU
// MIG's `-list` prints for the same file and macros. The same files in
// Apple's dialect must say which GNU-only syntax has no Apple layout.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileDefs } from '../../generator/check/compile.js';
import {
  DEFINE_SETS,
  GNU_MIG,
  GNUMACH_INCLUDE,
  gnumachDefsFiles,
  gnuMigList,
  hasGnumach,
  hasGnuMig,
} from '../conformance/gnu-mig.js';

const files = hasGnumach() ? gnumachDefsFiles() : [];
const skipReason = hasGnumach() ? '' : `skipped: gnumach-dev is not installed (${GNUMACH_INCLUDE})`;
const listSkipReason =
  skipReason || (hasGnuMig() ? '' : 'skipped: GNU MIG (mig-x86-64-gnu) is not installed');

/** tsmig's front end as GNU MIG preprocesses (`-undef`, then the set's defines). */
function tsmig(
  input: { file: string } | { text: string; fileName: string },
  defines: Array<[string, string]>,
  dialect: 'gnu' | 'apple' = 'gnu',
) {
  return compileDefs(input, { includePaths: [GNUMACH_INCLUDE], undef: true, defines, dialect });
}

/** Type-only files GNU MIG itself rejects when wrapped alone (checked with x86_64-gnu-mig), and why. */
const INCOMPLETE_ALONE: Record<string, string> = {
  'mach/default_pager_types.defs':
    'uses vm_size_t and vm_offset_t without including mach_types.defs',
  'mach_debug/mach_debug_types.defs': 'uses rpc_vm_size_t without including mach_types.defs',
  'mach/x86_64/machine_types.defs': 'uses uint32_t and friends without including std_types.defs',
};

/** The wrapper GNU MIG needs around a file of types alone. */
function wrapper(file: string): string {
  return `subsystem tsmig_wrapper 0;\n#include "${file}"\n`;
}

function hasSubsystem(file: string, defines: Array<[string, string]>): boolean {
  return tsmig({ file }, defines).ir.subsystem !== null;
}

describe.each(DEFINE_SETS)('gnumach .defs, $name', ({ defines }) => {
  it.skipIf(skipReason !== '')(
    `every file checks and lays out without an error ${skipReason}`,
    () => {
      expect(files.length).toBeGreaterThanOrEqual(20);
      for (const file of files) {
        let r = tsmig({ file }, defines);
        if (r.ir.subsystem === null) {
          // A type-only file, wrapped in a subsystem as GNU MIG needs it.
          r = tsmig({ text: wrapper(file), fileName: 'wrapper.defs' }, defines);
        }
        expect(
          r.diagnostics.filter((d) => d.code.endsWith('internal-error')),
          file,
        ).toEqual([]);
        const errors = r.diagnostics.filter((d) => d.severity === 'error');
        const relative = file.slice(GNUMACH_INCLUDE.length + 1);
        if (relative in INCOMPLETE_ALONE) {
          // Like GNU MIG: the file names types it does not include.
          expect(errors.length, file).toBeGreaterThan(0);
          expect(new Set(errors.map((d) => d.code)), file).toEqual(
            new Set(['check-undefined-type']),
          );
          continue;
        }
        expect(
          errors.map((d) => `${d.loc?.file}:${d.loc?.line}: ${d.code}: ${d.message}`),
          file,
        ).toEqual([]);
        expect(
          r.layouts.routines.every((l) => l !== null),
          `${file}: every routine laid out`,
        ).toBe(true);
      }
    },
  );

  it.skipIf(listSkipReason !== '')(
    `routine names and ids equal GNU MIG's -list ${listSkipReason}`,
    () => {
      let compared = 0;
      for (const file of files.filter((f) => hasSubsystem(f, defines))) {
        const r = tsmig({ file }, defines);
        const sub = r.ir.subsystem!;
        // GNU MIG prints 0 as the reply id of a simpleroutine.
        const ours = r.ir.routines.map((rt) => ({
          subsystem: sub.name,
          base: sub.base,
          routine: rt.name,
          index: rt.number,
          id: rt.id,
          replyId: rt.oneWay ? 0 : rt.replyId,
        }));
        expect(ours, file).toEqual(gnuMigList(file, defines));
        compared += ours.length;
      }
      expect(compared).toBeGreaterThan(100);
    },
  );
});

describe('gnumach type-only files', () => {
  it.skipIf(listSkipReason !== '')(
    `are accepted or rejected as GNU MIG does ${listSkipReason}`,
    () => {
      const work = mkdtempSync(join(tmpdir(), 'tsmig-wrapped-'));
      try {
        for (const file of files.filter((f) => !hasSubsystem(f, DEFINE_SETS[0].defines))) {
          const wrapped = join(work, 'wrapper.defs');
          writeFileSync(wrapped, wrapper(file));
          const gnuAccepts =
            spawnSync(GNU_MIG, ['-n', '-D__x86_64__=1', `-I${GNUMACH_INCLUDE}`, wrapped], {
              cwd: work,
            }).status === 0;
          const r = tsmig(
            { text: wrapper(file), fileName: 'wrapper.defs' },
            DEFINE_SETS[0].defines,
          );
          expect(!r.diagnostics.some((d) => d.severity === 'error'), file).toBe(gnuAccepts);
          expect(file.slice(GNUMACH_INCLUDE.length + 1) in INCOMPLETE_ALONE, file).toBe(
            !gnuAccepts,
          );
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  );
});

describe('gnumach .defs in Apple dialect', () => {
  it.skipIf(skipReason !== '')(`says GNU-only syntax has no Apple layout ${skipReason}`, () => {
    const r = tsmig({ file: `${GNUMACH_INCLUDE}/mach/mach.defs` }, DEFINE_SETS[0].defines, 'apple');
    const gnuOnly = r.diagnostics.filter((d) => d.code === 'check-gnu-only');
    expect(gnuOnly.length).toBeGreaterThan(0);
    for (const d of gnuOnly) {
      expect(d.message).toContain('no message layout');
      expect(d.loc?.file).toMatch(/\.defs$/);
    }
    expect(r.diagnostics.filter((d) => d.code.endsWith('internal-error'))).toEqual([]);
  });
});
