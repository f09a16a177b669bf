// CLI verb `tsmig gen FILE… --out DIR`: runs the front end on each .defs
// file and, when it has no errors, the emitters of the chosen languages,
// writing their files into DIR — only those whose content changed, so build
// tools see no spurious updates. Diagnostics (the front end's, and
// constructs a language cannot express) go to stderr. Exit 0 when every
// file generated, 1 when a file had errors, 2 on a bad command line.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CliIO, Verb } from '../cli.js';
import { compileDefs } from '../check/compile.js';
import type { Dialect } from '../check/ir.js';
import { formatDiagnostics, type Diagnostic } from '../diagnostics.js';
import type { SourceSet } from '../source.js';
import { fileStart } from '../source.js';
import {
  FRONT_END_HELP,
  diagnosticFormat,
  parseCommandLine,
  preprocessOptions,
  usageError,
} from './options.js';

const usage = `usage: tsmig gen FILE… --out DIR [options]

Generates code from each .defs file: for calc.defs, calc.ts (TypeScript
client, server and wire functions over tsmig's runtime) and calc.mig.h /
calc.mig.cc (C++), byte-compatible with Apple's MIG. Files are written only
when their content changes.
Exit status: 0 generated, 1 errors in a file (nothing written for it),
2 bad usage.

options:
  --out DIR         directory to write into (created if missing)
  --lang L[,L…]     languages to generate: ts, cpp (default: all of them)
  --dialect D       apple (default) or gnu: whose MIG rules to check against
${FRONT_END_HELP}
  -h, --help        show this help
`;

/** The base name outputs are named after: `calc` for `dir/calc.defs`. */
function baseNameOf(file: string): string {
  return basename(file).replace(/\.defs$/, '');
}

/** Writes `text` to `path` unless the file already holds exactly it; true when written. */
function writeIfChanged(path: string, text: string): boolean {
  try {
    if (readFileSync(path, 'utf8') === text) return false;
  } catch {
    // Missing or unreadable: write it.
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return true;
}

async function run(args: string[], io: CliIO): Promise<number> {
  const cmd = parseCommandLine(args, { values: ['--dialect', '--out', '--lang'] });
  if ('error' in cmd) return usageError('gen', cmd.error, io);
  const dialect = cmd.values.get('--dialect') ?? 'apple';
  if (dialect !== 'apple' && dialect !== 'gnu') return usageError('gen', `--dialect ${dialect}: expected apple or gnu`, io);
  const out = cmd.values.get('--out');
  if (out === undefined || out === '') return usageError('gen', 'missing --out DIR', io);
  // The emitters load only now: `tsmig check` and `inspect` never pay for them.
  const { emit, EmitError, languages } = await import('../emit/index.js');
  const known = languages();
  const langs = cmd.values.has('--lang') ? cmd.values.get('--lang')!.split(',').map((l) => l.trim()) : known;
  const unknown = langs.filter((l) => !known.includes(l));
  if (unknown.length > 0 || langs.length === 0) {
    return usageError('gen', `--lang ${cmd.values.get('--lang')}: expected a comma-separated list of ${known.join(', ')}`, io);
  }
  const bases = cmd.files.map(baseNameOf);
  const clash = bases.find((b, i) => bases.indexOf(b) !== i);
  if (clash !== undefined) return usageError('gen', `two input files would both write ${clash}.*`, io);

  const diagnostics: Diagnostic[] = [];
  const sources: SourceSet[] = [];
  const options = preprocessOptions(cmd, io);
  const outDir = resolve(io.cwd, out);
  let failed = false;
  for (const file of cmd.files) {
    const result = compileDefs({ file }, { ...options, dialect: dialect as Dialect });
    diagnostics.push(...result.diagnostics);
    sources.push(result.sources);
    if (result.diagnostics.some((d) => d.severity === 'error')) {
      failed = true;
      continue;
    }
    let files: Map<string, string>;
    try {
      files = await emit({ ir: result.ir, layouts: result.layouts, baseName: baseNameOf(file), sourceName: basename(file) }, langs);
    } catch (error) {
      if (!(error instanceof EmitError)) throw error;
      diagnostics.push({ severity: 'error', code: 'emit-unsupported', message: error.message, loc: error.loc ?? fileStart(file) });
      failed = true;
      continue;
    }
    for (const [path, text] of files) {
      const target = join(outDir, path);
      if (writeIfChanged(target, text)) io.stdout(`wrote ${join(out, path)}\n`);
    }
  }
  const lookup = (name: string): string | undefined => {
    for (const set of sources) {
      const text = set.get(name);
      if (text !== undefined) return text;
    }
    return undefined;
  };
  if (diagnostics.length > 0) io.stderr(formatDiagnostics(diagnostics, lookup, diagnosticFormat(io)));
  return failed ? 1 : 0;
}

const verb: Verb = {
  summary: 'generate TypeScript and C++ stubs from .defs files',
  usage,
  run,
};
export default verb;
