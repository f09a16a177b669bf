// The wire corpus (README.md beside this file): its JSON shape as types,
// loading a corpus file with its interface compiled by the front end, the
// bytes of a vector's message (hex, hand-written fields, or byte patches of
// another vector), and the received form every decoder reads. Values in
// JSON become the wire layer's TypeScript values by the rules of README.md
// § Values in JSON.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileDefs, type CompileResult } from '../../generator/check/compile.js';
import type { IrArgument, IrRoutine } from '../../generator/check/ir.js';
import { codecOf } from '../../generator/emit/ts/types.js';
import type { MessageLayout, RoutineLayout } from '../../generator/layout/types.js';
import { assembleFields, type FieldEntry } from './fields.js';

export const wireDir = dirname(fileURLToPath(import.meta.url));

/** Where a vector's bytes came from. */
export type Provenance =
  | { source: 'apple-mig'; tool: string; stub: 'user' | 'server'; arch: string }
  | { source: 'hand'; by?: string };

/** A message: its bytes one of three ways, plus its out-of-line data. */
export interface MessageJson {
  hex?: string;
  fields?: FieldEntry[];
  /** Bytes of another vector's message, patched: `[offset, hex]` pairs, then cut or zero-extended to `size`. */
  from?: string;
  patch?: [number, string][];
  size?: number;
  dontCare?: [number, number][];
  ool?: string[];
  oolPorts?: number[][];
}

/** A port value in JSON. */
export interface PortJson {
  name: number;
  disposition: number;
}

/** One vector (README.md § Vectors). */
export interface VectorJson {
  name: string;
  kind: 'request' | 'reply' | 'errorReply' | 'badRequest' | 'badReply';
  routine?: string;
  provenance: Provenance;
  values?: Record<string, unknown>;
  replyPort?: PortJson;
  replyTo?: PortJson;
  trailer?: { seqno?: number; sender?: number[]; audit?: number[]; format?: number; size?: number };
  capacities?: Record<string, number>;
  error?: string | number;
  /** For bad messages: false when no kernel would deliver it (only the pure decoders replay it). */
  deliverable?: boolean;
  note?: string;
  message: MessageJson;
}

/** A corpus file. */
export interface CorpusJson {
  interface: string;
  vectors: VectorJson[];
}

/** A corpus file loaded with its interface. */
export interface Corpus {
  file: string;
  json: CorpusJson;
  compiled: CompileResult;
  /** The vector named `name`. */
  vector(name: string): VectorJson;
  routine(name: string): { rt: IrRoutine; layout: RoutineLayout };
}

/** A message's bytes and out-of-line parts, decoded from JSON. */
export interface MessageBytes {
  bytes: Uint8Array;
  dontCare: [number, number][];
  ool: Uint8Array[];
  oolPorts: Uint32Array[];
}

/** Every corpus file, loaded. */
export function loadCorpora(): Corpus[] {
  return readdirSync(join(wireDir, 'vectors'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => loadCorpus(join(wireDir, 'vectors', f)));
}

export function loadCorpus(file: string): Corpus {
  const json = JSON.parse(readFileSync(file, 'utf8')) as CorpusJson;
  const compiled = compileDefs({ file: join(wireDir, 'defs', `${json.interface}.defs`) });
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`${json.interface}.defs: ${errors.map((e) => e.message).join('; ')}`);
  const byName = new Map(json.vectors.map((v) => [v.name, v]));
  return {
    file,
    json,
    compiled,
    vector(name) {
      const v = byName.get(name);
      if (v === undefined) throw new Error(`${file}: no vector named ${name}`);
      return v;
    },
    routine(name) {
      const index = compiled.ir.routines.findIndex((r) => r.name === name);
      if (index < 0) throw new Error(`${json.interface}: no routine ${name}`);
      return { rt: compiled.ir.routines[index], layout: compiled.layouts.routines[index]! };
    },
  };
}

