// The published package: `npm pack` of this checkout, unpacked, used as a
// project would use it after `npm install tsmig`. What is checked: the
// package's file list holds everything the bin, the plugin and the native
// build need; the packed `tsmig` runs (init, gen for every language, check
// on its fast path, inspect); and the packed runtime carries a typed call
// through stubs the packed CLI generated. The dependencies and the native
// addon come from this checkout (installing them again would only test npm
// and the C++ compiler; `npm ci` on a fresh clone does that).

import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'tsmig-package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The unpacked package (work/package) and the files npm put in it. */
let pkg: string;
let packed: string[];

beforeAll(() => {
  // --ignore-scripts: the build already ran (pretest); `prepare` would only repeat it.
  const out = execFileSync(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', work],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
  packed = info.files.map((f) => f.path);
  execFileSync('tar', ['xzf', join(work, info.filename), '-C', work]);
  pkg = join(work, 'package');
  // Dependencies resolve from work/node_modules (this checkout's), the addon from the package's build/.
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
  mkdirSync(join(pkg, 'build', 'Release'), { recursive: true });
  symlinkSync(
    join(root, 'build', 'Release', 'tsmig.node'),
    join(pkg, 'build', 'Release', 'tsmig.node'),
  );
}, 120_000);

/** Runs the packed `tsmig ARGS` in `cwd`. */
function tsmig(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(pkg, 'bin', 'tsmig.js'), ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the npm package', () => {
  it('holds the bin, the compiled CLI with its fast check path, the plugin, the schema, the .defs library and the native sources', () => {
    for (const file of [
      'bin/tsmig.js',
      'dist/generator/cli.js',
      'dist/generator/cli/check-bundle.js',
      'dist/generator/cli/check-bundle.cache',
      'dist/generator/plugin.js',
      'dist/generator/plugin.d.ts',
      'dist/runtime/lib/index.js',
      'dist/runtime/lib/index.d.ts',
      'tsmig.schema.json',
      'defs/mach/std_types.defs',
      'binding.gyp',
      'runtime/Makefile',
      'runtime/include/tsmig/runtime.h',
    ]) {
      expect(packed, file).toContain(file);
    }
    // Every path the exports map names is in the package.
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    for (const target of Object.values(manifest.exports).flatMap((e) =>
      typeof e === 'string' ? [e] : Object.values(e as Record<string, string>),
    )) {
      expect(existsSync(join(pkg, target)), target).toBe(true);
    }
    // Tests and examples stay out of it.
    expect(packed.filter((f) => /^(test|examples|bench)\//.test(f))).toEqual([]);
  });

  it('its tsmig starts a project, generates every language, checks and inspects', () => {
    const app = join(work, 'app');
    mkdirSync(app);
    expect(tsmig(app, ['--version']).stdout).toMatch(/^tsmig \d+\.\d+\.\d+\n$/);
    expect(tsmig(app, ['init']).status).toBe(0);
    const configPath = join(app, 'tsmig.config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    writeFileSync(configPath, JSON.stringify({ ...config, languages: ['ts', 'cpp'] }));
    expect(tsmig(app, ['gen'])).toEqual({ status: 0, stdout: '', stderr: '' });
    for (const out of ['calc.ts', 'calc.mig.h', 'calc.mig.cc', 'calc.server.mig.cc']) {
      expect(existsSync(join(app, 'src', 'generated', out)), out).toBe(true);
    }
    expect(tsmig(app, ['check'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(tsmig(app, ['check'], { TSMIG_NO_BUNDLE: '1' })).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
    expect(tsmig(app, ['inspect', 'defs/calc.defs']).stdout).toMatch(/^subsystem calc 4000: /);
  });

  it('its runtime carries a typed call through stubs its CLI generated', () => {
    const app = join(work, 'app');
    // `import 'tsmig'` resolves to the unpacked package, as after npm install.
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(pkg, join(app, 'node_modules', 'tsmig'), 'dir');
    writeFileSync(join(app, 'package.json'), '{ "type": "module" }');
    const stubs = readFileSync(join(app, 'src', 'generated', 'calc.ts'), 'utf8');
    const js = ts.transpileModule(stubs, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(app, 'src', 'generated', 'calc.js'), js.outputText);
    writeFileSync(
      join(app, 'main.js'),
      [
        "import { allocatePort } from 'tsmig';",
        "import { CalcClient, serveCalc } from './src/generated/calc.js';",
        'const port = allocatePort();',
        'const server = serveCalc(port, { add: (a, b) => a * 10 + b, logValue() {} });',
        'const client = new CalcClient(port.makeSendRight());',
        'console.log(await client.add(4, 2));',
        'client.close();',
        'server.stop();',
        'port.close();',
        '',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, ['main.js'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('42\n');
    expect(r.status).toBe(0);
  });
});
