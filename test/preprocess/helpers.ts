// Shared helpers for the preprocessor tests: an in-memory file host, a
// token splitter for comparing outputs, and compact views of diagnostics
// (`file:line:col` plus notes) so each expectation reads like the message
// a user would see.

import { execFileSync } from 'node:child_process';
import { formatDiagnostics, type Diagnostic } from '../../generator/diagnostics.js';
import {
  type FileHost,
  type PreprocessOptions,
  type PreprocessResult,
  preprocessText,
} from '../../generator/preprocess/index.js';
import { Lexer } from '../../generator/preprocess/lexer.js';
import { TK_EOF } from '../../generator/preprocess/tokens.js';
import { formatPosition, type Loc } from '../../generator/source.js';

/** A file host over a map of path → text. */
export function memoryHost(files: Record<string, string>): FileHost {
  return {
    readFile: (path) =>
      Object.prototype.hasOwnProperty.call(files, path) ? files[path] : undefined,
  };
}

/** Preprocesses `files[entry]` with an in-memory host and no predefined macros unless asked. */
export function run(
  files: Record<string, string>,
  entry: string,
  options: PreprocessOptions = {},
): PreprocessResult {
  return preprocessText(files[entry], entry, {
    undef: true,
    stdIncludes: false,
    host: memoryHost(files),
    ...options,
  });
}

/** Preprocesses one text (file `t.defs`), no predefined macros. */
export function pp(text: string, options: PreprocessOptions = {}): PreprocessResult {
  return run({ 't.defs': text }, 't.defs', options);
}

/** The spellings of the preprocessing tokens of `text` (whitespace ignored). */
export function tokens(text: string): string[] {
  const lx = new Lexer(text, () => {});
  const out: string[] = [];
  while (lx.next() !== TK_EOF) out.push(lx.tokenText());
  return out;
}

/** One line per diagnostic: `file:line:col: severity[code]: message`, then `  note …` lines. */
export function diagLines(diags: readonly Diagnostic[]): string[] {
  const lines: string[] = [];
  for (const d of diags) {
    lines.push(`${d.loc ? formatPosition(d.loc) : '-'}: ${d.severity}[${d.code}]: ${d.message}`);
    for (const n of d.notes ?? [])
      lines.push(`  note ${n.loc ? formatPosition(n.loc) : '-'}: ${n.message}`);
  }
  return lines;
}

/** The full printed form (excerpts and chain notes) of a run's diagnostics. */
export function printed(r: PreprocessResult): string {
  return formatDiagnostics(r.diagnostics, r.sources.lookup);
}

/** `file:line:col-endLine:endCol` of a location. */
export function span(loc: Loc): string {
  return `${loc.file}:${loc.line}:${loc.column}-${loc.endLine}:${loc.endColumn}`;
}

/** The location of the n-th (0-based) occurrence of `needle` in the output. */
export function locOf(r: PreprocessResult, needle: string, nth = 0): Loc {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = r.text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' (#${nth}) not in output: ${JSON.stringify(r.text)}`);
  }
  return r.locate(at, at + needle.length);
}

/** True when the system `cpp` (GCC's) can be run. */
export function haveCpp(): boolean {
  try {
    execFileSync('cpp', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** GCC's preprocessor output for a file or for stdin text (`-P -undef`, C mode). */
export function gccCpp(args: string[], input?: string): string {
  try {
    return execFileSync(
      'cpp',
      ['-P', '-undef', '-nostdinc', '-x', 'c', ...args, ...(input === undefined ? [] : ['-'])],
      {
        input,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
        maxBuffer: 1 << 28,
      },
    );
  } catch (e) {
    // cpp exits non-zero on #error and the like; its output is still the reference.
    return (e as { stdout?: string }).stdout ?? '';
  }
}
