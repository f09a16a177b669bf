// Runtime API: Port and PortSet, the JS objects that own Mach rights.
//
// A Port owns exactly one user reference of one right (receive, send,
// send-once or dead name) under one name; a PortSet owns a port set. Each is
// released exactly once: close() / Symbol.dispose, the garbage collector, or
// the end of the thread. Sending a Port's right with a move disposition
// consumes it (the Port closes). Names that arrive in messages are already
// wrapped in Ports that own them.
//
// Receiving is driven by the event loop: a receive right or port set is
// watched only while something wants its messages (a pending receive(), an
// async iterator, or a listener), so an idle port costs no CPU.

import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';

import {
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_PORT_DEAD,
  MACH_PORT_NULL,
  MACH_PORT_RIGHT_DEAD_NAME,
  MACH_PORT_RIGHT_PORT_SET,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_TIMED_OUT,
  MACH_RCV_TOO_LARGE,
  MACH_RCV_TRAILER_AUDIT,
  MACH_RCV_TRAILER_NULL,
  MACH_RCV_TRAILER_SENDER,
  MACH_RCV_TRAILER_SEQNO,
} from './constants.js';
import { MachError, PortClosedError } from './errors.js';
import {
  ReceivedMessage,
  encodeMessage,
  type MessageInit,
  type Notification,
  type NotificationKind,
  type ReceivedPortArray,
} from './message.js';
import {
  native,
  type NativePortConstructor,
  type NativePortHandle,
  type NativeSpaceStats,
  type ReceivedPortArray as NativeReceivedPortArray,
} from './native.js';
import { sendDone, sendRaw, type SendOptions } from './send.js';

/** The right a Port owns. */
export type RightKind = 'send' | 'receive' | 'send-once' | 'port-set' | 'dead-name';

// Indexed by MACH_PORT_RIGHT_*.
const RIGHT_KINDS: readonly RightKind[] = ['send', 'receive', 'send-once', 'port-set', 'dead-name'];

/** MACH_PORT_RIGHT_* of a right kind. */
export function rightNumber(kind: RightKind): number {
  const n = RIGHT_KINDS.indexOf(kind);
  if (n < 0) throw new TypeError(`unknown right kind: ${String(kind)}`);
  return n;
}

/** Options of receive(). */
export interface ReceiveOptions {
  /** Milliseconds to wait (MACH_RCV_TIMED_OUT after); 0 takes only what is queued now. Default: no limit. */
  readonly timeout?: number;
  /** Aborts the wait (rejects with the signal's reason). */
  readonly signal?: AbortSignal;
  /**
   * Largest message accepted, trailer excluded. A larger one stays queued
   * and the receive fails with MACH_RCV_TOO_LARGE (error.size says how
   * large it is), so a later, larger receive gets it. Default: any size.
   */
  readonly maxSize?: number;
  /** Trailer elements to receive. Default 'none' (the 8-byte trailer). */
  readonly trailer?: 'none' | 'seqno' | 'sender' | 'audit';
}

// The options of a plain receive(): checked once, shared by every call.
const NO_OPTIONS: ReceiveOptions = Object.freeze({});

const TRAILERS = {
  none: MACH_RCV_TRAILER_NULL,
  seqno: MACH_RCV_TRAILER_SEQNO,
  sender: MACH_RCV_TRAILER_SENDER,
  audit: MACH_RCV_TRAILER_AUDIT,
} as const;

/** Events of a receive right or port set (see on()). */
export interface PortEvents {
  /** A message nobody was waiting for with receive(). */
  message: [ReceivedMessage];
  /** Any notification (kernel-sent: see ReceivedMessage.notification). */
  notification: [Notification];
  'dead-name': [Extract<Notification, { kind: 'dead-name' }>];
  'no-senders': [Extract<Notification, { kind: 'no-senders' }>];
  'port-destroyed': [Extract<Notification, { kind: 'port-destroyed' }>];
  'port-deleted': [Extract<Notification, { kind: 'port-deleted' }>];
  'send-possible': [Extract<Notification, { kind: 'send-possible' }>];
  'send-once': [Extract<Notification, { kind: 'send-once' }>];
}

