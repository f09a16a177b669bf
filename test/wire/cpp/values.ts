// Wire corpus, C++ replay: argument values ⇄ bytes, by IR type.
//
// A corpus value is JSON (test/wire/README.md): numbers, decimal strings for
// 64-bit integers, booleans, hex strings for arrays of bytes, lists for other
// arrays, strings for c_string, `{ name, disposition }` for ports. The C++
// drivers move raw bytes; this module turns a value into the little-endian
// bytes a C variable of the argument's type holds, and bytes back into a
// value, from the IR's element facts alone (never from an emitter).

import type { IrType } from '../../../generator/check/ir.js';

/** How one scalar element is stored. */
export interface Scalar {
  bytes: number;
  kind: 'signed' | 'unsigned' | 'float' | 'bool';
}

/** The scalar element of a type (for arrays and structs, of their elements). */
export function scalarOf(t: IrType): Scalar {
  const bits = t.ipc.bits;
  const name = t.ipc.sentName;
  if (
    name === 'MACH_MSG_TYPE_REAL_32' ||
    name === 'MACH_MSG_TYPE_REAL_64' ||
    name === 'MACH_MSG_TYPE_REAL'
  )
    return { bytes: bits / 8, kind: 'float' };
  if (name === 'MACH_MSG_TYPE_BOOLEAN') return { bytes: 4, kind: 'bool' };
  const signed =
    t.signedness === 'signed' ||
    (t.signedness === 'unspecified' && name === 'MACH_MSG_TYPE_INTEGER_32');
  return { bytes: Math.max(1, bits / 8), kind: signed ? 'signed' : 'unsigned' };
}

/** Bytes of one counted element (a struct element counts as one). */
export function elementBytes(t: IrType): number {
  const e = t.arrayElement ?? t;
  return e.byteSize || Math.ceil((e.elementCount * e.ipc.bits) / 8);
}

/** Parses a hex string (spaces ignored). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2) throw new Error(`odd hex length: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex without spaces. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function writeScalar(view: DataView, at: number, s: Scalar, v: unknown): void {
  if (s.kind === 'bool') {
    view.setUint32(at, v === true || v === 1 ? 1 : 0, true);
    return;
  }
  if (s.kind === 'float') {
    if (s.bytes === 4) view.setFloat32(at, Number(v), true);
    else view.setFloat64(at, Number(v), true);
    return;
  }
  const big = BigInt(typeof v === 'string' ? v : Math.trunc(Number(v)));
  const mask = (1n << BigInt(8 * s.bytes)) - 1n;
  const u = big & mask;
  for (let i = 0; i < s.bytes; i++) view.setUint8(at + i, Number((u >> BigInt(8 * i)) & 0xffn));
}

function readScalar(view: DataView, at: number, s: Scalar): unknown {
  if (s.kind === 'bool') return view.getUint32(at, true) !== 0;
  if (s.kind === 'float')
    return s.bytes === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
  let u = 0n;
  for (let i = 0; i < s.bytes; i++) u |= BigInt(view.getUint8(at + i)) << BigInt(8 * i);
  if (s.kind === 'signed' && u >> BigInt(8 * s.bytes - 1)) u -= 1n << BigInt(8 * s.bytes);
  return s.bytes === 8 ? u.toString() : Number(u);
}

/** The bytes a value of type `t` occupies (a scalar, or every element of an array, struct or region). */
export function valueBytes(t: IrType, value: unknown): Uint8Array {
  if (typeof value === 'string' && t.string) return new TextEncoder().encode(value);
  if (typeof value === 'string' && scalarOf(t).bytes === 1 && isArrayType(t)) return fromHex(value);
  const s = scalarOf(t);
  const list = Array.isArray(value) ? value : [value];
  const out = new Uint8Array(list.length * s.bytes);
  const view = new DataView(out.buffer);
  list.forEach((v, i) => writeScalar(view, i * s.bytes, s, v));
  return out;
}

/** The value that `bytes` hold for type `t` (the inverse of valueBytes). */
export function bytesValue(t: IrType, bytes: Uint8Array): unknown {
  if (t.string) {
    const nul = bytes.indexOf(0);
    return new TextDecoder().decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
  }
  const s = scalarOf(t);
  if (isArrayType(t) && s.bytes === 1) return toHex(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const list: unknown[] = [];
  for (let at = 0; at + s.bytes <= bytes.length; at += s.bytes) list.push(readScalar(view, at, s));
  return isArrayType(t) ? list : list[0];
}

/** True when a value of `t` is written as a list (or hex) rather than one scalar. */
export function isArrayType(t: IrType): boolean {
  return t.elementCount !== 1 || t.variable || t.shape.kind !== 'basic';
}

/** How many counted elements a value carries (the MIG count for a variable array). */
export function countOf(t: IrType, value: unknown): number {
  if (Array.isArray(value) && (t.category === 'port' || t.category === 'oolPorts'))
    return value.length;
  const bytes = valueBytes(t, value).length;
  if (t.string) return bytes + 1;
  return bytes / elementBytes(t);
}
