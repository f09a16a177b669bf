// Golden diagnostics: every .defs under test/errors/ is checked the way
// `tsmig check` checks it, and what it prints must equal the .txt beside it
// byte for byte (plus the exit status). `npm run golden:errors` rewrites
// the .txt files from the current output — review the diff before you
// commit it. A case's first line may be `// args: …` (extra command-line
// options, e.g. `-DFOO -I include`); paths are relative to the repository.
//
// A second test makes sure the cases cover every diagnostic code the
// front end's sources can emit, so a new diagnostic cannot land without a
// golden case.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../generator/cli.js';
import { parseCommandLine } from '../../generator/cli/options.js';
import { compileDefs } from '../../generator/check/compile.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const update = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(here)
  .filter((f) => f.endsWith('.defs'))
  .sort();

/** The extra command-line options a case asks for on its first line. */
function argsOf(path: string): string[] {
  const first = readFileSync(path, 'utf8').split('\n', 1)[0];
  const m = /^\/\/ args:(.*)$/.exec(first);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

/** What `tsmig check` prints for a case, and its exit status, as one text. */
async function checkOutput(file: string): Promise<string> {
  let out = '';
  const status = await main(['check', ...argsOf(join(root, file)), file], {
    stdout: (t) => (out += t),
    stderr: (t) => (out += t),
    color: false,
    cwd: root,
  });
  return `${out}exit ${status}\n`;
}

describe('golden diagnostics', () => {
  it.each(cases)('%s', async (name) => {
    const file = relative(root, join(here, name));
    const actual = await checkOutput(file);
    const goldenPath = join(here, name.replace(/\.defs$/, '.txt'));
    if (update) writeFileSync(goldenPath, actual);
    expect(actual).toBe(readFileSync(goldenPath, 'utf8'));
  });
});

/** Every diagnostic code written as a string literal in the front end's sources. */
function codesInSources(): Set<string> {
  const codes = new Set<string>();
  for (const dir of ['generator/parse', 'generator/preprocess', 'generator/check']) {
    let files: string[];
    try {
      files = readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts'));
    } catch {
      continue;
    }
    for (const f of files) {
      const text = readFileSync(join(root, dir, f), 'utf8');
      for (const m of text.matchAll(/'((?:parse|pp|check)-[a-z0-9-]+)'/g)) codes.add(m[1]);
    }
  }
  return codes;
}

/** Codes no golden case can reasonably reach, each with the reason. */
const NOT_GOLDEN: Record<string, string> = {
  'check-unknown-modifier': 'the grammar accepts only KernelUser/KernelServer; reachable from a hand-built AST (test/check/diagnostics.test.ts)',
  'check-argument-type-form': "the grammar accepts only a name, 'name = spec' or a native type; reachable from a hand-built AST (test/check/diagnostics.test.ts)",
  'check-internal-error': 'reports a bug in the checker; no input should reach it',
  'pp-stopped':
    'needs a file host that throws (an I/O failure), which a file on disk cannot stage; test/preprocess/includes.test.ts covers it',
  'pp-include-depth':
    'needs 200 distinct files included one inside the next (a file re-entering itself is a cycle first); test/preprocess/includes.test.ts covers it',
};

describe('golden coverage', () => {
  it('has a case for every diagnostic code of the front end', () => {
    const covered = new Set<string>();
    for (const name of cases) {
      const path = relative(root, join(here, name));
      const cmd = parseCommandLine([...argsOf(join(root, path)), path], { values: ['--dialect'] });
      if ('error' in cmd) throw new Error(`${name}: ${cmd.error}`);
      const dialect = cmd.values.get('--dialect') === 'gnu' ? 'gnu' : 'apple';
      for (const file of cmd.files)
        for (const d of compileDefs({ file: join(root, file) }, { ...cmd.frontEnd, dialect }).diagnostics) covered.add(d.code);
    }
    const missing = [...codesInSources()]
      .filter((c) => !covered.has(c) && !(c in NOT_GOLDEN))
      .sort();
    expect(missing).toEqual([]);
  });
});
