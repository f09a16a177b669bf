// Runtime API: the native addon. Finds `build/Release/tsmig.node` from the
// package root (the nearest package.json named "tsmig" above this file, so it
// works from dist/ and from the TypeScript sources under vitest) and types
// the functions it exports. Only this directory calls them: they trust their
// arguments to have been checked and report Mach failures as return codes.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The native object behind every Port and PortSet. */
export interface NativePortHandle {
  readonly __nativePort: never;
}

/** Constructor of NativePortHandle: only the runtime has the token it needs. */
export type NativePortConstructor = new (token: object, name: number, right: number) => NativePortHandle;

/** A send waiting for room in the destination's queue. */
export interface PendingSendHandle {
  readonly __pendingSend: never;
}

/** [code, value]: a Mach code beside a result. */
export type CodeAnd<T> = [number, T];

/** An out-of-line-ports descriptor as received: the names and the Ports that own them. */
export type ReceivedPortArray = [Uint32Array, (NativePortHandle | null)[]];

/** What the addon exports (see runtime/src/addon/). */
export interface NativeModule {
  NativePort: NativePortConstructor;
  token: object;
  register(parts: {
    Port: NativePortConstructor;
    PortSet: NativePortConstructor;
    dispatch: (
      port: NativePortHandle,
      code: number,
      bytesOrSize?: Uint8Array | number,
      ports?: (NativePortHandle | null)[],
      ool?: Uint8Array[],
      oolPorts?: ReceivedPortArray[],
    ) => void;
    sendDone: (pending: PendingSendHandle, code: number) => void;
  }): void;
  allocate(right: number): NativePortHandle | number;
  adopt(name: number, right: number): NativePortHandle;
  nameOf(port: NativePortHandle): number;
  /** -1 when closed, else name + right × 2^32. */
  stateOf(port: NativePortHandle): number;
  rightOf(port: NativePortHandle): number;
  close(port: NativePortHandle): boolean;
  detach(port: NativePortHandle): number;
  makeSend(port: NativePortHandle): NativePortHandle | number;
  copySend(port: NativePortHandle): NativePortHandle | number;
  makeSendOnce(port: NativePortHandle): NativePortHandle | number;
  refs(port: NativePortHandle, right: number): CodeAnd<number>;
  type(port: NativePortHandle): CodeAnd<number>;
  setQueueLimit(port: NativePortHandle, limit: number): number;
  requestNotification(
    port: NativePortHandle,
    msgid: number,
    sync: number,
    notify: NativePortHandle | null,
  ): CodeAnd<NativePortHandle | null>;
  moveMember(port: NativePortHandle, set: NativePortHandle | null): number;
  toDescriptor(port: NativePortHandle): CodeAnd<number>;
  fromDescriptor(fd: number): CodeAnd<NativePortHandle | null>;
  spaceStats(): NativeSpaceStats | number;
  watch(port: NativePortHandle, maxSize: number, trailerElements: number, wanted: number): number;
  unwatch(port: NativePortHandle): void;
  keepAlive(port: NativePortHandle, keep: boolean): void;
  receiveNow(
    port: NativePortHandle,
    maxSize: number,
    trailerElements: number,
  ): [number, (Uint8Array | number)?, (NativePortHandle | null)[]?, Uint8Array[]?, ReceivedPortArray[]?];
  send(
    bytes: Uint8Array,
    ool: readonly Uint8Array[] | undefined,
    oolPorts: readonly Uint32Array[] | undefined,
    moved: readonly NativePortHandle[] | undefined,
    timeoutMs: number,
  ): number | PendingSendHandle;
  cancelSend(pending: PendingSendHandle, code: number): void;
  allocateOutOfLine(size: number): Uint8Array | number;
  releaseOutOfLine(view: Uint8Array): number;
  isOutOfLineRegion(view: Uint8Array): boolean;
}

/** Counts of the task's name space and what the runtime holds (see tsmig_space_stats). */
export interface NativeSpaceStats {
  names: number;
  receiveRights: number;
  sendRights: number;
  sendOnceRights: number;
  portSets: number;
  deadNames: number;
  descriptors: number;
  outOfLineBytes: number;
  /** Malformed messages the runtime received and destroyed (0 on macOS). */
  rejectedMessages: number;
  /** Send-once rights made from the send-once pool rather than a new socket pair (0 on macOS). */
  sendOnceReused: number;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tsmig') {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tsmig: cannot find the package root (package.json named "tsmig") above ' + import.meta.url);
    dir = parent;
  }
}

function load(): NativeModule {
  const root = packageRoot();
  const addon = join(root, 'build', 'Release', 'tsmig.node');
  if (!existsSync(addon)) {
    throw new Error(`tsmig: the native addon is not built (${addon} is missing); run \`npm install\` in ${root}`);
  }
  return createRequire(import.meta.url)(addon) as NativeModule;
}

/** The addon of this thread (each worker thread loads its own instance). */
export const native: NativeModule = load();
