// MIG support: the byte-level pieces generated stubs build and read Apple's
// message layouts with. Generated encoders and decoders print the layout's
// offsets and call these helpers for the repetitive parts (header,
// descriptors, NDR record, arrays, C strings, range checks); nothing here
// knows a layout of its own. Every reader is bounds-safe given the checks the
// generated decoder makes first, and every writer validates the value it is
// given, so a bad argument is a clear TypeError/RangeError, never a wrong
// message on the wire. Multi-byte values are little-endian: the byte order of
// every Mach host tsmig runs on (x86_64, arm64).

import {
  MACH_MSGH_BITS_COMPLEX,
  MACH_MSG_OOL_DESCRIPTOR,
  MACH_MSG_OOL_PORTS_DESCRIPTOR,
  MACH_MSG_PHYSICAL_COPY,
  MACH_MSG_PORT_DESCRIPTOR,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_VIRTUAL_COPY,
} from '../constants.js';
import type { AuditToken } from '../message.js';

/** A port as a message names it: the sender's (or receiver's) name and the disposition it travels with. */
export interface PortName {
  /** The port name (MACH_PORT_NULL for none). */
  readonly name: number;
  /** MACH_MSG_TYPE_* (16–21): sent dispositions in outgoing messages, received kinds in received ones. */
  readonly disposition: number;
}

/** A message an encoder built: Mach's bytes with port names in place, and its out-of-line buffers. */
export interface WireMessage {
  /** Header to end (msgh_size bytes); out-of-line descriptors' addresses are zero. */
  readonly bytes: Uint8Array;
  /** The data of each out-of-line descriptor, in order. */
  readonly ool: readonly Uint8Array[];
  /** The names of each out-of-line-ports descriptor, in order. */
  readonly oolPorts: readonly Uint32Array[];
}

/**
 * A received message as decoders read it (a runtime ReceivedMessage is one):
 * the bytes as received, the trailer after msgh_size, and the out-of-line
 * regions and port names in descriptor order.
 */
export interface WireIn {
  readonly bytes: Uint8Array;
  readonly ool: readonly Uint8Array[];
  readonly oolPorts: readonly { readonly names: Uint32Array }[];
}

/** The empty list encoders share for messages without out-of-line data. */
export const NO_BUFFERS: readonly never[] = Object.freeze([]);

/** Rounds a byte count up to a multiple of 4 (MIG's `_WALIGN_`). */
export function round4(n: number): number {
  return (n + 3) & ~3;
}

/** A DataView over exactly the bytes of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes a mach_msg_header_t: bits, size, remote, local, voucher (0), id. */
export function writeHeader(view: DataView, bits: number, size: number, remote: number, local: number, id: number): void {
  view.setUint32(0, bits >>> 0, true);
  view.setUint32(4, size, true);
  view.setUint32(8, remote, true);
  view.setUint32(12, local, true);
  view.setUint32(16, 0, true);
  view.setInt32(20, id, true);
}

/** msgh_bits of a message: remote and local dispositions, and the complex bit. */
export function messageBits(remote: number, local: number, complex: boolean): number {
  return ((remote & 0x1f) | ((local & 0x1f) << 8) | (complex ? MACH_MSGH_BITS_COMPLEX : 0)) >>> 0;
}

/** Writes NDR_record: little-endian integers, ASCII characters, IEEE floats (bytes 0,0,0,0,1,0,0,0). */
export function writeNdr(bytes: Uint8Array, offset: number): void {
  bytes[offset + 4] = 1;
}

/** Writes a mach_msg_port_descriptor_t. */
export function writePortDescriptor(view: DataView, offset: number, name: number, disposition: number): void {
  view.setUint32(offset, name, true);
  view.setUint8(offset + 10, disposition);
  view.setUint8(offset + 11, MACH_MSG_PORT_DESCRIPTOR);
}

