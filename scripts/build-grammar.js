// Build step: compiles grammar/mig.peggy into an ES module parser (with .d.ts)
// under generator/parse/generated/, and mirrors it into dist/ so the compiled
// generator finds it next to itself. Skips work when the output is newer.
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

if (!existsSync(grammarPath)) {
  console.log('build-grammar: no grammar/mig.peggy yet; nothing to build');
  process.exit(0);
}
const grammarTime = statSync(grammarPath).mtimeMs;
const scriptTime = statSync(fileURLToPath(import.meta.url)).mtimeMs;
const fresh = outputs.every((dir) => {
  const js = join(dir, 'mig-parser.js');
  return existsSync(js) && statSync(js).mtimeMs >= Math.max(grammarTime, scriptTime);
});
if (!fresh) {
  const source = peggy.generate(readFileSync(grammarPath, 'utf8'), {
    output: 'source',
    format: 'es',
    grammarSource: 'grammar/mig.peggy',
    allowedStartRules: ['*'],
  });
  const dts = [
    '// @generated from grammar/mig.peggy by scripts/build-grammar.js — do not edit',
    'export interface ParseOptions {',
    '  startRule?: string;',
    '  grammarSource?: unknown;',
    '  peg$library?: boolean;',
    '  [key: string]: unknown;',
    '}',
    'export function parse(input: string, options?: ParseOptions): any;',
    'export class SyntaxError extends Error {',
    '  expected: Array<{ type: string; text?: string; description?: string }> | null;',
    '  found: string | null;',
    '  location: { start: { offset: number; line: number; column: number }; end: { offset: number; line: number; column: number } };',
    '}',
    'export const StartRules: string[];',
    '',
  ].join('\n');
  const header = '// @generated from grammar/mig.peggy by scripts/build-grammar.js — do not edit\n';
  for (const dir of outputs) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'mig-parser.js'), header + source);
    writeFileSync(join(dir, 'mig-parser.d.ts'), dts);
  }
}