/** Bytes from hex (spaces and newlines ignored). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex: ${hex.slice(0, 40)}`);
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The message of a vector: its bytes (from hex, fields, or another vector patched) and out-of-line parts. */
export function messageOf(corpus: Corpus, vector: VectorJson): MessageBytes {
  const m = vector.message;
  let bytes: Uint8Array;
  let dontCare: [number, number][] = m.dontCare ?? [];
  if (m.hex !== undefined) {
    bytes = fromHex(m.hex);
  } else if (m.fields !== undefined) {
    const assembled = assembleFields(m.fields);
    bytes = assembled.bytes;
    dontCare = [...dontCare, ...assembled.dontCare];
  } else if (m.from !== undefined) {
    const base = messageOf(corpus, corpus.vector(m.from));
    bytes = base.bytes.slice();
    for (const [offset, hex] of m.patch ?? []) bytes.set(fromHex(hex), offset);
    if (m.size !== undefined) {
      const sized = new Uint8Array(m.size);
      sized.set(bytes.subarray(0, Math.min(m.size, bytes.length)));
      bytes = sized;
    }
    dontCare = [...dontCare, ...base.dontCare.filter(([, end]) => end <= bytes.length)];
    return {
      bytes,
      dontCare,
      ool: m.ool?.map(fromHex) ?? base.ool,
      oolPorts: m.oolPorts?.map((names) => Uint32Array.from(names)) ?? base.oolPorts,
    };
  } else {
    throw new Error(`${vector.name}: the message has no hex, fields or from`);
  }
  return {
    bytes,
    dontCare,
    ool: (m.ool ?? []).map(fromHex),
    oolPorts: (m.oolPorts ?? []).map((names) => Uint32Array.from(names)),
  };
}

/** Copies `bytes` with every don't-care range zeroed, for comparisons. */
export function masked(bytes: Uint8Array, dontCare: [number, number][]): Uint8Array {
  const copy = bytes.slice();
  for (const [start, end] of dontCare) copy.fill(0, start, Math.min(end, copy.length));
  return copy;
}

/** The kind of right a receiver gets for a sent disposition. */
export function receivedKind(disposition: number): number {
  switch (disposition) {
    case 19:
    case 20:
      return 17;
    case 21:
      return 18;
    default:
      return disposition;
  }
}

/**
 * The received form of a message (README.md § The received form): header
 * ports swapped with their received kinds, descriptors' dispositions as
 * received, and a trailer (format 0, 52 bytes: seqno, sender, audit).
 */
export function receivedForm(sent: Uint8Array, trailer: VectorJson['trailer'] = {}): Uint8Array {
  const size = sent.length;
  // A trailer larger than the default (the context token's 60 bytes) when the vector says so.
  const bytes = new Uint8Array(size + Math.max(52, trailer.size ?? 52));
  bytes.set(sent);
  const view = new DataView(bytes.buffer);
  if (size >= 24) {
    // The kernel writes msgh_size: the size the sender sent.
    view.setUint32(4, size, true);
    const bits = view.getUint32(0, true);
    const remote = bits & 0x1f;
    const local = (bits >>> 8) & 0x1f;
    const newBits = (bits & 0x80000000) | receivedKind(local) | (receivedKind(remote) << 8);
    view.setUint32(0, newBits >>> 0, true);
    const remoteName = view.getUint32(8, true);
    view.setUint32(8, view.getUint32(12, true), true);
    view.setUint32(12, remoteName, true);
    view.setUint32(16, 0, true);
  }
  if (size >= 28 && (view.getUint32(0, true) & 0x80000000) !== 0) {
    // The kernel writes each received descriptor afresh (XNU's copyout).
    const count = view.getUint32(24, true);
    let at = 28;
    for (let i = 0; i < count && at + 12 <= size; i++) {
      const type = bytes[at + 11];
      if (type === 0) {
        view.setUint32(at + 4, 0, true);
        view.setUint16(at + 8, 0, true);
        bytes[at + 10] = receivedKind(bytes[at + 10]);
        at += 12;
      } else {
        if (at + 16 > size) break;
        // OOL data: the receiver owns a virtual copy (deallocate set); OOL ports: always deallocate.
        if (type === 1) {
          bytes[at + 8] = bytes[at + 9] === 1 ? 1 : 0;
          bytes[at + 10] = 0;
        } else if (type === 2) {
          bytes[at + 8] = 1;
          bytes[at + 10] = receivedKind(bytes[at + 10]);
        }
        at += 16;
      }
    }
  }
  view.setUint32(size, trailer.format ?? 0, true);
  view.setUint32(size + 4, trailer.size ?? 52, true);
  view.setUint32(size + 8, trailer.seqno ?? 0, true);
  (trailer.sender ?? [0, 0]).forEach((w, i) => view.setUint32(size + 12 + 4 * i, w, true));
  (trailer.audit ?? [0, 0, 0, 0, 0, 0, 0, 0]).forEach((w, i) => view.setUint32(size + 20 + 4 * i, w, true));
  return bytes;
}

/** The arguments of a message whose values a vector lists (by the wire layer's rules). */
function argumentOf(rt: IrRoutine, key: string, which: 'request' | 'reply'): IrArgument {
  const arg = rt.args.find((a) => a.name === key && (which === 'request' ? a.inRequest : a.inReply) && a.kind !== 'count' && a.kind !== 'sameCount');
  if (arg === undefined) throw new Error(`${rt.name}: no ${which} value named ${key}`);
  return arg;
}

