// Runtime API: messages across the JS boundary.
//
// Low level (what generated stubs use): a RawMessage is a complete Mach
// message as bytes — header and body, port *names* in place — plus one
// Uint8Array per out-of-line descriptor, one Uint32Array of names per
// out-of-line-ports descriptor, and the Ports whose rights it moves. A
// ReceivedMessage is the complete received message as bytes (header, body,
// trailer) with every right already wrapped in a Port that owns it and every
// out-of-line region as a Uint8Array over the received mapping.
//
// High level (hand-written use): a MessageInit (id, body bytes, ports,
// out-of-line data) that encodeMessage() lays out as Mach does.

import {
  MACH_MSGH_BITS_COMPLEX,
  MACH_MSG_BODY_SIZE,
  MACH_MSG_HEADER_SIZE,
  MACH_MSG_OOL_DESCRIPTOR,
  MACH_MSG_OOL_DESCRIPTOR_SIZE,
  MACH_MSG_OOL_PORTS_DESCRIPTOR,
  MACH_MSG_OOL_PORTS_DESCRIPTOR_SIZE,
  MACH_MSG_PHYSICAL_COPY,
  MACH_MSG_PORT_DESCRIPTOR,
  MACH_MSG_PORT_DESCRIPTOR_SIZE,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_MSG_VIRTUAL_COPY,
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DELETED,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_NOTIFY_SEND_ONCE,
  MACH_NOTIFY_SEND_POSSIBLE,
  MACH_PORT_NULL,
  machMsghBits,
} from './constants.js';
import type { Port } from './port.js';
import { native, type NativePortHandle } from './native.js';

// Shared by every message without ports or regions (most of them).
const NONE: readonly never[] = Object.freeze([]);

/** What a send does with a right. */
export type Disposition = 'move-receive' | 'move-send' | 'move-send-once' | 'copy-send' | 'make-send' | 'make-send-once';

const DISPOSITIONS: Record<Disposition, number> = {
  'move-receive': MACH_MSG_TYPE_MOVE_RECEIVE,
  'move-send': MACH_MSG_TYPE_MOVE_SEND,
  'move-send-once': MACH_MSG_TYPE_MOVE_SEND_ONCE,
  'copy-send': MACH_MSG_TYPE_COPY_SEND,
  'make-send': MACH_MSG_TYPE_MAKE_SEND,
  'make-send-once': MACH_MSG_TYPE_MAKE_SEND_ONCE,
};

/** The wire number of a disposition (MACH_MSG_TYPE_*). */
export function dispositionNumber(disposition: Disposition): number {
  return DISPOSITIONS[disposition];
}

/** A complete outgoing Mach message, as generated stubs produce it. */
export interface RawMessage {
  /** Header and body (descriptors with port names in place), a multiple of 4 bytes; msgh_size is set from the length. */
  readonly bytes: Uint8Array;
  /**
   * One buffer per out-of-line descriptor, in order; the runtime writes its
   * address into the descriptor. With `deallocate` set, a buffer from
   * allocateOutOfLine() (or a received region) moves without a copy and is
   * detached from JS; any other buffer is copied.
   */
  readonly ool?: readonly Uint8Array[];
  /** One array of names per out-of-line-ports descriptor, in order. */
  readonly oolPorts?: readonly Uint32Array[];
  /**
   * The Ports whose rights the message moves (a move disposition of their
   * right, with their name, somewhere in it). Each ends when the send
   * succeeds; if it fails they keep their rights.
   */
  readonly moved?: readonly Port[];
}

/** A Port and what to do with its right. */
export interface PortTransfer {
  readonly port: Port;
  readonly disposition: Disposition;
}

/** Out-of-line data with its options. */
export interface OutOfLineInit {
  readonly data: Uint8Array;
  /** Give the region away (zero copy) when it is a whole region from allocateOutOfLine(). */
  readonly deallocate?: boolean;
  /** MACH_MSG_PHYSICAL_COPY instead of the default virtual copy. */
  readonly physicalCopy?: boolean;
}

/** Out-of-line ports: one disposition for all of them (null entries travel as MACH_PORT_NULL). */
export interface OutOfLinePortsInit {
  readonly ports: readonly (Port | null)[];
  readonly disposition: Disposition;
}