const NOTIFICATION_EVENTS: readonly NotificationKind[] = [
  'dead-name',
  'no-senders',
  'port-destroyed',
  'port-deleted',
  'send-possible',
  'send-once',
];

/** Notifications a program can request on a right. */
export type RequestableNotification = 'dead-name' | 'no-senders' | 'port-destroyed';

const NOTIFICATION_IDS: Record<RequestableNotification, number> = {
  'dead-name': MACH_NOTIFY_DEAD_NAME,
  'no-senders': MACH_NOTIFY_NO_SENDERS,
  'port-destroyed': MACH_NOTIFY_PORT_DESTROYED,
};

/** Listener functions as the EventEmitter stores them. */
type Listener = (...args: unknown[]) => void;

/** The native handle a Port or PortSet is (they extend the addon's class). */
function handle(right: ReceivingRight): NativePortHandle {
  return right as unknown as NativePortHandle;
}

function check(code: number): void {
  if (code !== 0) throw new MachError(code);
}

function portOrThrow<T>(result: NativePortHandle | number): T {
  if (typeof result === 'number') throw new MachError(result);
  return result as unknown as T;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

function checkReceiveOptions(options: ReceiveOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('receive: options must be an object');
  const { timeout, maxSize, trailer, signal } = options;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0))) {
    throw new RangeError('receive: timeout must be a number of milliseconds ≥ 0');
  }
  if (maxSize !== undefined && (!Number.isInteger(maxSize) || maxSize < 24 || maxSize > 0x7fffffff)) {
    throw new RangeError('receive: maxSize must be an integer from 24 (a header) to 2^31-1');
  }
  if (trailer !== undefined && !(trailer in TRAILERS)) {
    throw new TypeError("receive: trailer must be 'none', 'seqno', 'sender' or 'audit'");
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('receive: signal must be an AbortSignal');
}

interface Waiter {
  resolve(message: ReceivedMessage): void;
  reject(error: unknown): void;
  maxSize: number;
  trailer: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const kInbox = Symbol('tsmig.inbox');

/** The receiving side of a receive right or port set: waiters, listeners, and the native watch. */
class Inbox {
  private readonly waiters: Waiter[] = [];
  private held: ReceivedMessage | undefined;
  private events: EventEmitter | undefined;
  private watching: { maxSize: number; trailer: number; wanted: number } | null = null;
  // Set once the right is closed or moved away: nothing is watched any more.
  private over = false;

  constructor(private readonly owner: ReceivingRight) {}

  receive(options: ReceiveOptions): Promise<ReceivedMessage> {
    if (options !== NO_OPTIONS) checkReceiveOptions(options);
    if (this.over || this.owner.closed) return Promise.reject(new PortClosedError());
    const maxSize = options.maxSize ?? 0;
    const trailer = TRAILERS[options.trailer ?? 'none'];
    const held = this.held;
    if (held !== undefined) {
      if (maxSize !== 0 && held.size > maxSize) return Promise.reject(new MachError(MACH_RCV_TOO_LARGE, { size: held.size }));
      this.held = undefined;
      this.update();
      return Promise.resolve(held);
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (options.timeout === 0) return this.receiveNow(maxSize, trailer);
    return new Promise<ReceivedMessage>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, maxSize, trailer, timer: undefined, signal, onAbort: undefined };
      if (options.timeout !== undefined && Number.isFinite(options.timeout)) {
        waiter.timer = setTimeout(() => this.drop(waiter, new MachError(MACH_RCV_TIMED_OUT)), options.timeout);
      }
      if (signal !== undefined) {
        waiter.onAbort = () => this.drop(waiter, abortReason(signal));
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.update();
    });
  }

