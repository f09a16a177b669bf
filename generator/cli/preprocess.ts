// CLI verb `tsmig preprocess FILE`: prints what tsmig's preprocessor makes
// of a .defs file (like `cpp -P`: no line markers), diagnostics on stderr.
// Exit 0 clean, 1 errors, 2 bad usage.

import type { CliIO, Verb } from '../cli.js';
import { formatDiagnostics } from '../diagnostics.js';
import { preprocessFile } from '../preprocess/index.js';
import {
  FRONT_END_HELP,
  diagnosticFormat,
  parseCommandLine,
  preprocessOptions,
  usageError,
} from './options.js';

const usage = `usage: tsmig preprocess FILE [options]

Runs tsmig's built-in C preprocessor over one .defs file and prints the
result, as the parser reads it: includes expanded, macros replaced,
comments removed, no line markers (like cpp -P). Diagnostics go to stderr.
Exit status: 0 no errors, 1 errors, 2 bad usage.

options:
${FRONT_END_HELP}
  -h, --help        show this help
`;

async function run(args: string[], io: CliIO): Promise<number> {
  const cmd = parseCommandLine(args, { maxFiles: 1 });
  if ('error' in cmd) return usageError('preprocess', cmd.error, io);
  const result = preprocessFile(cmd.files[0], preprocessOptions(cmd, io));
  io.stdout(result.text.endsWith('\n') || result.text === '' ? result.text : `${result.text}\n`);
  io.stderr(formatDiagnostics(result.diagnostics, result.sources.lookup, diagnosticFormat(io)));
  return result.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

const verb: Verb = { summary: 'print a .defs file as the preprocessor expands it', usage, run };
export default verb;
