// CLI verb `tsmig gen [FILE…] [--out DIR]`: runs the front end on each
// .defs file and, when it has no errors, the emitters of the chosen
// languages, writing their files into DIR (or, with --dts-only, only the
// declarations `calc.defs.d.ts` next to each .defs, for the bundler
// plugin's imports). Files and settings come from the command line and the
// project's tsmig.config.json. Each output is written atomically and only
// when its content changed. Quiet when all is well: diagnostics go to
// stderr, a progress line only for long runs. Exit 0 when every file
// generated, 1 when a file had errors (nothing is written for it), 2 on a
// bad command line. With --watch it regenerates on every change.

import { join, relative, resolve } from 'node:path';
import type { CliIO, Verb } from '../cli.js';
import { formatDiagnostics, type Diagnostic } from '../diagnostics.js';
import { findConfigFile } from '../config.js';
import type { SourceSet } from '../source.js';
import { baseNameOf, generateFile, knownLanguages } from './generate.js';
import { FRONT_END_HELP, diagnosticFormat, parseCommandLine, usageError } from './options.js';
import { PROJECT_HELP, PROJECT_VALUES, resolveProject, type Project } from './project.js';
import { createProgress } from './term.js';
import { watchLoop, type WatchedBuild } from './watch.js';
import { writeFileAtomic } from './write.js';

const usage = `usage: tsmig gen [FILE…] [--out DIR] [options]

Generates code from each .defs file: for calc.defs, calc.ts (TypeScript
client, server and wire functions over tsmig's runtime) and, in C++,
calc.mig.h (declarations), calc.mig.cc (client side) and calc.server.mig.cc
(server side), byte-compatible with Apple's MIG. Without FILE, the
inputs of the nearest tsmig.config.json are used, and its settings apply
to every run (options given here override them).
Files are written atomically, and only when their content changes.
Exit status: 0 generated, 1 errors in a file (nothing written for it),
2 bad usage.

options:
  --out DIR         directory to write into (created if missing)
  --lang L[,L…]     languages to generate: ts, cpp (default: all of them)
  --dts-only        write only calc.defs.d.ts next to each calc.defs: the
                    types of \`import … from './calc.defs'\` (tsmig/plugin)
  --watch           generate again whenever an input or a file it includes
                    changes (Ctrl-C stops)
  --verbose         name each file written
${PROJECT_HELP}
${FRONT_END_HELP}
  -h, --help        show this help
`;

/** Joins the source sets of several files into one lookup for excerpts. */
function lookupIn(sources: SourceSet[]): (name: string) => string | undefined {
  return (name) => {
    for (const set of sources) {
      const text = set.get(name);
      if (text !== undefined) return text;
    }
    return undefined;
  };
}

/** A command line checked once: what every (re)build needs. */
interface GenRequest {
  args: string[];
  dtsOnly: boolean;
  verbose: boolean;
}

/** A failed setup: exit 2 for usage, 1 for a bad config. */
class SetupError extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2,
  ) {
    super(message);
  }
}

/** The config file a run reads (named by --config, or the nearest), if any. */
function configFileOf(args: string[], io: CliIO): string | undefined {
  const at = args.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (at < 0) return findConfigFile(io.cwd);
  const value = args[at].startsWith('--config=')
    ? args[at].slice('--config='.length)
    : args[at + 1];
  return value === undefined ? undefined : resolve(io.cwd, value);
}

/** Resolves the project and the languages, or throws SetupError. */
async function setUp(
  req: GenRequest,
  io: CliIO,
): Promise<{ project: Project; languages: string[] }> {
  const cmd = parseCommandLine(req.args, {
    flags: ['--watch', '--dts-only', '--verbose'],
    values: [...PROJECT_VALUES, '--out', '--lang'],
    minFiles: 0,
  });
  if ('error' in cmd) throw new SetupError(cmd.error, 2);
  const project = resolveProject(cmd, io);
  if ('usage' in project) throw new SetupError(project.usage, 2);
  if ('error' in project) throw new SetupError(project.error, 1);
  if (req.dtsOnly) {
    if (cmd.values.has('--lang'))
      throw new SetupError('--dts-only writes declarations only: drop --lang', 2);
    return { project, languages: [] };
  }
  if (project.outDir === undefined || cmd.values.get('--out') === '')
    throw new SetupError('missing --out DIR (or "outDir" in tsmig.config.json)', 2);
  const known = await knownLanguages();
  const languages = project.languages ?? known;
  const unknown = languages.filter((l) => !known.includes(l));
  if (unknown.length > 0 || languages.length === 0)
    throw new SetupError(
      `unknown language '${unknown[0] ?? ''}': expected a comma-separated list of ${known.join(', ')}`,
      2,
    );
  const bases = project.files.map(baseNameOf);
  const clash = bases.find((b, i) => bases.indexOf(b) !== i);
  if (clash !== undefined) throw new SetupError(`two input files would both write ${clash}.*`, 2);
  return { project, languages };
}

