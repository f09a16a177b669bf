// CLI verb `tsmig parse FILE --json`: prints the AST of one .defs file as
// JSON, locations as plain {file, line, column, endLine, endColumn}.
// Diagnostics go to stderr; a statement that did not parse appears as an
// `error` node. Exit 0 clean, 1 diagnostics with errors, 2 bad usage.

import type { CliIO, Verb } from '../cli.js';
import { formatDiagnostics } from '../diagnostics.js';
import { parseFile } from '../parse/frontend.js';
import { plainRange, type Range } from '../source.js';
import {
  FRONT_END_HELP,
  diagnosticFormat,
  parseCommandLine,
  preprocessOptions,
  usageError,
} from './options.js';

const usage = `usage: tsmig parse FILE [--json] [options]

Preprocesses and parses one .defs file and prints its syntax tree as JSON
(the only output format; --json may be given for clarity). Locations are
{file, line, column, endLine, endColumn}, 1-based, end exclusive, in the
file the user wrote. Diagnostics go to stderr.
Exit status: 0 no errors, 1 errors, 2 bad usage.

options:
  --json            print the AST as JSON (the default)
${FRONT_END_HELP}
  -h, --help        show this help
`;

/** Location fields of AST nodes, printed without their include/macro chains. */
const LOCATION_KEYS = new Set(['loc', 'directionLoc']);

async function run(args: string[], io: CliIO): Promise<number> {
  const cmd = parseCommandLine(args, { flags: ['--json'], maxFiles: 1 });
  if ('error' in cmd) return usageError('parse', cmd.error, io);
  const result = parseFile(cmd.files[0], preprocessOptions(cmd, io));
  const json = JSON.stringify(
    result.ast,
    (key, value) => (LOCATION_KEYS.has(key) ? plainRange(value as Range) : value),
    2,
  );
  io.stdout(`${json}\n`);
  io.stderr(formatDiagnostics(result.diagnostics, result.sources.lookup, diagnosticFormat(io)));
  return result.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

const verb: Verb = { summary: 'print the syntax tree of a .defs file as JSON', usage, run };
export default verb;
