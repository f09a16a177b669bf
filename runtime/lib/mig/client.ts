// MIG support: the client side of a call. A generated client class holds a
// MigClientCore over the server's send right; each method encodes its
// request (into the exact bytes of the layout), and the core sends it, waits
// for the reply on a reply port of its own, and hands the reply back for the
// generated decoder to check and read.
//
// Reply ports are MIG's `mig_get_reply_port()`: a receive right per call
// (sent as MAKE_SEND_ONCE), taken from a small pool so concurrent calls each
// have their own. A reply port whose call timed out, was aborted or failed to
// send is destroyed, never reused: a late reply must not reach the next call.
// A server that dies holding the send-once right wakes the call with the
// send-once notification, which the decoder turns into MIG_SERVER_DIED.

import { MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_RCV_TOO_LARGE } from '../constants.js';
import { MachError } from '../errors.js';
import type { ReceivedMessage } from '../message.js';
import { allocatePort, Port } from '../port.js';
import { sendRaw } from '../send.js';
import { errorFor } from './errors.js';
import type { PortName, WireMessage } from './wire.js';

/** Per-call options of every generated client method. */
export interface CallOptions {
  /**
   * Milliseconds the whole call may take: waiting for room in the server's
   * queue, then for the reply. Overrides the `.defs` WaitTime/SendTime.
   * Timing out throws MachError MACH_SEND_TIMED_OUT or MACH_RCV_TIMED_OUT.
   */
  readonly timeout?: number;
  /** Abandons the call (rejects with the signal's reason); its reply port is destroyed. */
  readonly signal?: AbortSignal;
}

/** Options of a generated client's constructor. */
export interface ClientOptions {
  /**
   * Timeout in milliseconds for routines whose `.defs` WaitTime names a C
   * expression rather than a number (the stubs cannot evaluate it).
   */
  readonly waitTime?: number;
}

/** How long a routine's messages may wait by default, from its `.defs` (WaitTime, SendTime, MsgOption). */
export interface RoutineTiming {
  /** Milliseconds the send may wait for room (0: fail at once); absent: no limit. */
  readonly sendTimeout?: number;
  /** Milliseconds to wait for the reply; absent: no limit. */
  readonly receiveTimeout?: number;
}

/** mach_msg option bits the stubs give a meaning to. */
const MACH_SEND_TIMEOUT = 0x10;
const MACH_RCV_TIMEOUT = 0x100;

/**
 * The timing of one call from the routine's `.defs` values: a wait time
 * (applies to the send and the receive, as MIG's MACH_SEND_TIMEOUT |
 * MACH_RCV_TIMEOUT), a send time (the send only), and the mach_msg options
 * (MACH_SEND_TIMEOUT / MACH_RCV_TIMEOUT without a time: MIG passes
 * MACH_MSG_TIMEOUT_NONE, that is 0 — do not wait).
 */
export function routineTiming(waitTime: number | undefined, sendTime: number | undefined, msgOption: number): RoutineTiming {
  const timing: { sendTimeout?: number; receiveTimeout?: number } = {};
  if (waitTime !== undefined) {
    timing.sendTimeout = waitTime;
    timing.receiveTimeout = waitTime;
  } else if (sendTime !== undefined) {
    timing.sendTimeout = sendTime;
  }
  if (timing.sendTimeout === undefined && (msgOption & MACH_SEND_TIMEOUT) !== 0) timing.sendTimeout = 0;
  if (timing.receiveTimeout === undefined && (msgOption & MACH_RCV_TIMEOUT) !== 0) timing.receiveTimeout = 0;
  return timing;
}

const NO_TIMING: RoutineTiming = Object.freeze({});

function checkCallOptions(options: CallOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('call options must be an object');
  if (options.timeout !== undefined && (typeof options.timeout !== 'number' || !(options.timeout >= 0))) {
    throw new RangeError('call options: timeout must be a number of milliseconds ≥ 0');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError('call options: signal must be an AbortSignal');
  }
}

/** Reply ports kept for reuse; more are closed when calls end. */
const POOL_LIMIT = 8;

/** A request's header and body as the runtime sends it (RawMessage), with the Ports it moves. */
function rawMessage(request: WireMessage, moved: readonly Port[] | null): WireMessage & { moved?: readonly Port[] } {
  return moved === null || moved.length === 0 ? request : { bytes: request.bytes, ool: request.ool, oolPorts: request.oolPorts, moved };
}

/** What a generated client class stands on: the server's send right, the reply ports, send and receive. */
export class MigClientCore {
  /** The destination of every request: a send right (or a receive right, which gets a send right made). */
  readonly port: Port;
  /** Constructor options of the generated client. */
  readonly options: ClientOptions;
  private readonly pool: Port[] = [];

