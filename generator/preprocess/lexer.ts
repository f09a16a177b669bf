// Preprocess stage: the lexer. Splits one file's text into C preprocessing
// tokens (identifiers, pp-numbers, character and string literals,
// punctuators including digraphs, other characters), turning comments into
// whitespace and honouring backslash-newline splices.
//
// It promises: never throws, always advances, and reports only through the
// callback it is given. The current token lives in fields (`kind`, `start`,
// `end`, `flags`) so the hot loop allocates nothing per token.

import {
  F_SOL,
  F_WS,
  TK_CHAR,
  TK_EOF,
  TK_EOL,
  TK_HEADER,
  TK_IDENT,
  TK_NUMBER,
  TK_OTHER,
  TK_PUNCT,
  TK_STRING,
} from './tokens.js';
import { PreprocessCodes } from './codes.js';

/** Receives the lexer's problems; offsets are into the lexed text. */
export type LexReport = (
  code: string,
  message: string,
  start: number,
  end: number,
  severity: 'error' | 'warning',
) => void;

const C_IDSTART = 1;
const C_IDCONT = 2;
const C_DIGIT = 4;
const C_HSPACE = 8;

/** Character classes of the ASCII range; everything at or above 0x80 counts as an identifier character. */
const CLASS = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    if (/[A-Za-z_$]/.test(ch)) t[c] = C_IDSTART | C_IDCONT;
    else if (/[0-9]/.test(ch)) t[c] = C_IDCONT | C_DIGIT;
  }
  for (const c of [0x20, 0x09, 0x0b, 0x0c, 0x0d]) t[c] = C_HSPACE;
  return t;
})();

/** True when `c` may continue an identifier (or a pp-number). */
export function isIdentChar(c: number): boolean {
  return c >= 128 ? true : (CLASS[c] & C_IDCONT) !== 0;
}

/** True when `c` is a decimal digit. */
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Length of the punctuator starting at `pos` (longest match, digraphs
 * included), or 0 when the character there is not one.
 */
export function punctLength(s: string, pos: number): number {
  const c = s.charCodeAt(pos);
  const d = s.charCodeAt(pos + 1);
  switch (c) {
    case 0x5b: // [
    case 0x5d: // ]
    case 0x28: // (
    case 0x29: // )
    case 0x7b: // {
    case 0x7d: // }
    case 0x7e: // ~
    case 0x3f: // ?
    case 0x3b: // ;
    case 0x2c: // ,
      return 1;
    case 0x2e: // .
      return d === 0x2e && s.charCodeAt(pos + 2) === 0x2e ? 3 : 1;
    case 0x2d: // -
      return d === 0x3e || d === 0x2d || d === 0x3d ? 2 : 1;
    case 0x2b: // +
      return d === 0x2b || d === 0x3d ? 2 : 1;
    case 0x26: // &
      return d === 0x26 || d === 0x3d ? 2 : 1;
    case 0x7c: // |
      return d === 0x7c || d === 0x3d ? 2 : 1;
    case 0x2a: // *
    case 0x21: // !
    case 0x2f: // /
    case 0x3d: // =
    case 0x5e: // ^
      return d === 0x3d ? 2 : 1;
    case 0x25: // %  (%= %> %: %:%:)
      if (d === 0x3a)
        return s.charCodeAt(pos + 2) === 0x25 && s.charCodeAt(pos + 3) === 0x3a ? 4 : 2;
      return d === 0x3d || d === 0x3e ? 2 : 1;
    case 0x3c: // <  (<<= << <= <: <%)
      if (d === 0x3c) return s.charCodeAt(pos + 2) === 0x3d ? 3 : 2;
      return d === 0x3d || d === 0x3a || d === 0x25 ? 2 : 1;
    case 0x3e: // >  (>>= >> >=)
      if (d === 0x3e) return s.charCodeAt(pos + 2) === 0x3d ? 3 : 2;
      return d === 0x3d ? 2 : 1;
    case 0x3a: // :  (:>)
      return d === 0x3e ? 2 : 1;
    case 0x23: // #  (##)
      return d === 0x23 ? 2 : 1;
    default:
      return 0;
  }
}

const SPLICES = /\\\r?\n/g;

