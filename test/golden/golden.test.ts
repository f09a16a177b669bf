// Golden code generation: every case's generated files must equal its
// expected/ folder byte for byte, with no file missing and none extra.
// `npm run golden:gen` rewrites every expected/ folder from the current
// generators (all languages) — review the diff before committing it.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCase, goldenCases, goldenDir } from './cases.js';

const update = process.env.UPDATE_GOLDEN === '1';

function expectedFiles(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

describe('golden generated code', () => {
  it('has cases', () => {
    expect(goldenCases().length).toBeGreaterThan(0);
  });

  it.each(goldenCases())('%s', async (name) => {
    const files = await generateCase(name);
    const expectedDir = join(goldenDir, name, 'expected');
    if (update) {
      rmSync(expectedDir, { recursive: true, force: true });
      mkdirSync(expectedDir, { recursive: true });
      for (const [path, text] of files) writeFileSync(join(expectedDir, path), text);
    }
    expect([...files.keys()].sort()).toEqual(expectedFiles(expectedDir));
    for (const [path, text] of files) {
      expect(text, `${name}/expected/${path}`).toBe(readFileSync(join(expectedDir, path), 'utf8'));
    }
  });
});
