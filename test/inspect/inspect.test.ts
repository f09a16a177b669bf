// Golden files of `tsmig inspect`: for each case of test/inspect/cases, the
// table output, the --json output and the diagnostics must equal the files
// under expected/ byte for byte. Regenerate with `node test/inspect/update.js`
// (after `npm run build`) and review the diff.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../generator/cli.js';

const root = join(import.meta.dirname, '..', '..');
const casesDir = join('test', 'inspect', 'cases');
const cases = readdirSync(join(root, casesDir))
  .filter((n) => existsSync(join(root, casesDir, n, 'input.defs')))
  .sort();

async function inspect(args: string[]) {
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

describe.each(cases)('tsmig inspect %s', (name) => {
  const dir = join(casesDir, name);
  const input = join(dir, 'input.defs');
  const optionsFile = join(root, dir, 'options.json');
  const extra: string[] = existsSync(optionsFile)
    ? ((JSON.parse(readFileSync(optionsFile, 'utf8')) as { args?: string[] }).args ?? [])
    : [];
  const golden = (file: string) => readFileSync(join(root, dir, 'expected', file), 'utf8');

  it('prints the expected tables and diagnostics', async () => {
    const r = await inspect([input, ...extra]);
    expect(r.stdout).toBe(golden('inspect.txt'));
    expect(`exit ${r.code}\n${r.stderr}`).toBe(golden('stderr.txt'));
  });

  it('prints the expected JSON, which holds every required layout field', async () => {
    const r = await inspect([input, ...extra, '--json']);
    expect(r.stdout).toBe(golden('inspect.json'));
    const json = JSON.parse(r.stdout) as { routines: Array<Record<string, unknown>> };
    for (const rt of json.routines) {
      expect(rt).toHaveProperty('name');
      expect(rt).toHaveProperty('id');
      expect(rt).toHaveProperty('kind');
      for (const m of [rt.request, rt.reply]) {
        if (m === null) continue;
        expect(Object.keys(m as object)).toEqual(
          expect.arrayContaining(['minSize', 'maxSize', 'complex', 'descriptorCount', 'fields']),
        );
        for (const f of (m as { fields: object[] }).fields)
          expect(Object.keys(f)).toEqual(expect.arrayContaining(['name', 'offset', 'size']));
      }
    }
  });
});
