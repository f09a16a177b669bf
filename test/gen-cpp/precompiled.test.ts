// The build's precompiled C++ templates (scripts/precompile-templates.js →
// dist/generator/emit/cpp/templates.precompiled.cjs) print exactly what the
// templates compiled from source print: the built emitter, which uses them,
// and the source emitter, which has none next to it, agree on every golden
// case. Each precompiled template carries the hash of the source it was made
// from (the emitter compiles a template whose source no longer matches).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileDefs } from '../../generator/check/compile.js';
import { emitCpp } from '../../generator/emit/cpp/index.js';
import { goldenCases, goldenDir, repoRoot, type CaseOptions } from '../golden/cases.js';

const built = join(repoRoot, 'dist', 'generator', 'emit', 'cpp');
const precompiledFile = join(built, 'templates.precompiled.cjs');

describe('precompiled C++ templates', () => {
  it('are built, one per template, each stamped with its source hash', () => {
    expect(existsSync(precompiledFile), 'run npm run build first').toBe(true);
    const specs = createRequire(import.meta.url)(precompiledFile) as Record<string, { hash: string }>;
    const names = Object.keys(specs);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const source = readFileSync(join(repoRoot, 'templates', `${name}.hbs`), 'utf8');
      expect(specs[name].hash, name).toBe(createHash('sha256').update(source).digest('hex'));
    }
  });

  it.each(goldenCases())('print what the source templates print (%s)', async (name) => {
    const { emitCpp: emitBuilt } = (await import(pathToFileURL(join(built, 'index.js')).href)) as { emitCpp: typeof emitCpp };
    const { compileDefs: compileBuilt } = (await import(pathToFileURL(join(repoRoot, 'dist', 'generator', 'check', 'compile.js')).href)) as {
      compileDefs: typeof compileDefs;
    };
    const file = join(goldenDir, name, 'input.defs');
    const options = JSON.parse(readFileSync(join(goldenDir, name, 'options.json'), 'utf8')) as CaseOptions;
    const settings = { dialect: options.dialect, defines: Object.entries(options.defines ?? {}) };
    const fromSource = compileDefs({ file }, settings);
    const fromBuild = compileBuilt({ file }, settings);
    const input = { baseName: 'input', sourceName: 'input.defs' };
    expect(emitBuilt({ ...input, ir: fromBuild.ir, layouts: fromBuild.layouts })).toEqual(emitCpp({ ...input, ir: fromSource.ir, layouts: fromSource.layouts }));
  });
});