/** A message for hand-written use; encodeMessage() lays it out. */
export interface MessageInit {
  /** msgh_id. */
  readonly id: number;
  /** Inline data after the descriptors (padded with zeros to a multiple of 4 bytes). */
  readonly body?: Uint8Array;
  /**
   * The reply port (msgh_local_port). A bare Port sends a send-once right
   * made from a receive right, or its own send / send-once right.
   */
  readonly replyPort?: Port | PortTransfer | null;
  /**
   * Port descriptors. A bare Port sends a send right made from a receive
   * right, a copy of its send right, or its send-once right (moved).
   */
  readonly ports?: readonly (Port | PortTransfer | null)[];
  /** Out-of-line descriptors (after the port descriptors). */
  readonly ool?: readonly (Uint8Array | OutOfLineInit)[];
  /** Out-of-line-ports descriptors (after the out-of-line ones). */
  readonly oolPorts?: readonly OutOfLinePortsInit[];
}

/** Which rights a disposition takes (MACH_PORT_RIGHT_* numbers), and whether it moves the right. */
interface Need {
  readonly rights: readonly number[];
  readonly names: string;
  readonly moves: boolean;
}

// MACH_PORT_RIGHT_*: send 0, receive 1, send-once 2, port set 3, dead name 4.
const NEEDS: Readonly<Record<number, Need>> = {
  [MACH_MSG_TYPE_MOVE_RECEIVE]: { rights: [1], names: 'receive', moves: true },
  [MACH_MSG_TYPE_MAKE_SEND]: { rights: [1], names: 'receive', moves: false },
  [MACH_MSG_TYPE_MAKE_SEND_ONCE]: { rights: [1], names: 'receive', moves: false },
  [MACH_MSG_TYPE_MOVE_SEND]: { rights: [0, 4], names: 'send or dead-name', moves: true },
  [MACH_MSG_TYPE_COPY_SEND]: { rights: [0, 4], names: 'send or dead-name', moves: false },
  [MACH_MSG_TYPE_MOVE_SEND_ONCE]: { rights: [2, 4], names: 'send-once or dead-name', moves: true },
};

const RIGHT_NAMES = ['send', 'receive', 'send-once', 'port-set', 'dead-name'];

function defaultDisposition(right: number, role: 'destination' | 'reply' | 'descriptor'): number {
  switch (right) {
    case 1:
      return role === 'reply' ? MACH_MSG_TYPE_MAKE_SEND_ONCE : MACH_MSG_TYPE_MAKE_SEND;
    case 2:
      return MACH_MSG_TYPE_MOVE_SEND_ONCE;
    default:
      return MACH_MSG_TYPE_COPY_SEND;
  }
}

function isTransfer(item: Port | PortTransfer): item is PortTransfer {
  return typeof (item as PortTransfer).disposition === 'string' && 'port' in item;
}

/** A resolved right: its name, the wire disposition, and the Port when the send moves its right. */
interface Resolved {
  name: number;
  disposition: number;
  moves: Port | null;
}

function resolveTransfer(
  item: Port | PortTransfer,
  role: 'destination' | 'reply' | 'descriptor',
  what: string,
): Resolved {
  const transfer = isTransfer(item);
  const port = transfer ? item.port : item;
  // One call for the name and the right (the hot path of hand-written messages).
  const state = native.stateOf(port as unknown as NativePortHandle);
  if (state < 0) throw new TypeError(`${what}: the Port is closed`);
  const name = state % 0x100000000;
  const right = Math.floor(state / 0x100000000);
  const disposition = transfer ? dispositionNumber(item.disposition) : defaultDisposition(right, role);
  const need = NEEDS[disposition];
  if (need === undefined) throw new TypeError(`${what}: unknown disposition`);
  if (!need.rights.includes(right)) {
    throw new TypeError(`${what}: a ${RIGHT_NAMES[right]} right cannot be sent with disposition ${disposition} (it needs ${need.names})`);
  }
  return { name, disposition, moves: need.moves ? port : null };
}

/**
 * Lays out a message as Mach does: header, then (when there are
 * descriptors) the descriptor count and the port, out-of-line and
 * out-of-line-ports descriptors, then the body. The destination's
 * disposition follows its right: a send right is copied, a send-once right
 * moved, a receive right gets a send right made.
 */
