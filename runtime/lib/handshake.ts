// Runtime API: the child handshake. A parent spawns a child and hands it
// named port rights; the child claims them first thing and offers its own
// in the same exchange, so both sides can talk at once. The parent answers
// only the child it spawned for those ports (the kernel's word on the
// claim's sender pid), once; anything else gets a clear error and takes
// nothing. On Linux the child inherits one descriptor, a send right to a
// rendezvous port of its own; on macOS it finds the parent's bootstrap
// service. The protocol lives in C++ (runtime/src/handshake/), shared with
// native parents and children; this layer adds child_process and promises.
//
// Ownership: a handed or offered Port given bare sends what a message would
// (a send right made from a receive right, a copy of a send right, a
// send-once right moved); {port, disposition} says it exactly. Made and
// copied rights leave your Port untouched. A moved right belongs to the
// handshake from the call on: the Port closes at once, and the right reaches
// the other side or is destroyed. Received rights arrive as Ports you own.

import {
  spawn,
  type ChildProcess,
  type ForkOptions,
  type SpawnOptions,
  type StdioOptions,
} from 'node:child_process';

import { MachError } from './errors.js';
import { dispositionNumber, type Disposition, type PortTransfer } from './message.js';
import { native } from './native.js';
import { Port } from './port.js';

/** The handshake part of the addon (runtime/src/addon/handshake.cc). */
interface HandshakeNative {
  HandshakeParent: new (
    onOutcome: (ticket: number, code: number, pid: number, ports: [string, Port | null][]) => void,
    servicePrefix: string,
  ) => NativeHandshakeParent;
  handshakeClaim(
    offer: [string, number, number][],
    timeoutMs: number,
  ): Promise<[number, [string, Port | null][]]>;
  claimStatus(): number;
  handshakeErrorString(code: number): string;
}

interface NativeHandshakeParent {
  prepare(ports: [string, number, number][], childFd: number): [number, number, string, number];
  started(ticket: number, pid: number): number;
  abandon(ticket: number): number;
  refused(): number;
  closeEndpoint(fd: number): void;
}

const addon = native as unknown as HandshakeNative;

/** The environment variable a spawned child finds its parent by (removed as the runtime loads). */
export const HANDSHAKE_ENV = 'TSMIG_HANDSHAKE';
// Worker threads got a copy of the environment: it goes there too.
delete process.env[HANDSHAKE_ENV];

const MAX_PORTS = 64;
const MAX_NAME_BYTES = 127;
const DEFAULT_TIMEOUT_MS = 30_000;
const NO_TIMEOUT = 0xffffffff;
const DEFAULT_PREFIX = 'org.tsmig.handshake';

// The handshake's own codes (TSMIG_HANDSHAKE_ERROR(n) in <tsmig/handshake.h>): err_local | err_sub(0x74) | n.
const HANDSHAKE_ERROR_BASE = ((0x3e << 26) | (0x74 << 14)) >>> 0;
const HANDSHAKE_CODES = [
  'NO_PARENT',
  'ALREADY_CLAIMED',
  'BAD_ENVIRONMENT',
  'UNREACHABLE',
  'NOT_CHILD',
  'BAD_TOKEN',
  'BAD_MESSAGE',
  'CHILD_EXITED',
  'TIMED_OUT',
  'CHILD_GONE',
  'SPAWN_FAILED',
  'CHECK_IN_DENIED',
  'PARENT_GONE',
  'INVALID_PORTS',
  'UNKNOWN_TICKET',
] as const;

/** A handshake failure's name, as in <tsmig/handshake.h> (`TSMIG_HANDSHAKE_CHILD_EXITED`...). */
export type HandshakeErrorCode = `TSMIG_HANDSHAKE_${(typeof HANDSHAKE_CODES)[number]}`;

function handshakeCodeName(code: number): HandshakeErrorCode | undefined {
  const n = (code >>> 0) - HANDSHAKE_ERROR_BASE;
  return n >= 1 && n <= HANDSHAKE_CODES.length
    ? `TSMIG_HANDSHAKE_${HANDSHAKE_CODES[n - 1]}`
    : undefined;
}

