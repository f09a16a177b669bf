// The generated TypeScript's layout. The emitter writes its text already
// laid out (no formatter runs in `tsmig gen`); these tests hold it to an
// independent judge — prettier, with the options the stubs were formatted
// with before, must leave every generated file unchanged — and check the
// line fitter on its own: a laid-out line says exactly what the one-line
// text said, and a line it cannot read is left alone.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { compileDefs } from '../../generator/check/compile.js';
import { emit } from '../../generator/emit/index.js';
import { layoutLine } from '../../generator/emit/ts/layout-line.js';
import { TsWriter } from '../../generator/emit/ts/writer.js';
import { repoRoot } from './helpers.js';

/** How the stubs were formatted when prettier ran in the generator. */
const PRETTIER = { parser: 'babel-ts', printWidth: 100, singleQuote: true, trailingComma: 'all' } as const;

async function generatedTs(file: string, defines: [string, string][] = []): Promise<string> {
  const result = compileDefs({ file }, { defines });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('\n'));
  const files = await emit({ ir: result.ir, layouts: result.layouts, baseName: 'stubs', sourceName: 'stubs.defs' }, ['ts']);
  return files.get('stubs.ts')!;
}

/** Generates the stubs of an interface given as text (written to a scratch file the front end reads, removed after). */
async function generatedTsOf(text: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tsmig-layout-'));
  try {
    const file = join(dir, 'stubs.defs');
    writeFileSync(file, text);
    return await generatedTs(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const corpus = [
  ...readdirSync(join(repoRoot, 'test', 'golden'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(repoRoot, 'test', 'golden', d.name, 'input.defs')),
  ...readdirSync(join(repoRoot, 'test', 'wire', 'defs'))
    .filter((f) => f.endsWith('.defs'))
    .map((f) => join(repoRoot, 'test', 'wire', 'defs', f)),
  join(repoRoot, 'test', 'gen-ts', 'defs', 'roundtrip.defs'),
];

describe('generated TypeScript is laid out as prettier would', () => {
  it.each(corpus.map((f) => [f.slice(repoRoot.length + 1), f]))('%s', async (_name, file) => {
    const text = await generatedTs(file);
    expect(await prettier.format(text, PRETTIER)).toBe(text);
  });

  it('with long names, many arguments and long strings', async () => {
    const text = await generatedTsOf(
      [
        'subsystem a_rather_long_subsystem_name_for_layout 4200;',
        '#include <mach/std_types.defs>',
        'type a_long_byte_array_type_name_t = array[*:4096] of uint8_t;',
        'type a_very_long_string_type_name_t = c_string[*:1024];',
        'routine an_extraordinarily_long_routine_name_that_goes_on(',
        '\tthe_server_port_with_a_long_name: mach_port_t;',
        '\tfirst_argument_with_a_long_name: int;',
        '\tsecond_argument_with_a_long_name: a_long_byte_array_type_name_t;',
        '\tthird_argument_with_a_long_name: a_very_long_string_type_name_t;',
        '\tout fourth_result_with_a_long_name: int64_t;',
        '\tout fifth_result_with_a_long_name: a_long_byte_array_type_name_t;',
        '\tout sixth_result_with_a_long_name: mach_port_move_send_t);',
        'simpleroutine another_routine_whose_name_is_long_enough(',
        '\tthe_server_port_with_a_long_name: mach_port_t;',
        '\tsome_value_with_a_long_name: int;',
        '\tanother_value_with_a_long_name: a_very_long_string_type_name_t;',
        '\ta_port_argument_with_a_long_name: mach_port_copy_send_t);',
        '',
      ].join('\n'),
    );
    expect(await prettier.format(text, PRETTIER)).toBe(text);
  });
});

describe('layoutLine', () => {
  it('leaves a line that fits as it is', () => {
    expect(layoutLine('writeHeader(view, 1, 2);', 2)).toBe('writeHeader(view, 1, 2);');
  });

  it('puts the arguments of a long call one a line, with a trailing comma', () => {
    const args = Array.from({ length: 8 }, (_, i) => `argumentNumber${i}`);
    expect(layoutLine(`someFunction(${args.join(', ')});`, 2)).toBe(
      ['someFunction(', ...args.map((a) => `    ${a},`), '  );'].join('\n'),
    );
  });

  it('lets a last object argument hug the parentheses', () => {
    const entries = Array.from({ length: 6 }, (_, i) => `key${i}: value${i}`);
    expect(layoutLine(`const x = call(a, { ${entries.join(', ')} });`, 0)).toBe(
      ['const x = call(a, {', ...entries.map((e) => `  ${e},`), '});'].join('\n'),
    );
  });

  it('moves the statement of a long if to the next line when the condition fits', () => {
    const condition = 'aFairlyLongCondition(bytes) && anotherCondition === 36 && view.getInt32(32, true) !== 0';
    expect(layoutLine(`if (${condition}) return view.getInt32(32, true);`, 2)).toBe(
      `if (${condition})\n    return view.getInt32(32, true);`,
    );
  });

  it('breaks the parameters of a long signature, keeping its return type after them', () => {
    expect(layoutLine('export function encodeSomethingLonger(values: SomethingLongerRequest, replyPort: PortName): WireMessage {', 0)).toBe(
      'export function encodeSomethingLonger(\n  values: SomethingLongerRequest,\n  replyPort: PortName,\n): WireMessage {',
    );
  });

  it('leaves comments and lines it cannot read alone', () => {
    const comment = `// ${'x'.repeat(120)}`;
    expect(layoutLine(comment, 0)).toBe(comment);
    const odd = `label: for (const x of ${'y'.repeat(100)}) {`;
    expect(layoutLine(odd, 0)).toBe(odd);
  });

  it('says what the one-line text said (same tokens, whitespace and trailing commas aside)', () => {
    const identifier = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,14}$/);
    const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        identifier,
        fc.integer({ min: 0, max: 99999 }).map(String),
        fc.tuple(identifier, fc.array(tie('e'), { maxLength: 5 })).map(([f, a]) => `${f}(${a.join(', ')})`),
        fc.array(tie('e'), { maxLength: 4 }).map((a) => `[${a.join(', ')}]`),
        fc.array(fc.tuple(identifier, tie('e')), { minLength: 1, maxLength: 4 }).map((p) => `{ ${p.map(([k, v]) => `${k}: ${v}`).join(', ')} }`),
        fc.tuple(tie('e'), fc.constantFrom('+', '&&', '===', '-'), tie('e')).map(([a, op, b]) => `${a} ${op} ${b}`),
      ),
    })).e;
    const squeeze = (s: string): string => s.replace(/,(\s*[)\]}])/g, '$1').replace(/\s+/g, '');
    fc.assert(
      fc.property(expression, fc.integer({ min: 0, max: 6 }), (e, level) => {
        const text = `const value = ${e};`;
        const laid = layoutLine(text, level * 2);
        expect(squeeze(laid)).toBe(squeeze(text));
        // Every line but the first carries at least the statement's indentation.
        for (const l of laid.split('\n').slice(1)) expect(l.startsWith(' '.repeat(level * 2))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('TsWriter', () => {
  it('indents blocks by two spaces, joins `};` and `} catch`, and prints an empty block as {}', () => {
    const w = new TsWriter();
    w.write('function f()').block(() => {
      w.write('try').block(() => w.writeLine('g();'));
      w.write('catch (error)').block(() => w.writeLine('throw error;'));
      w.write('const o =').block(() => undefined);
      w.write(';').newLine();
      w.write('for (;;)').block(() => w.writeLine('h();'));
      w.writeLine('return 1;');
    });
    expect(w.toString()).toBe(
      ['function f() {', '  try {', '    g();', '  } catch (error) {', '    throw error;', '  }', '  const o = {};', '  for (;;) {', '    h();', '  }', '  return 1;', '}', ''].join('\n'),
    );
  });
});
