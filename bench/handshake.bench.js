// Benchmark group `handshake` (`npm run bench -- handshake`): what handing
// ports to a child costs on top of starting it. For the same child program
// (a Node script, and a C++ program linked with the runtime library), the
// time from spawn until spawnWithPorts() resolves — the child has claimed
// its ports and offered one of its own — against a plain
// child_process.spawn() of that program until its first stdout byte, both
// measured alternately in this run. Goal: the handshake adds under 20%.
// Needs `npm run build` (the child imports tsmig from dist/) and
// build/native/libtsmig.a (`npm install`); the C++ child is built here.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { allocatePort, spawnWithPorts } from 'tsmig';

import { median, nowUs } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** The C++ child, built when missing or older than its source or the library. */
function nativeChild() {
  const source = join(here, 'handshake', 'child.cc');
  const library = join(root, 'build', 'native', 'libtsmig.a');
  const target = join(root, 'build', 'native', 'bench', 'handshake-child');
  if (!existsSync(library))
    throw new Error(`bench/handshake: ${library} is missing (run npm install)`);
  const stale =
    !existsSync(target) ||
    statSync(target).mtimeMs < Math.max(statSync(source).mtimeMs, statSync(library).mtimeMs);
  if (stale) {
    mkdirSync(dirname(target), { recursive: true });
    execFileSync('c++', [
      '-std=c++17',
      '-O2',
      `-I${join(root, 'runtime', 'include')}`,
      source,
      library,
      '-pthread',
      '-o',
      target,
    ]);
  }
  return target;
}

/** Spawn until the first stdout byte, in ms. */
function plainOnce(command, args) {
  return new Promise((resolve, reject) => {
    const start = nowUs();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout.once('data', () => {
      resolve((nowUs() - start) / 1000);
      child.stdout.resume();
    });
  });
}

/** Spawn until the child has claimed its port and offered its own, in ms. */
async function handshakeOnce(command, args) {
  const port = allocatePort();
  const start = nowUs();
  const { child, ports } = await spawnWithPorts(command, args, {
    ports: { port },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ms = (nowUs() - start) / 1000;
  child.stdout.resume();
  await new Promise((resolve) => child.once('exit', resolve));
  ports.inbox.close();
  port.close();
  return ms;
}

async function measure(command, args, rounds) {
  const plain = [];
  const handshake = [];
  // Alternating, after one of each to warm up caches: drift in the machine's load hits both alike.
  await plainOnce(command, args);
  await handshakeOnce(command, args);
  for (let i = 0; i < rounds; i++) {
    plain.push(await plainOnce(command, args));
    handshake.push(await handshakeOnce(command, args));
  }
  return { plain: median(plain), handshake: median(handshake) };
}

/** Benchmark rows for the shared table (bench/lib.js). */
export async function run({ quick }) {
  const rounds = quick ? 5 : 30;
  const before = loadavg()[0];
  const cases = [
    ['Node child', process.execPath, [join(here, 'handshake', 'child.mjs')]],
    ['C++ child', nativeChild(), []],
  ];
  const rows = [];
  for (const [label, command, args] of cases) {
    const { plain, handshake } = await measure(command, args, rounds);
    rows.push({
      group: 'handshake',
      name: `${label}: spawn → ports claimed`,
      mode: 'unpinned',
      value: handshake,
      unit: 'ms',
      peer: 'spawn → 1st stdout byte',
      peerValue: plain,
      ratio: handshake / plain,
      goal: '< 1.2×',
    });
  }
  process.stderr.write(
    `bench handshake: ${rounds} rounds per case, load average ${before.toFixed(2)} → ${loadavg()[0].toFixed(2)}\n`,
  );
  return rows;
}
