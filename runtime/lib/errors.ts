// Runtime API: errors. A MachError carries a Mach return code (kern_return_t,
// mach_msg_return_t or a MIG code) with its name, and reads like
// `MachError: MACH_SEND_INVALID_DEST (0x10000003)`.

const CODE_NAMES = new Map<number, string>();

function name(code: number, codeName: string): void {
  CODE_NAMES.set(code, codeName);
}

// kern_return_t
[
  'KERN_SUCCESS',
  'KERN_INVALID_ADDRESS',
  'KERN_PROTECTION_FAILURE',
  'KERN_NO_SPACE',
  'KERN_INVALID_ARGUMENT',
  'KERN_FAILURE',
  'KERN_RESOURCE_SHORTAGE',
  'KERN_NOT_RECEIVER',
  'KERN_NO_ACCESS',
  'KERN_MEMORY_FAILURE',
  'KERN_MEMORY_ERROR',
  'KERN_ALREADY_IN_SET',
  'KERN_NOT_IN_SET',
  'KERN_NAME_EXISTS',
  'KERN_ABORTED',
  'KERN_INVALID_NAME',
  'KERN_INVALID_TASK',
  'KERN_INVALID_RIGHT',
  'KERN_INVALID_VALUE',
  'KERN_UREFS_OVERFLOW',
  'KERN_INVALID_CAPABILITY',
  'KERN_RIGHT_EXISTS',
  'KERN_INVALID_HOST',
  'KERN_MEMORY_PRESENT',
].forEach((codeName, code) => name(code, codeName));
name(37, 'KERN_TERMINATED');
name(46, 'KERN_NOT_SUPPORTED');
name(49, 'KERN_OPERATION_TIMED_OUT');
name(53, 'KERN_DENIED');
name(56, 'KERN_NOT_FOUND');

// mach_msg_return_t, send side (0x10000000 | n)
[
  [1, 'IN_PROGRESS'],
  [2, 'INVALID_DATA'],
  [3, 'INVALID_DEST'],
  [4, 'TIMED_OUT'],
  [5, 'INVALID_VOUCHER'],
  [7, 'INTERRUPTED'],
  [8, 'MSG_TOO_SMALL'],
  [9, 'INVALID_REPLY'],
  [10, 'INVALID_RIGHT'],
  [11, 'INVALID_NOTIFY'],
  [12, 'INVALID_MEMORY'],
  [13, 'NO_BUFFER'],
  [14, 'TOO_LARGE'],
  [15, 'INVALID_TYPE'],
  [16, 'INVALID_HEADER'],
  [17, 'INVALID_TRAILER'],
  [18, 'INVALID_CONTEXT'],
  [22, 'NO_GRANT_DEST'],
].forEach(([n, codeName]) => name(0x10000000 + (n as number), `MACH_SEND_${codeName as string}`));

// mach_msg_return_t, receive side (0x10004000 | n)
[
  [1, 'IN_PROGRESS'],
  [2, 'INVALID_NAME'],
  [3, 'TIMED_OUT'],
  [4, 'TOO_LARGE'],
  [5, 'INTERRUPTED'],
  [6, 'PORT_CHANGED'],
  [7, 'INVALID_NOTIFY'],
  [8, 'INVALID_DATA'],
  [9, 'PORT_DIED'],
  [10, 'IN_SET'],
  [11, 'HEADER_ERROR'],
  [12, 'BODY_ERROR'],
  [13, 'INVALID_TYPE'],
  [14, 'SCATTER_SMALL'],
  [15, 'INVALID_TRAILER'],
  [17, 'IN_PROGRESS_TIMED'],
  [18, 'INVALID_REPLY'],
].forEach(([n, codeName]) => name(0x10004000 + (n as number), `MACH_RCV_${codeName as string}`));

// MIG's own codes (negative)
[
  'MIG_TYPE_ERROR',
  'MIG_REPLY_MISMATCH',
  'MIG_REMOTE_ERROR',
  'MIG_BAD_ID',
  'MIG_BAD_ARGUMENTS',
  'MIG_NO_REPLY',
  'MIG_EXCEPTION',
  'MIG_ARRAY_TOO_LARGE',
  'MIG_SERVER_DIED',
  'MIG_TRAILER_ERROR',
].forEach((codeName, i) => name(-300 - i, codeName));

/** The symbolic name of a Mach, mach_msg or MIG return code (`UNKNOWN` when it has none). */
export function machErrorName(code: number): string {
  return CODE_NAMES.get(code) ?? 'UNKNOWN';
}

/** The code as people read it: hexadecimal for Mach codes, decimal for MIG's negative ones. */
function formatCode(code: number): string {
  return code < 0 ? String(code) : `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
}

/** A failure the Mach API (or the emulation) reported, with the code's name and number. */
export class MachError extends Error {
  /** The return code, e.g. 0x10000003. */
  readonly code: number;
  /** The code's name, e.g. `MACH_SEND_INVALID_DEST`. */
  readonly codeName: string;
  /** For MACH_RCV_TOO_LARGE: the size of the message that stayed queued (trailer excluded). */
  readonly size?: number;

  constructor(code: number, options?: { size?: number; cause?: unknown }) {
    const codeName = machErrorName(code);
    super(`${codeName} (${formatCode(code)})`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MachError';
    this.code = code;
    this.codeName = codeName;
    if (options?.size !== undefined) this.size = options.size;
  }
}

/** Thrown into pending receives and sends when their Port is closed or its receive right moved away. */
export class PortClosedError extends Error {
  constructor(message = 'the Port was closed') {
    super(message);
    this.name = 'PortClosedError';
  }
}