  private receiveNow(maxSize: number, trailer: number): Promise<ReceivedMessage> {
    // Earlier receives come first: with them waiting, nothing is "queued now" for this one.
    if (this.waiters.length > 0) return Promise.reject(new MachError(MACH_RCV_TIMED_OUT));
    const [code, payload, ports, ool, oolPorts] = native.receiveNow(handle(this.owner), maxSize, trailer);
    if (code === MACH_RCV_TOO_LARGE) return Promise.reject(new MachError(code, { size: payload as number }));
    if (code !== 0) return Promise.reject(new MachError(code));
    return Promise.resolve(this.makeMessage(payload as Uint8Array, ports, ool, oolPorts));
  }

  /** Called by the addon for each message (or receive failure) on the event loop. Never throws. */
  deliver(
    code: number,
    payload?: Uint8Array | number,
    ports?: (NativePortHandle | null)[],
    ool?: Uint8Array[],
    oolPorts?: NativeReceivedPortArray[],
  ): void {
    if (code === 0) {
      const watching = this.watching;
      if (watching !== null && watching.wanted !== 0) {
        // The addon counts delivered messages down and stops its watch itself at zero (receiver.h).
        watching.wanted--;
        if (watching.wanted === 0) this.watching = null;
      }
      this.route(this.makeMessage(payload as Uint8Array, ports, ool, oolPorts));
    } else if (code === MACH_RCV_TOO_LARGE) {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) this.settle(waiter).reject(new MachError(code, { size: payload as number }));
    } else {
      // The addon stopped the watch: the right is gone or moved.
      this.watching = null;
      this.failAll(new MachError(code));
    }
    this.update();
  }

  private makeMessage(
    bytes: Uint8Array,
    ports: (NativePortHandle | null)[] | undefined,
    ool: Uint8Array[] | undefined,
    oolPorts: NativeReceivedPortArray[] | undefined,
  ): ReceivedMessage {
    const arrays: ReceivedPortArray[] | undefined = oolPorts?.map(([names, owners]) => ({
      names,
      ports: owners as unknown as (Port | null)[],
    }));
    const receivedOn = this.owner instanceof PortSet ? this.owner.memberNamed(readName(bytes, 12)) : null;
    return new ReceivedMessage(bytes, ports as unknown as (Port | null)[], ool, arrays, receivedOn, adoptDeadName);
  }

  private route(message: ReceivedMessage): void {
    if (message.notification !== undefined && this.emitNotification(message.notification)) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.settle(waiter).resolve(message);
    } else if (this.events !== undefined && this.events.listenerCount('message') > 0) {
      this.emit('message', message);
    } else {
      // Listening for notifications only: keep this one for the next receive() and stop watching.
      this.held = message;
    }
  }

  private emitNotification(notification: Notification): boolean {
    const events = this.events;
    if (events === undefined) return false;
    const specific = events.listenerCount(notification.kind) > 0;
    const general = events.listenerCount('notification') > 0;
    if (!specific && !general) return false;
    if (specific) this.emit(notification.kind, notification);
    if (general) this.emit('notification', notification);
    // The reference a dead-name notification carries is the runtime's to drop once listeners ran.
    if (notification.kind === 'dead-name') notification.deadName?.close();
    return true;
  }

  private emit(event: string, value: unknown): void {
    try {
      this.events!.emit(event, value);
    } catch (error) {
      // A listener threw: report it as uncaught, as Node does, without breaking the receive loop.
      process.nextTick(() => {
        throw error;
      });
    }
  }

  private settle(waiter: Waiter): Waiter {
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
    return waiter;
  }

  private drop(waiter: Waiter, error: unknown): void {
    const index = this.waiters.indexOf(waiter);
    if (index < 0) return;
    this.waiters.splice(index, 1);
    this.settle(waiter).reject(error);
    this.update();
  }

  private failAll(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) this.settle(waiter).reject(error);
  }

  private listening(): boolean {
    const events = this.events;
    if (events === undefined) return false;
    return events.listenerCount('message') > 0 || events.listenerCount('notification') > 0 || NOTIFICATION_EVENTS.some((e) => events.listenerCount(e) > 0);
  }

  /** Starts, adjusts or stops the native watch to match what JS wants now. */
  update(): void {
    if (this.over) {
      this.watching = null;
      return;
    }
    const head = this.waiters[0];
    const listening = this.listening();
    let want: { maxSize: number; trailer: number; wanted: number } | null = null;
    if (head !== undefined) {
      // Listeners need the audit trailer to tell the kernel's notifications from forgeries.
      want = {
        maxSize: head.maxSize,
        trailer: listening ? MACH_RCV_TRAILER_AUDIT : head.trailer,
        // Receive no more than the waiters take (0: listeners take everything).
        wanted: listening ? 0 : this.waiters.length,
      };
    } else if (listening && this.held === undefined) {
      want = { maxSize: 0, trailer: MACH_RCV_TRAILER_AUDIT, wanted: 0 };
    }
    if (want !== null) {
      const now = this.watching;
      if (now !== null && now.maxSize === want.maxSize && now.trailer === want.trailer && now.wanted === want.wanted) return;
      const code = native.watch(handle(this.owner), want.maxSize, want.trailer, want.wanted);
      if (code !== 0) {
        this.watching = null;
        this.failAll(new MachError(code));
        return;
      }
      this.watching = want;
    } else if (this.watching !== null) {
      native.unwatch(handle(this.owner));
      this.watching = null;
    }
  }

  /** The right was closed or moved away: pending receives fail, a held message is destroyed. */
  ended(error: Error): void {
    this.over = true;
    this.watching = null;
    this.failAll(error);
    this.held?.destroy();
    this.held = undefined;
  }

  /** A send tried to move the receive right: the addon ended the watch; follow the outcome. */
  afterMoveAttempt(): void {
    this.watching = null;
    if (this.owner.closed) {
      this.ended(new PortClosedError('the receive right was moved to another port'));
    } else {
      this.update();
    }
  }

  on(event: string, listener: Listener, once: boolean): void {
    this.events ??= new EventEmitter();
    if (once) {
      this.events.once(event, listener);
    } else {
      this.events.on(event, listener);
    }
    this.update();
  }

  off(event: string, listener: Listener): void {
    this.events?.off(event, listener);
    this.update();
  }
}

