// Property tests (fast-check): whatever the input — real .defs text with
// random damage, or random soups of directives and macros — preprocessing
// returns (never throws, never hangs), every diagnostic carries a stable
// `pp-` code and a location, and `locate` answers for any range. Inputs are
// kept small so each case has a small, fixed amount of work.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type PreprocessResult,
  preprocessText,
  stdIncludeDir,
} from '../../generator/preprocess/index.js';
import { memoryHost } from './helpers.js';

/** Real .defs texts to damage: the test corpus and tsmig's own defs/ (always present), gnumach's when installed. */
function seeds(): string[] {
  const texts: string[] = [];
  const add = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) add(p);
      else if (e.name.endsWith('.defs')) texts.push(readFileSync(p, 'utf8'));
    }
  };
  add(join(import.meta.dirname, 'corpus'));
  add(stdIncludeDir());
  add('/usr/include/x86_64-linux-gnu/mach');
  // Keep each case small: a window of at most 3000 characters.
  return texts.map((t) => t.slice(0, 3000));
}

const SNIPPETS = [
  '#',
  '##',
  '#define ',
  '#undef ',
  '#if ',
  '#elif ',
  '#else',
  '#endif',
  '#ifdef ',
  '#ifndef ',
  '#include ',
  '#import ',
  '#include_next ',
  '#line ',
  '# 1 "x" 1',
  '#error ',
  '#pragma once',
  '(',
  ')',
  ',',
  '...',
  '__VA_ARGS__',
  'defined',
  '"',
  "'",
  '/*',
  '*/',
  '//',
  '\\',
  '\\\n',
  '\n',
  ' ',
  '<',
  '>',
  '"a.defs"',
  '<a.defs>',
  'F(',
  'G(',
  '0x',
  '1/0',
  '?',
  ':',
  '__LINE__',
  '__FILE__',
  'X',
  'F',
  'G',
  '\u00e9',
  '\0',
  '\r\n',
  '%:',
  '<:',
];

/** Damage applied to a text. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.nat({ max: 200 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(...SNIPPETS),
  }),
  fc.record({
    kind: fc.constant('bytes' as const),
    at: fc.nat(),
    text: fc.string({ maxLength: 8, unit: 'binary' }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : m.at % (text.length + 1);
  switch (m.kind) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.len);
    case 'duplicate':
      return text.slice(0, at) + text.slice(at, at + m.len) + text.slice(at);
    case 'insert':
    case 'bytes':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'truncate':
      return text.slice(0, at);
  }
}

/** The invariants every run must keep. */
function checkResult(r: PreprocessResult): void {
  expect(typeof r.text).toBe('string');
  for (const d of r.diagnostics) {
    // pp-stopped means an exception escaped a stage: never acceptable with a well-behaved host.
    expect(d.code, d.message).not.toBe('pp-stopped');
    expect(d.code).toMatch(/^pp-[a-z-]+$/);
    expect(d.loc).toBeDefined();
    expect(d.loc!.line).toBeGreaterThanOrEqual(1);
    expect(d.loc!.column).toBeGreaterThanOrEqual(1);
  }
  const n = r.text.length;
  for (const [a, b] of [
    [0, n],
    [0, 0],
    [n, n],
    [Math.floor(n / 2), n],
    [-3, 2 * n + 5],
    [NaN, 1],
  ]) {
    const loc = r.locate(a, b);
    expect(loc.line).toBeGreaterThanOrEqual(1);
  }
}

/** Include targets for the damaged text: a guarded file, an unguarded one that includes the entry back. */
const files = {
  'a.defs': '#ifndef A\n#define A\n#define F(x, ...) x __VA_ARGS__\ntype a = int;\n#endif\n',
  'b.defs': 'b\n#include "t.defs"\n',
};

describe('robustness', () => {
  const texts = seeds();

  it('survives random damage to real .defs text', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...texts),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        (seed, mutations) => {
          const text = mutations.reduce(apply, seed);
          const host = memoryHost({ ...files, 't.defs': text });
          checkResult(
            preprocessText(text, 't.defs', {
              host,
              includePaths: ['.'],
              defines: [['KERNEL_SERVER', '1']],
            }),
          );
        },
      ),
      { numRuns: 1500 },
    );
  });

  /** One random line of directives and macro uses. */
  const line = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('A', 'B', 'F', 'G', 'H', 'defined'),
        fc.constantFrom('', '(x)', '(x, y)', '(...)', '(x, ...)', '()'),
        fc.array(
          fc.constantFrom(
            'A',
            'B',
            'F(',
            'G(',
            'H',
            ')',
            ',',
            '#x',
            '##',
            'x',
            'y',
            '__VA_ARGS__',
            '1',
            '(',
            '+',
          ),
          { maxLength: 8 },
        ),
      )
      .map(([n, p, body]) => `#define ${n}${p} ${body.join(' ')}`),
    fc.constantFrom(
      '#undef A',
      '#undef F',
      '#else',
      '#endif',
      '#include "b.defs"',
      '#include "a.defs"',
      '#import "t.defs"',
      '#line 5',
      '# 7 "q" 2',
    ),
    fc
      .array(
        fc.constantFrom(
          'A',
          'B',
          'F',
          'G',
          'H',
          '(',
          ')',
          ',',
          '1',
          '0',
          '&&',
          '||',
          '!',
          'defined',
          '?',
          ':',
          '/',
          '-',
        ),
        { maxLength: 10 },
      )
      .map((t) => `#${['if', 'elif', 'ifdef', 'ifndef'][t.length % 4]} ${t.join(' ')}`),
    fc
      .array(
        fc.constantFrom('A', 'B', 'F', 'G', 'H', '(', ')', ',', 'x', '"s"', "'c'", '__LINE__', ';'),
        { maxLength: 12 },
      )
      .map((t) => t.join(' ')),
  );

  it('survives random soups of directives and macros', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const text = lines.join('\n') + '\n';
        const host = memoryHost({ ...files, 't.defs': text });
        checkResult(preprocessText(text, 't.defs', { host, includePaths: ['.'] }));
      }),
      { numRuns: 1500 },
    );
  });

  it('survives arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'grapheme-composite' }), (text) => {
        checkResult(preprocessText(text, 't.defs', { host: memoryHost({}) }));
      }),
      { numRuns: 1000 },
    );
  });
});
