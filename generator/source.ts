// Source locations, shared by every stage of the pipeline.
//
// A `Loc` names a range in the file the user wrote. Text that arrived
// through `#include` carries the directive that included it; a token that a
// macro produced points at the place the macro was used and carries where
// the token is spelled inside the macro's definition. Diagnostics turn these
// chains into "included from" / "expanded from" notes.

/** A 1-based line/column range inside one file; the end is exclusive. */
export interface Range {
  /** The file's path as tsmig opened it (relative to the working directory when given so). */
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Where a token or an AST node came from. */
export interface Loc extends Range {
  /** Present when `file` was brought in by `#include`/`#import`: the directive's own location. */
  includedFrom?: Loc;
  /**
   * Present when a macro expansion produced this token. `file:line:column`
   * above is then the macro's use site; `spelling` is where the token is
   * written (in the macro's body or in an argument), with its own chain.
   */
  expandedFrom?: { macro: string; spelling: Loc };
}

/** Looks up the text of a file by the path a `Loc` names (for source excerpts). */
export type SourceLookup = (file: string) => string | undefined;

/** Holds the text of every file a run has read, so diagnostics can quote them. */
export class SourceSet {
  private readonly texts = new Map<string, string>();

  /** Records `text` as the content of `file`; later lookups return it. */
  add(file: string, text: string): void {
    this.texts.set(file, text);
  }

  /** The text of `file`, if this set has read it. */
  get(file: string): string | undefined {
    return this.texts.get(file);
  }

  /** Every file path in the set, in the order first added. */
  files(): string[] {
    return [...this.texts.keys()];
  }

  /** A lookup function over this set, for `formatDiagnostic`. */
  readonly lookup: SourceLookup = (file) => this.texts.get(file);
}

/** A zero-width location at the start of `file`, for problems with no better place. */
export function fileStart(file: string): Loc {
  return { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
}

/** The range spanning from the start of `a` to the end of `b` (same file assumed). */
export function joinLoc(a: Loc, b: Loc): Loc {
  const out: Loc = { ...a, endLine: b.endLine, endColumn: b.endColumn };
  return out;
}

/** `file:line:col` of a location, as printed at the start of a diagnostic. */
export function formatPosition(loc: Range): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** A JSON-friendly copy of a location without its include/macro chain. */
export function plainRange(loc: Range): Range {
  return {
    file: loc.file,
    line: loc.line,
    column: loc.column,
    endLine: loc.endLine,
    endColumn: loc.endColumn,
  };
}