/** Why a handshake failed: the code's name, the runtime's sentence, and the child when there is one. */
export class HandshakeError extends Error {
  /** E.g. `TSMIG_HANDSHAKE_CHILD_EXITED`. */
  readonly code: HandshakeErrorCode;
  /** The numeric code (a kern_return_t of the handshake's error space). */
  readonly machCode: number;
  /** The spawned child (parent side), for its exit status or to kill it. */
  readonly child: ChildProcess | undefined;

  constructor(machCode: number, detail?: string, child?: ChildProcess) {
    const sentence = addon.handshakeErrorString(machCode);
    super(detail === undefined ? sentence : `${sentence} (${detail})`);
    this.name = 'HandshakeError';
    this.code = handshakeCodeName(machCode)!;
    this.machCode = machCode >>> 0;
    this.child = child;
  }
}

/** A HandshakeError for the handshake's own codes, a MachError for any other. */
function failure(code: number, detail?: string, child?: ChildProcess): Error {
  return handshakeCodeName(code) !== undefined
    ? new HandshakeError(code, detail, child)
    : new MachError(code);
}

const CODE = Object.fromEntries(
  HANDSHAKE_CODES.map((name, i) => [name, HANDSHAKE_ERROR_BASE + i + 1]),
) as Record<(typeof HANDSHAKE_CODES)[number], number>;

// ---- ports ----------------------------------------------------------------------

/** A port to hand over: a Port (what a message would send) or a Port with an exact disposition. */
export type HandedPort = Port | PortTransfer;

const ALLOWED: Record<string, readonly Disposition[]> = {
  receive: ['make-send', 'make-send-once', 'move-receive'],
  send: ['copy-send', 'move-send'],
  'send-once': ['move-send-once'],
  'dead-name': ['copy-send', 'move-send'],
};
const DEFAULT_DISPOSITION: Record<string, Disposition> = {
  receive: 'make-send',
  send: 'copy-send',
  'send-once': 'move-send-once',
  'dead-name': 'copy-send',
};
const MOVES: ReadonlySet<Disposition> = new Set(['move-receive', 'move-send', 'move-send-once']);

interface ResolvedPorts {
  entries: [string, number, number][];
  moved: Port[];
}

/** Checks a name → port record completely (throws before anything is taken). */
function resolvePorts(ports: unknown, what: string): ResolvedPorts {
  if (ports === undefined) return { entries: [], moved: [] };
  if (typeof ports !== 'object' || ports === null || Array.isArray(ports)) {
    throw new TypeError(`${what}: expected an object of named Ports`);
  }
  const named = Object.entries(ports as Record<string, unknown>);
  if (named.length > MAX_PORTS) throw new RangeError(`${what}: at most ${MAX_PORTS} ports`);
  const entries: [string, number, number][] = [];
  const moved: Port[] = [];
  for (const [name, value] of named) {
    const bytes = Buffer.byteLength(name);
    if (bytes === 0 || bytes > MAX_NAME_BYTES || name.includes('\0')) {
      throw new RangeError(
        `${what}: port names are 1 to ${MAX_NAME_BYTES} bytes without NUL (got ${JSON.stringify(name)})`,
      );
    }
    const transfer =
      value !== null && typeof value === 'object' && !(value instanceof Port)
        ? (value as PortTransfer)
        : undefined;
    const port = transfer !== undefined ? transfer.port : value;
    if (!(port instanceof Port))
      throw new TypeError(`${what}.${name}: expected a Port or { port, disposition }`);
    if (port.closed) throw new TypeError(`${what}.${name}: the Port is closed`);
    const right = port.right;
    const disposition = transfer !== undefined ? transfer.disposition : DEFAULT_DISPOSITION[right];
    if (!ALLOWED[right]?.includes(disposition)) {
      throw new TypeError(
        `${what}.${name}: a ${right} right cannot be handed over with ${String(disposition)} (use ${(ALLOWED[right] ?? []).join(' or ') || 'another right'})`,
      );
    }
    if (MOVES.has(disposition)) {
      if (moved.includes(port))
        throw new TypeError(`${what}.${name}: the same Port is moved twice`);
      moved.push(port);
    }
    entries.push([name, port.name, dispositionNumber(disposition)]);
  }
  return { entries, moved };
}

