// Helpers of the generated-TypeScript tests: stubs generated now by the
// emitter under test and compiled to JavaScript (so a plain `node` child can
// import them too), child processes started with the runtime's handshake
// (spawnWithPorts here, claimParentPorts in the child, which offers its own
// ports by name), and counts of this process's descriptors and port names
// to prove nothing leaks. Everything here imports the runtime as
// 'tsmig' — the module generated stubs import — so one runtime instance
// owns every Port in a test.

import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { expect } from 'vitest';
import { spaceStats, spawnWithPorts, type HandedPort, type Port } from 'tsmig';
import { compileDefs } from '../../generator/check/compile.js';
import { emit } from '../../generator/emit/index.js';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
const runtimeUrl = pathToFileURL(join(repoRoot, 'dist', 'runtime', 'lib', 'index.js')).href;

/** Liveness bound for waits that must end: generous, never a measurement. */
export const PATIENCE_MS = 20_000;

/**
 * Generates the TypeScript stubs of a .defs file, compiles them to an ES
 * module (importing this repository's runtime build) and returns its path:
 * <tmpdir>/tsmig-test-stubs/<base>-<hash of the text>.mjs, so runs reuse one
 * file per distinct output instead of piling up temporary directories
 * (written through a rename: parallel test files may race). Not under
 * node_modules: vitest would load it outside its module graph, with a second
 * copy of the runtime.
 */
export async function compiledStubs(defsFile: string): Promise<string> {
  const result = compileDefs({ file: defsFile });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('\n'));
  const base = basename(defsFile, '.defs');
  const files = await emit({ ir: result.ir, layouts: result.layouts, baseName: base, sourceName: basename(defsFile) }, ['ts']);
  const js = ts.transpileModule(files.get(`${base}.ts`)!, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText.replace(/from 'tsmig'/g, `from ${JSON.stringify(runtimeUrl)}`);
  const dir = join(tmpdir(), 'tsmig-test-stubs');
  const file = join(dir, `${base}-${createHash('sha256').update(js).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, js);
    renameSync(temporary, file);
  }
  return file;
}

/** A child process started with the handshake. */
export interface Child {
  process: ChildProcess;
  /** The ports the child offered when it claimed, by the names it gave them. */
  ports: Record<string, Port>;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Releases the ports the child offered (the test children exit once nothing holds them) and waits for it to exit, failing if it failed. */
  finish(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node script args` with spawnWithPorts (handing it `ports`, none by
 * default) and waits until the child has claimed them with
 * claimParentPorts, which gives this process the child's own ports.
 */
export async function startChild(
  script: string,
  args: readonly string[],
  options: { nodeArgs?: readonly string[]; ports?: Record<string, HandedPort> } = {},
): Promise<Child> {
  const spawning = spawnWithPorts(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ports: options.ports ?? {},
    claimTimeout: PATIENCE_MS,
  });
  const child = spawning.child;
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // The child's stderr says why, when it fails before claiming.
  const { ports } = await spawning.catch(async (error: unknown) => {
    await exited;
    throw new Error(`${String(error)}\n${err}`);
  });
  return {
    process: child,
    ports,
    stdout: () => out,
    exited,
    async finish() {
      for (const port of Object.values(ports)) port.close();
      const result = await exited;
      if (result.code !== 0 && result.signal === null) throw new Error(`child failed (code ${result.code}):\n${err}`);
      return result;
    },
  };
}

// The collector, so counts are taken once unreachable Ports and regions are released.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Runs the collector and lets finalizers run (a few turns of the event loop, no clock). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** What this process holds now, once garbage is collected. */
export async function settledResources(): Promise<Record<string, number>> {
  await settle();
  return resources();
}

/** What this process holds: descriptors and port names by kind. */
export function resources(): Record<string, number> {
  const stats = spaceStats();
  return {
    fds: readdirSync('/proc/self/fd').length,
    names: stats.names,
    receive: stats.receiveRights,
    send: stats.sendRights,
    sendOnce: stats.sendOnceRights,
    dead: stats.deadNames,
    oolBytes: stats.outOfLineBytes,
  };
}

/**
 * Expects this process's resources back at `before`. The Linux runtime
 * reaps a peer's socket pairs on its monitor thread a moment after the peer
 * lets go: counts are retried for a while (a liveness bound) before failing.
 */
export async function expectResourcesBackTo(before: Record<string, number>): Promise<void> {
  const limit = Date.now() + PATIENCE_MS;
  let now = await settledResources();
  while (JSON.stringify(now) !== JSON.stringify(before) && Date.now() < limit) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = await settledResources();
  }
  expect(now).toEqual(before);
}

/** Waits until `predicate` holds (a liveness bound, polled on the event loop). */
export async function waitFor(predicate: () => boolean): Promise<void> {
  const limit = Date.now() + PATIENCE_MS;
  while (!predicate()) {
    if (Date.now() > limit) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
