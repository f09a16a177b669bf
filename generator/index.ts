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
export { checkDefs, type CheckOptions, type CheckResult } from './check/check.js';
export { compileDefs, type CompileInput, type CompileOptions, type CompileResult } from './check/compile.js';
export type * as ir from './check/ir.js';
export { layoutInterface, layoutRoutine } from './layout/layout.js';
export type * as layout from './layout/types.js';
export { formatJson, inspectJson, inspectText } from './layout/report.js';
export {
  HEADER_FIELDS,
  MACH_SIZES,
  DESCRIPTOR_FIELDS,
  DESCRIPTOR_TYPE,
  TRAILER_ELEMENTS,
  MINIMUM_TRAILER_SIZE,
  MACH_NOTIFY_SEND_ONCE,
} from './layout/types.js';
export { CHECK_DIAGNOSTICS } from './check/codes.js';
