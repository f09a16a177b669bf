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
  const oolPorts: Uint32Array[] = [];
  if ((view.getUint32(0, true) & 0x80000000) !== 0 && bytes.length >= 28) {
    const count = view.getUint32(24, true);
    let at = 28;
    for (let i = 0; i < count && at + 12 <= bytes.length; i++) {
      const type = bytes[at + 11];
      if (type === 0) {
        if (view.getUint32(at, true) !== 0) view.setUint32(at, rightFor(bytes[at + 10], kept, moved, carried), true);
        at += 12;
      } else {
        if (type === 2) {
          const names = message.oolPorts[oolPorts.length] ?? new Uint32Array(0);
          oolPorts.push(Uint32Array.from(names, (name) => (name === 0 ? 0 : rightFor(bytes[at + 10], kept, moved, carried))));
        }
        at += 16;
      }
    }
  }
  return { raw: { bytes, ool: message.ool, oolPorts, moved }, replyPort, kept, carried };
}
