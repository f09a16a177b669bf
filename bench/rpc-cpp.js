// RPC benchmark rows for Node ↔ C++ child (called by rpc.bench.js as
// `cppRows({ quick })`): the calls of rpc-cpp/bench.defs — a typed
// `add(int, int) → int`, a 1 MiB out-of-line argument, 16 send rights in
// one call — from the generated TypeScript client to a C++ server child
// built from the generated C++ server file and the runtime library. Peers,
// in the same run: the runtime's raw round trip with the same bytes to the
// same child, and (for add) child_process send() with json and advanced
// serialization. Both processes pinned to CPU 0, then unpinned.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

import { compileDefs } from '../dist/generator/check/compile.js';
import { emit } from '../dist/generator/emit/index.js';
import { alternate, canPin, maybePinned } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const BENCH = join(here, 'rpc-cpp');

/** Generates both languages of bench.defs into `dir`, builds the C++ server child; returns its path and the client module's. */
async function build(dir) {
  const compiled = compileDefs(
    { file: join(BENCH, 'bench.defs') },
    { includePaths: [join(root, 'defs')] },
  );
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => d.message).join('\n'));
  const input = {
    ir: compiled.ir,
    layouts: compiled.layouts,
    baseName: 'rpcbench',
    sourceName: 'bench.defs',
  };
  const files = await emit(input, ['ts', 'cpp']);
  for (const [path, text] of files) writeFileSync(join(dir, path), text);
  const server = join(dir, 'bench-server');
  execFileSync(
    'g++',
    [
      '-std=c++17',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      `-I${join(root, 'runtime', 'include')}`,
      `-I${BENCH}`,
      `-I${dir}`,
      join(BENCH, 'bench-server.cc'),
      join(dir, 'rpcbench.server.mig.cc'),
      join(root, 'build', 'native', 'libtsmig.a'),
      '-pthread',
      '-o',
      server,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // The client as an ES module a plain `node` can import, on this build's runtime.
  const runtime = pathToFileURL(join(root, 'dist', 'runtime', 'lib', 'index.js')).href;
  const js = ts
    .transpileModule(files.get('rpcbench.ts'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    })
    .outputText.replace(/from 'tsmig'/g, `from ${JSON.stringify(runtime)}`);
  const stubs = join(dir, 'rpcbench.mjs');
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
  const nBig = quick ? 50 : 1_000;
  const nPorts = quick ? 500 : 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'tsmig-bench-cpp-'));
  const rows = [];
  try {
    const { server, stubs } = await build(dir);
    const modes = canPin() ? ['pinned', 'unpinned'] : ['unpinned'];
    for (const mode of modes) {
      const pinned = mode === 'pinned';
      const row = (name, value, peer, peerValue, goal) =>
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
      const add = 'typed add(int, int) → int, Node↔C++ child';
      // Typed and raw are the ratio with a goal: measured in turn, so both see the same load.
      const [typedAdd, rawAdd] = alternate(
        [() => driver(pinned, 'typed', stubs, server, 'add', n), () => driver(pinned, 'raw', server, 'add', n)],
        quick ? 1 : 3,
      );
      row(add, typedAdd, 'runtime raw round trip (same bytes, same C++ child)', rawAdd, '≤ 1.2×');
      row(
        add,
        typedAdd,
        'child_process send (json)',
        driver(pinned, 'child-process', 'json', n),
        '≤ 0.4× (2.5× faster)',
      );
      row(
        add,
        typedAdd,
        'child_process send (advanced)',
        driver(pinned, 'child-process', 'advanced', n),
      );
      row(
        'typed call with a 1 MiB out-of-line argument, Node↔C++ child',
        driver(pinned, 'typed', stubs, server, 'big', nBig),
        'raw runtime, same message, same C++ child',
        driver(pinned, 'raw', server, 'big', nBig),
      );
      row(
        'typed call with 16 ports (out-of-line array), Node↔C++ child',
        driver(pinned, 'typed', stubs, server, 'ports', nPorts),
        'raw runtime, same message, same C++ child',
        driver(pinned, 'raw', server, 'ports', nPorts),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
