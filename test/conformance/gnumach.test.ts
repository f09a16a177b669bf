// Conformance of the front end with GNU MIG on the real corpus: every .defs
// Debian's gnumach-dev installs preprocesses and parses without a
// diagnostic under each define set, and for every file with a subsystem
// the routines tsmig reads — names in order, positions with `skip`s
// counted — are the routines GNU MIG lists.
//
// Message ids (base + index) are compared where the IR computes them: the
// checker's tests can reuse `gnuMigList` (each entry has `id`/`replyId`).

import { describe, expect, it } from 'vitest';
import type { DefsFile } from '../../generator/parse/ast.js';
import { parseFile, parseSource } from '../../generator/parse/frontend.js';
import {
  DEFINE_SETS,
  GNUMACH_INCLUDE,
  gnumachDefsFiles,
  gnuMigList,
  hasGnumach,
  hasGnuMig,
} from './gnu-mig.js';

/** Routine names and their positions, `skip`s counted, as GNU MIG's `-list` numbers them. */
function routinePositions(ast: DefsFile): Array<{ routine: string; index: number }> {
  const out: Array<{ routine: string; index: number }> = [];
  let index = 0;
  for (const s of ast.statements) {
    if (s.kind === 'routine') {
      out.push({ routine: s.name.name, index: index++ });
    } else if (s.kind === 'skip') {
      if (s.count === undefined) index += 1;
      else if (s.count.kind === 'number') index += s.count.value;
      else throw new Error(`skip count is not a plain number at ${s.loc.file}:${s.loc.line}`);
    }
  }
  return out;
}

function frontEndOptions(defines: Array<[string, string]>) {
  return { includePaths: [GNUMACH_INCLUDE], defines, undef: true };
}

const files = hasGnumach() ? gnumachDefsFiles() : [];

describe.skipIf(!hasGnumach())('gnumach .defs (needs Debian gnumach-dev)', () => {
  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const set of DEFINE_SETS) {
    describe(set.name, () => {
      it.each(files)('%s parses without a diagnostic', (file) => {
        const r = parseFile(file, frontEndOptions(set.defines));
        expect(r.diagnostics.map((d) => `${d.loc?.file}:${d.loc?.line}: ${d.message}`)).toEqual([]);
        expect(r.ast.statements.filter((s) => s.kind === 'error')).toEqual([]);
        if (!r.ast.statements.some((s) => s.kind === 'subsystem')) {
          // A type-only file, wrapped in a subsystem as GNU MIG needs it.
          const wrapped = parseSource(
            `subsystem tsmig_wrapper 0;\n#include "${file}"\n`,
            'wrapper.defs',
            frontEndOptions(set.defines),
          );
          expect(wrapped.diagnostics).toEqual([]);
          expect(wrapped.ast.statements[0].kind).toBe('subsystem');
        }
      });
    });
  }
});

describe.skipIf(!hasGnumach() || !hasGnuMig())(
  'routines agree with GNU MIG -list (needs mig-x86-64-gnu and gnumach-dev)',
  () => {
    for (const set of DEFINE_SETS) {
      describe(set.name, () => {
        const subsystemFiles = files.filter((file) =>
          parseFile(file, frontEndOptions(set.defines)).ast.statements.some(
            (s) => s.kind === 'subsystem',
          ),
        );

        it('has subsystem files to compare', () => {
          expect(subsystemFiles.length).toBeGreaterThanOrEqual(15);
        });

        it.each(subsystemFiles)('%s', (file) => {
          const gnu = gnuMigList(file, set.defines);
          const ours = routinePositions(parseFile(file, frontEndOptions(set.defines)).ast);
          expect(ours).toEqual(gnu.map(({ routine, index }) => ({ routine, index })));
        });
      });
    }
  },
);
