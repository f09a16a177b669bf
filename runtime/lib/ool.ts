// Runtime API: out-of-line memory. allocateOutOfLine() lends JS a region from
// vm_allocate, which a send with `deallocate` moves to the receiver without a
// copy (the buffer is detached from JS afterwards). Received regions are
// Uint8Arrays over the received mapping; they are unmapped when collected,
// or at once with releaseOutOfLine().

import { MachError } from './errors.js';
import { native } from './native.js';

/** A zero-filled region of `size` bytes from vm_allocate, as a Uint8Array. */
export function allocateOutOfLine(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 0 || size > 0xffffffff) {
    throw new RangeError('allocateOutOfLine: size must be an integer from 0 to 2^32-1');
  }
  const region = native.allocateOutOfLine(size);
  if (typeof region === 'number') throw new MachError(region);
  return region;
}

/**
 * Unmaps a region now (one from allocateOutOfLine() or a received one) and
 * detaches its buffer. Throws a TypeError for anything else.
 */
export function releaseOutOfLine(region: Uint8Array): void {
  if (!(region instanceof Uint8Array)) throw new TypeError('releaseOutOfLine: expected a Uint8Array');
  if (region.byteLength === 0) return;
  if (native.releaseOutOfLine(region) !== 0) {
    throw new TypeError('releaseOutOfLine: the buffer is not a whole out-of-line region (from allocateOutOfLine() or a received message)');
  }
}

/** Whether `view` is a whole out-of-line region, which a send with `deallocate` moves without a copy. */
export function isOutOfLineRegion(view: Uint8Array): boolean {
  return view instanceof Uint8Array && native.isOutOfLineRegion(view);
}