/** Moved rights become the handshake's: their Ports close without releasing (the names stay valid). */
function handOver(moved: readonly Port[]): void {
  for (const port of moved) port.detach();
}

function namedPorts(received: [string, Port | null][]): Record<string, Port> {
  // A right that died before it arrived has no Port: it is left out.
  return Object.fromEntries(received.filter((entry): entry is [string, Port] => entry[1] !== null));
}

function timeoutMs(value: unknown, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === Infinity) return NO_TIMEOUT;
  // setTimeout's limit (2^31 - 1 ms, about 24.8 days) bounds it too.
  if (typeof value !== 'number' || !(value > 0) || value > 0x7fffffff) {
    throw new RangeError(
      `${what} must be a number of milliseconds from 1 to 2^31 - 1, or Infinity`,
    );
  }
  return Math.ceil(value);
}

// ---- parent ---------------------------------------------------------------------

/** Options of spawnWithPorts(): child_process.spawn's, and the handshake's. */
export interface SpawnWithPortsOptions extends SpawnOptions {
  /** The ports the child claims, by name. */
  ports?: Record<string, HandedPort>;
  /**
   * Milliseconds the child has to claim (default 30 000; Infinity: no
   * limit). When it passes, the promise rejects and the child is sent
   * `killSignal` (default 'SIGTERM').
   */
  claimTimeout?: number;
  /** macOS: prefix of the rendezvous service name (sandboxed apps need one they may use). Default 'org.tsmig.handshake'. */
  servicePrefix?: string;
}

/** Options of forkWithPorts(): child_process.fork's, and the handshake's. */
export interface ForkWithPortsOptions extends ForkOptions {
  /** As for spawnWithPorts(). */
  ports?: Record<string, HandedPort>;
  /** As for spawnWithPorts(). */
  claimTimeout?: number;
  /** As for spawnWithPorts(). */
  servicePrefix?: string;
}

/** What spawnWithPorts() resolves with: the child, and the ports it offered when it claimed. */
export interface SpawnedWithPorts {
  child: ChildProcess;
  ports: Record<string, Port>;
}

/** The promise spawnWithPorts() returns, with the child at hand before the claim. */
export type SpawnWithPortsPromise = Promise<SpawnedWithPorts> & { readonly child: ChildProcess };

interface Waiting {
  child: ChildProcess;
  resolve(value: SpawnedWithPorts): void;
  reject(error: Error): void;
  end(): void;
}

/** One native parent per service prefix in this thread, with the tickets it is waiting for. */
class Rendezvous {
  readonly native: NativeHandshakeParent;
  readonly waiting = new Map<number, Waiting>();

  constructor(prefix: string) {
    this.native = new addon.HandshakeParent(
      (ticket, code, pid, ports) => this.outcome(ticket, code, pid, ports),
      prefix,
    );
  }

  private outcome(ticket: number, code: number, pid: number, ports: [string, Port | null][]): void {
    const waiting = this.waiting.get(ticket);
    if (waiting === undefined) {
      // Nobody waits any more (the child's exit was seen first): the offered rights have no taker.
      for (const [, port] of ports) port?.close();
      return;
    }
    waiting.end();
    if (code === 0) {
      waiting.resolve({ child: waiting.child, ports: namedPorts(ports) });
    } else {
      waiting.reject(failure(code, `pid ${pid}`, waiting.child));
    }
  }
}

const rendezvous = new Map<string, Rendezvous>();

function rendezvousFor(prefix: string): Rendezvous {
  let r = rendezvous.get(prefix);
  if (r === undefined) {
    r = new Rendezvous(prefix);
    rendezvous.set(prefix, r);
  }
  return r;
}

/** The stdio array spawn() would use, so one more descriptor can follow it. */
function stdioArray(stdio: StdioOptions | undefined): unknown[] {
  if (stdio === undefined) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  if (!Array.isArray(stdio)) throw new TypeError('stdio must be a string or an array');
  const copy: unknown[] = [...stdio];
  // Entries 0–2 left out mean the default ('pipe'), as spawn() reads them.
  while (copy.length < 3) copy.push(undefined);
  return copy;
}

