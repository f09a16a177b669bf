// Property test of the check and layout stages: random mutations of
// interfaces that parse (arguments and flags swapped in, directions
// changed, types replaced, numbers changed) never make the checker or the
// layout throw or report an internal error, in either dialect, and every
// routine the checker accepts gets a layout whose numbers add up.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileDefs } from '../../generator/check/compile.js';

const CASES = join(import.meta.dirname, '..', 'inspect', 'cases');
const common = readFileSync(join(CASES, 'common.defs'), 'utf8');
/** The corpus interfaces, with their shared types inlined so each mutation is one self-contained text. */
const corpus = readdirSync(CASES)
  .filter((n) => existsSync(join(CASES, n, 'input.defs')) && n !== 'gnu-dialect')
  .map((n) =>
    readFileSync(join(CASES, n, 'input.defs'), 'utf8').replace('#include "../common.defs"', common),
  );

/** Tokens the mutations see: words, numbers, whitespace runs, single characters. */
function tokenize(text: string): string[] {
  return text.match(/[A-Za-z_][A-Za-z0-9_]*|[0-9]+|\s+|./gs) ?? [];
}

/** Words a mutation may write in place of another token: MIG's vocabulary and this corpus's types. */
const WORDS = [
  'in',
  'out',
  'inout',
  'requestport',
  'replyport',
  'ureplyport',
  'sreplyport',
  'waittime',
  'sendtime',
  'msgoption',
  'msgseqno',
  'ServerSecToken',
  'UserAuditToken',
  'ServerImpl',
  'dealloc',
  'notdealloc',
  'countinout',
  'samecount',
  'retcode',
  'physicalcopy',
  'overwrite',
  'auto',
  'const',
  'servercopy',
  'islong',
  'array',
  'struct',
  'c_string',
  'of',
  '^',
  '*',
  ':',
  ';',
  ',',
  '[',
  ']',
  '[]',
  '0',
  '1',
  '3',
  '64',
  '100000',
  'simpleroutine',
  'routine',
  'skip',
  'int',
  'char',
  'short',
  'int64_t',
  'boolean_t',
  'mach_port_t',
  'mach_port_poly_t',
  'mach_port_move_receive_t',
  'mach_port_make_send_once_t',
  'mach_port_array_t',
  'pointer_t',
  'audit_token_t',
  'polymorphic',
  'MACH_MSG_TYPE_INTEGER_64',
  'MACH_MSG_TYPE_STRING_C',
  'KernelServer',
  'KernelUser',
  'WaitTime',
  'UseSpecialReplyPort',
];

type Mutation = { at: number; kind: 'replace' | 'delete' | 'insert'; word: number };

function mutate(text: string, mutations: Mutation[]): string {
  const tokens = tokenize(text);
  for (const m of mutations) {
    const i = m.at % Math.max(1, tokens.length);
    const word = WORDS[m.word % WORDS.length];
    if (m.kind === 'replace') tokens[i] = word;
    else if (m.kind === 'delete') tokens.splice(i, 1);
    else tokens.splice(i, 0, ' ', word, ' ');
  }
  return tokens.join('');
}

const mutationArb = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom<Mutation['kind']>('replace', 'delete', 'insert'),
  word: fc.nat(),
});

describe.each(['apple', 'gnu'] as const)(
  'check and layout under random mutations (%s dialect)',
  (dialect) => {
    it('never throw, never report an internal error, and lay out what they accept consistently', () => {
      fc.assert(
        fc.property(
          fc.nat(corpus.length - 1),
          fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
          (which, mutations) => {
            const text = mutate(corpus[which], mutations);
            const r = compileDefs({ text, fileName: 'fuzz.defs' }, { dialect });
            expect(r.diagnostics.filter((d) => d.code.endsWith('internal-error'))).toEqual([]);
            for (const d of r.diagnostics)
              expect(d.loc === undefined || d.loc.line >= 1).toBe(true);
            r.ir.routines.forEach((rt, i) => {
              const l = r.layouts.routines[i];
              expect(l === null).toBe(rt.invalid);
              for (const m of l ? [l.request, l.reply] : []) {
                if (!m) continue;
                // Fields are contiguous from 0 and end at maxSize.
                let offset = 0;
                for (const f of m.fields) {
                  expect(f.offset).toBe(offset);
                  offset += f.size;
                }
                expect(offset).toBe(m.maxSize);
                expect(m.minSize).toBeLessThanOrEqual(m.maxSize);
              }
            });
          },
        ),
        { numRuns: 300, seed: dialect === 'apple' ? 20261129 : 1129 },
      );
    });
  },
);
