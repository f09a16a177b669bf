// Golden output must compile: the real TypeScript compiler type-checks every
// generated .ts under test/golden/*/expected/ with --strict (and with unused
// locals and parameters reported, so generated code is clean in strict
// projects, and isolatedDeclarations, so its declarations can be produced
// from the file alone), against the runtime's declarations in dist/ — the
// same `import … from 'tsmig'` a user's project resolves.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { goldenCases, goldenDir, repoRoot } from './cases.js';

it('type-checks every generated TypeScript file under tsc --strict', () => {
  const files = goldenCases()
    .map((name) => join(goldenDir, name, 'expected', 'input.ts'))
    .filter((f) => existsSync(f));
  expect(files.length).toBeGreaterThan(0);
  expect(existsSync(join(repoRoot, 'dist', 'runtime', 'lib', 'index.d.ts')), 'run npm run build first').toBe(true);
  const dir = mkdtempSync(join(tmpdir(), 'tsmig-golden-'));
  try {
    const config = {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        declaration: true,
        isolatedDeclarations: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(repoRoot, 'node_modules', '@types')],
      },
      files,
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], {
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