/**
 * Spawns `command` as child_process.spawn() does (every option works: stdio
 * including 'ipc', env, cwd, detached...) and hands it `options.ports`.
 * Resolves once the child has claimed them (claimParentPorts() or
 * tsmig::claim_parent_ports()) with the child and the ports it offered.
 * Rejects with a HandshakeError when the child exits first
 * (TSMIG_HANDSHAKE_CHILD_EXITED, as soon as it exits), does not claim in
 * `claimTimeout` (TSMIG_HANDSHAKE_TIMED_OUT: the child is killed), or stops
 * waiting for the answer; with spawn's own error when it cannot start. In
 * every failure every right held for the child is destroyed. The returned
 * promise also has `.child` at once (read its pipes from the start).
 *
 * Throws at once, taking nothing, for mistakes in the handshake's own
 * arguments; throws when the rendezvous cannot be made
 * (TSMIG_HANDSHAKE_CHECK_IN_DENIED: give a sandboxed macOS app a
 * `servicePrefix` it may use) or spawn() itself throws — moved rights are
 * destroyed then. While the claim is pending the event loop stays alive.
 * Claims are answered on the event loop: children spawned in one burst
 * wait until it is free again (spawn() itself is synchronous), within their
 * own claim timeout (30 s by default).
 * The claimant must be the spawned process itself (exec is fine, a fork is
 * not): with `shell: true` the shell must exec the command.
 */
export function spawnWithPorts(
  command: string,
  args?: readonly string[] | SpawnWithPortsOptions,
  options?: SpawnWithPortsOptions,
): SpawnWithPortsPromise {
  if (!Array.isArray(args)) {
    options = args as SpawnWithPortsOptions | undefined;
    args = [];
  }
  const { ports, claimTimeout, servicePrefix, ...spawnOptions } = options ?? {};
  if (typeof command !== 'string' || command.length === 0)
    throw new TypeError('spawnWithPorts: command must be a non-empty string');
  const timeout = timeoutMs(claimTimeout, 'spawnWithPorts: claimTimeout', DEFAULT_TIMEOUT_MS);
  const prefix = servicePrefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(prefix)) {
    throw new TypeError(
      'spawnWithPorts: servicePrefix is 1 to 64 characters of A–Z, a–z, 0–9, ".", "_" and "-"',
    );
  }
  const resolved = resolvePorts(ports, 'spawnWithPorts: ports');
  const stdio = stdioArray(spawnOptions.stdio);
  const childFd = stdio.length;

  const r = rendezvousFor(prefix);
  handOver(resolved.moved);
  const [code, ticket, environmentValue, inheritFd] = r.native.prepare(resolved.entries, childFd);
  // No child without a rendezvous (e.g. TSMIG_HANDSHAKE_CHECK_IN_DENIED in a macOS sandbox).
  if (code !== 0) throw failure(code);
  if (inheritFd >= 0) stdio.push(inheritFd);
  let child: ChildProcess;
  try {
    child = spawn(command, args as readonly string[], {
      ...spawnOptions,
      stdio: stdio as StdioOptions,
      env: { ...(spawnOptions.env ?? process.env), [HANDSHAKE_ENV]: environmentValue },
    });
  } catch (error) {
    r.native.abandon(ticket);
    throw error;
  } finally {
    // The child has its copy (spawn returns after exec): ours must not reach anyone else.
    if (inheritFd >= 0) r.native.closeEndpoint(inheritFd);
  }

  const promise = new Promise<SpawnedWithPorts>((resolve, reject) => {
    if (child.pid === undefined) {
      // spawn() reports a failure to start (ENOENT...) as an 'error' event.
      r.native.abandon(ticket);
      child.once('error', reject);
      return;
    }
    const onExit = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      r.native.abandon(ticket);
      waiting.end();
      const how = signal !== null ? `killed by ${signal}` : `exit code ${exitCode}`;
      reject(failure(CODE.CHILD_EXITED, `pid ${child.pid}, ${how}`, child));
    };
    const timer =
      timeout === NO_TIMEOUT
        ? undefined
        : setTimeout(() => {
            r.native.abandon(ticket);
            waiting.end();
            child.kill(spawnOptions.killSignal ?? 'SIGTERM');
            reject(
              failure(
                CODE.TIMED_OUT,
                `pid ${child.pid} did not claim its ports in ${timeout} ms`,
                child,
              ),
            );
          }, timeout);
    const waiting: Waiting = {
      child,
      resolve,
      reject,
      end() {
        r.waiting.delete(ticket);
        child.off('exit', onExit);
        if (timer !== undefined) clearTimeout(timer);
      },
    };
    r.waiting.set(ticket, waiting);
    child.once('exit', onExit);
    // Claims held for this pid (never in practice: the pid is known before any claim is read) are answered now.
    const started = r.native.started(ticket, child.pid);
    if (started !== 0 && r.waiting.has(ticket)) {
      r.native.abandon(ticket);
      waiting.end();
      reject(failure(started, undefined, child));
    }
  });
  return Object.assign(promise, { child }) as SpawnWithPortsPromise;
}

