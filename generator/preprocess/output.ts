// Preprocess stage: the expanded text the parser reads, and the map from
// output offsets back to token origins.
//
// Spacing rules: a token gets a newline before it when it starts a new
// source line, one space when whitespace preceded it, and a space anyway
// when the parser would otherwise lex it glued to the previous token
// (`-` then `-` from a macro stays `- -`). Runs of source text that need no
// rewriting are copied as one slice, so a large file costs few strings.

import { type Loc, fileStart } from '../source.js';
import { isIdentChar, punctLength } from './lexer.js';
import { type Origins } from './origins.js';
import { Triples } from './triples.js';
import { F_SOL, F_WS } from './tokens.js';

/** Builds the output text and its token table. */
export class Output {
  private parts: string[] = [];
  private length = 0;
  /** Per token: output start, output end, origin. */
  private readonly tokens = new Triples();
  // The pending run of source text copied verbatim.
  private runSrc = '';
  private runStart = 0;
  private runEnd = 0;
  // The previous token, for the paste check: either a source range or a text.
  private lastSrc = '';
  private lastStart = 0;
  private lastEnd = 0;
  private lastText: string | null = null;

  /** Appends a token that is spelled exactly as `src[start, end)`. */
  emitSource(src: string, start: number, end: number, flags: number, origin: number): void {
    let sep = '';
    if (this.tokens.length > 0) {
      if (flags & F_SOL) sep = '\n';
      else if (flags & F_WS) sep = ' ';
      else if (!(this.lastText === null && this.lastSrc === src && this.lastEnd === start)) {
        // Not adjacent in one source: check that the two would not lex as one.
        if (wouldPaste(this.previousText(), src.slice(start, Math.min(end, start + 4)))) sep = ' ';
      }
    }
    const at = this.length + sep.length;
    if (
      this.runSrc === src &&
      this.runEnd + sep.length === start &&
      sepMatches(src, this.runEnd, sep)
    ) {
      this.runEnd = end;
    } else {
      this.flushRun();
      if (sep) this.parts.push(sep);
      this.runSrc = src;
      this.runStart = start;
      this.runEnd = end;
    }
    this.length = at + (end - start);
    this.record(at, this.length, origin);
    this.lastSrc = src;
    this.lastStart = start;
    this.lastEnd = end;
    this.lastText = null;
  }

  /** Appends a token spelled `text` (produced by an expansion, or spliced). */
  emitText(text: string, flags: number, origin: number): void {
    let sep = '';
    if (this.tokens.length > 0) {
      if (flags & F_SOL) sep = '\n';
      else if (flags & F_WS) sep = ' ';
      else if (wouldPaste(this.previousText(), text)) sep = ' ';
    }
    this.flushRun();
    this.parts.push(sep ? sep + text : text);
    const at = this.length + sep.length;
    this.length = at + text.length;
    this.record(at, this.length, origin);
    this.lastText = text;
  }

  /** The finished text. */
  text(): string {
    this.flushRun();
    const t = this.parts.join('');
    this.parts = [t];
    return t;
  }

  /** The table `locate` reads: per token, output start, output end and origin. */
  table(): Triples {
    return this.tokens;
  }

  private previousText(): string {
    return this.lastText ?? this.lastSrc.slice(this.lastStart, this.lastEnd);
  }

  private flushRun(): void {
    if (this.runEnd > this.runStart) this.parts.push(this.runSrc.slice(this.runStart, this.runEnd));
    this.runSrc = '';
    this.runStart = this.runEnd = 0;
  }

  private record(start: number, end: number, origin: number): void {
    this.tokens.push(start, end, origin);
  }
}

/** True when the source between a run and the next token is exactly the separator we would print. */
function sepMatches(src: string, at: number, sep: string): boolean {
  if (sep === '') return true;
  return src.charCodeAt(at) === (sep === ' ' ? 0x20 : 0x0a);
}

/**
 * True when `prev` followed directly by `next` would lex differently from
 * the two tokens apart (so a space must separate them). Only the last few
 * characters of `prev` and the first few of `next` matter.
 */
export function wouldPaste(prev: string, next: string): boolean {
  if (prev.length === 0 || next.length === 0) return false;
  const a = prev.charCodeAt(prev.length - 1);
  const b = next.charCodeAt(0);
  // Words run together: identifiers, numbers, literal prefixes (L"x"), 1.5 after 1.
  if (isIdentChar(a) && (isIdentChar(b) || b === 0x22 || b === 0x27)) return true;
  const p0 = prev.charCodeAt(0);
  const prevIsNumber =
    (p0 >= 48 && p0 <= 57) || (p0 === 0x2e && prev.length > 1 && isIdentChar(prev.charCodeAt(1)));
  if (prevIsNumber && (b === 0x2e || ((b === 0x2b || b === 0x2d) && /[eEpP]$/.test(prev))))
    return true;
  // `.` then a digit is a number; `.` `.` `.` would become an ellipsis.
  if (a === 0x2e && ((b >= 48 && b <= 57) || b === 0x2e)) return true;
  // Comments: `/` then `/` or `*`.
  if (a === 0x2f && (b === 0x2f || b === 0x2a)) return true;
  // Punctuators that would merge into a longer one (`-` `>`, `<` `<=`, `.` `..`).
  if (punctLength(prev, 0) !== prev.length) return false;
  return punctLength(prev + next.slice(0, 3), 0) > prev.length;
}

/** Builds `locate` over a finished run. */
export function makeLocate(
  table: Triples,
  origins: Origins,
  entry: string,
): (start: number, end: number) => Loc {
  const n = table.length;
  return (start: number, end: number): Loc => {
    if (n === 0) return fileStart(entry);
    if (!(start >= 0)) start = 0;
    if (!(end >= start)) end = start;
    // First token ending after `start`.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (table.b(mid) > start) hi = mid;
      else lo = mid + 1;
    }
    if (lo === n) {
      // Past the last token: an empty range right after it.
      return pointAt(origins, table.c(n - 1), 'end');
    }
    const first = lo;
    // Last token starting before `end`.
    lo = first;
    hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (table.a(mid) < end) lo = mid + 1;
      else hi = mid;
    }
    const last = lo - 1;
    if (last < first) return pointAt(origins, table.c(first), 'start');
    const loc = origins.loc(table.c(first));
    if (last > first) extendTo(loc, origins, table.c(first), table.c(last));
    return loc;
  };
}

/** An empty location at the start or end of a token's place in its file. */
function pointAt(origins: Origins, origin: number, where: 'start' | 'end'): Loc {
  const loc = origins.loc(origin);
  if (where === 'start') {
    loc.endLine = loc.line;
    loc.endColumn = loc.column;
  } else {
    loc.line = loc.endLine;
    loc.column = loc.endColumn;
  }
  return loc;
}

/** Stretches `loc` (of token `from`) to the end of token `to` when both sit in the same file instance. */
function extendTo(loc: Loc, origins: Origins, from: number, to: number): void {
  const a = origins.topFileOrigin(from);
  const b = origins.topFileOrigin(to);
  if (origins.instanceOf(a) !== origins.instanceOf(b)) return;
  if (origins.offsetOf(b) < origins.offsetOf(a)) return;
  const end = origins.fileLoc(b);
  loc.endLine = end.endLine;
  loc.endColumn = end.endColumn;
}
