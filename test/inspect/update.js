// Regenerates the golden files of `tsmig inspect` for every case in
// test/inspect/cases/: expected/inspect.txt (the tables), expected/inspect.json
// (--json) and expected/stderr.txt (diagnostics). Run after `npm run build`:
//   node test/inspect/update.js
// Review the diff before committing: the test compares byte for byte.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../dist/generator/cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.chdir(root);
const casesDir = join('test', 'inspect', 'cases');

/** Runs `tsmig inspect` in-process and returns what it printed. */
async function inspect(args) {
  let stdout = '';
  let stderr = '';
  const code = await main(['inspect', ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    color: false,
    cwd: root,
  });
  return { code, stdout, stderr };
}

for (const name of readdirSync(casesDir).sort()) {
  const dir = join(casesDir, name);
  const input = join(dir, 'input.defs');
  if (!existsSync(input)) continue;
  const optionsFile = join(dir, 'options.json');
  const extra = existsSync(optionsFile)
    ? (JSON.parse(readFileSync(optionsFile, 'utf8')).args ?? [])
    : [];
  const text = await inspect([input, ...extra]);
  const json = await inspect([input, ...extra, '--json']);
  mkdirSync(join(dir, 'expected'), { recursive: true });
  writeFileSync(join(dir, 'expected', 'inspect.txt'), text.stdout);
  writeFileSync(join(dir, 'expected', 'inspect.json'), json.stdout);
  writeFileSync(join(dir, 'expected', 'stderr.txt'), `exit ${text.code}\n${text.stderr}`);
  console.log(`updated ${relative(root, dir)}`);
}
