// Runtime API: sending raw messages. Checks a RawMessage precisely before
// the addon sees it, sends without blocking, and keeps Mach's order per
// destination: when a queue is full the send waits in the addon (on the
// runtime's send watch descriptor, not a thread) and later sends to the same
// destination wait behind it.

import {
  MACH_MSGH_BITS_COMPLEX,
  MACH_MSG_BODY_SIZE,
  MACH_MSG_HEADER_SIZE,
  MACH_MSG_OOL_DESCRIPTOR,
  MACH_MSG_OOL_DESCRIPTOR_SIZE,
  MACH_MSG_OOL_PORTS_DESCRIPTOR,
  MACH_MSG_OOL_PORTS_DESCRIPTOR_SIZE,
  MACH_MSG_PORT_DESCRIPTOR,
  MACH_MSG_PORT_DESCRIPTOR_SIZE,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_SEND_INTERRUPTED,
  MACH_SEND_TIMED_OUT,
} from './constants.js';
import { MachError } from './errors.js';
import type { RawMessage } from './message.js';
import { native, type NativePortHandle, type PendingSendHandle } from './native.js';
import { afterMoveAttempt, Port } from './port.js';

/** Options of send(). */
export interface SendOptions {
  /** Milliseconds to wait for room in a full queue (then MACH_SEND_TIMED_OUT); 0: fail at once. Default: no limit. */
  readonly timeout?: number;
  /** Abandons a send still waiting for room (its rights stay with their Ports). */
  readonly signal?: AbortSignal;
}

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const RESOLVED = Promise.resolve();
const NONE: readonly never[] = Object.freeze([]);
const NO_OPTIONS: SendOptions = Object.freeze({});