/** Lexes one file's text; see the file header. */
export class Lexer {
  readonly text: string;
  private readonly len: number;
  /** Where lexing continues. */
  pos = 0;
  /** The current token. */
  kind = TK_EOF;
  start = 0;
  end = 0;
  /** F_WS / F_SOL of the current token. */
  flags = 0;
  /** The current token's spelling when a splice runs through it (else null: the spelling is the source slice). */
  spelled: string | null = null;
  /** Suppresses literal warnings (skipped groups, `#error` text). */
  quiet = false;
  /** Flags gathered for the token that comes next. */
  private pending = F_SOL;

  constructor(
    text: string,
    private readonly report: LexReport,
    start = 0,
  ) {
    this.text = text;
    this.len = text.length;
    this.pos = start;
  }

  /** The current token's spelling. */
  tokenText(): string {
    return this.spelled ?? this.text.slice(this.start, this.end);
  }

  /** A point to come back to with `reset` (before the next token is read). */
  mark(): number {
    // The position and the pending start-of-line/whitespace flags, packed.
    return this.pos * 4 + this.pending;
  }

  /** Goes back to a point `mark` returned: the next read sees the same token again. */
  reset(mark: number): void {
    this.pos = Math.floor(mark / 4);
    this.pending = mark % 4;
  }

  /** Lexes the next token, crossing newlines; TK_EOF at the end of the text. */
  next(): number {
    this.skipSpace(false);
    if (this.pos >= this.len) {
      this.kind = TK_EOF;
      this.start = this.end = this.len;
      this.flags = this.pending;
      return TK_EOF;
    }
    this.flags = this.pending;
    this.pending = 0;
    return this.lexToken();
  }

  /** Lexes the next token of the current line; TK_EOL (newline not consumed) at its end. */
  nextInLine(): number {
    if (this.skipSpace(true) || this.pos >= this.len) {
      this.kind = TK_EOL;
      this.start = this.end = this.pos;
      this.flags = 0;
      return TK_EOL;
    }
    this.flags = this.pending;
    this.pending = 0;
    return this.lexToken();
  }

  /** Like `nextInLine`, but lexes `<…>` as one header-name token (for `#include`). */
  nextHeaderName(): number {
    if (this.skipSpace(true) || this.pos >= this.len) return this.nextInLine();
    if (this.text.charCodeAt(this.pos) === 0x3c) {
      const close = this.findOnLine(0x3e, this.pos + 1);
      if (close >= 0) {
        this.flags = this.pending;
        this.pending = 0;
        this.spelled = null;
        this.kind = TK_HEADER;
        this.start = this.pos;
        this.end = this.pos = close + 1;
        return TK_HEADER;
      }
    }
    return this.nextInLine();
  }

  /**
   * Skips the rest of the current line (comments that start on it may end
   * on later lines; quotes stop at the line's end) and the newline itself.
   */
  skipRestOfLine(): void {
    const s = this.text;
    let p = this.pos;
    while (p < this.len) {
      const c = s.charCodeAt(p);
      if (c === 0x0a) {
        p++;
        this.pending |= F_SOL;
        break;
      }
      if (c === 0x2f) {
        const d = s.charCodeAt(p + 1);
        if (d === 0x2a) {
          p = this.skipBlockComment(p);
          continue;
        }
        if (d === 0x2f) {
          p = this.skipLineComment(p);
          continue;
        }
      } else if (c === 0x22 || c === 0x27) {
        p = this.skipQuoted(p, c);
        continue;
      } else if (c === 0x5c) {
        const n = this.spliceLength(p);
        if (n) {
          p += n;
          continue;
        }
      }
      p++;
    }
    this.pos = p;
  }

  /**
   * Moves to the first token of the next line that could be a directive,
   * or to the end: used while a conditional group is skipped. Returns true
   * when the lexer stands at a `#` (or `%:`) that starts a line.
   */
  skipToDirective(): boolean {
    const s = this.text;
    for (;;) {
      // Leading whitespace and comments of a line.
      this.skipSpace(true);
      if (this.pos >= this.len) return false;
      const c = s.charCodeAt(this.pos);
      if (c === 0x23 || (c === 0x25 && s.charCodeAt(this.pos + 1) === 0x3a)) {
        this.flags = this.pending | F_SOL;
        this.pending = 0;
        return true;
      }
      this.skipRestOfLine();
    }
  }

