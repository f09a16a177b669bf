// MIG support: the server side. serveSubsystem() runs a generated demux on
// the event loop: for each request on the port it finds the routine by id
// (MIG_BAD_ID otherwise), lets the generated decoder make every check MIG's
// server stub makes, calls the handler, and sends the reply the generated
// encoder builds.
//
// MIG's ownership rules, exactly:
// - the handler succeeds: it owns every right and region of the request (the
//   Ports and Uint8Arrays it was given);
// - a check fails or the handler fails: everything the request carried is
//   destroyed exactly once, then the 36-byte error reply goes to the reply
//   port (when there is one);
// - the handler defers its reply (MIG_NO_REPLY): it owns the reply right too,
//   through the DeferredReply it got, and replies (or fails) later.
// A reply that cannot be delivered (the client is gone) is destroyed: the
// rights the handler gave it are released.

import {
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_PORT_NULL,
  MIG_BAD_ID,
  MIG_NO_REPLY,
} from '../constants.js';
import { MachError } from '../errors.js';
import type { ReceivedMessage } from '../message.js';
import { isOutOfLineRegion, releaseOutOfLine } from '../ool.js';
import { Port, PortSet } from '../port.js';
import { sendRaw } from '../send.js';
import { messageBits, viewOf, writeHeader, writeNdr, type PortName, type WireMessage } from './wire.js';

/** The code a handler's failure is answered with when it carries none (KERN_FAILURE). */
const GENERIC_FAILURE = 5;

/** What a generated server gives serveSubsystem() for one routine. */
export interface ServerRoutine<Impl> {
  /** MIG's routine name, for error reports. */
  readonly name: string;
  /** A simpleroutine: the server sends no reply on success. */
  readonly oneWay: boolean;
  /** The handler is given the request's reply right (a simpleroutine's `sreplyport`): it owns it on success. */
  readonly handlerTakesReplyPort?: boolean;
  /** The generated decoder: the request's values, or the MIG error code of the first check it fails. */
  decode(message: ReceivedMessage): object | number;
  /** Calls the handler with the decoded values (and the Ports and regions of the message). */
  invoke(impl: Impl, request: never, message: ReceivedMessage, call: ServerCall<never>): unknown;
  /** Builds the reply from the handler's result, adding the Ports it moves to `moved` (absent for simpleroutines). */
  reply?(result: never, replyTo: PortName, moved: Port[]): WireMessage;
}

/** A generated subsystem's routine table. */
export interface ServerSubsystem<Impl> {
  /** The subsystem name, for error reports. */
  readonly name: string;
  /** The first message id. */
  readonly base: number;
  /** One entry per id from `base` (null for a `skip`). */
  readonly routines: readonly (ServerRoutine<Impl> | null)[];
}

/** Options of a generated serve function. */
export interface ServeOptions {
  /**
   * Called when a handler throws something other than a MachError (the
   * client gets KERN_FAILURE) or a reply cannot be built or sent. Default:
   * a process warning.
   */
  readonly onError?: (error: unknown, routine: string) => void;
}

/** A running server: stop() ends the demux (requests still being handled complete). */
export interface ServerHandle {
  /** The receive right (or port set) being served. */
  readonly port: Port | PortSet;
  /** Stops taking requests from the port. */
  stop(): void;
}

/** What a handler gets besides its arguments: the request, and the means to defer its reply. */
export interface ServerCall<Result> {
  /** The request as received (its bytes, trailer and id). */
  readonly message: ReceivedMessage;
  /**
   * Takes over the reply (MIG's MIG_NO_REPLY): the server sends nothing when
   * the handler returns, and the handler, which now owns the reply right,
   * replies later through the returned handle.
   */
  deferReply(): DeferredReply<Result>;
}

/**
 * What a handler returns: its result (the reply is sent), or the
 * DeferredReply it took (the handler replies later), or a Promise of either.
 */
export type ServerReturn<Result> = Result | DeferredReply<Result> | Promise<Result | DeferredReply<Result>>;

/** A reply the handler sends later; it owns the reply right until then. */
export class DeferredReply<Result> {
  private done = false;

  /** @internal Made by ServerCall.deferReply(). */
  constructor(
    private readonly server: Demux<unknown>,
    private readonly routine: ServerRoutine<unknown>,
    private readonly request: ReceivedMessage,
    /** The reply right (null when the request carried none). */
    readonly replyPort: Port | null,
  ) {}

