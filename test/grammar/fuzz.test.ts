// Property tests: thousands of random mutations of real .defs — tokens
// deleted, duplicated, swapped or replaced, text cut short, random bytes,
// very deep nesting spliced in — never make the front end throw or hang.
// Each run ends in diagnostics (errors for every statement it could not
// read) or in a clean AST. Also: a 10 MB file and a 10,000-deep macro chain
// finish without exhausting the stack.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../generator/diagnostics.js';
import type { DefsFile } from '../../generator/parse/ast.js';
import { parseSource } from '../../generator/parse/frontend.js';
import { preprocessText } from '../../generator/preprocess/index.js';
import { parseText } from '../../generator/parse/index.js';
import { GNUMACH_INCLUDE, gnumachDefsFiles, hasGnumach } from '../conformance/gnu-mig.js';

/** A .defs of our own, so the properties run even where gnumach-dev is not installed. */
const OWN_SAMPLE = `
subsystem KernelServer sample 4200;
#include <mach/std_types.defs>
type buffer_t = array[*:1024] of char;
type list_t = ^array[] of mach_port_t ctype: mach_port_array_t;
type pair_t = struct { int32_t a; int32_t b; };
serverprefix do_;
routine put(server: mach_port_t; in data: buffer_t; out n: int, retcode);
simpleroutine ping(server: mach_port_t; msgseqno seq: mach_port_seqno_t);
skip 2;
routine get(server: mach_port_t; out list: list_t, dealloc[]; sreplyport reply: mach_port_make_send_once_t);
`;

const PP_OPTIONS = {
  includePaths: [GNUMACH_INCLUDE],
  defines: [['__x86_64__', '1']] as Array<[string, string]>,
  undef: true,
};

/** Real .defs as written (with directives), for the whole front end. */
const corpus: string[] = hasGnumach() ? gnumachDefsFiles().map((f) => readFileSync(f, 'utf8')) : [];
corpus.push(OWN_SAMPLE);

/** The same files preprocessed: what the parser alone reads. */
const preprocessed = corpus.map(
  (text, i) => preprocessText(text, `corpus${i}.defs`, PP_OPTIONS).text,
);

/** Tokens as the mutations see them: words, numbers, whitespace runs, single characters. */
function tokenize(text: string): string[] {
  return text.match(/[A-Za-z_][A-Za-z0-9_]*|[0-9]+|\s+|./gs) ?? [];
}

const WORDS = [
  'routine',
  'type',
  'array',
  'of',
  '[',
  ']',
  '(',
  ')',
  ';',
  ':',
  ',',
  '=',
  '^',
  '*',
  'struct',
  '{',
  '}',
  'skip',
  'in',
  'out',
  'dealloc',
  '#if',
  '#endif',
  '#define',
  '"',
  '<',
  '/*',
  '*/',
  '\n#include <x.defs>\n',
];

type Mutation = (tokens: string[]) => string[];

/** One random edit of a token list. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(
    (i): Mutation =>
      (t) =>
        t.filter((_, k) => k !== i % Math.max(1, t.length)),
  ),
  fc.nat().map((i): Mutation => (t) => {
    const k = i % Math.max(1, t.length);
    return [...t.slice(0, k + 1), t[k] ?? '', ...t.slice(k + 1)];
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]): Mutation => (t) => {
    const out = [...t];
    const a = i % Math.max(1, t.length);
    const b = j % Math.max(1, t.length);
    [out[a], out[b]] = [out[b], out[a]];
    return out;
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...WORDS)).map(([i, w]): Mutation => (t) => {
    const k = i % Math.max(1, t.length);
    return [...t.slice(0, k), w, ...t.slice(k + 1)];
  }),
  fc.nat().map(
    (i): Mutation =>
      (t) =>
        t.slice(0, i % Math.max(1, t.length)),
  ),
  fc
    .tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 16 }))
    .map(([i, s]): Mutation => (t) => {
      const k = i % Math.max(1, t.length);
      return [...t.slice(0, k), s, ...t.slice(k)];
    }),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom('(', '[', '{', 'array[] of ', '^', '-', '1+', 'struct[2] of '),
      fc.integer({ min: 100, max: 10_000 }),
    )
    .map(([i, unit, n]): Mutation => (t) => {
      const k = i % Math.max(1, t.length);
      return [...t.slice(0, k), unit.repeat(n), ...t.slice(k)];
    }),
);

/** A mutated text of `texts`. */
function mutated(texts: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.nat({ max: texts.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([which, edits]) =>
      edits.reduce((tokens, edit) => edit(tokens), tokenize(texts[which])).join(''),
    );
}

/** What must hold of any run: a well-formed result, and an error for every statement it could not read. */
function expectSound(ast: DefsFile, diagnostics: Diagnostic[]): void {
  expect(ast.kind).toBe('file');
  for (const d of diagnostics) {
    expect(typeof d.message).toBe('string');
    expect(d.code).toMatch(/^(pp|parse)-[a-z0-9-]+$/);
    if (d.loc) expect(d.loc.line).toBeGreaterThanOrEqual(1);
  }
  const hasError = diagnostics.some((d) => d.severity === 'error');
  if (ast.statements.some((s) => s.kind === 'error')) expect(hasError).toBe(true);
  for (const s of ast.statements) expect(s.loc.line).toBeGreaterThanOrEqual(1);
}

// Generous time limits: thousands of cases on a shared machine; a hang still fails.
describe('mutated .defs never break the front end', { timeout: 300_000 }, () => {
  it('parser alone: 2000 mutations of preprocessed .defs', () => {
    fc.assert(
      fc.property(mutated(preprocessed), (text) => {
        const r = parseText(text, 'fuzz.defs');
        expectSound(r.file, r.diagnostics);
      }),
      { numRuns: 2000 },
    );
  });

  it('preprocessor and parser: 1000 mutations of .defs as written', () => {
    fc.assert(
      fc.property(mutated(corpus), (text) => {
        const r = parseSource(text, 'fuzz.defs', PP_OPTIONS);
        expectSound(r.ast, r.diagnostics);
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const r = parseText(text, 'bytes.defs');
        expectSound(r.file, r.diagnostics);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('size and depth', { timeout: 300_000 }, () => {
  it('parses a 10 MB .defs', () => {
    const unit = `${OWN_SAMPLE.replace(/#include.*\n/, '').replace(/subsystem[^;]*;/, '')}\n`;
    const text = `subsystem big 1000;\n${unit.repeat(Math.ceil(10_000_000 / unit.length))}`;
    expect(text.length).toBeGreaterThanOrEqual(10_000_000);
    const r = parseSource(text, 'big.defs');
    expect(r.diagnostics).toEqual([]);
    expect(r.ast.statements.filter((s) => s.kind === 'routine')).toHaveLength(
      3 * Math.ceil(10_000_000 / unit.length),
    );
  });

  it('finishes a 10,000-deep macro chain', () => {
    let text = '#define M0 int32_t\n';
    for (let i = 1; i <= 10_000; i++) text += `#define M${i} M${i - 1}\n`;
    text += 'type deep_t = M10000;\n';
    const r = parseSource(text, 'chain.defs', { undef: true });
    // Either the chain expands (and the statement parses) or the preprocessor refuses it with a diagnostic.
    if (r.diagnostics.length === 0) {
      expect(r.ast.statements).toMatchObject([
        {
          kind: 'type',
          decl: { name: { name: 'deep_t' }, spec: { kind: 'typeRef', name: { name: 'int32_t' } } },
        },
      ]);
    } else {
      expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    }
  });
});
