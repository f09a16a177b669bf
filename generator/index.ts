// The generator's public API (`import … from 'tsmig/generator'`): each stage
// of the pipeline as a pure function over text and data. Only the CLI and
// build plugins touch the file system beyond reading the .defs and their
// includes.

export type * as ast from './parse/ast.js';
export type { DefsFile, Statement } from './parse/ast.js';
export {
  parseFile,
  parseSource,
  parsePreprocessed,
  type FrontEndResult,
} from './parse/frontend.js';
export {
  parseText,
  parseDefs,
  lineLocator,
  ParseCodes,
  MAX_NESTING,
  type Locate,
  type ParseOptions,
  type ParseResult,
} from './parse/index.js';
export {
  preprocessFile,
  preprocessText,
  PreprocessCodes,
  type PreprocessOptions,
  type PreprocessResult,
} from './preprocess/index.js';
export {
  formatDiagnostic,
  formatDiagnostics,
  DiagnosticBag,
  hasErrors,
  type Diagnostic,
  type FormatOptions,
} from './diagnostics.js';
export { SourceSet, plainRange, type Loc, type Range } from './source.js';
