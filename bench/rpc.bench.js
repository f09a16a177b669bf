// RPC benchmarks (`npm run bench -- rpc`): a typed call through generated
// TypeScript stubs, Node client ↔ Node server child, against what a user
// would otherwise use, all measured in the same run: the runtime's raw round
// trip (the same bytes, hand-built, through sendRaw), child_process send()
// (json and advanced serialization), and a hand-written net.Socket binary
// framing; then a 1 MiB out-of-line argument and 16 ports in one call
// against the raw runtime. Each with both processes pinned to CPU 0 (the
// software cost) and unpinned. Last, code generation: `tsmig gen` on the
// whole test corpus against GNU MIG generating its own files for gnumach.
// The C++ engineer's rows (Node ↔ C++ child) come from bench/rpc-cpp.js
// when it is there.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { alternate, canPin, maybePinned, median } from './lib.js';
import { buildStubs } from './rpc/stubs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const GNU_MIG = '/usr/bin/x86_64-gnu-mig';
const GNUMACH = '/usr/include/x86_64-linux-gnu';

function driver(pinned, ...args) {
  const [cmd, argv] = maybePinned(pinned, process.execPath, [join(here, 'rpc', 'driver.mjs'), ...args.map(String)]);
  const out = execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()).us;
}

/** Milliseconds a command takes, the median of `runs`. */
function wallMs(runs, action) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    action();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

/** The test corpus's interfaces, copied under distinct names (golden inputs are all input.defs). */
function testCorpus(dir) {
  const files = [];
  const golden = join(root, 'test', 'golden');
  for (const name of readdirSync(golden)) {
    if (!existsSync(join(golden, name, 'input.defs'))) continue;
    copyFileSync(join(golden, name, 'input.defs'), join(dir, `${name}.defs`));
    files.push(join(dir, `${name}.defs`));
  }
  for (const name of readdirSync(join(root, 'test', 'wire', 'defs'))) {
    // Only interfaces: the C headers next to them are for the C++ compiler.
    if (!name.endsWith('.defs')) continue;
    copyFileSync(join(root, 'test', 'wire', 'defs', name), join(dir, `wire_${name}`));
    files.push(join(dir, `wire_${name}`));
  }
  copyFileSync(join(root, 'test', 'gen-ts', 'defs', 'roundtrip.defs'), join(dir, 'roundtrip.defs'));
  files.push(join(dir, 'roundtrip.defs'));
  return files;
}

/** gnumach's .defs files that GNU MIG generates code for (type-only files are included by others). */
function gnumachFiles(scratch) {
  const found = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.defs')) found.push(path);
    }
  };
  for (const d of ['mach', 'device', 'mach_debug']) if (existsSync(join(GNUMACH, d))) walk(join(GNUMACH, d));
  return found.filter((file) => {
    try {
      execFileSync(GNU_MIG, ['-D__x86_64__', `-I${GNUMACH}`, file], { cwd: scratch, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}

function generationRows(quick) {
  const rows = [];
  const corpus = mkdtempSync(join(tmpdir(), 'tsmig-bench-corpus-'));
  const out = mkdtempSync(join(tmpdir(), 'tsmig-bench-out-'));
  try {
    const files = testCorpus(corpus);
    const runs = quick ? 1 : 5;
    const tsmig = wallMs(runs, () => {
      rmSync(out, { recursive: true, force: true });
      execFileSync(process.execPath, [join(root, 'bin', 'tsmig.js'), 'gen', ...files, '--out', out], { stdio: 'ignore' });
    });
    if (existsSync(GNU_MIG)) {
      const scratch = mkdtempSync(join(tmpdir(), 'tsmig-bench-gnu-'));
      const gnu = gnumachFiles(scratch);
      const mig = wallMs(runs, () => {
        for (const file of gnu) execFileSync(GNU_MIG, ['-D__x86_64__', `-I${GNUMACH}`, file], { cwd: scratch, stdio: 'ignore' });
      });
      rmSync(scratch, { recursive: true, force: true });
      rows.push({
        group: 'rpc',
        name: `tsmig gen: ${files.length} test interfaces (all languages)`,
        mode: 'unpinned',
        value: tsmig,
        unit: 'ms',
        peer: `GNU MIG: its ${gnu.length} gnumach files`,
        peerValue: mig,
        ratio: tsmig / mig,
        goal: '< 1×',
      });
    } else {
      rows.push({ group: 'rpc', name: `tsmig gen: ${files.length} test interfaces`, mode: 'unpinned', value: tsmig, unit: 'ms' });
    }
  } finally {
    rmSync(corpus, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
}

/** Benchmark rows for the shared table (bench/lib.js). */
export async function run({ quick }) {
  const n = quick ? 2_000 : 40_000;
  const nBig = quick ? 50 : 1_000;
  const nPorts = quick ? 500 : 10_000;
  const stubs = await buildStubs();
  const modes = canPin() ? ['pinned', 'unpinned'] : ['unpinned'];
  const rows = [];
  for (const mode of modes) {
    const pinned = mode === 'pinned';
    const row = (name, value, peer, peerValue, goal) =>
      rows.push({ group: 'rpc', name, mode, value, unit: 'µs', peer, peerValue, ratio: value / peerValue, goal: pinned ? goal : undefined });

    // Typed and raw are the ratio with a goal: measured in turn, so both see the same load.
    const [typedAdd, rawAdd] = alternate([() => driver(pinned, 'typed', stubs, 'add', n), () => driver(pinned, 'raw', 'add', n)], quick ? 1 : 3);
    const cpJson = driver(pinned, 'child-process', 'json', n);
    const cpAdvanced = driver(pinned, 'child-process', 'advanced', n);
    const socket = driver(pinned, 'socket', n);
    row('typed add(int, int) → int, Node↔Node child', typedAdd, 'runtime raw round trip (same bytes)', rawAdd, '≤ 1.2×');
    row('typed add(int, int) → int, Node↔Node child', typedAdd, 'child_process send (json)', cpJson, '≤ 0.4× (2.5× faster)');
    row('typed add(int, int) → int, Node↔Node child', typedAdd, 'child_process send (advanced)', cpAdvanced);
    row('typed add(int, int) → int, Node↔Node child', typedAdd, 'net.Socket binary framing', socket);
    row('typed call with a 1 MiB out-of-line argument', driver(pinned, 'typed', stubs, 'big', nBig), 'raw runtime, same message', driver(pinned, 'raw', 'big', nBig));
    row('typed call with 16 ports (out-of-line array)', driver(pinned, 'typed', stubs, 'ports', nPorts), 'raw runtime, same message', driver(pinned, 'raw', 'ports', nPorts));
  }
  rmSync(dirname(stubs), { recursive: true, force: true });
  const cpp = join(here, 'rpc-cpp.js');
  if (existsSync(cpp)) rows.push(...(await (await import(pathToFileURL(cpp).href)).cppRows({ quick })));
  rows.push(...generationRows(quick));
  return rows;
}
