// Sending a corpus message for real: the vector's bytes with its port names
// replaced by real rights of this process — the destination given, a reply
// port made for a non-null msgh_local_port, and for every port the message
// carries a fresh port whose right the disposition needs (a receive right to
// move or make from, a send or send-once right made from one). The test
// keeps the receive rights it made, so it can release everything after the
// exchange and count what is left.

import { allocatePort, type Port, type RawMessage } from 'tsmig';
import type { MessageBytes } from './format.js';

/** A right a message carries: its disposition, and the test's port it is a right to. */
export interface CarriedRight {
  disposition: number;
  /** The test's receive right, which still owns the port (null when the receive right itself is carried). */
  receive: Port | null;
  /** For a carried receive right: a send right the test kept to it (it dies with the port). */
  send: Port | null;
}

/** A corpus message ready to send, and the ports the test made for it. */
export interface Delivery {
  raw: RawMessage;
  /** The reply port (msgh_local_port), when the message names one. */
  replyPort: Port | null;
  /** Ports the test still owns after sending (close them when done). */
  kept: Port[];
  /** Every right the message carries (not the header's), in order. */
  carried: CarriedRight[];
}

/** A right for a disposition: the name to put in the message; records the Port it moves and the Ports the test keeps. */
function rightFor(disposition: number, kept: Port[], moved: Port[], carried: CarriedRight[]): number {
  const port = allocatePort();
  if (disposition === 16) {
    // A send right to the moved port shows (by dying) what becomes of the receive right.
    const send = port.makeSendRight();
    kept.push(send);
    carried.push({ disposition, receive: null, send });
  } else {
    carried.push({ disposition, receive: port, send: null });
  }
  switch (disposition) {
    case 16:
      moved.push(port);
      return port.name;
    case 17: {
      kept.push(port);
      const send = port.makeSendRight();
      moved.push(send);
      return send.name;
    }
    case 18: {
      kept.push(port);
      const once = port.makeSendOnceRight();
      moved.push(once);
      return once.name;
    }
    case 19: {
      kept.push(port);
      const send = port.makeSendRight();
      kept.push(send);
      return send.name;
    }
    default:
      kept.push(port);
      return port.name;
  }
}

/**
 * Why Mach would refuse to send these bytes (null when it would send them):
 * a message is whole 4-byte words from a 24-byte header; its header
 * dispositions are ones a sender may use; a complex message's descriptors
 * lie inside it, each of a known type with a port disposition where one is
 * needed. (The kernel refuses the others at mach_msg; only the pure
 * decoders can be handed them.)
 */
export function kernelRefuses(bytes: Uint8Array): string | null {
  if (bytes.length < 24 || bytes.length % 4 !== 0) return 'not a whole number of words from a header';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = view.getUint32(0, true);
  const isSend = (d: number) => d >= 17 && d <= 21;
  if (!isSend(bits & 0x1f)) return 'the destination disposition is not a send disposition';
  const local = (bits >>> 8) & 0x1f;
  if (local !== 0 && !isSend(local)) return 'the reply disposition is not a send disposition';
  if (local === 0 && view.getUint32(12, true) !== 0) return 'a reply port without a disposition';
  const voucher = (bits >>> 16) & 0x1f;
  if (voucher !== 0 && voucher !== 17 && voucher !== 19) return 'a voucher disposition Mach does not take';
  if ((bits & 0x80000000) === 0) return null;
  if (bytes.length < 28) return 'a complex message without its descriptor count';
  const count = view.getUint32(24, true);
  let at = 28;
  for (let i = 0; i < count; i++) {
    if (at + 12 > bytes.length) return `descriptor ${i} runs past the end`;
    const type = bytes[at + 11];
    if (type === 0) {
      if (bytes[at + 10] < 16 || bytes[at + 10] > 21) return `descriptor ${i}: not a port disposition`;
      at += 12;
    } else if (type === 1 || type === 2) {
      if (at + 16 > bytes.length) return `descriptor ${i} runs past the end`;
      if (type === 1 && bytes[at + 9] > 1) return `descriptor ${i}: not a copy option`;
      if (type === 2 && (bytes[at + 10] < 16 || bytes[at + 10] > 21)) return `descriptor ${i}: not a port disposition`;
      at += 16;
    } else {
      return `descriptor ${i}: type ${type} is none Mach knows`;
    }
  }
  return null;
}

/** The message of a vector with real rights, sent to `destination` (a send right). */
export function deliverable(message: MessageBytes, destination: Port): Delivery {
  const bytes = message.bytes.slice();
  const view = new DataView(bytes.buffer);
  const kept: Port[] = [];
  const moved: Port[] = [];
  const carried: CarriedRight[] = [];
  view.setUint32(8, destination.name, true);
  let replyPort: Port | null = null;
  if (view.getUint32(12, true) !== 0) {
    const local = (view.getUint32(0, true) >>> 8) & 0x1f;
    replyPort = allocatePort();
    if (local === 20 || local === 21) {
      view.setUint32(12, replyPort.name, true);
    } else {
      // A reply right the sender already holds: made from the reply port, and moved or copied.
      const right = local === 18 ? replyPort.makeSendOnceRight() : replyPort.makeSendRight();
      (local === 19 ? kept : moved).push(right);
      view.setUint32(12, right.name, true);
    }
  }
  const ool: Uint8Array[] = [];
  const oolPorts: Uint32Array[] = [];
  if ((view.getUint32(0, true) & 0x80000000) !== 0 && bytes.length >= 28) {
    const count = view.getUint32(24, true);
    let at = 28;
    for (let i = 0; i < count && at + 12 <= bytes.length; i++) {
      const type = bytes[at + 11];
      if (type === 0) {
        if (view.getUint32(at, true) !== 0) view.setUint32(at, rightFor(bytes[at + 10], kept, moved, carried), true);
        at += 12;
        continue;
      }
      if (at + 16 > bytes.length) break;
      // The kernel sends as many bytes (or ports) as the descriptor says: the vector's data, cut or padded to it.
      const size = view.getUint32(at + 12, true);
      if (type === 1) {
        const data = new Uint8Array(size);
        const given = message.ool[ool.length] ?? new Uint8Array(0);
        data.set(given.subarray(0, size));
        ool.push(data);
      } else if (type === 2) {
        const given = message.oolPorts[oolPorts.length] ?? new Uint32Array(0);
        const names = new Uint32Array(size);
        for (let k = 0; k < size && k < given.length; k++) names[k] = given[k] === 0 ? 0 : rightFor(bytes[at + 10], kept, moved, carried);
        oolPorts.push(names);
      }
      at += 16;
    }
  }
  return { raw: { bytes, ool, oolPorts, moved }, replyPort, kept, carried };
}
