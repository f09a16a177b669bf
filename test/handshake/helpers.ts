// Test helpers for the child handshake: the native test programs (built
// once from test/handshake/native/ against build/native/libtsmig.a, or the
// sanitized library with TSMIG_NATIVE_ASAN=1), the
// parent's side of the exchange every test child plays (script.h), and
// counting what this process holds so every test can prove nothing leaked.

import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';

import {
  allocatePort,
  spaceStats,
  spawnWithPorts,
  type Port,
  type ReceivedMessage,
} from '../../runtime/lib/index.js';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
/** The Node test child (test/handshake/children/child.mjs). */
export const CHILD = join(here, 'children', 'child.mjs');
/** Liveness bound for waits that must end: a generous limit, not a measurement. */
export const PATIENCE_MS = 30_000;
/** Liveness bound for hooks that build the native programs (a cold build on a loaded machine, or with ASan). */
export const BUILD_PATIENCE_MS = 600_000;

const run = promisify(execFile);

/** TSMIG_NATIVE_ASAN=1 (as for test/native): the native programs and the library they link are built with ASan and UBSan. */
const asan = process.env.TSMIG_NATIVE_ASAN === '1';
const sanitizerFlags = asan
  ? [
      '-g',
      '-fsanitize=address,undefined',
      '-fno-omit-frame-pointer',
      '-fno-sanitize-recover=undefined',
    ]
  : [];
let sanitizedLibrary: Promise<unknown> | undefined;

// Brings program $1 up to date with the $2 files after it, by the compile command that follows them.
const BUILD_IF_STALE = `
target=$1; count=$2; shift 2
stale=0; [ -e "$target" ] || stale=1
for ((i = 0; i < count; i++)); do [ "$1" -nt "$target" ] && stale=1; shift; done
[ $stale = 0 ] && exit 0
"$@" -o "$target.tmp" && mv "$target.tmp" "$target"`;

/**
 * Builds test/handshake/native/<name>.cc (once per change of the sources or
 * the library) and returns the program's path. Test files run in parallel
 * and need the same programs: one builds while the others wait (flock), then
 * find it up to date.
 */
export async function nativeProgram(name: string): Promise<string> {
  const out = join(repoRoot, 'build', 'native', asan ? 'test-handshake-asan' : 'test-handshake');
  mkdirSync(out, { recursive: true });
  const target = join(out, name);
  const library = join(repoRoot, 'build', 'native', ...(asan ? ['asan'] : []), 'libtsmig.a');
  // The sanitized library is not part of npm install: one make at a time brings it up to date.
  if (asan) {
    sanitizedLibrary ??= run('flock', [
      join(repoRoot, 'build', 'native', '.asan.lock'),
      'make',
      '-s',
      '-C',
      join(repoRoot, 'runtime'),
      '-j2',
      'asan',
    ]);
    await sanitizedLibrary;
  }
  const source = join(here, 'native', `${name}.cc`);
  const inputs = [
    source,
    join(here, 'native', 'script.h'),
    library,
    join(repoRoot, 'runtime', 'include', 'tsmig', 'handshake.h'),
  ];
  const compile = [
    'c++',
    '-std=c++17',
    '-O1',
    '-Wall',
    '-Wextra',
    '-Werror',
    ...sanitizerFlags,
    `-I${join(repoRoot, 'runtime', 'include')}`,
    source,
    library,
    '-pthread',
  ];
  await run('flock', [
    `${target}.lock`,
    'bash',
    '-c',
    BUILD_IF_STALE,
    'build',
    target,
    String(inputs.length),
    ...inputs,
    ...compile,
  ]);
  return target;
}

