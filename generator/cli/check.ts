// CLI verb `tsmig check [FILE…]`: reads each .defs file through the front
// end (preprocess, parse, semantic check and layout) and prints every
// diagnostic. Without FILE, the inputs of the nearest tsmig.config.json;
// its settings apply either way. Exit 0 when no file has an error (warnings
// do not fail), 1 when one has, 2 on a bad command line. With --watch it
// checks again on every change. Loads only the front end: this is the
// command editors and hooks run, and it has to start fast.

import { resolve } from 'node:path';
import type { CliIO, Verb } from '../cli.js';
import { formatDiagnostics, type Diagnostic } from '../diagnostics.js';
import { compileDefs } from '../check/compile.js';
import type { SourceSet } from '../source.js';
import { FRONT_END_HELP, diagnosticFormat, parseCommandLine, usageError } from './options.js';
import { PROJECT_HELP, PROJECT_VALUES, resolveProject } from './project.js';
import type { WatchedBuild } from './watch.js';

const usage = `usage: tsmig check [FILE…] [options]

Reads each .defs file (preprocess, parse, check MIG's rules, lay out the
messages) and reports every problem found, as file:line:col: error: message
with the source line and a caret. Without FILE, checks the inputs of the
nearest tsmig.config.json (whose settings apply either way).
Exit status: 0 no errors (warnings allowed), 1 errors, 2 bad usage.

options:
  --watch           check again whenever an input or a file it includes
                    changes (Ctrl-C stops)
${PROJECT_HELP}
${FRONT_END_HELP}
  -h, --help        show this help
`;

/** One pass over every input; prints the diagnostics. */
function checkOnce(args: string[], io: CliIO): WatchedBuild {
  const cmd = parseCommandLine(args, { flags: ['--watch'], values: PROJECT_VALUES, minFiles: 0 });
  if ('error' in cmd)
    return {
      code: usageError('check', cmd.error, io),
      files: [],
      dirs: [],
      outputs: [],
      summary: '',
    };
  const project = resolveProject(cmd, io);
  if ('usage' in project)
    return {
      code: usageError('check', project.usage, io),
      files: [],
      dirs: [],
      outputs: [],
      summary: '',
    };
  if ('error' in project) {
    io.stderr(`${project.error}\n`);
    return { code: 1, files: [], dirs: [io.cwd], outputs: [], summary: 'cannot start' };
  }
  const diagnostics: Diagnostic[] = [];
  const sources: SourceSet[] = [];
  const watched = new Set<string>(project.config ? [project.config.path] : []);
  for (const file of project.files) {
    const result = compileDefs({ file }, { ...project.preprocess, dialect: project.dialect });
    diagnostics.push(...result.diagnostics);
    sources.push(result.sources);
    watched.add(resolve(io.cwd, file));
    for (const dep of result.dependencies) watched.add(dep);
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
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return {
    code: errors > 0 ? 1 : 0,
    files: [...watched],
    dirs: project.globDirs,
    outputs: [],
    summary: errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}` : 'no errors',
  };
}

async function run(args: string[], io: CliIO): Promise<number> {
  const first = checkOnce(args, io);
  if (!args.includes('--watch') || first.code === 2) return first.code;
  const { watchLoop } = await import('./watch.js');
  // The first pass already ran and printed: the loop takes its result, then checks again on changes.
  let pass = 0;
  return watchLoop(async () => (pass++ === 0 ? first : checkOnce(args, io)), io);
}

const verb: Verb = {
  summary: 'report every error in .defs files (preprocess, parse, check)',
  usage,
  run,
};
export default verb;
