// RPC benchmark rows for Node ↔ C++ child (called by rpc.bench.js as
// `cppRows({ quick })`): a typed `add(int, int) → int` from the golden calc
// TypeScript client to a C++ server child built from the golden calc C++
// (test/golden/calc/expected: input.mig.h + input.server.mig.cc) and the
// runtime library, against the runtime's raw round trip with the same bytes
// to the same child, and against child_process send() (json, advanced),
// all in the same run, both processes pinned to CPU 0 and unpinned.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

import { canPin, maybePinned } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const CALC = join(root, 'test', 'golden', 'calc', 'expected');

/** Builds the C++ server child and the TypeScript client module into `dir`; returns their paths. */
function build(dir) {
  const server = join(dir, 'calc-server');
  execFileSync(
    'g++',
    [
      '-std=c++17',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      `-I${join(root, 'runtime', 'include')}`,
      `-I${CALC}`,
      join(here, 'rpc-cpp', 'calc-server.cc'),
      join(CALC, 'input.server.mig.cc'),
      join(root, 'build', 'native', 'libtsmig.a'),
      '-pthread',
      '-o',
      server,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // The golden client as an ES module a plain `node` can import, on this build's runtime.
  const runtime = pathToFileURL(join(root, 'dist', 'runtime', 'lib', 'index.js')).href;
  const js = ts
    .transpileModule(readFileSync(join(CALC, 'input.ts'), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    })
    .outputText.replace(/from 'tsmig'/g, `from ${JSON.stringify(runtime)}`);
  const stubs = join(dir, 'calc.mjs');
  writeFileSync(stubs, js);
  return { server, stubs };
}

function driver(pinned, ...args) {
  const [cmd, argv] = maybePinned(pinned, process.execPath, [
    join(here, 'rpc-cpp', 'driver.mjs'),
    ...args.map(String),
  ]);
  const out = execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()).us;
}

/** Benchmark rows for the shared table (bench/lib.js). */
export async function cppRows({ quick }) {
  const n = quick ? 2_000 : 40_000;
  const dir = mkdtempSync(join(tmpdir(), 'tsmig-bench-cpp-'));
  const rows = [];
  try {
    const { server, stubs } = build(dir);
    const modes = canPin() ? ['pinned', 'unpinned'] : ['unpinned'];
    for (const mode of modes) {
      const pinned = mode === 'pinned';
      const name = 'typed add(int, int) → int, Node↔C++ child';
      const row = (value, peer, peerValue, goal) =>
        rows.push({
          group: 'rpc',
          name,
          mode,
          value,
          unit: 'µs',
          peer,
          peerValue,
          ratio: value / peerValue,
          goal: pinned ? goal : undefined,
        });
      const typedAdd = driver(pinned, 'typed', stubs, server, n);
      const rawAdd = driver(pinned, 'raw', server, n);
      const cpJson = driver(pinned, 'child-process', 'json', n);
      const cpAdvanced = driver(pinned, 'child-process', 'advanced', n);
      row(typedAdd, 'runtime raw round trip (same bytes, same C++ child)', rawAdd, '≤ 1.2×');
      row(typedAdd, 'child_process send (json)', cpJson, '≤ 0.4× (2.5× faster)');
      row(typedAdd, 'child_process send (advanced)', cpAdvanced);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
