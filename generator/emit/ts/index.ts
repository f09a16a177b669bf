// Emit stage (TypeScript): the emitter `tsmig gen --lang ts` runs. One
// interface becomes `<name>.ts` — wire layer, client class, server interface
// and serve function — written already laid out (two-space indent, single
// quotes, lines fitted to 100 columns by the emitter's own writer), so no
// formatter and no TypeScript compiler load on the way. Pure: IR and layouts
// in, file text out.

import type { EmitInput, EmitOptions, EmitOutput } from '../index.js';
import { EmitError } from '../index.js';
import { printInterfaceFile } from './file.js';

/** Generates `<baseName>.ts` for one interface. */
export function emitTypeScript(input: EmitInput, _options: EmitOptions): EmitOutput {
  if (input.ir.subsystem === null) throw new EmitError('the interface has no subsystem statement: nothing to generate');
  return new Map([[`${input.baseName}.ts`, printInterfaceFile(input)]]);
}
