// Native runtime tests: builds the C++ runtime library and the native test
// programs once (runtime/Makefile), then runs every scenario of every program
// in a process of its own. Each scenario forks or spawns the peers it needs,
// checks Mach's behaviour with real processes, and fails if any descriptor,
// name, right or out-of-line byte is left over. TSMIG_NATIVE_ASAN=1 also runs
// every scenario built with AddressSanitizer and UBSan (slow: minutes).
//
// Linux only: on other systems the emulation is not built (real Mach is used).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../generator/cli.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const linux = process.platform === 'linux';
const asan = process.env.TSMIG_NATIVE_ASAN === '1';
const programs = ['ipc_basics', 'ipc_notify', 'ipc_ool', 'ipc_process'];

/** Builds once, at collection, so the scenario list comes from the programs themselves. */
function build(): void {
  const targets = asan ? ['tests-plain', 'tests-asan'] : ['tests-plain'];
  execFileSync('make', ['-s', '-C', join(root, 'runtime'), '-j2', ...targets], {
    stdio: 'inherit',
  });
}

function scenarios(binary: string): string[] {
  return execFileSync(binary, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

function run(
  binary: string,
  args: string[],
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

if (linux) build();

describe.skipIf(!linux)('native runtime (Linux emulation of Mach IPC)', () => {
  const variants = asan ? ['tests', 'asan/tests'] : ['tests'];
  for (const variant of variants) {
    for (const program of programs) {
      const binary = join(root, 'build', 'native', variant, program);
      describe(`${program}${variant.startsWith('asan') ? ' (ASan+UBSan)' : ''}`, () => {
        for (const scenario of linux ? scenarios(binary) : []) {
          it(scenario, () => {
            const r = run(binary, [scenario]);
            if (r.status !== 0) console.error(r.stdout + r.stderr);
            expect(r.status).toBe(0);
            expect(r.stdout).toContain(`ok ${scenario}`);
            // Wake-up latencies the scenarios measure are reported, never asserted.
            for (const line of r.stdout.split('\n'))
              if (/ ms\b/.test(line)) console.log(`${scenario}: ${line}`);
          });
        }
      });
    }
  }

  it('tsmig native-flags builds a native peer (plain C, <mach/mach.h>)', async () => {
    let out = '';
    let err = '';
    const code = await main(['native-flags'], {
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain(join(root, 'runtime', 'include', 'compat'));
    const dir = mkdtempSync(join(tmpdir(), 'tsmig-peer-'));
    try {
      const exe = join(dir, 'peer');
      const cc = spawnSync(
        'sh',
        [
          '-c',
          `cc -std=c11 -Wall -Wextra -Werror -o "${exe}" "${join(root, 'test', 'native', 'c_api.c')}" ${out}`,
        ],
        { encoding: 'utf8' },
      );
      expect(cc.stderr).toBe('');
      expect(cc.status).toBe(0);
      expect(run(exe, []).stdout).toContain('ok c_api');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    let usage = '';
    expect(
      await main(['native-flags', '--bogus'], { stdout: () => {}, stderr: (t) => (usage += t) }),
    ).toBe(2);
    expect(usage).toContain("unknown option '--bogus'");
  });

  it('the API works from plain C', () => {
    const r = run(join(root, 'build', 'native', 'tests', 'c_api'), []);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ok c_api');
    expect(r.status).toBe(0);
  });

  // Our Linux declarations against Apple's own headers (sizes, offsets, values) for both
  // macOS architectures. The SDK is not in CI: there the comparison is skipped.
  const sdk = join(process.env.HOME ?? '', '.cache', 'tsmig-macsdk');
  const clang = ['clang++-16', 'clang++-15', 'clang++'].find(
    (c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0,
  );
  const haveSdk = existsSync(join(sdk, 'usr', 'include', 'mach', 'mach.h')) && clang !== undefined;
  it.skipIf(!haveSdk)(
    'Linux headers match the macOS SDK (skipped without the SDK and clang)',
    () => {
      const probe = execFileSync(join(root, 'build', 'native', 'tests', 'layout_probe'), {
        encoding: 'utf8',
      });
      const dir = mkdtempSync(join(tmpdir(), 'tsmig-layout-'));
      try {
        const file = join(dir, 'layout.cc');
        writeFileSync(file, probe);
        for (const target of ['arm64-apple-macos12', 'x86_64-apple-macos11']) {
          const r = spawnSync(
            clang!,
            [
              `--target=${target}`,
              '-isysroot',
              sdk,
              '-nostdinc++',
              '-isystem',
              join(sdk, 'usr', 'include', 'c++', 'v1'),
              '-std=c++17',
              '-fsyntax-only',
              '-Wall',
              '-Wextra',
              '-Werror',
              '-I',
              join(root, 'runtime', 'include'),
              file,
            ],
            { encoding: 'utf8' },
          );
          expect(r.stderr, target).toBe('');
          expect(r.status, target).toBe(0);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
