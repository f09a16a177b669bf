// Runtime benchmarks (`npm run bench -- runtime`): tsmig's message runtime
// against the floors and the alternatives a user would pick, measured in the
// same run, each with both processes pinned to CPU 0 (software cost) and
// unpinned (cross-CPU wake-ups included).
//
// The Node side runs in bench/runtime/driver.mjs (a process of its own, so it
// can be pinned; its peers inherit the affinity). The C and C++ programs
// (raw SOCK_SEQPACKET floors, the native tsmig echo/sink/ping-pong) are built
// by `make -C runtime bench` into build/native/bench/.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { canPin, maybePinned } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const nativeDir = join(here, '..', 'build', 'native', 'bench');
const MiB = 1024 * 1024;

function program(name) {
  const path = join(nativeDir, name);
  if (!existsSync(path)) throw new Error(`bench/runtime: ${path} is missing (build it with \`make -C runtime bench\`)`);
  return path;
}

/** Builds (or brings up to date) the C and C++ benchmark programs. */
function buildPrograms() {
  execFileSync('make', ['-C', join(here, '..', 'runtime'), '-j2', 'bench'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Runs a benchmark process (pinned or not) and returns the JSON of its last output line. */
function measure(pinned, command, args) {
  const [cmd, argv] = maybePinned(pinned, command, args.map(String));
  const out = execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

function driver(pinned, ...args) {
  return measure(pinned, process.execPath, [join(here, 'runtime', 'driver.mjs'), ...args]);
}

/** Benchmark rows for the shared table (bench/lib.js). */
export async function run({ quick }) {
  buildPrograms();
  const n = quick ? 2_000 : 40_000;
  const oneWay = quick ? 50_000 : 1_000_000;
  const modes = canPin() ? ['pinned', 'unpinned'] : ['unpinned'];
  const rows = [];
  for (const mode of modes) {
    const pinned = mode === 'pinned';
    const row = (name, value, unit, peer, peerValue, goal) =>
      rows.push({ group: 'runtime', name, mode, value, unit, peer, peerValue, ratio: value / peerValue, goal: pinned ? goal : undefined });

    const raw = measure(pinned, program('seqpacket-pingpong'), [n]).roundTripUs;
    const rawEpoll = measure(pinned, program('seqpacket-pingpong'), [n, '--epoll']).roundTripUs;
    const rawFd = measure(pinned, program('seqpacket-pingpong'), [n, '--fd']).roundTripUs;
    const cppCpp = measure(pinned, program('tsmig-pingpong'), [n]).roundTripUs;
    const cppCppRight = measure(pinned, program('tsmig-pingpong'), [n, '--ports']).roundTripUs;
    const cppCppOnce = measure(pinned, program('tsmig-pingpong'), [n, '--once']).roundTripUs;
    const nodeCpp = driver(pinned, 'roundtrip', program('tsmig-echo'), n).roundTripUs;
    const nodeNode = driver(pinned, 'roundtrip', 'node', n).roundTripUs;
    const nodeNodeRight = driver(pinned, 'roundtrip', 'node', n, 'ports').roundTripUs;
    const cpJson = driver(pinned, 'child-process', 'json', n).roundTripUs;
    const cpAdvanced = driver(pinned, 'child-process', 'advanced', n).roundTripUs;
    const worker = driver(pinned, 'worker', n).roundTripUs;

    row('round trip C++↔C++', cppCpp, 'µs', 'C SEQPACKET ping-pong', raw, '≤ 1.2×');
    // MIG style: the reply comes on a send-once right made for each request (the send-once pool).
    row('round trip C++↔C++, send-once reply right', cppCppOnce, 'µs', 'C SEQPACKET ping-pong', raw);
    // What any event-loop design pays: waiting in epoll before each read.
    row('round trip Node↔Node', nodeNode, 'µs', 'C SEQPACKET ping-pong via epoll', rawEpoll);
    row('round trip Node↔C++', nodeCpp, 'µs', 'C SEQPACKET ping-pong', raw, '≤ 1.3×');
    row('round trip Node↔Node', nodeNode, 'µs', 'C SEQPACKET ping-pong', raw, '≤ 1.8×');
    row('round trip Node↔Node', nodeNode, 'µs', 'child_process send (json)', cpJson, '≤ 0.33× (3× faster)');
    row('round trip Node↔Node', nodeNode, 'µs', 'child_process send (advanced)', cpAdvanced);
    row('round trip Node↔Node', nodeNode, 'µs', 'worker_threads postMessage', worker);
    // What one right adds to a round trip (one each way), against what one SCM_RIGHTS descriptor adds.
    row('a right each way, C++↔C++ (added)', cppCppRight - cppCpp, 'µs', 'SCM_RIGHTS each way (added)', rawFd - raw, '≤ 1.2×');
    row('a right each way, Node↔Node (added)', nodeNodeRight - nodeNode, 'µs', 'SCM_RIGHTS each way (added)', rawFd - raw);

    const sent = driver(pinned, 'oneway', program('tsmig-sink'), oneWay).messagesPerSecond;
    const rawSent = measure(pinned, program('seqpacket-oneway'), [oneWay]).messagesPerSecond;
    const cppSent = measure(pinned, program('tsmig-oneway'), [oneWay]).messagesPerSecond;
    rows.push({
      group: 'runtime',
      name: 'one-way from Node',
      mode,
      value: sent,
      unit: 'msg/s',
      peer: 'C SEQPACKET one-way',
      peerValue: rawSent,
      ratio: sent / rawSent,
      goal: pinned ? '≥ 300,000 msg/s' : undefined,
    });
    rows.push({
      group: 'runtime',
      name: 'one-way from C++',
      mode,
      value: cppSent,
      unit: 'msg/s',
      peer: 'C SEQPACKET one-way',
      peerValue: rawSent,
      ratio: cppSent / rawSent,
    });

    for (const [size, label, iterations, goal] of [
      [MiB, '1 MiB', quick ? 200 : 2_000, '≤ 0.25× (4× faster)'],
      [64 * MiB, '64 MiB', quick ? 6 : 40, '≤ 0.4× (2.5× faster)'],
    ]) {
      const copy = measure(pinned, program('seqpacket-pingpong'), [iterations, '--bytes', size]).roundTripUs;
      const cppOol = measure(pinned, program('tsmig-pingpong'), [iterations, '--ool', size]).roundTripUs;
      const nodeOol = driver(pinned, 'roundtrip', program('tsmig-echo'), iterations, `ool=${size}`).roundTripUs;
      row(`out-of-line ${label}, C++↔C++`, cppOol, 'µs', `copy through the socket`, copy, goal);
      row(`out-of-line ${label}, Node↔C++`, nodeOol, 'µs', `copy through the socket`, copy);
    }
  }
  return rows;
}
