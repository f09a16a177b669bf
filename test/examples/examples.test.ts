// The examples, run as a user would: each copied into a temporary project
// (a package.json of type module, tsmig and @types/node in node_modules —
// links to this package and its copy), built with examples/build.mjs (the
// tsmig CLI, tsc, c++ with `tsmig native-flags`), then its programs run as
// real processes, and what they print checked line by line (pids included:
// the parent's and the child's must be the processes that ran). Then
// `npm run demo` in this checkout.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'tsmig-examples-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Building an example compiles C++ with -O2: minutes on a loaded 2-CPU machine, so its hooks get this long. */
const BUILD_TIMEOUT = 300_000;

/** A user project holding a copy of examples/NAME, built; returns its directory. */
function buildCopy(name: string): string {
  const dir = join(work, name);
  cpSync(join(root, 'examples', name), dir, {
    recursive: true,
    filter: (src) => !/[/\\](generated|build)$/.test(src),
  });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `example-${name}`, private: true, type: 'module' }),
  );
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'tsmig'), 'dir');
  symlinkSync(
    join(root, 'node_modules', '@types', 'node'),
    join(dir, 'node_modules', '@types', 'node'),
    'dir',
  );
  const r = spawnSync(process.execPath, [join(root, 'examples', 'build.mjs'), dir], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`building ${name} failed:\n${r.stdout}${r.stderr}`);
  return dir;
}

/** Runs a program of a built example; returns its exit status and output lines. */
function run(dir: string, command: string, args: string[]) {
  const r = spawnSync(command, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, lines: r.stdout.trimEnd().split('\n'), stderr: r.stderr };
}

describe('examples/pass-port-to-child', () => {
  let dir: string;
  beforeAll(() => {
    dir = buildCopy('pass-port-to-child');
  }, BUILD_TIMEOUT);

  it.each([
    ['a Node child', [], 'Node', 'child', 'hi! I got your port'],
    ['a C++ child', ['--native'], 'C++', 'native child', 'hi! I got your port (from C++)'],
  ])(
    'the parent hands its port to %s, which calls back over it',
    (_what, args, kind, childLabel, greeting) => {
      const r = run(dir, process.execPath, ['build/parent.js', ...args]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.lines).toHaveLength(5);
      const parentPid = /^parent (\d+): spawning/.exec(r.lines[0])?.[1];
      const childPid = new RegExp(`^${childLabel} (\\d+): claimed`).exec(r.lines[1])?.[1];
      expect(parentPid).toBeDefined();
      expect(childPid).toBeDefined();
      expect(childPid).not.toBe(parentPid);
      expect(r.lines).toEqual([
        `parent ${parentPid}: spawning a ${kind} child with a send right to port "callback"`,
        `${childLabel} ${childPid}: claimed port "callback" from my parent`,
        `parent: child ${childPid} called back: "${greeting}"`,
        `${childLabel} ${childPid}: my parent answered: "hello, child ${childPid}, from your parent ${parentPid}"`,
        `parent: child ${childPid} exited with code 0`,
      ]);
    },
  );
});

describe('examples/calculator', () => {
  let dir: string;
  beforeAll(() => {
    dir = buildCopy('calculator');
  }, BUILD_TIMEOUT);

  it.each([
    ['the Node client', process.execPath, () => ['build/client.js'], 'node client'],
    ['the C++ client', './build/client', () => [process.execPath, 'build/server.js'], 'c++ client'],
  ])('%s starts the Node server child and calls it', (_what, command, args, label) => {
    const r = run(dir, command, args());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const serverPid = /^server (\d+): serving calc$/.exec(r.lines[0])?.[1];
    expect(serverPid).toBeDefined();
    expect(r.lines).toEqual([
      `server ${serverPid}: serving calc`,
      `${label}: 2 + 3 = 5`,
      `${label}: 17 / 5 = 3 remainder 2`,
      `${label}: 1 / 0 failed: KERN_INVALID_ARGUMENT`,
      `server ${serverPid}: no clients left, exiting`,
      `${label}: server exited with code 0`,
    ]);
  });
});

describe('npm run demo', () => {
  it(
    'builds and runs pass-port-to-child in this checkout and says so',
    () => {
      const r = spawnSync('npm', ['run', '--silent', 'demo'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('$ tsmig gen\n');
      expect(r.stdout).toMatch(/\n {2}parent: child \d+ called back: "hi! I got your port"\n/);
      expect(r.stdout).toMatch(
        /\n {2}parent: child \d+ called back: "hi! I got your port \(from C\+\+\)"\n/,
      );
      expect(r.stdout).toMatch(
        /\nDone\. The code: .*pass-port-to-child\/callback\.defs, parent\.ts, child\.ts, native-child\.cc\n$/,
      );
    },
    BUILD_TIMEOUT,
  );
});
