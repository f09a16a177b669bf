// Diagnostics: collected, never thrown, for every stage of the pipeline.
//
// Each stage adds to a `DiagnosticBag` and carries on; the CLI prints them
// all at the end as `file:line:col: error: message`, the source line, a
// caret under the range, then `note:` lines — the notes the stage gave, then
// the "expanded from macro" / "included from" chain of the location.

import { formatPosition, type Loc, type SourceLookup } from './source.js';

export type Severity = 'error' | 'warning';

/** A secondary message attached to a diagnostic ("type declared here"). */
export interface Note {
  message: string;
  loc?: Loc;
}

/** One problem found in the user's input. */
export interface Diagnostic {
  severity: Severity;
  message: string;
  /** Where the problem is; absent only for problems with no source (a missing input file). */
  loc?: Loc;
  notes?: Note[];
  /** A stable identifier for the kind of problem (e.g. `pp-unterminated-if`), for tests and tools. */
  code: string;
}

/** Collects diagnostics from a stage without interrupting it. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  /** Adds an error; returns it so a caller can attach notes later. */
  error(code: string, message: string, loc?: Loc, notes?: Note[]): Diagnostic {
    return this.push({ severity: 'error', code, message, loc, notes });
  }

  /** Adds a warning. */
  warning(code: string, message: string, loc?: Loc, notes?: Note[]): Diagnostic {
    return this.push({ severity: 'warning', code, message, loc, notes });
  }

  /** Adds an already-built diagnostic. */
  push(d: Diagnostic): Diagnostic {
    if (d.notes === undefined || d.notes.length === 0) delete d.notes;
    if (d.loc === undefined) delete d.loc;
    this.items.push(d);
    return d;
  }

  /** Adds every diagnostic of another list, in order. */
  addAll(list: readonly Diagnostic[]): void {
    for (const d of list) this.items.push(d);
  }

  /** True when at least one error (not a warning) was reported. */
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }

  get warningCount(): number {
    return this.items.filter((d) => d.severity === 'warning').length;
  }
}

/** True when the list holds at least one error. */
export function hasErrors(list: readonly Diagnostic[]): boolean {
  return list.some((d) => d.severity === 'error');
}

/** Options for printing diagnostics. */
export interface FormatOptions {
  /** ANSI colors (the CLI turns them on only for a TTY without NO_COLOR). */
  color?: boolean;
  /** Print the source line and caret (default true). */
  excerpt?: boolean;
  /** How a file's path is shown (the CLI shows paths under the working directory relative to it). */
  displayPath?: (file: string) => string;
}

const ansi = {
  bold: (s: string) => `\x1b[1m${s}\x1b[0m`,
  red: (s: string) => `\x1b[1;31m${s}\x1b[0m`,
  magenta: (s: string) => `\x1b[1;35m${s}\x1b[0m`,
  cyan: (s: string) => `\x1b[1;36m${s}\x1b[0m`,
  green: (s: string) => `\x1b[1;32m${s}\x1b[0m`,
};

/**
 * Prints one diagnostic with its excerpt and all its notes, each line ending
 * in a newline. The stage's own notes come first, then the location chain.
 */
export function formatDiagnostic(d: Diagnostic, sources: SourceLookup, opts: FormatOptions = {}): string {
  const color = opts.color ?? false;
  const excerpt = opts.excerpt ?? true;
  let out = '';
  const show = opts.displayPath ?? ((f: string) => f);
  out += header(d.severity, d.message, d.loc, color, show);
  if (d.loc && excerpt) out += formatExcerpt(d.loc, sources, color);
  for (const note of d.notes ?? []) {
    out += header('note', note.message, note.loc, color, show);
    if (note.loc && excerpt) out += formatExcerpt(note.loc, sources, color);
  }
  if (d.loc) {
    for (const note of chainNotes(d.loc)) {
      out += header('note', note.message, note.loc, color, show);
      if (note.loc && excerpt && note.withExcerpt) out += formatExcerpt(note.loc, sources, color);
    }
  }
  return out;
}

