// Test helpers for the cross-process runtime tests: starting child processes
// that get a send right by descriptor inheritance, and counting descriptors
// and port names before and after each test file to prove nothing leaks.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

import { allocatePort, spaceStats, type Port, type ReceivedMessage } from '../../runtime/lib/index.js';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
export const AGENT = join(here, 'children', 'agent.mjs');

/** Liveness bound for waits that must happen: a generous limit, not a measurement. */
export const PATIENCE_MS = 20_000;

export interface Child {
  process: ChildProcess;
  /** The test's receive right the child sends to. */
  port: Port;
  /** A send right to the child's own port (from its hello). */
  childPort: Port;
  /** Everything the child wrote to stdout so far. */
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for the child to exit and releases the test's ports. */
  finish(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `command args` with a send right to a fresh port of this process as
 * descriptor 3, and waits for its hello (id 1000) carrying a send right to
 * the child's port.
 */
export async function startChild(command: string, args: readonly string[]): Promise<Child> {
  const port = allocatePort();
  const fd = port.toDescriptor();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', fd] });
  closeSync(fd);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  // 'close' (not 'exit'): the child's stdio pipes are closed too, so descriptor counts settle.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const early = exited.then(({ code, signal }) => {
    throw new Error(`child exited before its hello (code ${code}, signal ${signal}):\n${err}`);
  });
  const hello = (await Promise.race([port.receive({ timeout: PATIENCE_MS }), early])) as ReceivedMessage;
  expect(hello.id).toBe(1000);
  expect(hello.replyPort?.right).toBe('send');
  const childPort = hello.replyPort!;
  return {
    process: child,
    port,
    childPort,
    stdout: () => out,
    exited,
    async finish() {
      const result = await exited;
      if (result.code !== 0 && result.signal === null) throw new Error(`child failed (code ${result.code}):\n${err}`);
      port.close();
      childPort.close();
      return result;
    },
  };
}

/** Starts test/runtime/children/agent.mjs with a scenario. */
export function startAgent(scenario: string, nodeArgs: readonly string[] = []): Promise<Child> {
  return startChild(process.execPath, [...nodeArgs, AGENT, scenario]);
}

/** The JSON a child put in a message body. */
export function bodyJson<T = unknown>(message: ReceivedMessage): T {
  return JSON.parse(new TextDecoder().decode(message.body).replace(/\0+$/, '')) as T;
}

/** A JSON body for a message. */
export function jsonBody(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** What this process holds: open descriptors and port names by kind. */
export function resources(): { fds: number; names: number; receive: number; send: number; sendOnce: number; sets: number; dead: number; runtimeFds: number } {
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
 * Resource counts settle after GC finalizers and closing handles; waits a
 * few turns of the event loop (no sleeping on a clock) before counting.
 */
export async function settledResources(): Promise<ReturnType<typeof resources>> {
  for (let i = 0; i < 5; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return resources();
}

/**
 * Expects this process's resources to come back to `before`. The Linux
 * runtime reaps a closed peer's socket pairs on its monitor thread, a moment
 * after the peer let go: counts are retried for a while (a liveness bound,
 * not a measurement) before the comparison fails.
 */
export async function expectResourcesBackTo(before: ReturnType<typeof resources>): Promise<void> {
  const limit = Date.now() + PATIENCE_MS;
  let now = await settledResources();
  while (JSON.stringify(now) !== JSON.stringify(before) && Date.now() < limit) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = await settledResources();
  }
  expect(now).toEqual(before);
}

/**
 * Registers a check that the file leaves descriptors and names as it found
 * them: call at the top of a test file with vitest's beforeAll/afterAll.
 */
export function trackLeaks(hooks: { beforeAll: (fn: () => Promise<void>) => void; afterAll: (fn: () => Promise<void>) => void }): void {
  let before: ReturnType<typeof resources> | undefined;
  hooks.beforeAll(async () => {
    // Warm up what Node and the runtime create once per process: signal pipes for children, and
    // the Linux runtime's monitor thread (started by the first dead-name request on a foreign port).
    const child = await startAgent('exit-on-request');
    const notify = allocatePort();
    const dead = new Promise((resolve) => notify.once('dead-name', resolve));
    child.childPort.requestNotification('dead-name', notify);
    await child.childPort.send({ id: 1 });
    await dead;
    await child.finish();
    notify.close();
    before = await settledResources();
  });
  hooks.afterAll(async () => {
    await expectResourcesBackTo(before!);
  });
}
