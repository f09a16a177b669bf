// Preprocess stage: the public interface. tsmig's own C preprocessor turns a
// `.defs` file and everything it includes into one text for the parser,
// with a `locate` function that maps any output range back to the file,
// line and column the user wrote (through includes and macros). No system
// `cpp` is needed. It never throws on input: every problem is a diagnostic.

import type { Diagnostic } from '../diagnostics.js';
import type { Loc, SourceSet } from '../source.js';
import { type FileHost, nodeFileHost, stdIncludeDir } from './host.js';
import { Preprocessor } from './preprocessor.js';
import type { Target } from './predefined.js';

export type { FileHost } from './host.js';
export { stdIncludeDir, nodeFileHost } from './host.js';
export { predefinedMacros, type Target } from './predefined.js';
export { PreprocessCodes, type PreprocessCode } from './codes.js';

/** How to preprocess: search paths, macros, target, file access. */
export interface PreprocessOptions {
  /** `-I`, searched in order, before tsmig's defs/. */
  includePaths?: string[];
  /** `-D NAME[=V]` (value '1' when omitted), applied in order after the predefined macros. `NAME(args)` defines a function-like macro. */
  defines?: Array<[name: string, value: string]>;
  /** `-U NAME`, applied after the defines. */
  undefines?: string[];
  /** Which Apple target's predefined macros to use; default 'x86_64'. */
  target?: Target;
  /** `-undef`: no predefined macros at all (as GNU MIG runs cpp). */
  undef?: boolean;
  /** Default true: tsmig's own defs/ directory is searched last for <…> and "…". */
  stdIncludes?: boolean;
  /** Default: the real file system. */
  host?: FileHost;
}

/** What preprocessing produces. */
export interface PreprocessResult {
  /** The expanded text the parser reads. */
  text: string;
  /** The location of the tokens covering output offsets [start, end). Never throws; clamps. */
  locate(start: number, end: number): Loc;
  diagnostics: Diagnostic[];
  /** Text of every file read (for diagnostic excerpts), plus the `<built-in>` and `<command line>` macro texts. */
  sources: SourceSet;
  /** Absolute paths of every file read, the entry file first (for --watch and bundlers). */
  dependencies: string[];
}

/** Preprocesses the file at `path` (read through `options.host`). */
export function preprocessFile(path: string, options: PreprocessOptions = {}): PreprocessResult {
  return run(path, undefined, options);
}

/** Preprocesses `text` as if it were the file `fileName` (quoted includes search its directory). */
export function preprocessText(
  text: string,
  fileName: string,
  options: PreprocessOptions = {},
): PreprocessResult {
  return run(fileName, text, options);
}

function run(name: string, text: string | undefined, options: PreprocessOptions): PreprocessResult {
  const pp = new Preprocessor({
    includePaths: options.includePaths ?? [],
    defines: options.defines ?? [],
    undefines: options.undefines ?? [],
    target: options.target ?? 'x86_64',
    undef: options.undef ?? false,
    stdIncludes: options.stdIncludes ?? true,
    stdDir: stdIncludeDir(),
    host: options.host ?? nodeFileHost,
  });
  const r = pp.run(name, text);
  return {
    text: r.text,
    locate: r.locate,
    diagnostics: r.diagnostics.items,
    sources: r.sources,
    dependencies: r.dependencies,
  };
}