export function encodeMessage(destination: Port | PortTransfer, init: MessageInit): RawMessage {
  if (!Number.isInteger(init.id) || init.id < -0x80000000 || init.id > 0xffffffff) {
    throw new RangeError('message id must be a 32-bit integer');
  }
  const moved: Port[] = [];
  const note = (r: Resolved): Resolved => {
    if (r.moves !== null) moved.push(r.moves);
    return r;
  };
  const dest = note(resolveTransfer(destination, 'destination', 'destination'));
  const reply = init.replyPort == null ? null : note(resolveTransfer(init.replyPort, 'reply', 'replyPort'));
  const portsIn = init.ports ?? NONE;
  const oolIn = init.ool ?? NONE;
  const oolPortsIn = init.oolPorts ?? NONE;
  const descriptorCount = portsIn.length + oolIn.length + oolPortsIn.length;
  const complex = descriptorCount > 0;
  const body = init.body;
  const bodyLength = body === undefined ? 0 : (body.length + 3) & ~3;
  const size =
    MACH_MSG_HEADER_SIZE +
    (complex
      ? MACH_MSG_BODY_SIZE +
        portsIn.length * MACH_MSG_PORT_DESCRIPTOR_SIZE +
        oolIn.length * MACH_MSG_OOL_DESCRIPTOR_SIZE +
        oolPortsIn.length * MACH_MSG_OOL_PORTS_DESCRIPTOR_SIZE
      : 0) +
    bodyLength;
  const bytes = new Uint8Array(size);
  writeWord(bytes, 0, machMsghBits(dest.disposition, reply?.disposition ?? 0, 0, complex));
  writeWord(bytes, 4, size);
  writeWord(bytes, 8, dest.name);
  writeWord(bytes, 12, reply?.name ?? MACH_PORT_NULL);
  writeWord(bytes, 20, init.id >>> 0);
  let offset = MACH_MSG_HEADER_SIZE;
  let ool: Uint8Array[] | undefined;
  let oolPorts: Uint32Array[] | undefined;
  if (complex) {
    writeWord(bytes, offset, descriptorCount);
    offset += MACH_MSG_BODY_SIZE;
    for (let i = 0; i < portsIn.length; i++) {
      const item = portsIn[i];
      const p = item === null ? null : note(resolveTransfer(item, 'descriptor', `ports[${i}]`));
      writeWord(bytes, offset, p?.name ?? MACH_PORT_NULL);
      bytes[offset + 10] = p?.disposition ?? MACH_MSG_TYPE_COPY_SEND;
      bytes[offset + 11] = MACH_MSG_PORT_DESCRIPTOR;
      offset += MACH_MSG_PORT_DESCRIPTOR_SIZE;
    }
    if (oolIn.length > 0) ool = [];
    for (const item of oolIn) {
      const o: OutOfLineInit = item instanceof Uint8Array ? { data: item } : item;
      bytes[offset + 8] = o.deallocate ? 1 : 0;
      bytes[offset + 9] = o.physicalCopy ? MACH_MSG_PHYSICAL_COPY : MACH_MSG_VIRTUAL_COPY;
      bytes[offset + 11] = MACH_MSG_OOL_DESCRIPTOR;
      writeWord(bytes, offset + 12, o.data.byteLength);
      ool!.push(o.data);
      offset += MACH_MSG_OOL_DESCRIPTOR_SIZE;
    }
    if (oolPortsIn.length > 0) oolPorts = [];
    for (let i = 0; i < oolPortsIn.length; i++) {
      const set = oolPortsIn[i];
      const disposition = dispositionNumber(set.disposition);
      if (disposition === undefined) throw new TypeError(`oolPorts[${i}]: unknown disposition`);
      const names = new Uint32Array(set.ports.length);
      set.ports.forEach((port, k) => {
        if (port !== null) names[k] = note(resolveTransfer({ port, disposition: set.disposition }, 'descriptor', `oolPorts[${i}].ports[${k}]`)).name;
      });
      bytes[offset + 9] = MACH_MSG_VIRTUAL_COPY;
      bytes[offset + 10] = disposition;
      bytes[offset + 11] = MACH_MSG_OOL_PORTS_DESCRIPTOR;
      writeWord(bytes, offset + 12, names.length);
      oolPorts!.push(names);
      offset += MACH_MSG_OOL_PORTS_DESCRIPTOR_SIZE;
    }
  }
  if (body !== undefined) bytes.set(body, offset);
  return { bytes, ool, oolPorts, moved: moved.length > 0 ? moved : undefined };
}