/** Writes a mach_msg_ool_descriptor_t (the address stays zero: the runtime fills it). */
export function writeOolDescriptor(view: DataView, offset: number, size: number, deallocate: boolean, physicalCopy: boolean): void {
  view.setUint8(offset + 8, deallocate ? 1 : 0);
  view.setUint8(offset + 9, physicalCopy ? MACH_MSG_PHYSICAL_COPY : MACH_MSG_VIRTUAL_COPY);
  view.setUint8(offset + 11, MACH_MSG_OOL_DESCRIPTOR);
  view.setUint32(offset + 12, size, true);
}

/** Writes a mach_msg_ool_ports_descriptor_t (MIG always asks for a physical copy of port arrays). */
export function writeOolPortsDescriptor(view: DataView, offset: number, count: number, disposition: number, deallocate: boolean): void {
  view.setUint8(offset + 8, deallocate ? 1 : 0);
  view.setUint8(offset + 9, MACH_MSG_PHYSICAL_COPY);
  view.setUint8(offset + 10, disposition);
  view.setUint8(offset + 11, MACH_MSG_OOL_PORTS_DESCRIPTOR);
  view.setUint32(offset + 12, count, true);
}

/** A little-endian 32-bit word. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

/**
 * msgh_size of a received message, or -1 when the bytes cannot hold what it
 * claims (never from the kernel; a decoder fed arbitrary bytes returns its
 * size-check error for it).
 */
export function messageSize(bytes: Uint8Array): number {
  if (bytes.length < 24) return -1;
  const size = readU32(bytes, 4);
  return size >= 24 && size <= bytes.length ? size : -1;
}

/** Whether a received message is complex. */
export function isComplex(bytes: Uint8Array): boolean {
  return (readU32(bytes, 0) & MACH_MSGH_BITS_COMPLEX) !== 0;
}

/**
 * The out-of-line region of descriptor `index`, if the message has it with
 * exactly `size` bytes (the kernel guarantees it; decoders fed arbitrary
 * input treat a mismatch as a type error).
 */
export function oolRegion(message: WireIn, index: number, size: number): Uint8Array | undefined {
  const region = message.ool[index];
  return region instanceof Uint8Array && region.byteLength === size ? region : undefined;
}

/** The names of out-of-line-ports descriptor `index`, if the message has exactly `count` of them. */
export function oolPortNames(message: WireIn, index: number, count: number): Uint32Array | undefined {
  const names = message.oolPorts[index]?.names;
  return names instanceof Uint32Array && names.length === count ? names : undefined;
}

/** The names of an out-of-line-ports descriptor as ports with one (received) disposition. */
export function portNames(names: Uint32Array, disposition: number): PortName[] {
  const ports = new Array<PortName>(names.length);
  for (let i = 0; i < names.length; i++) ports[i] = { name: names[i], disposition };
  return ports;
}

/** A port descriptor as the receiver got it. */
export function readPortDescriptor(bytes: Uint8Array, offset: number): PortName {
  return { name: readU32(bytes, offset), disposition: bytes[offset + 10] };
}

function fail(what: string, expectation: string, value: unknown): never {
  const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new RangeError(`${what}: expected ${expectation}, got ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`);
}

/**
 * Checks an integer argument for a field of `bits` bits. Signed and
 * unsigned fields take their own range; a field of unspecified signedness
 * takes either (the bytes are the same).
 */
export function checkInt(value: number, bits: 8 | 16 | 32, signedness: 'signed' | 'unsigned' | 'either', what: string): number {
  const low = signedness === 'unsigned' ? 0 : -(2 ** (bits - 1));
  const high = signedness === 'signed' ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (!Number.isInteger(value) || value < low || value > high) {
    fail(what, `a ${signedness === 'either' ? '' : `${signedness} `}${bits}-bit integer`, value);
  }
  return value;
}

/** Checks a 64-bit integer argument (a bigint). */
export function checkBigInt(value: bigint, signedness: 'signed' | 'unsigned' | 'either', what: string): bigint {
  const ok =
    typeof value === 'bigint' &&
    (signedness === 'signed'
      ? BigInt.asIntN(64, value) === value
      : signedness === 'unsigned'
        ? BigInt.asUintN(64, value) === value
        : BigInt.asIntN(64, value) === value || BigInt.asUintN(64, value) === value);
  if (!ok) fail(what, `a ${signedness === 'either' ? '' : `${signedness} `}64-bit integer (a bigint)`, value);
  return value;
}