/** One full run: every input generated and written. Never throws on user input. */
async function build(req: GenRequest, io: CliIO): Promise<WatchedBuild> {
  let setup;
  try {
    setup = await setUp(req, io);
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    io.stderr(
      error.code === 2
        ? `tsmig gen: ${error.message}\n(see tsmig gen --help)\n`
        : `${error.message}\n`,
    );
    // Under --watch: any change to the config (or beside it) may fix this.
    const config = configFileOf(req.args, io);
    return {
      code: error.code,
      files: config ? [config] : [],
      dirs: [io.cwd],
      outputs: [],
      summary: 'cannot start',
    };
  }
  const { project, languages } = setup;
  const watchFiles = new Set<string>(project.config ? [project.config.path] : []);
  const outputs: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const sources: SourceSet[] = [];
  const progress = createProgress(
    io,
    project.files.length,
    project.files.length * Math.max(1, languages.length),
  );
  let written = 0;
  let unchanged = 0;
  let failedFiles = 0;
  let writeFailed = false;

  const put = (path: string) => (text: string) => {
    outputs.push(path);
    try {
      if (writeFileAtomic(path, text) === 'written') {
        written++;
        if (req.verbose) io.stdout(`wrote ${relative(io.cwd, path) || path}\n`);
      } else {
        unchanged++;
      }
    } catch (error) {
      writeFailed = true;
      io.stderr(`tsmig gen: cannot write ${path}: ${(error as Error).message}\n`);
    }
  };

  for (const [index, file] of project.files.entries()) {
    progress.step(index, file);
    const result = await generateFile(file, {
      preprocess: project.preprocess,
      dialect: project.dialect,
      languages,
      declarations: req.dtsOnly,
    });
    diagnostics.push(...result.diagnostics);
    sources.push(result.sources);
    for (const dep of result.dependencies) watchFiles.add(dep);
    // The .defs itself, even unread (a missing input may appear).
    watchFiles.add(resolve(io.cwd, file));
    if (result.files === null) {
      failedFiles++;
      continue;
    }
    if (req.dtsOnly) put(resolve(io.cwd, `${file}.d.ts`))(result.declarations!);
    else for (const [path, text] of result.files) put(join(project.outDir!, path))(text);
  }
  const total = written + unchanged;
  progress.done(
    `tsmig gen: ${total} files from ${project.files.length} .defs (${written} written, ${unchanged} unchanged)`,
    total,
  );
  if (diagnostics.length > 0)
    io.stderr(formatDiagnostics(diagnostics, lookupIn(sources), diagnosticFormat(io)));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return {
    code: failedFiles > 0 || writeFailed ? 1 : 0,
    files: [...watchFiles],
    dirs: project.globDirs,
    outputs,
    summary:
      errors > 0
        ? `${errors} error${errors === 1 ? '' : 's'} in ${failedFiles} file${failedFiles === 1 ? '' : 's'}`
        : `${written} file${written === 1 ? '' : 's'} written, ${unchanged} unchanged`,
  };
}

async function run(args: string[], io: CliIO): Promise<number> {
  const req: GenRequest = {
    args,
    dtsOnly: args.includes('--dts-only'),
    verbose: args.includes('--verbose'),
  };
  if (!args.includes('--watch')) return (await build(req, io)).code;
  // A command line that cannot work never will: report it instead of watching (a bad config may be fixed: watch it).
  try {
    await setUp(req, io);
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    if (error.code === 2) return usageError('gen', error.message, io);
  }
  return watchLoop(() => build(req, io), io);
}

const verb: Verb = {
  summary: 'generate TypeScript and C++ stubs from .defs files',
  usage,
  run,
};
export default verb;
