// MIG support: the errors generated stubs throw. A MIG code (−300 … −309)
// becomes a MigError, any other code (a Mach return code, or a server's own
// kern_return_t) a MachError; both carry the code and its name, and read like
// `MigError: MIG_SERVER_DIED (-308)`.

import { MachError } from '../errors.js';

/** A failure MIG itself reports: a message that fails its checks, a dead server, a wrong reply. */
export class MigError extends MachError {
  constructor(code: number, options?: { cause?: unknown }) {
    super(code, options);
    this.name = 'MigError';
  }
}

/** Whether `code` is one of MIG's own codes (MIG_TYPE_ERROR … MIG_TRAILER_ERROR). */
export function isMigCode(code: number): boolean {
  return code <= -300 && code >= -309;
}

/** The error to throw for a return code: a MigError for MIG's codes, a MachError otherwise. */
export function errorFor(code: number): MachError {
  return isMigCode(code) ? new MigError(code) : new MachError(code);
}
