// Golden C++ must compile: every generated input.mig.cc under
// test/golden/*/expected/ (with its header) builds with g++ and clang++ at
// -O2 -Wall -Wextra -Werror against tsmig's runtime headers on Linux, and
// passes /work/shared/tools/darwin-check.sh (clang for arm64 and x86_64
// macOS against the macOS SDK). A case's own C declarations (the typedefs
// a MIG user writes for named array types) sit next to its input.defs.
//
// The macOS check needs the SDK at $HOME/.cache/tsmig-macsdk and clang++-16,
// which CI does not have: it skips with that reason when they are absent.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenCases, goldenDir, repoRoot } from '../golden/cases.js';

const RUNTIME_INCLUDE = join(repoRoot, 'runtime', 'include');
const DARWIN_CHECK = '/work/shared/tools/darwin-check.sh';
const SDK = join(homedir(), '.cache', 'tsmig-macsdk');

const cases = goldenCases().filter((name) =>
  existsSync(join(goldenDir, name, 'expected', 'input.mig.cc')),
);
const compilers = ['g++', 'clang++', 'clang++-16'].filter(
  (cxx) => spawnSync(cxx, ['--version']).status === 0,
);
const darwinSkip = !existsSync(DARWIN_CHECK)
  ? `(skipped: ${DARWIN_CHECK} is not installed)`
  : !existsSync(join(SDK, 'usr', 'include', 'mach', 'mach.h'))
    ? `(skipped: no macOS SDK at ${SDK})`
    : spawnSync('clang++-16', ['--version']).status !== 0
      ? '(skipped: clang++-16 is not installed)'
      : '';

function includeFlags(name: string): string[] {
  return [
    `-I${RUNTIME_INCLUDE}`,
    `-I${join(goldenDir, name)}`,
    `-I${join(goldenDir, name, 'expected')}`,
  ];
}

it('has C++ goldens to compile', () => {
  expect(cases.length).toBeGreaterThan(0);
  expect(compilers).toContain('g++');
});

describe.each(cases)('golden %s', (name) => {
  const source = join(goldenDir, name, 'expected', 'input.mig.cc');

  it.each(compilers)('compiles with %s -O2 -Wall -Wextra -Werror', (cxx) => {
    const r = spawnSync(
      cxx,
      [
        '-std=c++17',
        '-O2',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-c',
        '-o',
        '/dev/null',
        ...includeFlags(name),
        source,
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(darwinSkip !== '')(
    `passes darwin-check (arm64, x86_64 macOS SDK) ${darwinSkip}`,
    () => {
      const r = spawnSync(DARWIN_CHECK, ['-Werror', ...includeFlags(name), source], {
        encoding: 'utf8',
      });
      expect(r.stdout + r.stderr).not.toMatch(/FAIL|warning/);
      expect(r.status).toBe(0);
    },
  );
});