/** Checks a number argument sent as a float or double. */
export function checkReal(value: number, what: string): number {
  if (typeof value !== 'number') fail(what, 'a number', value);
  return value;
}

/** Checks a boolean argument and returns its boolean_t value. */
export function checkBoolean(value: boolean, what: string): number {
  if (typeof value !== 'boolean') fail(what, 'a boolean', value);
  return value ? 1 : 0;
}

/** Checks a port argument at the wire level and returns its name. */
export function checkPortName(port: PortName, what: string): number {
  if (typeof port !== 'object' || port === null || !Number.isInteger(port.name) || port.name < 0 || port.name > 0xffffffff) {
    fail(what, 'a port { name, disposition }', port);
  }
  return port.name;
}

/** Checks the disposition a polymorphic port is sent with (16–21). */
export function checkDisposition(port: PortName, what: string): number {
  const d = port.disposition;
  if (!Number.isInteger(d) || d < MACH_MSG_TYPE_MOVE_RECEIVE || d > MACH_MSG_TYPE_MAKE_SEND_ONCE) {
    fail(`${what}.disposition`, 'a port disposition, MACH_MSG_TYPE_MOVE_RECEIVE (16) to MACH_MSG_TYPE_MAKE_SEND_ONCE (21)', d);
  }
  return d;
}

/**
 * Checks an array argument: a typed array whose elements are `elementBytes`
 * wide, holding a whole number of `countBytes`-byte counted elements, at
 * most `maxCount` of them (exactly, when `exact`). Returns the count.
 */
export function arrayCount(
  value: ArrayBufferView,
  elementBytes: number,
  countBytes: number,
  maxCount: number,
  exact: boolean,
  what: string,
): number {
  if (!ArrayBuffer.isView(value) || (value as Uint8Array).BYTES_PER_ELEMENT !== elementBytes) {
    fail(what, `a typed array of ${elementBytes}-byte elements`, value === null || typeof value !== 'object' ? value : value.constructor?.name);
  }
  const count = value.byteLength / countBytes;
  if (!Number.isInteger(count)) fail(what, `a multiple of ${countBytes / elementBytes} elements`, `${value.byteLength / elementBytes} elements`);
  if (exact ? count !== maxCount : count > maxCount) {
    fail(what, exact ? `exactly ${maxCount} elements` : `at most ${maxCount} elements`, `${count}`);
  }
  return count;
}

/** Checks an array of ports: its length, exactly or at most `maxCount`. */
export function portArrayCount(value: readonly unknown[], maxCount: number, exact: boolean, what: string): number {
  if (!Array.isArray(value)) fail(what, 'an array of ports', value);
  if (exact ? value.length !== maxCount : value.length > maxCount) {
    fail(what, exact ? `exactly ${maxCount} ports` : `at most ${maxCount} ports`, `${value.length}`);
  }
  return value.length;
}

/** Copies the bytes of a typed array into the message. */
export function writeArray(bytes: Uint8Array, offset: number, value: ArrayBufferView): void {
  bytes.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), offset);
}