function word(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

function isSendDisposition(d: number): boolean {
  return d >= MACH_MSG_TYPE_MOVE_SEND && d <= MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

function isPortDisposition(d: number): boolean {
  return d >= MACH_MSG_TYPE_MOVE_RECEIVE && d <= MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

/** Where a move disposition names a right, for matching `moved`. */
interface Move {
  name: number;
  disposition: number;
  where: string;
  claimed: boolean;
}

function fail(text: string): never {
  throw new TypeError(`sendRaw: ${text}`);
}

/** Checks a raw message the way the addon and the kernel will, with errors that say where the problem is. */
export function checkRawMessage(message: RawMessage): void {
  if (typeof message !== 'object' || message === null) fail('expected a message object');
  const { bytes } = message;
  if (!(bytes instanceof Uint8Array)) fail('message.bytes must be a Uint8Array');
  if (bytes.length < MACH_MSG_HEADER_SIZE || bytes.length % 4 !== 0 || bytes.length > MAX_MESSAGE_BYTES) {
    fail(`message.bytes has ${bytes.length} bytes: a message is a whole number of 4-byte words, from the 24-byte header up to 64 MiB`);
  }
  const bits = word(bytes, 0);
  const remote = bits & 0x1f;
  const local = (bits >>> 8) & 0x1f;
  const voucher = (bits >>> 16) & 0x1f;
  if (!isSendDisposition(remote)) fail(`the destination disposition (msgh_bits & 0x1f) is ${remote}: it must be 17–21 (a send or send-once disposition)`);
  if (local !== 0 && !isSendDisposition(local)) fail(`the reply port disposition is ${local}: it must be 0 or 17–21`);
  if (local === 0 && word(bytes, 12) !== 0) fail('msgh_local_port names a port but its disposition is 0');
  if (voucher !== 0 && voucher !== MACH_MSG_TYPE_MOVE_SEND && voucher !== MACH_MSG_TYPE_COPY_SEND) {
    fail(`the voucher disposition is ${voucher}: it must be 0, 17 or 19`);
  }
  // Where rights move, only needed to check `moved` (the common message moves nothing).
  const moved = message.moved ?? NONE;
  if (!Array.isArray(moved)) fail('message.moved must be an array of Ports');
  const moves: Move[] | undefined = moved.length > 0 ? [] : undefined;
  const noteMove = (name: number, disposition: number, where: string): void => {
    if (disposition === MACH_MSG_TYPE_MOVE_RECEIVE || disposition === MACH_MSG_TYPE_MOVE_SEND || disposition === MACH_MSG_TYPE_MOVE_SEND_ONCE) {
      moves!.push({ name, disposition, where, claimed: false });
    }
  };
  if (moves !== undefined) {
    noteMove(word(bytes, 8), remote, 'msgh_remote_port');
    noteMove(word(bytes, 12), local, 'msgh_local_port');
  }
  const ool = message.ool ?? NONE;
  const oolPorts = message.oolPorts ?? NONE;
  if (!Array.isArray(ool) || !Array.isArray(oolPorts)) fail('message.ool and message.oolPorts must be arrays');
  if ((bits & MACH_MSGH_BITS_COMPLEX) === 0) {
    if (ool.length > 0 || oolPorts.length > 0) fail('out-of-line data needs a complex message (MACH_MSGH_BITS_COMPLEX) with descriptors');
  } else {
    if (bytes.length < MACH_MSG_HEADER_SIZE + MACH_MSG_BODY_SIZE) fail('a complex message needs its descriptor count after the header');
    const count = word(bytes, MACH_MSG_HEADER_SIZE);
    let offset = MACH_MSG_HEADER_SIZE + MACH_MSG_BODY_SIZE;
    let nextOol = 0;
    let nextPorts = 0;
    for (let i = 0; i < count; i++) {
      const at = `descriptor ${i} (byte ${offset})`;
      if (offset + MACH_MSG_PORT_DESCRIPTOR_SIZE > bytes.length) fail(`${at} runs past the end of the message (${count} descriptors announced)`);
      const type = bytes[offset + 11];
      if (type === MACH_MSG_PORT_DESCRIPTOR) {
        const disposition = bytes[offset + 10];
        if (!isPortDisposition(disposition)) fail(`${at}: port disposition ${disposition} is not 16–21`);
        if (moves !== undefined) noteMove(word(bytes, offset), disposition, at);
        offset += MACH_MSG_PORT_DESCRIPTOR_SIZE;
      } else if (type === MACH_MSG_OOL_DESCRIPTOR) {
        if (offset + MACH_MSG_OOL_DESCRIPTOR_SIZE > bytes.length) fail(`${at} runs past the end of the message`);
        const data = ool[nextOol];
        if (!(data instanceof Uint8Array)) fail(`${at} is out-of-line data number ${nextOol}, but message.ool[${nextOol}] is not a Uint8Array`);
        const size = word(bytes, offset + 12);
        if (size !== data.byteLength) fail(`${at} says ${size} bytes but message.ool[${nextOol}] has ${data.byteLength}`);
        if (bytes[offset + 9] > 1) fail(`${at}: the copy option must be 0 (physical) or 1 (virtual)`);
        nextOol++;
        offset += MACH_MSG_OOL_DESCRIPTOR_SIZE;
      } else if (type === MACH_MSG_OOL_PORTS_DESCRIPTOR) {
        if (offset + MACH_MSG_OOL_PORTS_DESCRIPTOR_SIZE > bytes.length) fail(`${at} runs past the end of the message`);
        const names = oolPorts[nextPorts];
        if (!(names instanceof Uint32Array)) fail(`${at} is out-of-line ports number ${nextPorts}, but message.oolPorts[${nextPorts}] is not a Uint32Array`);
        const disposition = bytes[offset + 10];
        if (!isPortDisposition(disposition)) fail(`${at}: port disposition ${disposition} is not 16–21`);
        const countField = word(bytes, offset + 12);
        if (countField !== names.length) fail(`${at} says ${countField} ports but message.oolPorts[${nextPorts}] has ${names.length}`);
        if (moves !== undefined) names.forEach((name, k) => noteMove(name, disposition, `${at} entry ${k}`));
        nextPorts++;
        offset += MACH_MSG_OOL_PORTS_DESCRIPTOR_SIZE;
      } else {
        fail(`${at} has type ${type}: only port (0), out-of-line (1) and out-of-line ports (2) descriptors are supported`);
      }
    }
    if (nextOol !== ool.length) fail(`message.ool has ${ool.length} buffers for ${nextOol} out-of-line descriptors`);
    if (nextPorts !== oolPorts.length) fail(`message.oolPorts has ${oolPorts.length} arrays for ${nextPorts} out-of-line-ports descriptors`);
  }
  if (moves === undefined) return;
  const seen = new Set<Port>();
  moved.forEach((port, i) => {
    if (!(port instanceof Port)) fail(`message.moved[${i}] is not a Port`);
    if (port.closed) fail(`message.moved[${i}] is closed`);
    if (seen.has(port)) fail(`message.moved[${i}] is listed twice`);
    seen.add(port);
    const right = port.right;
    const fits = (d: number): boolean =>
      right === 'receive'
        ? d === MACH_MSG_TYPE_MOVE_RECEIVE
        : right === 'send'
          ? d === MACH_MSG_TYPE_MOVE_SEND
          : right === 'send-once'
            ? d === MACH_MSG_TYPE_MOVE_SEND_ONCE
            : d === MACH_MSG_TYPE_MOVE_SEND || d === MACH_MSG_TYPE_MOVE_SEND_ONCE;
    const move = moves.find((m) => !m.claimed && m.name === port.name && fits(m.disposition));
    if (move === undefined) {
      fail(`message.moved[${i}] (name 0x${port.name.toString(16)}, a ${right} right) appears nowhere in the message with the move disposition of its right`);
    }
    move!.claimed = true;
  });
}

function checkSendOptions(options: SendOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('send: options must be an object');
  if (options.timeout !== undefined && (typeof options.timeout !== 'number' || !(options.timeout >= 0))) {
    throw new RangeError('send: timeout must be a number of milliseconds ≥ 0');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('send: signal must be an AbortSignal');
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

interface Queued {
  message: RawMessage;
  options: SendOptions;
  deadline: number;
  resolve(): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  onAbort: (() => void) | undefined;
}

interface InFlight {
  destination: number;
  message: RawMessage;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

// Destinations with a send waiting for room, and the sends queued behind it.
const queues = new Map<number, Queued[]>();
const inFlight = new Map<PendingSendHandle, InFlight>();

/**
 * Sends a complete message (see RawMessage). Resolves once it is queued at
 * the destination; rejects with a MachError (e.g. MACH_SEND_INVALID_DEST)
 * and leaves every right with its Port when it cannot be sent.
 */
export function sendRaw(message: RawMessage, options: SendOptions = NO_OPTIONS): Promise<void> {
  checkRawMessage(message);
  if (options !== NO_OPTIONS) checkSendOptions(options);
  const destination = word(message.bytes, 8);
  const timeout = options.timeout;
  if (queues.size > 0) {
    const queue = queues.get(destination);
    if (queue !== undefined) return enqueue(queue, message, options, timeout === undefined ? Infinity : Date.now() + timeout);
  }
  return attempt(destination, message, options, timeout === undefined ? -1 : Math.ceil(timeout));
}

function attempt(destination: number, message: RawMessage, options: SendOptions, timeoutMs: number): Promise<void> {
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const moved = message.moved;
  let result: number | PendingSendHandle;
  if (moved === undefined || moved.length === 0) {
    result = native.send(message.bytes, message.ool, message.oolPorts, undefined, timeoutMs);
  } else {
    try {
      result = native.send(message.bytes, message.ool, message.oolPorts, moved as unknown as readonly NativePortHandle[], timeoutMs);
    } finally {
      // Receive rights that tried to leave follow the outcome (their watch ended first).
      afterMoveAttempt(moved);
    }
  }
  if (result === 0) return RESOLVED;
  if (typeof result === 'number') return Promise.reject(new MachError(result));
  const pending = result;
  // Later sends to this destination wait behind this one, as Mach keeps one sender's order.
  queues.set(destination, []);
  return new Promise<void>((resolve, reject) => {
    const flight: InFlight = { destination, message, signal, onAbort: undefined, resolve, reject };
    if (signal !== undefined) {
      flight.onAbort = () => {
        native.cancelSend(pending, MACH_SEND_INTERRUPTED);
        finish(pending, abortReason(signal));
      };
      signal.addEventListener('abort', flight.onAbort, { once: true });
    }
    inFlight.set(pending, flight);
  });
}

function enqueue(queue: Queued[], message: RawMessage, options: SendOptions, deadline: number): Promise<void> {
  if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
  return new Promise<void>((resolve, reject) => {
    const entry: Queued = { message, options, deadline, resolve, reject, timer: undefined, onAbort: undefined };
    const leave = (error: unknown): void => {
      const index = queue.indexOf(entry);
      if (index < 0) return;
      queue.splice(index, 1);
      settle(entry);
      reject(error);
    };
    if (deadline !== Infinity) entry.timer = setTimeout(() => leave(new MachError(MACH_SEND_TIMED_OUT)), deadline - Date.now());
    if (options.signal !== undefined) {
      const signal = options.signal;
      entry.onAbort = () => leave(abortReason(signal));
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    queue.push(entry);
  });
}

function settle(entry: Queued): void {
  if (entry.timer !== undefined) clearTimeout(entry.timer);
  if (entry.onAbort !== undefined) entry.options.signal!.removeEventListener('abort', entry.onAbort);
}

/** @internal Called by the addon when a pending send ends (0: sent). */
export function sendDone(pending: PendingSendHandle, code: number): void {
  finish(pending, code === 0 ? undefined : new MachError(code));
}

function finish(pending: PendingSendHandle, error: unknown): void {
  const flight = inFlight.get(pending);
  if (flight === undefined) return;
  inFlight.delete(pending);
  if (flight.onAbort !== undefined) flight.signal!.removeEventListener('abort', flight.onAbort);
  if (flight.message.moved !== undefined && flight.message.moved.length > 0) afterMoveAttempt(flight.message.moved);
  if (error === undefined) {
    flight.resolve();
  } else {
    flight.reject(error);
  }
  drain(flight.destination);
}

/** The send ahead finished: the ones queued behind it go, in order, until one has to wait again. */
function drain(destination: number): void {
  const queue = queues.get(destination);
  queues.delete(destination);
  if (queue === undefined) return;
  while (queue.length > 0) {
    const next = queue.shift()!;
    settle(next);
    const remaining = next.deadline === Infinity ? -1 : Math.max(0, Math.ceil(next.deadline - Date.now()));
    attempt(destination, next.message, next.options, remaining).then(next.resolve, next.reject);
    const waiting = queues.get(destination);
    if (waiting !== undefined) {
      // That one waits for room now; the rest stay behind it.
      waiting.push(...queue);
      return;
    }
  }
}