function readName(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

function adoptDeadName(name: number): Port | null {
  if (name === MACH_PORT_NULL || name === MACH_PORT_DEAD) return null;
  return native.adopt(name, MACH_PORT_RIGHT_DEAD_NAME) as unknown as Port;
}

const NativePortBase: NativePortConstructor = native.NativePort;

/** What Port (receive rights) and PortSet share: ownership of a name, and receiving. */
abstract class ReceivingRight extends (NativePortBase as new (token: object, name: number, right: number) => object) {
  /** @internal Created on first use: only receive rights and port sets have one. */
  declare [kInbox]: Inbox | undefined;

  /** The name in this task; throws PortClosedError once the Port no longer owns its right. */
  get name(): number {
    const name = native.nameOf(handle(this));
    if (name < 0) throw new PortClosedError();
    return name;
  }

  /** Whether the object no longer owns its right (closed, moved or detached). */
  get closed(): boolean {
    return native.nameOf(handle(this)) < 0;
  }

  /** The right this object owns one reference of. */
  get right(): RightKind {
    return RIGHT_KINDS[native.rightOf(handle(this))];
  }

  /** Releases the right exactly once (later calls do nothing); pending receives fail with PortClosedError. */
  close(): void {
    if (native.close(handle(this))) this.afterClose();
  }

  /** @internal */
  protected afterClose(): void {
    this[kInbox]?.ended(new PortClosedError());
  }

  /** Same as close(), for `using port = allocatePort()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Receives the next message (see ReceiveOptions); only receive rights and port sets receive. */
  receive(options: ReceiveOptions = NO_OPTIONS): Promise<ReceivedMessage> {
    return (this[kInbox] ?? this.inbox()).receive(options);
  }

  /** Messages until the right closes: `for await (const message of port)`. */
  [Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    return {
      next: async (): Promise<IteratorResult<ReceivedMessage>> => {
        try {
          return { value: await this.receive(), done: false };
        } catch (error) {
          if (error instanceof PortClosedError) return { value: undefined, done: true };
          throw error;
        }
      },
      return: async (): Promise<IteratorResult<ReceivedMessage>> => ({ value: undefined, done: true }),
    };
  }

  /**
   * Listens for messages nobody receive()s ('message') or for notifications
   * ('dead-name', 'no-senders', 'port-destroyed', 'port-deleted',
   * 'send-possible', 'send-once', or 'notification' for all). While it has
   * listeners the right is watched. A dead-name notification's reference on
   * the dead name is released after the listeners return.
   */
  on<K extends keyof PortEvents>(event: K, listener: (...args: PortEvents[K]) => void): this {
    this.inbox().on(event, listener as unknown as Listener, false);
    return this;
  }

  /** Like on(), for one event. */
  once<K extends keyof PortEvents>(event: K, listener: (...args: PortEvents[K]) => void): this {
    this.inbox().on(event, listener as unknown as Listener, true);
    return this;
  }

  /** Removes a listener added with on() or once(). */
  off<K extends keyof PortEvents>(event: K, listener: (...args: PortEvents[K]) => void): this {
    this[kInbox]?.off(event, listener as unknown as Listener);
    return this;
  }

  /** Lets the process exit while this right is watched (like Node's handle.unref()). */
  unref(): this {
    this.requireReceiving('unref');
    native.keepAlive(handle(this), false);
    return this;
  }

  /** Undoes unref(): a watched right keeps the process alive (the default). */
  ref(): this {
    this.requireReceiving('ref');
    native.keepAlive(handle(this), true);
    return this;
  }

  /** @internal */
  inbox(): Inbox {
    this.requireReceiving('receive');
    return (this[kInbox] ??= new Inbox(this));
  }

  private requireReceiving(what: string): void {
    if (this.closed) throw new PortClosedError();
    const right = this.right;
    if (right !== 'receive' && right !== 'port-set') {
      throw new TypeError(`${what}: only receive rights and port sets receive messages (this Port holds a ${right} right)`);
    }
  }

  /** @internal */
  [inspect.custom](): string {
    const name = native.nameOf(handle(this));
    const label = this instanceof PortSet ? 'PortSet' : 'Port';
    return name < 0 ? `${label} { closed }` : `${label} { name: 0x${name.toString(16)}, right: '${this.right}' }`;
  }
}

/** A Mach port right owned by this object: receive, send, send-once or dead name. */
export class Port extends ReceivingRight {
  /** @internal Ports come from allocatePort(), Port.fromDescriptor(), other Ports' methods and received messages. */
  constructor(token: object, name: number, right: number) {
    super(token, name, right);
  }

  /**
   * Linux: takes ownership of a descriptor made by toDescriptor() (usually
   * inherited from the parent process) and returns the send right it
   * carries. Not available on macOS, where children get ports through the
   * bootstrap server.
   */
  static fromDescriptor(fd: number): Port {
    if (!Number.isInteger(fd) || fd < 0) throw new TypeError('Port.fromDescriptor: expected a descriptor number');
    requireLinux('Port.fromDescriptor()');
    const [code, port] = native.fromDescriptor(fd);
    check(code);
    return port as unknown as Port;
  }

  /**
   * Wraps a name whose reference the caller owns (for instance one detached
   * in another worker thread). The Port then owns and releases it.
   */
  static adopt(name: number, right: Exclude<RightKind, 'port-set'>): Port {
    if (!Number.isInteger(name) || name <= 0 || name >= MACH_PORT_DEAD) throw new TypeError('Port.adopt: expected a port name');
    return native.adopt(name, rightNumber(right)) as unknown as Port;
  }

  /** A new Port owning a send right made from this receive right (mach_port_insert_right with MAKE_SEND). */
  makeSendRight(): Port {
    this.requireRight('makeSendRight', 'receive');
    return portOrThrow(native.makeSend(handle(this)));
  }

  /** A new Port owning one more reference of this send right. */
  copySendRight(): Port {
    this.requireRight('copySendRight', 'send');
    return portOrThrow(native.copySend(handle(this)));
  }

  /** A new Port owning a send-once right made from this receive right. */
  makeSendOnceRight(): Port {
    this.requireRight('makeSendOnceRight', 'receive');
    return portOrThrow(native.makeSendOnce(handle(this)));
  }

  /** User references the name holds for `right` (default: this Port's right), all owners together. */
  getReferences(right: RightKind = this.right): number {
    const [code, refs] = native.refs(handle(this), rightNumber(right));
    check(code);
    return refs;
  }

  /** mach_port_type() of the name: MACH_PORT_TYPE_* bits (e.g. a send right whose port died shows DEAD_NAME). */
  getType(): number {
    const [code, type] = native.type(handle(this));
    check(code);
    return type >>> 0;
  }

  /** Sets the receive right's queue limit (MACH_PORT_LIMITS_INFO): senders wait (or time out) beyond it. */
  setQueueLimit(limit: number): void {
    this.requireRight('setQueueLimit', 'receive');
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError('setQueueLimit: expected an integer ≥ 0');
    check(native.setQueueLimit(handle(this), limit));
  }

  /**
   * Sends a message to this port: a send right is copied into the header, a
   * send-once right moved (the Port closes), a receive right gets a send
   * right made. Resolves once the message is queued; a full queue waits
   * (without blocking the event loop) until `timeout` ms (MACH_SEND_TIMED_OUT).
   */
  send(message: MessageInit, options: SendOptions = {}): Promise<void> {
    return sendRaw(encodeMessage(this, message), options);
  }

  /**
   * Requests a notification about this right, delivered to `notifyPort` (a
   * receive right; listen with notifyPort.on(kind, …) or receive it):
   * 'dead-name' on a send or send-once right (`immediate`: at once if
   * already dead), 'no-senders' and 'port-destroyed' on a receive right.
   * Returns the send-once right of the request this one replaces, if any.
   */
  requestNotification(
    kind: RequestableNotification,
    notifyPort: Port,
    options: { makeSendCount?: number; immediate?: boolean } = {},
  ): Port | null {
    const msgid = NOTIFICATION_IDS[kind];
    if (msgid === undefined) throw new TypeError("requestNotification: kind must be 'dead-name', 'no-senders' or 'port-destroyed'");
    if (!(notifyPort instanceof Port) || notifyPort.right !== 'receive') {
      throw new TypeError('requestNotification: the notification port must be a receive right');
    }
    if (kind === 'dead-name') {
      if (this.right !== 'send' && this.right !== 'send-once' && this.right !== 'dead-name') {
        throw new TypeError(`requestNotification: dead-name notifications are for send and send-once rights (this is a ${this.right} right)`);
      }
    } else {
      this.requireRight('requestNotification', 'receive');
    }
    const sync = kind === 'no-senders' ? (options.makeSendCount ?? 0) : kind === 'dead-name' && options.immediate ? 1 : 0;
    const [code, previous] = native.requestNotification(handle(this), msgid, sync, handle(notifyPort));
    check(code);
    return previous as unknown as Port | null;
  }

  /** Cancels a notification request; returns its send-once right, if one was registered. */
  cancelNotification(kind: RequestableNotification): Port | null {
    const msgid = NOTIFICATION_IDS[kind];
    if (msgid === undefined) throw new TypeError("cancelNotification: kind must be 'dead-name', 'no-senders' or 'port-destroyed'");
    const [code, previous] = native.requestNotification(handle(this), msgid, 0, null);
    check(code);
    return previous as unknown as Port | null;
  }

  /**
   * Linux: a new descriptor (close-on-exec) carrying a send right to this
   * port — made from a receive right, copied from a send right — for a child
   * process to inherit and open with Port.fromDescriptor(). The caller owns
   * (and closes) the descriptor. Not available on macOS.
   */
  toDescriptor(): number {
    requireLinux('port.toDescriptor()');
    const [code, fd] = native.toDescriptor(handle(this));
    check(code);
    return fd;
  }

  /** Ends this object's ownership without releasing: returns the name, whose reference the caller now owns. */
  detach(): number {
    const name = this.name;
    native.detach(handle(this));
    this.afterClose();
    return name;
  }

  /** @internal */
  protected override afterClose(): void {
    super.afterClose();
    memberOf.get(this)?.forgetMember(this);
  }

  private requireRight(what: string, right: RightKind): void {
    if (this.closed) throw new PortClosedError();
    if (this.right !== right) throw new TypeError(`${what}: needs a ${right} right (this Port holds a ${this.right} right)`);
  }
}

// The port set each receive right belongs to, for ReceivedMessage.receivedOn.
const memberOf = new WeakMap<Port, PortSet>();

/** A port set: receives the messages of all its member receive rights. */
export class PortSet extends ReceivingRight {
  private readonly members = new Map<number, Port>();

  /** @internal PortSets come from allocatePortSet(). */
  constructor(token: object, name: number, right: number) {
    super(token, name, right);
  }

  /** Moves a receive right into this set (out of any other set). */
  add(port: Port): void {
    if (!(port instanceof Port) || port.closed || port.right !== 'receive') throw new TypeError('PortSet.add: expected an open receive right');
    if (this.closed) throw new PortClosedError();
    check(native.moveMember(handle(port), handle(this)));
    memberOf.get(port)?.members.delete(port.name);
    this.members.set(port.name, port);
    memberOf.set(port, this);
  }

  /** Takes a receive right out of this set. */
  remove(port: Port): void {
    if (!(port instanceof Port) || memberOf.get(port) !== this) throw new TypeError('PortSet.remove: the Port is not a member of this set');
    check(native.moveMember(handle(port), null));
    this.forgetMember(port);
  }

  /** The member receive rights. */
  get ports(): readonly Port[] {
    return [...this.members.values()];
  }

  /** @internal */
  memberNamed(name: number): Port | null {
    return this.members.get(name) ?? null;
  }

  /** @internal */
  forgetMember(port: Port): void {
    for (const [name, member] of this.members) {
      if (member === port) this.members.delete(name);
    }
    memberOf.delete(port);
  }

  /** @internal */
  protected override afterClose(): void {
    super.afterClose();
    for (const port of this.members.values()) memberOf.delete(port);
    this.members.clear();
  }
}

function requireLinux(what: string): void {
  if (process.platform !== 'linux') {
    throw new Error(`${what} hands rights over as descriptors, which only the Linux runtime does; on macOS children get their ports through the bootstrap server`);
  }
}

/** A new receive right (mach_port_allocate). */
export function allocatePort(): Port {
  return portOrThrow(native.allocate(MACH_PORT_RIGHT_RECEIVE));
}

/** A new, empty port set. */
export function allocatePortSet(): PortSet {
  return portOrThrow(native.allocate(MACH_PORT_RIGHT_PORT_SET));
}

/** Counts for leak tests: the task's names by right, and the descriptors and out-of-line bytes the runtime holds. */
export type SpaceStats = NativeSpaceStats;

/** The task's name space now (names, rights, descriptors; see tsmig_space_stats). */
export function spaceStats(): SpaceStats {
  const stats = native.spaceStats();
  if (typeof stats === 'number') throw new MachError(stats);
  return stats;
}

/** @internal After a send that tried to move receive rights: their inboxes follow the outcome. */
export function afterMoveAttempt(ports: readonly Port[]): void {
  for (const port of ports) {
    if (port.right !== 'receive') continue;
    port[kInbox]?.afterMoveAttempt();
    if (port.closed) memberOf.get(port)?.forgetMember(port);
  }
}

native.register({
  Port: Port as unknown as NativePortConstructor,
  PortSet: PortSet as unknown as NativePortConstructor,
  dispatch: (port, code, payload, ports, ool, oolPorts) => {
    (port as unknown as ReceivingRight)[kInbox]?.deliver(code, payload, ports, ool, oolPorts);
  },
  sendDone,
});
