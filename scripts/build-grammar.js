// Build step: compiles grammar/mig.peggy with Peggy into an ES module parser
// (with a .d.ts) under generator/parse/generated/, and mirrors it into dist/
// so the compiled generator finds it next to itself. Skips the work when
// both outputs are newer than the grammar and this script. Grammar errors
// are printed as file:line:col and fail the build.
import { readFileSync, writeFileSync, mkdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import peggy from 'peggy';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const grammarPath = join(root, 'grammar', 'mig.peggy');
const outputs = [
  join(root, 'generator', 'parse', 'generated'),
  join(root, 'dist', 'generator', 'parse', 'generated'),
];
// The driver (generator/parse/parser.ts) starts either on the whole file or one statement at a time.
const startRules = ['File', 'Step'];

const grammarTime = statSync(grammarPath).mtimeMs;
const scriptTime = statSync(fileURLToPath(import.meta.url)).mtimeMs;
const fresh = outputs.every((dir) => {
  const js = join(dir, 'mig-parser.js');
  return existsSync(js) && statSync(js).mtimeMs >= Math.max(grammarTime, scriptTime);
});

if (!fresh) {
  let source;
  try {
    source = peggy.generate(readFileSync(grammarPath, 'utf8'), {
      output: 'source',
      format: 'es',
      grammarSource: 'grammar/mig.peggy',
      allowedStartRules: startRules,
    });
  } catch (err) {
    // Peggy's GrammarError carries a location; print it the way every other tsmig error looks.
    const where = err.location
      ? `grammar/mig.peggy:${err.location.start.line}:${err.location.start.column}: `
      : '';
    process.stderr.write(`${where}error: ${err.message}\n`);
    process.exit(1);
  }
  const header = '// @generated from grammar/mig.peggy by scripts/build-grammar.js — do not edit\n';
  const dts = [
    header.trimEnd(),
    "import type { Loc } from '../../source.js';",
    '',
    '/** One expectation Peggy recorded at the furthest failure position. */',
    'export interface Expectation {',
    "  type: 'literal' | 'class' | 'any' | 'end' | 'other';",
    '  text?: string;',
    '  ignoreCase?: boolean;',
    '  description?: string;',
    '  parts?: unknown[];',
    '  inverted?: boolean;',
    '}',
    '',
    '/** Options of the generated parser. */',
    'export interface ParserOptions {',
    `  startRule?: ${startRules.map((r) => `'${r}'`).join(' | ')};`,
    '  grammarSource?: unknown;',
    '  /** Maps offsets of the input to a location in the file the user wrote. */',
    '  locate: (start: number, end: number) => Loc;',
    '  peg$library?: boolean;',
    '  peg$currPos?: number;',
    '}',
    '',
    '/** What library mode returns instead of throwing. */',
    'export interface LibraryResult {',
    '  peg$result: unknown;',
    '  peg$currPos: number;',
    '  peg$FAILED: unknown;',
    '  peg$maxFailExpected: Expectation[];',
    '  peg$maxFailPos: number;',
    '  peg$success: boolean;',
    '}',
    '',
    'export function parse(input: string, options: ParserOptions & { peg$library: true }): LibraryResult;',
    'export function parse(input: string, options: ParserOptions): unknown;',
    'export class SyntaxError extends Error {',
    '  expected: Expectation[] | null;',
    '  found: string | null;',
    '}',
    'export const StartRules: string[];',
    '',
  ].join('\n');
  for (const dir of outputs) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'mig-parser.js'), header + source);
    writeFileSync(join(dir, 'mig-parser.d.ts'), dts);
  }
}
