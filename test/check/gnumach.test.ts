// GNU Mach's .defs (gnumach-dev) through the whole front end in GNU's
// dialect: every file checks and lays out without an error (type-only files
// wrapped in a subsystem, as GNU MIG needs them), never with an internal
// error, and every routine's name, message id and reply id equal what GNU
// MIG's `-list` prints for the same file and macros. The same files in
// Apple's dialect must say which GNU-only syntax has no Apple layout.

import { describe, expect, it } from 'vitest';
import { compileDefs } from '../../generator/check/compile.js';
import {
  DEFINE_SETS,
  GNUMACH_INCLUDE,
  gnumachDefsFiles,
  gnuMigList,
  hasGnumach,
  hasGnuMig,
} from '../conformance/gnu-mig.js';

const files = hasGnumach() ? gnumachDefsFiles() : [];
const skipReason = hasGnumach() ? '' : `skipped: gnumach-dev is not installed (${GNUMACH_INCLUDE})`;
const listSkipReason = skipReason || (hasGnuMig() ? '' : 'skipped: GNU MIG (mig-x86-64-gnu) is not installed');

/** tsmig's front end as GNU MIG preprocesses (`-undef`, then the set's defines). */
function tsmig(input: { file: string } | { text: string; fileName: string }, defines: Array<[string, string]>, dialect: 'gnu' | 'apple' = 'gnu') {
  return compileDefs(input, { includePaths: [GNUMACH_INCLUDE], undef: true, defines, dialect });
}

/** Type-only files GNU MIG itself rejects when wrapped alone (checked with x86_64-gnu-mig), and why. */
const INCOMPLETE_ALONE: Record<string, string> = {
  'mach/default_pager_types.defs': 'uses vm_size_t and vm_offset_t without including mach_types.defs',
  'mach_debug/mach_debug_types.defs': 'uses rpc_vm_size_t without including mach_types.defs',
};

function hasSubsystem(file: string, defines: Array<[string, string]>): boolean {
  return tsmig({ file }, defines).ir.subsystem !== null;
}

describe.each(DEFINE_SETS)('gnumach .defs, $name', ({ defines }) => {
  it.skipIf(skipReason !== '')(`every file checks and lays out without an error ${skipReason}`, () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const file of files) {
      let r = tsmig({ file }, defines);
      if (r.ir.subsystem === null) {
        // A type-only file, wrapped in a subsystem as GNU MIG needs it.
        r = tsmig({ text: `subsystem tsmig_wrapper 0;\n#include "${file}"\n`, fileName: 'wrapper.defs' }, defines);
      }
      expect(r.diagnostics.filter((d) => d.code.endsWith('internal-error')), file).toEqual([]);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      const relative = file.slice(GNUMACH_INCLUDE.length + 1);
      if (relative in INCOMPLETE_ALONE) {
        // Like GNU MIG: the file names types it does not include.
        expect(errors.length, file).toBeGreaterThan(0);
        expect(new Set(errors.map((d) => d.code)), file).toEqual(new Set(['check-undefined-type']));
        continue;
      }
      expect(errors.map((d) => `${d.loc?.file}:${d.loc?.line}: ${d.code}: ${d.message}`), file).toEqual([]);
      expect(r.layouts.routines.every((l) => l !== null), `${file}: every routine laid out`).toBe(true);
    }
  });

  it.skipIf(listSkipReason !== '')(`routine names and ids equal GNU MIG's -list ${listSkipReason}`, () => {
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
  });
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
