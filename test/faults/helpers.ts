// Helpers of the fault, limit and load tests: the generated stubs of
// test/golden/cross (every argument kind) as a plain ES module that child
// processes can import, the generated C++ server of that case built into a
// program, children started with a send right to a fresh port (descriptor 3)
// and their hello, a one-second wake-up bound, and resource counts.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

import { allocatePort, spaceStats, type Port, type ReceivedMessage } from 'tsmig';

/** This directory (the children live in children/). */
export const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const CROSS = join(repoRoot, 'test', 'golden', 'cross');

/** Liveness bound for waits that must happen: generous, not a measurement. */
const PATIENCE_MS = 20_000;
/** The promise: a waiter wakes within one second of its peer's death. */
const WAKE_BOUND_MS = 1000;

const work = mkdtempSync(join(tmpdir(), 'tsmig-faults-'));

/**
 * Builds the C++ peer of the cross-process tests (test/gen-cpp/cross/peer.cc:
 * `server` serves the generated cross_serve_once) once; returns its path.
 */
export function buildCppPeer(): string {
  const out = join(work, 'peer');
  const sources = [join(repoRoot, 'test', 'gen-cpp', 'cross', 'peer.cc')];
  for (const f of ['input.mig.cc', 'input.server.mig.cc']) {
    const path = join(CROSS, 'expected', f);
    if (readdirSync(join(CROSS, 'expected')).includes(f)) sources.push(path);
  }
  const build = spawnSync(
    'g++',
    [
      '-std=c++17',
      '-O2',
      `-I${join(repoRoot, 'runtime', 'include')}`,
      `-I${CROSS}`,
      `-I${join(CROSS, 'expected')}`,
      ...sources,
      join(repoRoot, 'build', 'native', 'libtsmig.a'),
      '-pthread',
      '-o',
      out,
    ],
    { encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`peer build failed:\n${build.stderr}`);
  return out;
}

/** The generated TypeScript stubs of the cross case as an ES module a plain `node` child can import. */
export function crossStubsModule(): string {
  const out = join(work, 'cross.mjs');
  const runtime = pathToFileURL(join(repoRoot, 'dist', 'runtime', 'lib', 'index.js')).href;
  const js = ts
    .transpileModule(readFileSync(join(CROSS, 'expected', 'input.ts'), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    })
    .outputText.replace(/from 'tsmig'/g, `from ${JSON.stringify(runtime)}`);
  writeFileSync(out, js);
  return out;
}

export interface Child {
  process: ChildProcess;
  /** A send right to the child's service port (from its hello). */
  port: Port;
  /** Everything the child wrote to stdout so far. */
  stdout(): string;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Resolves when the child exited and its pipes closed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Closes its standard input (the children's signal to finish), waits, releases the port. */
  finish(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `command args` with a send right to a fresh port as descriptor 3
 * (or to `target`, then without waiting for a hello) and waits for its hello
 * (id 1000) carrying a send right to the child's service port.
 */
export async function startChild(
  command: string,
  args: readonly string[],
  target?: Port,
): Promise<Child> {
  const inbox = target ? null : allocatePort();
  const fd = (target ?? inbox!).toDescriptor();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe', fd] });
  closeSync(fd);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdin!.on('error', () => {}); // a killed child's stdin is a broken pipe, which is expected here
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  let port: Port | null = null;
  if (inbox) {
    const early = exited.then(({ code, signal }) => {
      throw new Error(`child exited before its hello (code ${code}, signal ${signal}):\n${err}`);
    });
    const hello = (await Promise.race([
      inbox.receive({ timeout: PATIENCE_MS }),
      early,
    ])) as ReceivedMessage;
    if (hello.id !== 1000 || !hello.replyPort) throw new Error(`unexpected hello ${hello.id}`);
    port = hello.replyPort;
    inbox.close();
  }
  return {
    process: child,
    port: port!,
    stdout: () => out,
    stderr: () => err,
    exited,
    async finish() {
      child.stdin!.end();
      const result = await exited;
      port?.close();
      return result;
    },
  };
}

/** Waits until `predicate()` holds (checked every 5 ms), within PATIENCE_MS. */
export async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const limit = Date.now() + PATIENCE_MS;
  while (!predicate()) {
    if (Date.now() > limit) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Sends SIGSTOP to `pid` and waits until the kernel reports it stopped (state T in /proc/<pid>/stat). */
export async function stop(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await waitFor(
    () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('T') ?? false,
    'SIGSTOP',
  );
}

/**
 * Settles like `promise`, or rejects when it has not settled WAKE_BOUND_MS
 * after this call: the bound the issue promises for a waiter whose peer died.
 */
export function withinWakeBound<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not wake within ${WAKE_BOUND_MS} ms`)),
      WAKE_BOUND_MS,
    );
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** What a promise settled to: the value, or the error. */
export async function outcome<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Descriptors and port names of this process. */
export function resources(): { fds: number; names: number; runtimeFds: number } {
  const stats = spaceStats();
  return {
    fds: readdirSync('/proc/self/fd').length,
    names: stats.names,
    runtimeFds: stats.descriptors,
  };
}

/**
 * Waits until the counts are back to `before` (the runtime reaps a dead
 * peer's socket pairs on its monitor thread a moment later; Node closes a
 * dead child's pipes on the event loop), then returns them, within PATIENCE_MS.
 */
export async function resourcesBackTo(
  before: ReturnType<typeof resources>,
): Promise<ReturnType<typeof resources>> {
  const limit = Date.now() + PATIENCE_MS;
  for (;;) {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    const now = resources();
    if (JSON.stringify(now) === JSON.stringify(before) || Date.now() > limit) return now;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