/** The bytes of a typed array, as a Uint8Array over the same memory (for out-of-line data). */
export function bytesOf(value: ArrayBufferView): Uint8Array {
  return value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Typed array classes generated code reads arrays as. */
export type TypedArrayClass<T> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** A fresh, aligned copy of `count` elements at `offset`. */
export function readArray<T>(type: TypedArrayClass<T>, bytes: Uint8Array, offset: number, count: number): T {
  const copy = bytes.slice(offset, offset + count * type.BYTES_PER_ELEMENT);
  return new type(copy.buffer, 0, count);
}

/**
 * The first `count` elements of an out-of-line region as a typed array: a
 * view of the region itself when it is aligned for the element type (the
 * usual case: regions are page-aligned), a copy otherwise.
 */
export function regionAs<T>(type: TypedArrayClass<T>, region: Uint8Array, count: number): T {
  if (region.byteOffset % type.BYTES_PER_ELEMENT === 0) return new type(region.buffer, region.byteOffset, count);
  return readArray(type, region, 0, count);
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/**
 * A C string argument as bytes: UTF-8, NUL-terminated, at most `max` bytes
 * with the NUL (MIG's bound). A NUL inside the string is refused: the
 * receiver would see a shorter string than the caller sent.
 */
export function encodeCString(value: string, max: number, what: string): Uint8Array {
  if (typeof value !== 'string') fail(what, 'a string', value);
  if (value.includes('\0')) fail(what, 'a string without NUL characters', value);
  const bytes = utf8.encode(value);
  if (bytes.length + 1 > max) fail(what, `at most ${max - 1} bytes of UTF-8 (the NUL makes ${max})`, `${bytes.length} bytes`);
  const terminated = new Uint8Array(bytes.length + 1);
  terminated.set(bytes);
  return terminated;
}

/** The C string at `offset`: UTF-8 up to the first NUL within `limit` bytes (or all of them). */
export function decodeCString(bytes: Uint8Array, offset: number, limit: number): string {
  const end = Math.min(offset + limit, bytes.length);
  let nul = offset;
  while (nul < end && bytes[nul] !== 0) nul++;
  return utf8Decoder.decode(bytes.subarray(offset, nul));
}

/** Whether a NUL occurs in `limit` bytes at `offset`, never reading past `end` (MIG's c_string check). */
export function hasNul(bytes: Uint8Array, offset: number, limit: number, end: number): boolean {
  const stop = Math.min(offset + limit, end);
  for (let i = offset; i < stop; i++) if (bytes[i] === 0) return true;
  return false;
}

/** A security token from a trailer (mach_msg_security_trailer_t's sender: uid and gid). */
export interface SecurityToken {
  uid: number;
  gid: number;
}

/** The security token at `offset` (two 32-bit words). */
export function readSecurityToken(bytes: Uint8Array, offset: number): SecurityToken {
  return { uid: readU32(bytes, offset), gid: readU32(bytes, offset + 4) };
}

/** The audit token at `offset` (eight 32-bit words; the sender's pid is the sixth). */
export function readAuditToken(bytes: Uint8Array, offset: number): AuditToken {
  const word = (i: number): number => readU32(bytes, offset + 4 * i);
  return {
    auditUserId: word(0),
    effectiveUserId: word(1),
    effectiveGroupId: word(2),
    realUserId: word(3),
    realGroupId: word(4),
    pid: word(5),
    auditSessionId: word(6),
    pidVersion: word(7),
  };
}

/**
 * The one disposition a polymorphic array of ports travels with (MIG has a
 * single poly value per array): every entry must name the same one. An empty
 * array sends COPY_SEND, which nothing reads.
 */
export function commonDisposition(ports: readonly PortName[], what: string): number {
  if (ports.length === 0) return 19;
  const first = checkDisposition(ports[0], `${what}[0]`);
  for (let i = 1; i < ports.length; i++) {
    if (checkDisposition(ports[i], `${what}[${i}]`) !== first) fail(`${what}[${i}].disposition`, `${first}, the disposition of the whole array`, ports[i].disposition);
  }
  return first;
}

/** The names of an array of ports, for an out-of-line-ports descriptor. */
export function namesOf(ports: readonly PortName[], what: string): Uint32Array {
  const names = new Uint32Array(ports.length);
  for (let i = 0; i < ports.length; i++) names[i] = checkPortName(ports[i], `${what}[${i}]`);
  return names;
}

/** `count` port descriptors from `offset` on, as the receiver got them. */
export function readPortDescriptors(bytes: Uint8Array, offset: number, count: number): PortName[] {
  const ports = new Array<PortName>(count);
  for (let i = 0; i < count; i++) ports[i] = readPortDescriptor(bytes, offset + 12 * i);
  return ports;
}
