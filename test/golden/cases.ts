// Golden code generation: the cases (one folder per case under test/golden/:
// input.defs, options.json, expected/) and how one is generated — the same
// front end and emitters `tsmig gen` runs, in memory. Shared by the golden
// test, its update mode (`npm run golden:gen`) and the type-check test.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileDefs } from '../../generator/check/compile.js';
import type { Dialect } from '../../generator/check/ir.js';
import { formatDiagnostics } from '../../generator/diagnostics.js';
import { emit, languages } from '../../generator/emit/index.js';

export const goldenDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(goldenDir, '..', '..');

/** options.json of a case. */
export interface CaseOptions {
  /** Languages to generate (default: every registered one). */
  languages?: string[];
  dialect?: Dialect;
  /** Macros to define, as -D gives them. */
  defines?: Record<string, string>;
}

/** Every case folder, sorted. */
export function goldenCases(): string[] {
  return readdirSync(goldenDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(goldenDir, d.name, 'input.defs')))
    .map((d) => d.name)
    .sort();
}

/** What the generator writes for a case today: path under expected/ → text. Throws on front-end errors. */
export async function generateCase(name: string): Promise<Map<string, string>> {
  const dir = join(goldenDir, name);
  const options = JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) as CaseOptions;
  const file = join(dir, 'input.defs');
  const result = compileDefs({ file }, { dialect: options.dialect, defines: Object.entries(options.defines ?? {}) });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`case ${name} has errors:\n${formatDiagnostics(errors, result.sources.lookup)}`);
  const langs = (options.languages ?? languages()).filter((l) => languages().includes(l));
  return emit({ ir: result.ir, layouts: result.layouts, baseName: 'input', sourceName: 'input.defs' }, langs);
}
