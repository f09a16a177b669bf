// CLI verb `tsmig inspect FILE`: runs the front end (preprocess, parse,
// check, layout) and prints the interface: a table of fields, offsets and
// sizes per message, or with --json the whole IR with every layout.
// Diagnostics go to stderr. The nearest tsmig.config.json's settings
// (include paths, defines, dialect) apply. Exit 0 without errors, 1 with
// errors (what could be checked is still printed), 2 on a bad command line.

import type { CliIO, Verb } from '../cli.js';
import { compileDefs } from '../check/compile.js';
import { formatDiagnostics } from '../diagnostics.js';
import { formatJson, inspectJson, inspectText } from '../layout/report.js';
import { FRONT_END_HELP, diagnosticFormat, parseCommandLine, usageError } from './options.js';
import { PROJECT_HELP, PROJECT_VALUES, resolveProject } from './project.js';

const usage = `usage: tsmig inspect FILE [options]

Reads a .defs file and prints each routine's messages as Apple's MIG lays
them out on 64-bit macOS: every field with its offset and size, at the
position it has when variable arrays are full. With --json, prints the
interface model (types, routines, arguments, message ids) with every layout
and the checks a receiver makes.

options:
  --json            print JSON instead of tables
${PROJECT_HELP}
${FRONT_END_HELP}
  -h, --help        show this help
`;

async function run(args: string[], io: CliIO): Promise<number> {
  const cmd = parseCommandLine(args, { flags: ['--json'], values: PROJECT_VALUES, maxFiles: 1 });
  if ('error' in cmd) return usageError('inspect', cmd.error, io);
  // The project's include paths, defines and dialect apply here too.
  const project = resolveProject(cmd, io);
  if ('usage' in project) return usageError('inspect', project.usage, io);
  if ('error' in project) {
    io.stderr(`${project.error}\n`);
    return 1;
  }
  const result = compileDefs(
    { file: cmd.files[0] },
    { ...project.preprocess, dialect: project.dialect },
  );
  if (result.diagnostics.length)
    io.stderr(formatDiagnostics(result.diagnostics, result.sources.lookup, diagnosticFormat(io)));
  if (cmd.flags.has('--json')) io.stdout(formatJson(inspectJson(result.ir, result.layouts)));
  else io.stdout(inspectText(result.ir, result.layouts));
  return result.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

const verb: Verb = {
  summary: 'print message layouts (fields, offsets, sizes) of a .defs file',
  usage,
  run,
};
export default verb;