  constructor(port: Port, options: ClientOptions = {}) {
    if (!(port instanceof Port)) throw new TypeError('a MIG client needs a Port (a send right to the server)');
    if (port.closed) throw new TypeError('a MIG client needs an open Port');
    if (typeof options !== 'object' || options === null) throw new TypeError('client options must be an object');
    this.port = port;
    this.options = options;
  }

  /** The destination with the disposition the request's header sends it with. */
  destination(disposition: number): PortName {
    return { name: this.port.name, disposition };
  }

  /**
   * The reply port the next call uses: a receive right from the pool (a new
   * one when the pool is empty). It stays in the pool until rpc() takes it,
   * so a call that fails before sending (a bad argument) loses nothing.
   */
  replyPort(): Port {
    let port = this.pool.at(-1);
    while (port !== undefined && port.closed) {
      this.pool.pop();
      port = this.pool.at(-1);
    }
    if (port === undefined) {
      port = allocatePort();
      this.pool.push(port);
    }
    return port;
  }

  /** The reply port as the request's header names it (a send-once right made from it). */
  replyPortName(port: Port): PortName {
    return { name: port.name, disposition: MACH_MSG_TYPE_MAKE_SEND_ONCE };
  }

  /** Releases every pooled reply port (the client can still make calls; it allocates new ones). */
  close(): void {
    for (const port of this.pool.splice(0)) port.close();
  }

  /**
   * Sends a request and waits for its reply on `replyPort`. `ownReplyPort`:
   * the port came from replyPort() just before (the call takes it out of the
   * pool; it goes back after a reply, and is destroyed after a timeout, an
   * abort or a failed send); a caller-supplied reply port is never destroyed. `trailer` is the trailer
   * the reply must be received with; `maxSize` the largest reply accepted.
   */
  async rpc(
    request: WireMessage,
    moved: readonly Port[] | null,
    replyPort: Port,
    ownReplyPort: boolean,
    timing: RoutineTiming,
    options: CallOptions | undefined,
    trailer: 'none' | 'seqno' | 'sender' | 'audit',
    maxSize: number,
  ): Promise<ReceivedMessage> {
    const { sendTimeout, receiveTimeout, signal, deadline } = this.plan(timing, options);
    if (ownReplyPort && this.pool.pop() !== replyPort) throw new Error('tsmig: rpc() must use the port replyPort() just returned');
    try {
      await sendRaw(rawMessage(request, moved), { timeout: sendTimeout, signal });
    } catch (error) {
      // The send-once right may have been made and destroyed: its notification would poison the port.
      if (ownReplyPort) replyPort.close();
      throw error;
    }
    let reply: ReceivedMessage;
    try {
      reply = await replyPort.receive({
        timeout: deadline === undefined ? receiveTimeout : Math.max(0, deadline - Date.now()),
        signal,
        trailer,
        maxSize,
      });
    } catch (error) {
      // A reply may still come (or, too large, be queued): this port must never serve another call.
      if (ownReplyPort) replyPort.close();
      if (error instanceof MachError && error.code === MACH_RCV_TOO_LARGE) throw new MachError(MACH_RCV_TOO_LARGE);
      throw error;
    }
    if (ownReplyPort) this.giveBack(replyPort);
    return reply;
  }

  /** Sends a one-way request (a simpleroutine); resolves once it is queued at the server. */
  async send(request: WireMessage, moved: readonly Port[] | null, timing: RoutineTiming, options: CallOptions | undefined): Promise<void> {
    const { sendTimeout, signal } = this.plan(timing, options);
    await sendRaw(rawMessage(request, moved), { timeout: sendTimeout, signal });
  }

  /**
   * Ends a call whose reply failed a check (or carried the server's error):
   * destroys everything the reply carried and returns the error to throw
   * (MigError for MIG's codes, MachError otherwise).
   */
  replyFailed(reply: ReceivedMessage, code: number): MachError {
    reply.destroy();
    return errorFor(code);
  }

  private giveBack(port: Port): void {
    if (port.closed) return;
    if (this.pool.length < POOL_LIMIT) this.pool.push(port);
    else port.close();
  }

  private plan(
    timing: RoutineTiming,
    options: CallOptions | undefined,
  ): { sendTimeout?: number; receiveTimeout?: number; signal?: AbortSignal; deadline?: number } {
    if (options === undefined) return timing === NO_TIMING ? {} : timing;
    checkCallOptions(options);
    if (options.timeout === undefined) return { ...timing, signal: options.signal };
    // A per-call timeout bounds the whole call: the send, then what is left for the reply.
    return { sendTimeout: options.timeout, signal: options.signal, deadline: Date.now() + options.timeout };
  }
}
