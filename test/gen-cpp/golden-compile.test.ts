// Golden C++ must compile: every generated input.mig.cc and
// input.server.mig.cc under test/golden/*/expected/ (with their header)
// builds with g++ and clang++ at
// -O2 -Wall -Wextra -Werror against tsmig's runtime headers on Linux, and
// passes /work/shared/tools/darwin-check.sh (clang for arm64 and x86_64
// macOS against the macOS SDK). A case's own C declarations (the typedefs
// a MIG user writes for named array types) sit next to its input.defs.
//
// The macOS check needs the SDK at $HOME/.cache/tsmig-macsdk and clang++-16,
// which CI does not have: it skips with that reason when they are absent.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

const SIDES = ['input.mig.cc', 'input.server.mig.cc'];
const units = cases.flatMap((name) => SIDES.map((file) => [name, file] as const));

it('emits both sides of every case', () => {
  for (const [name, file] of units)
    expect(existsSync(join(goldenDir, name, 'expected', file))).toBe(true);
});

describe.each(units)('golden %s %s', (name, file) => {
  const source = join(goldenDir, name, 'expected', file);

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

const RUNTIME_LIB = join(repoRoot, 'build', 'native', 'libtsmig.a');
const linkSkip = existsSync(RUNTIME_LIB)
  ? ''
  : `(skipped: ${RUNTIME_LIB} is not built; npm run build makes it)`;

describe('the two sides link apart', () => {
  const work = mkdtempSync(join(tmpdir(), 'tsmig-gen-cpp-link-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const expected = join(goldenDir, 'calc', 'expected');

  /** Builds a program from `main` and the given golden files of calc; returns the linker's verdict. */
  function link(main: string, files: string[]) {
    const mainFile = join(work, 'main.cc');
    writeFileSync(mainFile, main);
    return spawnSync(
      'g++',
      [
        '-std=c++17',
        '-Wall',
        '-Wextra',
        '-Werror',
        ...includeFlags('calc'),
        mainFile,
        ...files.map((f) => join(expected, f)),
        RUNTIME_LIB,
        '-pthread',
        '-o',
        join(work, 'program'),
      ],
      { encoding: 'utf8' },
    );
  }

  it.skipIf(linkSkip !== '')(`a client links the client file alone ${linkSkip}`, () => {
    // No server routine is defined: the client file must not reference any.
    const r = link(
      '#include "input.mig.h"\nint main() { int sum = 0; return calc::add(MACH_PORT_NULL, 1, 2, &sum) == KERN_SUCCESS; }\n',
      ['input.mig.cc'],
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(linkSkip !== '')(`a server links the server file and its routines ${linkSkip}`, () => {
    const routines = [
      'kern_return_t add(mach_port_t, int a, int b, int *sum) { *sum = a + b; return KERN_SUCCESS; }',
      'kern_return_t divide(mach_port_t, int64_t, int64_t, int64_t *q, int64_t *r) { *q = 0; *r = 0; return KERN_SUCCESS; }',
      'kern_return_t log_value(mach_port_t, int) { return KERN_SUCCESS; }',
      'kern_return_t ping(mach_port_t) { return KERN_SUCCESS; }',
    ];
    const main = `#include "input.mig.h"\nextern "C" {\n${routines.join('\n')}\n}\nint main() { return calc_serve_once(MACH_PORT_NULL, 0) == MACH_MSG_SUCCESS; }\n`;
    const r = link(main, ['input.server.mig.cc']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The server file really does call the routines the program supplies.
    const missing = link(
      '#include "input.mig.h"\nint main() { return calc_serve_once(MACH_PORT_NULL, 0) == MACH_MSG_SUCCESS; }\n',
      ['input.server.mig.cc'],
    );
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/undefined reference to `add'/);
  });
});
