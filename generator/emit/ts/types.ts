// Emit stage (TypeScript): how each MIG type is a TypeScript value. From an
// IR type this module decides the value's codec — a scalar (number, bigint,
// boolean), a typed array, a C string, a port or an array of ports — and the
// TypeScript types of the wire layer (port names) and of the typed layer
// (Ports). It reads the IR's resolved facts (IPC element, bits, signedness,
// category, shape) and never a layout offset.

import type { IrArgument, IrType } from '../../check/ir.js';
import { EmitError } from '../index.js';
import { quote } from './naming.js';

/** A scalar element: what one IPC element of a type is in TypeScript. */
export type Scalar =
  /** An integer up to 32 bits, a `number`. `readSigned`: how a receiver reads it. */
  | { kind: 'int'; bits: 8 | 16 | 32; sign: 'signed' | 'unsigned' | 'either'; readSigned: boolean }
  /** A 64-bit integer, a `bigint`. */
  | { kind: 'bigint'; sign: 'signed' | 'unsigned' | 'either'; readSigned: boolean }
  /** `boolean_t`: 32 bits, non-zero is true. */
  | { kind: 'bool' }
  /** `float` / `double`. */
  | { kind: 'real'; bits: 32 | 64 };

/** A typed array class holding a type's scalar elements. */
export interface TypedArrayInfo {
  /** `Int32Array`, `Uint8Array`, `BigInt64Array`… */
  cls: string;
  /** Bytes per element. */
  bytes: number;
}

/** How a value travels and what it is in TypeScript. */
export type Codec =
  /** One scalar in the body. */
  | { kind: 'scalar'; scalar: Scalar }
  /** An inline array or struct (fixed or variable), or one out-of-line region: a typed array. */
  | { kind: 'array'; element: TypedArrayInfo }
  /** Several out-of-line regions (a fixed array of `^T`): an array of typed arrays. */
  | { kind: 'regions'; element: TypedArrayInfo }
  /** `c_string`: a `string`. */
  | { kind: 'cstring' }
  /** One port (in the header or a descriptor). `sendPoly`: the sender chooses the disposition at run time. */
  | { kind: 'port'; sendPoly: boolean }
  /** Several ports: an inline array of port descriptors or an out-of-line ports array. */
  | { kind: 'ports'; sendPoly: boolean };

/** The innermost element of arrays, structs and out-of-line pointers. */
function innermost(t: IrType): IrType {
  switch (t.shape.kind) {
    case 'array':
    case 'struct':
      return innermost(t.shape.element);
    case 'pointer':
      return innermost(t.shape.target);
    default:
      return t;
  }
}

function unsupported(what: string, arg: IrArgument): never {
  throw new EmitError(`argument '${arg.name}': ${what} cannot be expressed in the TypeScript stubs`, arg.loc);
}

/** The scalar an IPC element is. */
export function scalarOf(t: IrType, arg: IrArgument): Scalar {
  const ipc = t.ipc;
  const sign = t.signedness === 'signed' ? 'signed' : t.signedness === 'unsigned' ? 'unsigned' : 'either';
  if (ipc.sentName === 'MACH_MSG_TYPE_BOOLEAN') return { kind: 'bool' };
  if (ipc.sentName === 'MACH_MSG_TYPE_REAL_32' || ipc.sentName === 'MACH_MSG_TYPE_REAL_64' || ipc.sentName === 'MACH_MSG_TYPE_REAL') {
    if (ipc.bits === 32 || ipc.bits === 64) return { kind: 'real', bits: ipc.bits };
    return unsupported(`a ${ipc.bits}-bit real`, arg);
  }
  // Unspecified signedness: bytes read as unsigned (char data), wider integers as signed (C's int).
  const readSigned = sign === 'signed' || (sign === 'either' && ipc.bits > 8);
  if (ipc.bits === 8 || ipc.bits === 16 || ipc.bits === 32) return { kind: 'int', bits: ipc.bits, sign, readSigned };
  if (ipc.bits === 64) return { kind: 'bigint', sign, readSigned };
  return unsupported(`a ${ipc.bits}-bit element`, arg);
}

/** The typed array class of a scalar. */
export function typedArrayOf(s: Scalar): TypedArrayInfo {
  switch (s.kind) {
    case 'bool':
      return { cls: 'Int32Array', bytes: 4 };
    case 'real':
      return s.bits === 32 ? { cls: 'Float32Array', bytes: 4 } : { cls: 'Float64Array', bytes: 8 };
    case 'bigint':
      return s.readSigned ? { cls: 'BigInt64Array', bytes: 8 } : { cls: 'BigUint64Array', bytes: 8 };
    case 'int': {
      const prefix = s.readSigned ? 'Int' : 'Uint';
      return { cls: `${prefix}${s.bits}Array`, bytes: s.bits / 8 };
    }
  }
}