  /**
   * Skips spaces, comments and splices. With `stopAtNewline`, stops in front
   * of a newline and returns true; otherwise newlines set F_SOL for the next
   * token. Comments count as whitespace; newlines inside them do not start a line.
   */
  private skipSpace(stopAtNewline: boolean): boolean {
    const s = this.text;
    const len = this.len;
    let p = this.pos;
    let flags = this.pending;
    for (;;) {
      if (p >= len) break;
      const c = s.charCodeAt(p);
      if (c < 128 && (CLASS[c] & C_HSPACE) !== 0) {
        flags |= F_WS;
        p++;
      } else if (c === 0x0a) {
        if (stopAtNewline) {
          this.pos = p;
          this.pending = flags;
          return true;
        }
        flags = F_SOL;
        p++;
      } else if (c === 0x2f) {
        const d = s.charCodeAt(p + 1);
        if (d === 0x2a) {
          p = this.skipBlockComment(p);
          flags |= F_WS;
        } else if (d === 0x2f) {
          p = this.skipLineComment(p);
          flags |= F_WS;
        } else break;
      } else if (c === 0x5c) {
        const n = this.spliceLength(p);
        if (!n) break;
        p += n;
      } else break;
    }
    this.pos = p;
    this.pending = flags;
    return false;
  }

  /** The position after the block comment starting at `p` (reports an unterminated one). */
  private skipBlockComment(p: number): number {
    const close = this.text.indexOf('*/', p + 2);
    if (close < 0) {
      this.report(
        PreprocessCodes.unterminatedComment,
        'unterminated /* comment',
        p,
        p + 2,
        'error',
      );
      return this.len;
    }
    return close + 2;
  }

  /** The position of the newline ending the `//` comment at `p` (splices continue it). */
  private skipLineComment(p: number): number {
    const s = this.text;
    for (;;) {
      const nl = s.indexOf('\n', p);
      if (nl < 0) return this.len;
      let q = nl - 1;
      if (q >= 0 && s.charCodeAt(q) === 0x0d) q--;
      if (q >= p && s.charCodeAt(q) === 0x5c) {
        p = nl + 1;
        continue;
      }
      return nl;
    }
  }

  /** The position after a quoted literal that starts at `p`, stopping at the line's end. */
  private skipQuoted(p: number, quote: number): number {
    const s = this.text;
    p++;
    while (p < this.len) {
      const c = s.charCodeAt(p);
      if (c === quote) return p + 1;
      if (c === 0x0a) return p;
      if (c === 0x5c) {
        const n = this.spliceLength(p);
        p += n ? n : 2;
        continue;
      }
      p++;
    }
    return this.len;
  }

  /** Length of a backslash-newline splice at `p` (2 or 3 with CR), or 0. */
  private spliceLength(p: number): number {
    const s = this.text;
    if (s.charCodeAt(p) !== 0x5c) return 0;
    const d = s.charCodeAt(p + 1);
    if (d === 0x0a) return 2;
    if (d === 0x0d && s.charCodeAt(p + 2) === 0x0a) return 3;
    return 0;
  }

  /** Index of `ch` before the end of the current line (or -1). */
  private findOnLine(ch: number, from: number): number {
    const s = this.text;
    for (let p = from; p < this.len; p++) {
      const c = s.charCodeAt(p);
      if (c === ch) return p;
      if (c === 0x0a) return -1;
    }
    return -1;
  }

