// CLI and build plugin: one .defs file through the whole pipeline — the
// front end, then the emitters of the chosen languages — without touching
// the disk beyond reading the .defs and its includes. `tsmig gen`, its
// --watch and the bundler plugin all start here, so they report the same
// diagnostics and produce the same text. The emitters (and Handlebars, and
// ts-morph for declarations) load on first use only.

import { basename } from 'node:path';
import { compileDefs } from '../check/compile.js';
import type { Dialect } from '../check/ir.js';
import type { Diagnostic } from '../diagnostics.js';
import type { PreprocessOptions } from '../preprocess/index.js';
import { fileStart, type SourceSet } from '../source.js';

/** What to generate from one file. */
export interface GenerateOptions {
  preprocess: PreprocessOptions;
  dialect: Dialect;
  /** Emitter languages (`ts`, `cpp`); may be empty when only declarations are wanted. */
  languages: readonly string[];
  /** Also produce the declarations of the TypeScript stubs (`<file>.d.ts` text), see `declarations`. */
  declarations?: boolean;
}

/** One file's outcome. */
export interface GenerateResult {
  /** Every diagnostic (front end, then emitters). */
  diagnostics: Diagnostic[];
  /** The text of every file read, for excerpts. */
  sources: SourceSet;
  /** Absolute paths of every file read, the .defs first (to watch). */
  dependencies: string[];
  /** The emitters' files (path relative to the output directory → text); null when the file has errors. */
  files: Map<string, string> | null;
  /** The TypeScript stubs' declarations, when asked for and the file has no errors. */
  declarations?: string;
}

/** The base name outputs are named after: `calc` for `dir/calc.defs`. */
export function baseNameOf(file: string): string {
  return basename(file).replace(/\.defs$/, '');
}

/** The languages the emitter registry knows, in its order. */
export async function knownLanguages(): Promise<string[]> {
  const { languages } = await import('../emit/index.js');
  return languages();
}

/**
 * Compiles `file` and, when it has no errors, runs the emitters. Never
 * throws on user input: a construct a language cannot express is an error
 * diagnostic at its place (or at the start of the file).
 */
export async function generateFile(
  file: string,
  options: GenerateOptions,
): Promise<GenerateResult> {
  const result = compileDefs({ file }, { ...options.preprocess, dialect: options.dialect });
  const outcome: GenerateResult = {
    diagnostics: [...result.diagnostics],
    sources: result.sources,
    dependencies: result.dependencies,
    files: null,
  };
  if (result.diagnostics.some((d) => d.severity === 'error')) return outcome;
  const { emit, EmitError } = await import('../emit/index.js');
  const baseName = baseNameOf(file);
  const langs =
    options.declarations && !options.languages.includes('ts')
      ? [...options.languages, 'ts']
      : options.languages;
  let files: Map<string, string>;
  try {
    files = await emit(
      { ir: result.ir, layouts: result.layouts, baseName, sourceName: basename(file) },
      langs,
    );
  } catch (error) {
    if (!(error instanceof EmitError)) throw error;
    outcome.diagnostics.push({
      severity: 'error',
      code: 'emit-unsupported',
      message: error.message,
      loc: error.loc ?? fileStart(file),
    });
    return outcome;
  }
  if (options.declarations) {
    const { declarationsOf } = await import('./transpile.js');
    const stubs = files.get(`${baseName}.ts`);
    if (stubs === undefined) throw new Error(`the TypeScript emitter wrote no ${baseName}.ts`);
    outcome.declarations = declarationsOf(stubs, `${baseName}.ts`, basename(file));
    // Only what was asked for goes back: the stubs made for the declarations stay out.
    if (!options.languages.includes('ts')) files.delete(`${baseName}.ts`);
  }
  outcome.files = files;
  return outcome;
}