/** Prints a list of diagnostics and a summary line ("2 errors, 1 warning generated."). */
export function formatDiagnostics(list: readonly Diagnostic[], sources: SourceLookup, opts: FormatOptions = {}): string {
  let out = '';
  for (const d of list) out += formatDiagnostic(d, sources, opts);
  const errors = list.filter((d) => d.severity === 'error').length;
  const warnings = list.length - errors;
  const parts: string[] = [];
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  if (errors) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (parts.length) out += `${parts.join(' and ')} generated.\n`;
  return out;
}

function header(
  kind: Severity | 'note',
  message: string,
  loc: Loc | undefined,
  color: boolean,
  show: (file: string) => string,
): string {
  const where = loc ? `${formatPosition({ ...loc, file: show(loc.file) })}: ` : 'tsmig: ';
  if (!color) return `${where}${kind}: ${message}\n`;
  const label = kind === 'error' ? ansi.red('error:') : kind === 'warning' ? ansi.magenta('warning:') : ansi.cyan('note:');
  return `${ansi.bold(where)}${label} ${ansi.bold(message)}\n`;
}

/**
 * The source line of `loc` with a gutter and a caret line under the range:
 *
 *    12 | routine add(server: mach_port_t; a: foo);
 *       |                                     ^~~
 *
 * Tabs in the source are repeated in the caret line so the caret lines up.
 */
export function formatExcerpt(loc: Loc, sources: SourceLookup, color = false): string {
  const text = sources(loc.file);
  if (text === undefined) return '';
  const line = lineOf(text, loc.line);
  if (line === undefined) return '';
  const gutter = String(loc.line);
  const pad = ' '.repeat(gutter.length);
  const startCol = Math.max(1, Math.min(loc.column, line.length + 1));
  const endCol = loc.endLine === loc.line ? Math.max(startCol + 1, Math.min(loc.endColumn, line.length + 1)) : line.length + 1;
  let caret = '';
  for (let i = 1; i < startCol; i++) caret += line[i - 1] === '\t' ? '\t' : ' ';
  caret += '^' + '~'.repeat(Math.max(0, endCol - startCol - 1));
  const marks = color ? ansi.green(caret.trimStart()) : caret.trimStart();
  const lead = caret.slice(0, caret.length - caret.trimStart().length);
  return ` ${gutter} | ${line}\n ${pad} | ${lead}${marks}\n`;
}

/** The text of 1-based line `n`, without its line terminator. */
function lineOf(text: string, n: number): string | undefined {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  if (start > text.length) return undefined;
  return text.slice(start, end).replace(/\r$/, '');
}

interface ChainNote extends Note {
  withExcerpt: boolean;
}

/**
 * The notes that explain how text reached `loc`: for a macro-produced token,
 * "expanded from macro 'X'" at its spelling (and that spelling's own chain);
 * then "included from" for each `#include` that brought the file in.
 */
export function chainNotes(loc: Loc): ChainNote[] {
  const notes: ChainNote[] = [];
  const seen = new Set<Loc>();
  let cur: Loc | undefined = loc;
  // Macro chain first (innermost use site outward), each with its excerpt.
  while (cur?.expandedFrom && !seen.has(cur)) {
    seen.add(cur);
    const { macro, spelling }: { macro: string; spelling: Loc } = cur.expandedFrom;
    notes.push({ message: `expanded from macro '${macro}'`, loc: spelling, withExcerpt: true });
    cur = spelling;
  }
  // Then the include stack of the primary location.
  let inc = loc.includedFrom;
  while (inc && !seen.has(inc)) {
    seen.add(inc);
    notes.push({ message: 'included from here', loc: inc, withExcerpt: false });
    inc = inc.includedFrom;
  }
  return notes;
}