  /** Lexes the token at `pos` (not whitespace, not the end). */
  private lexToken(): number {
    const s = this.text;
    const p = this.pos;
    const c = s.charCodeAt(p);
    this.start = p;
    this.spelled = null;
    if (c >= 128 || (CLASS[c] & C_IDSTART) !== 0) {
      const spliced = this.scanWord(p, false);
      // An encoding prefix glued to a quote makes a character or string literal.
      const q = s.charCodeAt(this.pos);
      if ((q === 0x27 || q === 0x22) && !spliced) {
        const len = this.pos - p;
        const c0 = c;
        const prefix =
          (len === 1 && (c0 === 0x4c || c0 === 0x75 || c0 === 0x55)) ||
          (len === 2 && c0 === 0x75 && s.charCodeAt(p + 1) === 0x38);
        if (prefix) return this.lexQuoted(p, this.pos, q);
      }
      this.kind = TK_IDENT;
      return this.finish(spliced);
    }
    if ((c >= 48 && c <= 57) || (c === 0x2e && isDigit(s.charCodeAt(p + 1)))) {
      const spliced = this.scanWord(p, true);
      this.kind = TK_NUMBER;
      return this.finish(spliced);
    }
    if (c === 0x22 || c === 0x27) return this.lexQuoted(p, p, c);
    const n = punctLength(s, p);
    if (n > 0) {
      this.kind = TK_PUNCT;
      this.end = this.pos = p + n;
      return TK_PUNCT;
    }
    this.kind = TK_OTHER;
    this.end = this.pos = p + 1;
    return TK_OTHER;
  }

  /** Sets the end of a word token and its spelling when a splice ran through it. */
  private finish(spliced: boolean): number {
    this.end = this.pos;
    if (spliced) this.spelled = this.text.slice(this.start, this.end).replace(SPLICES, '');
    return this.kind;
  }

  /**
   * Scans an identifier (or a pp-number with `number`) from `p`, through
   * splices; leaves `pos` after it. Returns true when a splice was crossed.
   */
  private scanWord(p: number, number: boolean): boolean {
    const s = this.text;
    const len = this.len;
    let spliced = false;
    let prev = 0;
    for (;;) {
      if (p >= len) break;
      const c = s.charCodeAt(p);
      if (c >= 128 || (CLASS[c] & C_IDCONT) !== 0) {
        prev = c;
        p++;
        continue;
      }
      if (number) {
        if (c === 0x2e) {
          prev = c;
          p++;
          continue;
        }
        // Exponent signs belong to the number: 1e+5, 0x1p-3.
        if (
          (c === 0x2b || c === 0x2d) &&
          (prev === 0x65 || prev === 0x45 || prev === 0x70 || prev === 0x50)
        ) {
          prev = c;
          p++;
          continue;
        }
      }
      if (c === 0x5c) {
        const n = this.spliceLength(p);
        if (n && p + n < len) {
          const after = s.charCodeAt(p + n);
          if (after >= 128 || (CLASS[after] & C_IDCONT) !== 0 || (number && after === 0x2e)) {
            spliced = true;
            p += n;
            continue;
          }
        }
      }
      break;
    }
    this.pos = p;
    return spliced;
  }

  /** Lexes a character or string literal whose quote is at `q` (prefix from `start`). */
  private lexQuoted(start: number, q: number, quote: number): number {
    const s = this.text;
    let p = q + 1;
    let spliced = false;
    for (;;) {
      if (p >= this.len || s.charCodeAt(p) === 0x0a) {
        // Unterminated: like cpp, the token runs to the end of the line.
        if (!this.quiet) {
          this.report(
            PreprocessCodes.unterminatedLiteral,
            `missing terminating ${quote === 0x22 ? '"' : "'"} character`,
            q,
            q + 1,
            'warning',
          );
        }
        this.kind = TK_OTHER;
        this.pos = p;
        this.start = start;
        return this.finish(spliced);
      }
      const c = s.charCodeAt(p);
      if (c === quote) {
        p++;
        break;
      }
      if (c === 0x5c) {
        const n = this.spliceLength(p);
        if (n) {
          spliced = true;
          p += n;
          continue;
        }
        // An escape: skip the escaped character unless it is the line's end.
        if (p + 1 < this.len && s.charCodeAt(p + 1) !== 0x0a) p += 2;
        else p++;
        continue;
      }
      p++;
    }
    this.kind = quote === 0x22 ? TK_STRING : TK_CHAR;
    this.pos = p;
    this.start = start;
    return this.finish(spliced);
  }
}

/** What lexing `text` alone gives: the kind of its single token, or -1 when it is not exactly one token. */
export function lexSingleToken(text: string): number {
  let problem = false;
  const lx = new Lexer(text, () => {
    problem = true;
  });
  const kind = lx.next();
  if (kind === TK_EOF || problem || lx.start !== 0 || lx.end !== text.length) return -1;
  return kind;
}
