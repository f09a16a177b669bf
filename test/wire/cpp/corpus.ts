// Wire corpus, C++ replay: the vector shapes of test/wire/README.md and the
// received form every replay derives from a sent message (header ports
// swapped, dispositions turned into what a receiver sees, trailer after).

import { join } from 'node:path';
import { loadCorpora, messageOf, toHex } from '../format.js';
import { fromHex } from './values.js';

/** A port value: the sender's name and the disposition it sends. */
export interface PortValue {
  name: number;
  disposition: number;
}

/** A message as the corpus stores it. */
export interface WireMessage {
  hex: string;
  dontCare?: Array<[number, number]>;
  ool?: string[];
  oolPorts?: number[][];
}

/** Trailer elements a receiver gets. */
export interface WireTrailer {
  seqno?: number;
  sender?: [number, number];
  audit?: number[];
  /** A trailer only a broken kernel would write: its format and size (0 and the full size by default). */
  format?: number;
  size?: number;
}

/** One vector (the fields a kind does not use are absent). */
export interface Vector {
  name: string;
  kind: 'request' | 'reply' | 'errorReply' | 'badRequest' | 'badReply';
  routine?: string;
  provenance: Record<string, string>;
  message: WireMessage;
  values?: Record<string, unknown>;
  replyPort?: PortValue;
  replyTo?: PortValue;
  trailer?: WireTrailer;
  capacities?: Record<string, number>;
  error?: string | number;
  note?: string;
}

/** Where the corpus lives. */
export const WIRE_DIR = join(import.meta.dirname, '..');

/** An interface of the corpus: its .defs and the vectors of every file naming it. */
export interface CorpusInterface {
  name: string;
  defs: string;
  vectors: Vector[];
}

/**
 * Every interface that has vectors, from all files naming it (hand vectors
 * and Apple captures live in separate files), each message resolved to hex
 * by the shared loader (test/wire/format.ts: hex, fields, or another vector
 * patched).
 */
export function corpusInterfaces(): CorpusInterface[] {
  const byName = new Map<string, CorpusInterface>();
  for (const corpus of loadCorpora()) {
    const name = corpus.json.interface;
    const entry = byName.get(name) ?? {
      name,
      defs: join(WIRE_DIR, 'defs', `${name}.defs`),
      vectors: [],
    };
    byName.set(name, entry);
    for (const v of corpus.json.vectors) {
      const m = messageOf(corpus, v);
      entry.vectors.push({
        ...(v as unknown as Vector),
        message: {
          hex: toHex(m.bytes),
          dontCare: m.dontCare,
          ool: m.ool.map(toHex),
          oolPorts: m.oolPorts.map((names) => [...names]),
        },
      });
    }
  }
  return [...byName.values()].filter((i) => i.vectors.length > 0);
}

/** The vectors of one interface (every file naming it). */
export function interfaceVectors(name: string): Vector[] {
  const found = corpusInterfaces().find((i) => i.name === name);
  if (!found) throw new Error(`no wire vectors for interface ${name}`);
  return found.vectors;
}

/** MIG/Mach return codes by name. */
export const RETURN_CODES: Record<string, number> = {
  KERN_SUCCESS: 0,
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
  KERN_INVALID_ARGUMENT: 4,
  KERN_FAILURE: 5,
  MACH_SEND_INVALID_DEST: 0x10000003,
  MACH_SEND_TIMED_OUT: 0x10000004,
  MACH_RCV_TIMED_OUT: 0x10004003,
  MACH_RCV_TOO_LARGE: 0x10004004,
};

/** A return code given by name or number, as a number. */
export function codeOf(error: string | number | undefined): number {
  if (error === undefined) return 0;
  if (typeof error === 'number') return error;
  if (/^-?\d+$/.test(error)) return Number(error);
  const code = RETURN_CODES[error];
  if (code === undefined) throw new Error(`unknown return code ${error}`);
  return code;
}

/** What a receiver sees for a sent disposition (MAKE_SEND arrives as a send right …). */
export function receivedDisposition(sent: number): number {
  switch (sent) {
    case 16:
      return 16;
    case 17:
    case 19:
    case 20:
      return 17;
    case 18:
    case 21:
      return 18;
    default:
      return sent;
  }
}

/**
 * The message as its receiver gets it: remote and local ports (and their
 * bits) swapped, each received disposition in place of the sent one, the
 * voucher cleared, descriptors rewritten as the kernel delivers them.
 * Names stay the same numbers.
 */
export function receivedForm(sent: Uint8Array): Uint8Array {
  const m = new Uint8Array(sent);
  const v = new DataView(m.buffer);
  const bits = v.getUint32(0, true);
  const remote = bits & 0x1f;
  const local = (bits >> 8) & 0x1f;
  const other = bits & ~0x1f1f1f;
  const newRemote = local ? receivedDisposition(local) : 0;
  const newLocal = remote ? receivedDisposition(remote) : 0;
  v.setUint32(0, (other | newRemote | (newLocal << 8)) >>> 0, true);
  const remotePort = v.getUint32(8, true);
  v.setUint32(8, v.getUint32(12, true), true);
  v.setUint32(12, remotePort, true);
  v.setUint32(16, 0, true);
  if (bits & 0x80000000 && m.length >= 28) {
    const count = v.getUint32(24, true);
    let at = 28;
    for (let i = 0; i < count && at + 12 <= m.length; i++) {
      // The kernel writes every received descriptor afresh: pads zero, the received
      // disposition, and the deallocate bit set for regions the receiver now owns
      // (virtual-copy data and every OOL-ports array), as XNU's copyout does.
      const type = v.getUint8(at + 11);
      if (type === 0) {
        v.setUint32(at + 4, 0, true);
        v.setUint16(at + 8, 0, true);
        v.setUint8(at + 10, receivedDisposition(v.getUint8(at + 10)));
        at += 12;
      } else if (type === 2) {
        v.setUint8(at + 8, 1);
        v.setUint8(at + 10, receivedDisposition(v.getUint8(at + 10)));
        at += 16;
      } else {
        v.setUint8(at + 8, v.getUint8(at + 9) === 1 ? 1 : 0);
        v.setUint8(at + 10, 0);
        at += 16;
      }
    }
  }
  return m;
}

/** The bytes of a corpus message. */
export function messageBytes(m: WireMessage): Uint8Array {
  return fromHex(m.hex);
}

/** True when `actual` equals the corpus bytes outside the don't-care ranges; else the first differing offset. */
export function firstDifference(
  expected: WireMessage,
  actual: Uint8Array,
  ignore: Array<[number, number]> = [],
): number | null {
  const want = messageBytes(expected);
  const skip = [...(expected.dontCare ?? []), ...ignore];
  const n = Math.max(want.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (skip.some(([s, e]) => i >= s && i < e)) continue;
    if (want[i] !== actual[i]) return i;
  }
  return null;
}
