// CLI verb `tsmig check FILE…`: reads each .defs file through the front end
// (preprocess, parse, semantic check and layout) and prints every
// diagnostic. Exit 0 when no file has an error (warnings do not fail), 1
// when one has, 2 on a bad command line.

import type { CliIO, Verb } from '../cli.js';
import { formatDiagnostics, type Diagnostic } from '../diagnostics.js';
import { compileDefs } from '../check/compile.js';
import type { Dialect } from '../check/ir.js';
import type { SourceSet } from '../source.js';
import {
  FRONT_END_HELP,
  diagnosticFormat,
  parseCommandLine,
  preprocessOptions,
  usageError,
} from './options.js';

const usage = `usage: tsmig check FILE… [options]

Reads each .defs file (preprocess, parse, check MIG's rules, lay out the
messages) and reports every problem found, as file:line:col: error: message
with the source line and a caret.
Exit status: 0 no errors (warnings allowed), 1 errors, 2 bad usage.

options:
  --dialect D       apple (default) or gnu: whose MIG rules to check against
${FRONT_END_HELP}
  -h, --help        show this help
`;

async function run(args: string[], io: CliIO): Promise<number> {
  const cmd = parseCommandLine(args, { values: ['--dialect'] });
  if ('error' in cmd) return usageError('check', cmd.error, io);
  const dialect = cmd.values.get('--dialect') ?? 'apple';
  if (dialect !== 'apple' && dialect !== 'gnu') return usageError('check', `--dialect ${dialect}: expected apple or gnu`, io);
  const diagnostics: Diagnostic[] = [];
  const sources: SourceSet[] = [];
  const options = preprocessOptions(cmd, io);
  for (const file of cmd.files) {
    const result = compileDefs({ file }, { ...options, dialect: dialect as Dialect });
    diagnostics.push(...result.diagnostics);
    sources.push(result.sources);
  }
  // Each file's excerpts come from the sources its own run read.
  const lookup = (name: string) => {
    for (const set of sources) {
      const text = set.get(name);
      if (text !== undefined) return text;
    }
    return undefined;
  };
  io.stderr(formatDiagnostics(diagnostics, lookup, diagnosticFormat(io)));
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

const verb: Verb = {
  summary: 'report every error in .defs files (preprocess, parse, check)',
  usage,
  run,
};
export default verb;