/** Runs a program to its end and returns its stdout (stderr joins the error when it fails). */
export async function runProgram(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const { stdout } = await run(command, args, {
    env: options.env ?? process.env,
    timeout: 120_000,
    maxBuffer: 1 << 20,
  });
  return stdout;
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const bodyText = (message: ReceivedMessage): string =>
  new TextDecoder().decode(message.body).replace(/\0+$/, '');

/** Receives one message and checks its id and text. */
export async function expectMessage(port: Port, id: number, content: string): Promise<void> {
  const message = await port.receive({ timeout: PATIENCE_MS });
  expect({ id: message.id, body: bodyText(message) }).toEqual({ id, body: content });
  message.destroy();
}

/** The five ports of the exchange, what the parent keeps of them, and how to hand them. */
export interface FivePorts {
  /** For spawnWithPorts({ ports }). */
  handed: Record<
    string,
    Port | { port: Port; disposition: 'move-send' | 'move-receive' | 'make-send-once' }
  >;
  control: Port;
  data: Port;
  dataSend: Port;
  moved: Port;
  movedSend: Port;
  receiver: Port;
  receiverSend: Port;
  once: Port;
  /** Releases what the parent still owns. */
  close(): void;
}

/** Makes the five ports of script.h: control (make-send), data (copy-send), moved (move-send), receiver (move-receive), once (make-send-once). */
export function fivePorts(): FivePorts {
  const control = allocatePort();
  const data = allocatePort();
  const dataSend = data.makeSendRight();
  const moved = allocatePort();
  const movedSend = moved.makeSendRight();
  const receiver = allocatePort();
  const receiverSend = receiver.makeSendRight();
  const once = allocatePort();
  return {
    handed: {
      control,
      data: dataSend,
      moved: { port: movedSend, disposition: 'move-send' },
      receiver: { port: receiver, disposition: 'move-receive' },
      once: { port: once, disposition: 'make-send-once' },
    },
    control,
    data,
    dataSend,
    moved,
    movedSend,
    receiver,
    receiverSend,
    once,
    close() {
      for (const port of [control, data, dataSend, moved, movedSend, receiver, receiverSend, once])
        port.close();
    },
  };
}

/** The parent's side of the exchange with a child that offered `inbox`; returns once the child was told to exit. */
export async function playParent(five: FivePorts, inbox: Port): Promise<void> {
  await expectMessage(
    five.control,
    100,
    'control=send;data=send;moved=send;once=send-once;receiver=receive',
  );
  await inbox.send({ id: 200, body: text('ping') });
  await expectMessage(five.control, 201, 'pong:ping');
  await expectMessage(five.data, 300, 'data');
  await expectMessage(five.moved, 400, 'moved');
  await expectMessage(five.once, 500, 'once');
  await five.receiverSend.send({ id: 600, body: text('to-receiver') });
  await expectMessage(five.control, 601, 'got:to-receiver');
  await inbox.send({ id: 999 });
}

/** The child's exit, as a promise (resolves at once if it has exited already). */
export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({
      code: child.exitCode,
      signal: child.signalCode,
      at: performance.now(),
    });
  }
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
}

/** Everything the child wrote on a piped stream, once it ends. */
export function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  if (stream === null) return Promise.resolve('');
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => stream.on('end', () => resolve(out)));
}

/** What this process holds: open descriptors and the name space by kind. */
export function resources(): Record<string, number> {
  const stats = spaceStats();
  return {
    fds: readdirSync('/proc/self/fd').length,
    names: stats.names,
    receive: stats.receiveRights,
    send: stats.sendRights,
    sendOnce: stats.sendOnceRights,
    sets: stats.portSets,
    dead: stats.deadNames,
    runtimeFds: stats.descriptors,
  };
}

/**
 * Expects this process's resources to come back to `before`. Node closes a
 * finished child's pipes and the runtime reaps a closed peer's sockets a
 * moment after the fact: counts are retried for a while (a liveness bound,
 * not a measurement) before the comparison fails.
 */
export async function expectResourcesBackTo(before: Record<string, number>): Promise<void> {
  const limit = Date.now() + PATIENCE_MS;
  let now = resources();
  while (JSON.stringify(now) !== JSON.stringify(before) && Date.now() < limit) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = resources();
  }
  expect(now).toEqual(before);
}

/**
 * One complete handshake, so what a process creates once (the rendezvous
 * port set and its watch, Node's child-process plumbing) exists before a
 * test counts resources.
 */
export async function warmUp(servicePrefix?: string): Promise<void> {
  const port = allocatePort();
  const { child } = await spawnWithPorts(process.execPath, [CHILD, 'report'], {
    stdio: 'ignore',
    ports: { port },
    servicePrefix,
  });
  await exited(child);
  port.close();
}
