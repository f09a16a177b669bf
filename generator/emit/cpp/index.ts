// Emit stage (C++): `calc.defs` → `calc.mig.h` (messages, client and server
// declarations), `calc.mig.cc` (the client side: MIG's user file) and
// `calc.server.mig.cc` (the server side: demux, subsystem, stubs), so a
// client or a server links only its own side, as with Apple's MIG.
//
// A pure function of the IR and the layouts: the view model (model.ts)
// says what to print, the Handlebars templates (templates/cpp-*.hbs) print
// it. The output builds against tsmig's runtime headers on Linux and the
// macOS SDK alike, with -Wall -Wextra -Werror.

import type { EmitOptions } from '../index.js';
import { cppTemplates } from './templates.js';
import { interfaceView, type CppEmitInput } from './model.js';

export type { CppEmitInput } from './model.js';

/**
 * The C++ files of one interface, by path relative to the output
 * directory. An interface without a subsystem (an error was reported)
 * yields no files.
 */
export function emitCpp(input: CppEmitInput, _options?: EmitOptions): Map<string, string> {
  const files = new Map<string, string>();
  if (!input.ir.subsystem) return files;
  const view = interfaceView(input);
  const templates = cppTemplates();
  files.set(view.headerFile, templates.header(view));
  files.set(`${input.baseName}.mig.cc`, templates.source(view));
  files.set(view.serverFile, templates.server(view));
  return files;
}

/** The C++ namespace holding an interface's client functions. */
export function clientNamespaceOf(input: CppEmitInput): string {
  return interfaceView(input).namespace;
}