  /** Sends the successful reply built from `result`. */
  async reply(result: Result): Promise<void> {
    this.finish();
    await this.server.sendReply(this.routine, this.request, this.replyPort, result);
  }

  /** Sends an error reply with `code` (the handler keeps what it owns of the request). */
  async fail(code: number): Promise<void> {
    this.finish();
    if (!Number.isInteger(code) || code === 0) throw new RangeError('DeferredReply.fail: expected a non-zero return code');
    await this.server.sendErrorReply(this.request, this.replyPort, code);
  }

  private finish(): void {
    if (this.done) throw new Error('DeferredReply: the reply was already sent');
    this.done = true;
  }
}

/** One request being handled. */
class Call<Result> implements ServerCall<Result> {
  deferred: DeferredReply<Result> | null = null;

  constructor(
    private readonly server: Demux<unknown>,
    private readonly routine: ServerRoutine<unknown>,
    readonly message: ReceivedMessage,
  ) {}

  deferReply(): DeferredReply<Result> {
    if (this.routine.oneWay) throw new TypeError(`${this.routine.name} is a simpleroutine: it has no reply to defer`);
    if (this.deferred !== null) throw new Error('deferReply() was already called for this request');
    this.deferred = new DeferredReply<Result>(this.server, this.routine, this.message, this.message.replyPort);
    return this.deferred;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** Releases every right and region of a request but its reply right (Mach's mach_msg_destroy after MIG nulls the reply port). */
function destroyRequest(message: ReceivedMessage): void {
  for (const port of message.ports) port?.close();
  for (const array of message.oolPorts) for (const port of array.ports) port?.close();
  for (const region of message.ool) {
    if (region.byteLength > 0 && isOutOfLineRegion(region)) releaseOutOfLine(region);
  }
  if (message.notification?.kind === 'dead-name') message.notification.deadName?.close();
}

/** The 36-byte mig_reply_error_t for a request: its id + 100, the code, to the reply right it came with. */
export function encodeErrorReply(requestId: number, code: number, replyTo: PortName): WireMessage {
  const bytes = new Uint8Array(36);
  const view = viewOf(bytes);
  writeHeader(view, messageBits(replyTo.disposition, 0, false), 36, replyTo.name, MACH_PORT_NULL, (requestId + 100) | 0);
  writeNdr(bytes, 24);
  view.setInt32(32, code, true);
  return { bytes, ool: [], oolPorts: [] };
}

/** The disposition that sends a received reply right back (MOVE_SEND_ONCE or MOVE_SEND), from the request's bits. */
function replyDisposition(message: ReceivedMessage): number {
  const received = message.bits & 0x1f;
  return received === MACH_MSG_TYPE_MOVE_SEND ? MACH_MSG_TYPE_MOVE_SEND : MACH_MSG_TYPE_MOVE_SEND_ONCE;
}

/** The demux of one served port. */
class Demux<Impl> implements ServerHandle {
  private readonly listener = (message: ReceivedMessage): void => this.handle(message);
  private running = true;

  constructor(
    readonly port: Port | PortSet,
    private readonly impl: Impl,
    private readonly subsystem: ServerSubsystem<Impl>,
    private readonly onError: (error: unknown, routine: string) => void,
  ) {
    port.on('message', this.listener);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (!this.port.closed) this.port.off('message', this.listener);
  }

  private handle(message: ReceivedMessage): void {
    const index = message.id - this.subsystem.base;
    const routine = index >= 0 && index < this.subsystem.routines.length ? this.subsystem.routines[index] : null;
    if (routine === null || routine === undefined) {
      this.fail(message, MIG_BAD_ID);
      return;
    }
    const request = routine.decode(message);
    if (typeof request === 'number') {
      this.fail(message, request);
      return;
    }
    const call = new Call<unknown>(this as Demux<unknown>, routine as ServerRoutine<unknown>, message);
    let result: unknown;
    try {
      result = routine.invoke(this.impl, request as never, message, call as ServerCall<never>);
    } catch (error) {
      this.handlerFailed(routine, call, error);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.handlerDone(routine, call, value),
        (error: unknown) => this.handlerFailed(routine, call, error),
      );
    } else {
      this.handlerDone(routine, call, result);
    }
  }

  private handlerDone(routine: ServerRoutine<Impl>, call: Call<unknown>, result: unknown): void {
    // Deferred: the handler owns the reply right now. One-way: MIG_NO_REPLY, the handler owns everything.
    if (call.deferred !== null) return;
    const message = call.message;
    if (routine.oneWay) {
      // A reply right nobody asked for (no sreplyport argument): release it rather than leak it.
      if (routine.handlerTakesReplyPort !== true) message.replyPort?.close();
      return;
    }
    this.sendReply(routine as ServerRoutine<unknown>, message, message.replyPort, result).catch(() => {});
  }

  private handlerFailed(routine: ServerRoutine<Impl>, call: Call<unknown>, error: unknown): void {
    if (call.deferred !== null) {
      // The handler took the reply right and then threw: it owns everything; only report it.
      this.onError(error, routine.name);
      return;
    }
    let code = GENERIC_FAILURE;
    if (error instanceof MachError && error.code !== 0) {
      code = error.code;
    } else {
      this.onError(error, routine.name);
    }
    if (code === MIG_NO_REPLY) {
      // MIG_NO_REPLY without deferReply(): the handler owns the request, but nobody holds the reply right.
      call.message.replyPort?.close();
      return;
    }
    this.fail(call.message, code);
  }

  /** A failed request: destroy what it carried, then answer with the error (when it has a reply port). */
  private fail(message: ReceivedMessage, code: number): void {
    destroyRequest(message);
    this.sendErrorReply(message, message.replyPort, code).catch(() => {});
  }

  /** @internal Sends the error reply to `replyPort` (consuming it). */
  async sendErrorReply(message: ReceivedMessage, replyPort: Port | null, code: number): Promise<void> {
    if (replyPort === null || replyPort.closed) return;
    const reply = encodeErrorReply(message.id, code, { name: replyPort.name, disposition: replyDisposition(message) });
    try {
      await sendRaw({ bytes: reply.bytes, moved: [replyPort] });
    } catch {
      // The client is gone: the reply right is all the error reply held.
      replyPort.close();
    }
  }

  /** @internal Builds and sends a successful reply (consuming the reply right and the rights it moves). */
  async sendReply(routine: ServerRoutine<unknown>, message: ReceivedMessage, replyPort: Port | null, result: unknown): Promise<void> {
    const moved: Port[] = replyPort === null ? [] : [replyPort];
    let reply: WireMessage;
    try {
      reply = routine.reply!(
        result as never,
        { name: replyPort?.name ?? MACH_PORT_NULL, disposition: replyDisposition(message) },
        moved,
      );
    } catch (error) {
      // The handler's result cannot be sent: to the client this is the handler failing.
      this.onError(error, routine.name);
      for (const port of moved) if (port !== replyPort) port.close();
      await this.sendErrorReply(message, replyPort, GENERIC_FAILURE);
      return;
    }
    if (replyPort === null || replyPort.closed) {
      // Nowhere to send it: MIG destroys a reply it cannot deliver.
      for (const port of moved) port.close();
      return;
    }
    try {
      await sendRaw({ bytes: reply.bytes, ool: reply.ool, oolPorts: reply.oolPorts, moved });
    } catch (error) {
      // The client went away: destroy the reply (its moved rights stayed with their Ports).
      for (const port of moved) port.close();
      if (!(error instanceof MachError)) this.onError(error, routine.name);
    }
  }
}

function defaultOnError(error: unknown, routine: string): void {
  process.emitWarning(`tsmig server: routine ${routine} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}

/**
 * Serves a generated subsystem on a receive right (or port set): every
 * request is checked, handled and answered as MIG's server does. Returns a
 * handle whose stop() ends the demux.
 */
export function serveSubsystem<Impl>(
  port: Port | PortSet,
  impl: Impl,
  subsystem: ServerSubsystem<Impl>,
  options: ServeOptions = {},
): ServerHandle {
  if (!(port instanceof Port || port instanceof PortSet) || port.closed) {
    throw new TypeError('serve: expected an open receive right (Port) or PortSet');
  }
  if (port instanceof Port && port.right !== 'receive') {
    throw new TypeError(`serve: expected a receive right (the Port holds a ${port.right} right)`);
  }
  if (typeof impl !== 'object' || impl === null) throw new TypeError('serve: expected the implementation object');
  if (typeof options !== 'object' || options === null) throw new TypeError('serve: options must be an object');
  return new Demux(port, impl, subsystem, options.onError ?? defaultOnError);
}