/** The codec of an argument's value. */
export function codecOf(arg: IrArgument): Codec {
  const t = arg.type;
  const sendPoly = t.polymorphic === 'sent' || t.polymorphic === 'both';
  switch (t.category) {
    case 'port':
      return t.descriptorCount > 1 || t.shape.kind === 'array' ? { kind: 'ports', sendPoly } : { kind: 'port', sendPoly };
    case 'oolPorts':
      return { kind: 'ports', sendPoly };
    case 'ool': {
      const element = typedArrayOf(scalarOf(innermost(t), arg));
      return t.descriptorCount > 1 ? { kind: 'regions', element } : { kind: 'array', element };
    }
    case 'inline':
      break;
  }
  if (t.shape.kind === 'native') return unsupported('a native C type (PointerTo/ValueOf)', arg);
  if (t.shape.kind === 'gnuStruct') return unsupported("a GNU struct type", arg);
  if (t.string) return { kind: 'cstring' };
  if (t.shape.kind === 'array' || t.shape.kind === 'struct') {
    return { kind: 'array', element: typedArrayOf(scalarOf(innermost(t), arg)) };
  }
  return { kind: 'scalar', scalar: scalarOf(t, arg) };
}

/** The TypeScript type of a scalar. */
export function scalarType(s: Scalar): string {
  return s.kind === 'bigint' ? 'bigint' : s.kind === 'bool' ? 'boolean' : 'number';
}

/** The value's type in the wire layer (ports as names). */
export function wireType(c: Codec): string {
  switch (c.kind) {
    case 'scalar':
      return scalarType(c.scalar);
    case 'array':
      return c.element.cls;
    case 'regions':
      return `${c.element.cls}[]`;
    case 'cstring':
      return 'string';
    case 'port':
      return 'PortName';
    case 'ports':
      return 'PortName[]';
  }
}

/** The value's type where the typed layer sends it (a client's argument, a server's result). */
export function sentType(c: Codec): string {
  switch (c.kind) {
    case 'port':
      return c.sendPoly ? 'PortTransfer | null' : 'Port | null';
    case 'ports':
      return c.sendPoly ? 'OutOfLinePortsInit' : 'readonly (Port | null)[]';
    default:
      return wireType(c);
  }
}

/** The value's type where the typed layer receives it (a server's argument, a client's result). */
export function receivedType(c: Codec): string {
  switch (c.kind) {
    case 'port':
      return 'Port | null';
    case 'ports':
      return 'readonly (Port | null)[]';
    default:
      return wireType(c);
  }
}

/** The value of a trailer element: its TypeScript type and the helper that reads it. */
export const TRAILER_VALUES = {
  seqno: { type: 'number', doc: 'the request’s sequence number on its port' },
  sender: { type: 'SecurityToken', doc: 'the sender’s security token (uid, gid)' },
  audit: { type: 'AuditToken', doc: 'the sender’s audit token (its pid is `.pid`)' },
  context: { type: 'bigint', doc: 'the receive right’s context' },
} as const;

/** How a scalar argument is checked when sent: the runtime helper call. */
export function checkScalar(s: Scalar, value: string, what: string): string {
  const label = quote(what);
  switch (s.kind) {
    case 'int':
      return `checkInt(${value}, ${s.bits}, '${s.sign}', ${label})`;
    case 'bigint':
      return `checkBigInt(${value}, '${s.sign}', ${label})`;
    case 'bool':
      return `checkBoolean(${value}, ${label})`;
    case 'real':
      return `checkReal(${value}, ${label})`;
  }
}

/** The DataView call that writes a checked scalar at `offset`. */
export function writeScalar(s: Scalar, offset: string, checked: string): string {
  switch (s.kind) {
    case 'int':
      return `view.setUint${s.bits}(${offset}, ${checked}${s.bits === 8 ? '' : ', true'});`;
    case 'bigint':
      return `view.setBigUint64(${offset}, ${checked}, true);`;
    case 'bool':
      return `view.setUint32(${offset}, ${checked}, true);`;
    case 'real':
      return `view.setFloat${s.bits}(${offset}, ${checked}, true);`;
  }
}

/** The DataView expression that reads a scalar at `offset`. */
export function readScalar(s: Scalar, offset: string): string {
  switch (s.kind) {
    case 'int': {
      const fn = `get${s.readSigned ? 'Int' : 'Uint'}${s.bits}`;
      return s.bits === 8 ? `view.${fn}(${offset})` : `view.${fn}(${offset}, true)`;
    }
    case 'bigint':
      return `view.get${s.readSigned ? 'BigInt64' : 'BigUint64'}(${offset}, true)`;
    case 'bool':
      return `view.getUint32(${offset}, true) !== 0`;
    case 'real':
      return `view.getFloat${s.bits}(${offset}, true)`;
  }
}

/** Whether a disposition moves the sender's right (MOVE_RECEIVE, MOVE_SEND, MOVE_SEND_ONCE). */
export function isMoveDisposition(disposition: number): boolean {
  return disposition === 16 || disposition === 17 || disposition === 18;
}