/** Writes a little-endian (host order) 32-bit word. */
function writeWord(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value;
  bytes[offset + 1] = value >>> 8;
  bytes[offset + 2] = value >>> 16;
  bytes[offset + 3] = value >>> 24;
}

/** The sender's credentials, as the audit trailer carries them. */
export interface AuditToken {
  auditUserId: number;
  effectiveUserId: number;
  effectiveGroupId: number;
  realUserId: number;
  realGroupId: number;
  /** The sending process (0: the kernel, or the emulation speaking for it). */
  pid: number;
  auditSessionId: number;
  pidVersion: number;
}

/** The trailer of a received message, as far as the receive asked for it. */
export interface Trailer {
  /** Bytes of trailer received (8 for none, 12 with seqno, 20 with sender, 52 with audit). */
  size: number;
  seqno?: number;
  sender?: { uid: number; gid: number };
  audit?: AuditToken;
}

/** A notification from the kernel (or the emulation), decoded. */
export type Notification =
  | {
      kind: 'dead-name';
      /** The name that died. */
      name: number;
      /** The user reference the notification carries on the dead name (see Port notification events). */
      deadName: Port | null;
    }
  | { kind: 'port-deleted'; name: number }
  | { kind: 'send-possible'; name: number }
  | { kind: 'no-senders'; makeSendCount: number }
  | { kind: 'port-destroyed'; port: Port | null }
  | { kind: 'send-once' };

/** The kind of a notification, as event names use it. */
export type NotificationKind = Notification['kind'];

/** One received out-of-line-ports descriptor. */
export interface ReceivedPortArray {
  /** The names as they arrived (MACH_PORT_NULL and MACH_PORT_DEAD included). */
  readonly names: Uint32Array;
  /** A Port owning each right (null for MACH_PORT_NULL / MACH_PORT_DEAD). */
  readonly ports: readonly (Port | null)[];
}

/** A received message: the complete bytes, and every right and region it carried, owned by JS objects. */
export class ReceivedMessage {
  /** Header, body and trailer, as received. */
  readonly bytes: Uint8Array;
  /** The reply right (msgh_remote_port as received), if any. */
  readonly replyPort: Port | null;
  /** One entry per port descriptor, in order. */
  readonly ports: readonly (Port | null)[];
  /** One region per out-of-line descriptor, in order (backed by the received mapping). */
  readonly ool: readonly Uint8Array[];
  /** One entry per out-of-line-ports descriptor, in order. */
  readonly oolPorts: readonly ReceivedPortArray[];
  /** For a port set: the member the message arrived on. */
  readonly receivedOn: Port | null;
  /** The notification this message is, when the trailer proves it comes from the kernel. */
  readonly notification: Notification | undefined;
  /** msgh_bits. */
  readonly bits: number;
  /** msgh_size: header and body, without the trailer. */
  readonly size: number;
  /** msgh_id. */
  readonly id: number;

  /** @internal Built by the runtime from what the addon received. */
  constructor(
    bytes: Uint8Array,
    ports: readonly (Port | null)[] | undefined,
    ool: readonly Uint8Array[] | undefined,
    oolPorts: readonly ReceivedPortArray[] | undefined,
    receivedOn: Port | null,
    adoptDeadName: (name: number) => Port | null,
  ) {
    this.bytes = bytes;
    this.bits = readUint32(bytes, 0);
    this.size = readUint32(bytes, 4);
    this.id = readUint32(bytes, 20) | 0;
    this.replyPort = ports?.[0] ?? null;
    this.ports = ports !== undefined && ports.length > 1 ? ports.slice(1) : NONE;
    this.ool = ool ?? NONE;
    this.oolPorts = oolPorts ?? NONE;
    this.receivedOn = receivedOn;
    this.notification = NOTIFICATION_IDS.has(this.id) ? decodeNotification(this, adoptDeadName) : undefined;
  }