/**
 * child_process.fork() with ports: runs `modulePath` with Node
 * (`execPath`, `execArgv`) and an IPC channel, as fork() does, and hands the
 * child `options.ports` as spawnWithPorts() does.
 */
export function forkWithPorts(
  modulePath: string,
  args?: readonly string[] | ForkWithPortsOptions,
  options?: ForkWithPortsOptions,
): SpawnWithPortsPromise {
  if (!Array.isArray(args)) {
    options = args as ForkWithPortsOptions | undefined;
    args = [];
  }
  if (typeof modulePath !== 'string' || modulePath.length === 0)
    throw new TypeError('forkWithPorts: modulePath must be a non-empty string');
  const { execPath, execArgv, silent, stdio, ...rest } = options ?? {};
  let forkStdio: StdioOptions;
  if (typeof stdio === 'string') {
    forkStdio = [stdio, stdio, stdio, 'ipc'];
  } else if (Array.isArray(stdio)) {
    if (!stdio.includes('ipc'))
      throw new TypeError("forkWithPorts: stdio must include 'ipc', as fork()'s does");
    forkStdio = stdio;
  } else {
    forkStdio = silent ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['inherit', 'inherit', 'inherit', 'ipc'];
  }
  const argv = [...(execArgv ?? process.execArgv), modulePath, ...(args as readonly string[])];
  return spawnWithPorts(execPath ?? process.execPath, argv, {
    ...rest,
    stdio: forkStdio,
    shell: false,
  });
}

/** Claims this thread's parents refused so far (impostors, malformed claims): for diagnostics and tests. */
export function refusedClaims(servicePrefix: string = DEFAULT_PREFIX): number {
  return rendezvous.get(servicePrefix)?.native.refused() ?? 0;
}

// ---- child ----------------------------------------------------------------------

/** Options of claimParentPorts(). */
export interface ClaimOptions {
  /** This process's own ports for the parent, by name (what spawnWithPorts() resolves `ports` with). */
  ports?: Record<string, HandedPort>;
  /** Milliseconds to wait for the parent's answer (default 30 000; Infinity: no limit). */
  timeout?: number;
}

/** Whether this process was started with ports (spawnWithPorts, tsmig_spawn_with_ports) it has not claimed yet. */
export function startedWithPorts(): boolean {
  return addon.claimStatus() === 0;
}

/**
 * Claims the ports the parent handed to this process and offers
 * `options.ports` in return. Resolves with the parent's ports by name.
 * One claim per process. Rejects with a HandshakeError:
 * TSMIG_HANDSHAKE_NO_PARENT (not started with ports) and ALREADY_CLAIMED
 * take nothing; after those, moved rights are the claim's whatever happens
 * (NOT_CHILD: the parent refused this process; UNREACHABLE: the rendezvous
 * is not this process's; PARENT_GONE, TIMED_OUT...).
 */
export async function claimParentPorts(options: ClaimOptions = {}): Promise<Record<string, Port>> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('claimParentPorts: options must be an object');
  const timeout = timeoutMs(options.timeout, 'claimParentPorts: timeout', DEFAULT_TIMEOUT_MS);
  const resolved = resolvePorts(options.ports, 'claimParentPorts: ports');
  const status = addon.claimStatus();
  if (status !== 0) throw failure(status);
  handOver(resolved.moved);
  const [code, ports] = await addon.handshakeClaim(resolved.entries, timeout);
  if (code !== 0) throw failure(code);
  return namedPorts(ports);
}