const TYPED_ARRAYS: Record<string, { from(values: ArrayLike<number> | ArrayLike<bigint>): ArrayBufferView }> = {
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array: { from: (v) => BigInt64Array.from(v as ArrayLike<bigint>) },
  BigUint64Array: { from: (v) => BigUint64Array.from(v as ArrayLike<bigint>) },
};

function jsonArray(cls: string, json: unknown): ArrayBufferView {
  if (typeof json === 'string') {
    const raw = fromHex(json);
    const element = (globalThis as unknown as Record<string, { BYTES_PER_ELEMENT: number; new (b: ArrayBufferLike, o: number, l: number): ArrayBufferView }>)[cls];
    return new element(raw.buffer, 0, raw.length / element.BYTES_PER_ELEMENT);
  }
  const list = json as (number | string)[];
  const big = cls.startsWith('Big');
  return TYPED_ARRAYS[cls].from(big ? list.map((v) => BigInt(v)) : (list as number[]));
}

/** A value from JSON as the wire layer takes it, for one argument. */
export function valueFromJson(arg: IrArgument, json: unknown): unknown {
  switch (arg.kind) {
    case 'countInOut':
      return json as number;
    case 'dealloc':
      return json as boolean;
    case 'msgSeqno':
    case 'secToken':
    case 'auditToken':
    case 'contextToken':
      return json;
    default:
      break;
  }
  const codec = codecOf(arg);
  switch (codec.kind) {
    case 'scalar':
      return codec.scalar.kind === 'bigint' ? BigInt(json as string) : json;
    case 'array':
      return jsonArray(codec.element.cls, json);
    case 'regions':
      return (json as unknown[]).map((j) => jsonArray(codec.element.cls, j));
    case 'cstring':
      return json;
    case 'port':
      return { name: (json as PortJson).name, disposition: (json as PortJson).disposition };
    case 'ports':
      return (json as PortJson[]).map((p) => ({ name: p.name, disposition: p.disposition }));
  }
}

/** A vector's values as the wire layer takes them (the encoder's input). */
export function valuesFromJson(rt: IrRoutine, which: 'request' | 'reply', values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, json] of Object.entries(values)) out[key] = valueFromJson(argumentOf(rt, key, which), json);
  return out;
}

/** The values a decoder must return: the same, with ports as their received kinds (and trailer values added by the caller). */
export function receivedValues(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const port = (p: { name: number; disposition: number }) => ({ name: p.name, disposition: receivedKind(p.disposition) });
  for (const [key, value] of Object.entries(values)) {
    if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object' && value[0] !== null && 'disposition' in value[0]) {
      out[key] = value.map(port);
    } else if (typeof value === 'object' && value !== null && 'disposition' in value && 'name' in value) {
      out[key] = port(value as { name: number; disposition: number });
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Trailer values a decoder fills in for a routine's trailer arguments. */
export function trailerValues(layout: MessageLayout, trailer: VectorJson['trailer'] = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const audit = trailer.audit ?? [0, 0, 0, 0, 0, 0, 0, 0];
  const sender = trailer.sender ?? [0, 0];
  for (const e of layout.trailer.elements) {
    switch (e.element) {
      case 'seqno':
        out[e.arg] = trailer.seqno ?? 0;
        break;
      case 'sender':
        out[e.arg] = { uid: sender[0], gid: sender[1] };
        break;
      case 'audit':
        out[e.arg] = {
          auditUserId: audit[0],
          effectiveUserId: audit[1],
          effectiveGroupId: audit[2],
          realUserId: audit[3],
          realGroupId: audit[4],
          pid: audit[5],
          auditSessionId: audit[6],
          pidVersion: audit[7],
        };
        break;
      case 'context':
        out[e.arg] = 0n;
        break;
    }
  }
  return out;
}

/** A MIG or Mach return code by name or number. */
export function codeOf(error: string | number): number {
  if (typeof error === 'number') return error;
  const codes: Record<string, number> = {
    KERN_SUCCESS: 0,
    KERN_INVALID_ARGUMENT: 4,
    KERN_FAILURE: 5,
    MIG_TYPE_ERROR: -300,
    MIG_REPLY_MISMATCH: -301,
    MIG_REMOTE_ERROR: -302,
    MIG_BAD_ID: -303,
    MIG_BAD_ARGUMENTS: -304,
    MIG_NO_REPLY: -305,
    MIG_EXCEPTION: -306,
    MIG_ARRAY_TOO_LARGE: -307,
    MIG_SERVER_DIED: -308,
    MIG_TRAILER_ERROR: -309,
    MACH_RCV_TOO_LARGE: 0x10004004,
  };
  const code = codes[error];
  if (code === undefined) throw new Error(`unknown error name ${error}`);
  return code;
}