  /** msgh_local_port: the name of the receive right the message arrived on. */
  get localPortName(): number {
    return readUint32(this.bytes, 12);
  }
  /** Whether the message carries descriptors. */
  get complex(): boolean {
    return (this.bits & MACH_MSGH_BITS_COMPLEX) !== 0;
  }
  /** Offset of the inline data after the header and descriptors. */
  get bodyOffset(): number {
    if (!this.complex) return MACH_MSG_HEADER_SIZE;
    const count = readUint32(this.bytes, MACH_MSG_HEADER_SIZE);
    let offset = MACH_MSG_HEADER_SIZE + MACH_MSG_BODY_SIZE;
    for (let i = 0; i < count && offset + 12 <= this.size; i++) {
      offset += this.bytes[offset + 11] === MACH_MSG_PORT_DESCRIPTOR ? MACH_MSG_PORT_DESCRIPTOR_SIZE : MACH_MSG_OOL_DESCRIPTOR_SIZE;
    }
    return offset;
  }
  /** The inline data after the header and descriptors (a view into `bytes`). */
  get body(): Uint8Array {
    return this.bytes.subarray(this.bodyOffset, this.size);
  }
  /** The trailer, decoded as far as it was requested. */
  get trailer(): Trailer {
    return decodeTrailer(this.bytes, this.size);
  }

  /**
   * Releases every right and region the message still holds (Mach's
   * mach_msg_destroy): closes its Ports and releases its out-of-line regions.
   * Ports taken out of the message and kept must not be destroyed this way.
   */
  destroy(): void {
    const all = [this.replyPort, ...this.ports, ...this.oolPorts.flatMap((a) => a.ports)];
    if (this.notification?.kind === 'dead-name') all.push(this.notification.deadName);
    for (const port of all) port?.close();
    for (const region of this.ool) {
      if (region.byteLength > 0 && native.isOutOfLineRegion(region)) native.releaseOutOfLine(region);
    }
  }
}

/** A little-endian (host order on every Mach platform tsmig runs on) 32-bit word of a message. */
function readUint32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

function decodeTrailer(bytes: Uint8Array, size: number): Trailer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const trailerSize = size + 8 <= bytes.length ? view.getUint32(size + 4, true) : 0;
  const trailer: Trailer = { size: trailerSize };
  if (trailerSize >= 12) trailer.seqno = view.getUint32(size + 8, true);
  if (trailerSize >= 20) trailer.sender = { uid: view.getUint32(size + 12, true), gid: view.getUint32(size + 16, true) };
  if (trailerSize >= 52) {
    const at = (i: number): number => view.getUint32(size + 20 + 4 * i, true);
    trailer.audit = {
      auditUserId: at(0),
      effectiveUserId: at(1),
      effectiveGroupId: at(2),
      realUserId: at(3),
      realGroupId: at(4),
      pid: at(5),
      auditSessionId: at(6),
      pidVersion: at(7),
    };
  }
  return trailer;
}

const NOTIFICATION_IDS = new Set([
  MACH_NOTIFY_PORT_DELETED,
  MACH_NOTIFY_SEND_POSSIBLE,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_SEND_ONCE,
  MACH_NOTIFY_DEAD_NAME,
]);

/**
 * A notification, when the message has a notification id, the layout of
 * one, and an audit trailer naming the kernel (pid 0): another process
 * cannot forge one and make the runtime drop a reference.
 */
function decodeNotification(
  message: ReceivedMessage,
  adoptDeadName: (name: number) => Port | null,
): Notification | undefined {
  const id = message.id;
  if (message.trailer.audit?.pid !== 0 || message.replyPort !== null) return undefined;
  const size = message.size;
  const word = (): number => readUint32(message.bytes, MACH_MSG_HEADER_SIZE + 8);
  switch (id) {
    case MACH_NOTIFY_DEAD_NAME:
      if (size !== 36 || message.complex) return undefined;
      return { kind: 'dead-name', name: word(), deadName: adoptDeadName(word()) };
    case MACH_NOTIFY_PORT_DELETED:
      return size === 36 && !message.complex ? { kind: 'port-deleted', name: word() } : undefined;
    case MACH_NOTIFY_SEND_POSSIBLE:
      return size === 36 && !message.complex ? { kind: 'send-possible', name: word() } : undefined;
    case MACH_NOTIFY_NO_SENDERS:
      return size === 36 && !message.complex ? { kind: 'no-senders', makeSendCount: word() } : undefined;
    case MACH_NOTIFY_PORT_DESTROYED:
      return message.complex && message.ports.length === 1 ? { kind: 'port-destroyed', port: message.ports[0] } : undefined;
    case MACH_NOTIFY_SEND_ONCE:
      return size === MACH_MSG_HEADER_SIZE ? { kind: 'send-once' } : undefined;
    default:
      return undefined;
  }
}
