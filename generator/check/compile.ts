// The front end in one call: preprocess, parse, check and lay out a .defs
// file. Emitters, the CLI and the build plugin start from its result; tests
// use it with inline text. It never throws on user input: every problem is
// a diagnostic, and an exception inside a stage (a tsmig bug) becomes an
// internal-error diagnostic instead of escaping.

import type { Diagnostic } from '../diagnostics.js';
import type { SourceSet } from '../source.js';
import { fileStart } from '../source.js';
import { layoutInterface } from '../layout/layout.js';
import type { InterfaceLayout } from '../layout/types.js';
import { parseMapped } from '../parse/index.js';
import {
  preprocessFile,
  preprocessText,
  type PreprocessOptions,
  type PreprocessResult,
} from '../preprocess/index.js';
import { checkDefs } from './check.js';
import type { Dialect, InterfaceIR } from './ir.js';

/** Options of `compileDefs`: the preprocessor's, and the dialect whose rules the checker follows. */
export interface CompileOptions extends PreprocessOptions {
  /** Apple's MIG rules (default) or GNU's. Layouts are always Apple's. */
  dialect?: Dialect;
}

/** What to compile: a file on disk, or text standing for a file of that name. */
export type CompileInput = { file: string } | { text: string; fileName: string };

/** The front end's output. */
export interface CompileResult {
  ir: InterfaceIR;
  /** One layout per IR routine (null for routines with errors). */
  layouts: InterfaceLayout;
  /** Every stage's diagnostics, in stage order. */
  diagnostics: Diagnostic[];
  /** Text of every file read, for diagnostic excerpts. */
  sources: SourceSet;
  /** Absolute paths of every file read, the entry file first. */
  dependencies: string[];
}

/** Preprocesses, parses, checks and lays out one interface. */
export function compileDefs(input: CompileInput, options: CompileOptions = {}): CompileResult {
  const { dialect, ...ppOptions } = options;
  const fileName = 'file' in input ? input.file : input.fileName;
  const pp: PreprocessResult =
    'file' in input
      ? preprocessFile(input.file, ppOptions)
      : preprocessText(input.text, input.fileName, ppOptions);
  const parsed = parseMapped(pp.text, fileName, (start, end) => pp.locate(start, end));
  const checked = checkDefs(parsed.file, { dialect, file: fileName });
  // An entry file that could not be read was reported (without a location); checking its empty text would only add noise.
  const entryRead = !pp.diagnostics.some(
    (d) => d.code === 'pp-file-not-found' && d.loc === undefined,
  );
  const diagnostics = [
    ...pp.diagnostics,
    ...parsed.diagnostics,
    ...(entryRead ? checked.diagnostics : []),
  ];
  let layouts: InterfaceLayout;
  try {
    layouts = layoutInterface(checked.ir);
  } catch (err) {
    // A layout exception is a tsmig bug; report it and give no layouts rather than crash.
    const detail = err instanceof Error ? err.message : String(err);
    diagnostics.push({
      severity: 'error',
      code: 'layout-internal-error',
      message: `internal error in tsmig's layout (please report it): ${detail}`,
      loc: fileStart(fileName),
    });
    layouts = { routines: checked.ir.routines.map(() => null) };
  }
  return {
    ir: checked.ir,
    layouts,
    diagnostics,
    sources: pp.sources,
    dependencies: pp.dependencies,
  };
}
