// Stages: preprocess + parse. The front half of the pipeline in one call:
// a .defs file (or text standing for one) in, its located AST and every
// diagnostic of both stages out. Never throws on user input. Kept apart
// from generator/index.ts so the CLI's `check` loads only what it runs.

import type { Diagnostic } from '../diagnostics.js';
import {
  preprocessFile,
  preprocessText,
  type PreprocessOptions,
  type PreprocessResult,
} from '../preprocess/index.js';
import type { SourceSet } from '../source.js';
import type { DefsFile } from './ast.js';
import { parseDefs } from './parser.js';

/** The AST of one .defs file and what its reading reported. */
export interface FrontEndResult {
  /** Always present; a statement that did not parse is an `error` node. */
  ast: DefsFile;
  /** The preprocessor's diagnostics, then the parser's. */
  diagnostics: Diagnostic[];
  /** The text of every file read, for diagnostic excerpts. */
  sources: SourceSet;
  /** Absolute paths of every file read, the entry file first. */
  dependencies: string[];
  /** The preprocessed text the parser read. */
  text: string;
}

/** Preprocesses and parses the file at `path`. */
export function parseFile(path: string, options: PreprocessOptions = {}): FrontEndResult {
  return parsePreprocessed(path, preprocessFile(path, options));
}

/** Preprocesses and parses `text` as if it were the file `fileName`. */
export function parseSource(
  text: string,
  fileName: string,
  options: PreprocessOptions = {},
): FrontEndResult {
  return parsePreprocessed(fileName, preprocessText(text, fileName, options));
}

/** Parses what the preprocessor produced; locations go through its mapping to the user's files. */
export function parsePreprocessed(fileName: string, pp: PreprocessResult): FrontEndResult {
  const parsed = parseDefs(pp.text, { fileName, locate: (start, end) => pp.locate(start, end) });
  return {
    ast: parsed.file,
    diagnostics: [...pp.diagnostics, ...parsed.diagnostics],
    sources: pp.sources,
    dependencies: pp.dependencies,
    text: pp.text,
  };
}
