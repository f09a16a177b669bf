// MIG support: from the typed layer's Ports to the wire layer's port names.
// Generated clients and servers pass each Port an argument or result carries
// through here: the Port must hold the right its disposition needs, and a
// move disposition (MOVE_RECEIVE, MOVE_SEND, MOVE_SEND_ONCE) lists the Port
// in `moved`, so the runtime ends it once the message is sent (the right now
// belongs to the receiver) and leaves it alone when the send fails.

import {
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_PORT_NULL,
} from '../constants.js';
import { dispositionNumber, type OutOfLinePortsInit, type PortTransfer } from '../message.js';
import { Port, type RightKind } from '../port.js';
import type { PortName } from './wire.js';

const NEEDS: Record<number, readonly RightKind[]> = {
  [MACH_MSG_TYPE_MOVE_RECEIVE]: ['receive'],
  [MACH_MSG_TYPE_MAKE_SEND]: ['receive'],
  [MACH_MSG_TYPE_MAKE_SEND_ONCE]: ['receive'],
  [MACH_MSG_TYPE_MOVE_SEND]: ['send', 'dead-name'],
  [MACH_MSG_TYPE_COPY_SEND]: ['send', 'dead-name'],
  [MACH_MSG_TYPE_MOVE_SEND_ONCE]: ['send-once', 'dead-name'],
};

const DISPOSITION_NAMES: Record<number, string> = {
  [MACH_MSG_TYPE_MOVE_RECEIVE]: 'MOVE_RECEIVE',
  [MACH_MSG_TYPE_MOVE_SEND]: 'MOVE_SEND',
  [MACH_MSG_TYPE_MOVE_SEND_ONCE]: 'MOVE_SEND_ONCE',
  [MACH_MSG_TYPE_COPY_SEND]: 'COPY_SEND',
  [MACH_MSG_TYPE_MAKE_SEND]: 'MAKE_SEND',
  [MACH_MSG_TYPE_MAKE_SEND_ONCE]: 'MAKE_SEND_ONCE',
};

/** Whether a disposition moves the sender's right (the sender no longer holds it once sent). */
export function isMoveDisposition(disposition: number): boolean {
  return (
    disposition === MACH_MSG_TYPE_MOVE_RECEIVE ||
    disposition === MACH_MSG_TYPE_MOVE_SEND ||
    disposition === MACH_MSG_TYPE_MOVE_SEND_ONCE
  );
}

/**
 * The wire name of a Port sent with `disposition` (MACH_PORT_NULL for null).
 * Throws a TypeError naming the argument when the Port is closed or holds a
 * right the disposition cannot send; a move adds the Port to `moved`.
 */
export function sendPort(port: Port | null, disposition: number, moved: Port[], what: string): PortName {
  if (port === null || port === undefined) return { name: MACH_PORT_NULL, disposition };
  if (!(port instanceof Port)) throw new TypeError(`${what}: expected a Port or null`);
  if (port.closed) throw new TypeError(`${what}: the Port is closed`);
  const needs = NEEDS[disposition];
  if (needs === undefined) throw new TypeError(`${what}: ${disposition} is not a port disposition`);
  const right = port.right;
  if (!needs.includes(right)) {
    throw new TypeError(
      `${what}: ${DISPOSITION_NAMES[disposition]} needs a ${needs.join(' or ')} right, but the Port holds a ${right} right`,
    );
  }
  if (isMoveDisposition(disposition)) {
    if (moved.includes(port)) throw new TypeError(`${what}: the same Port is moved twice in one message`);
    moved.push(port);
  }
  return { name: port.name, disposition };
}

/** The wire name of a polymorphic port: the Port with the disposition chosen at run time. */
export function sendTransfer(transfer: PortTransfer | null, moved: Port[], what: string): PortName {
  if (transfer === null || transfer === undefined) return { name: MACH_PORT_NULL, disposition: MACH_MSG_TYPE_COPY_SEND };
  if (typeof transfer !== 'object' || typeof transfer.disposition !== 'string') {
    throw new TypeError(`${what}: expected { port, disposition } (a polymorphic port names its disposition)`);
  }
  const disposition = dispositionNumber(transfer.disposition);
  if (disposition === undefined) throw new TypeError(`${what}: unknown disposition '${String(transfer.disposition)}'`);
  return sendPort(transfer.port, disposition, moved, what);
}

/** Wire names of an array of Ports sent with one disposition. */
export function sendPorts(ports: readonly (Port | null)[], disposition: number, moved: Port[], what: string): PortName[] {
  if (!Array.isArray(ports)) throw new TypeError(`${what}: expected an array of Ports`);
  return ports.map((port, i) => sendPort(port, disposition, moved, `${what}[${i}]`));
}

/** Wire names of a polymorphic array of ports: all of them travel with the one disposition chosen at run time. */
export function sendPortArray(array: OutOfLinePortsInit, moved: Port[], what: string): PortName[] {
  if (typeof array !== 'object' || array === null || !Array.isArray(array.ports) || typeof array.disposition !== 'string') {
    throw new TypeError(`${what}: expected { ports, disposition } (a polymorphic array names its disposition)`);
  }
  const disposition = dispositionNumber(array.disposition);
  if (disposition === undefined) throw new TypeError(`${what}: unknown disposition '${String(array.disposition)}'`);
  return sendPorts(array.ports, disposition, moved, `${what}.ports`);
}
