// Preprocess stage: the token model shared by the lexer, the macro expander
// and the directive handlers.
//
// Plain source tokens never become objects on the fast path (the lexer
// exposes the current token through fields); `Tok` objects exist only for
// directive lines, macro bodies and tokens taking part in an expansion.

/** Kinds of preprocessing token. */
export const TK_EOF = 0;
export const TK_IDENT = 1;
/** A pp-number (`12`, `0x1F`, `1.5e+3`, `08` — validated only when evaluated). */
export const TK_NUMBER = 2;
export const TK_CHAR = 3;
export const TK_STRING = 4;
export const TK_PUNCT = 5;
/** Any other character, and an unterminated quote (which runs to the end of its line). */
export const TK_OTHER = 6;
/** `<…>` after `#include`. */
export const TK_HEADER = 7;
/** The empty token an empty macro argument becomes next to `##`; removed before output. */
export const TK_PLACEMARKER = 8;
/** End of a directive line (the newline itself is left for the next read). */
export const TK_EOL = 9;

/** Whitespace (or a comment) precedes the token on its line. */
export const F_WS = 1;
/** The token is the first on its line: a real newline (outside comments) precedes it. */
export const F_SOL = 2;
/** "Painted blue": an identifier that must never be expanded again. */
export const F_NOEXPAND = 4;

/** A token that takes part in a directive or an expansion. */
export class Tok {
  constructor(
    public kind: number,
    public text: string,
    public flags: number,
    /** Index into the run's origin table (see origins.ts). */
    public origin: number,
  ) {}

  /** A copy with other flags, for substitution (tokens are mutated in place when painted). */
  with(flags: number, origin: number): Tok {
    return new Tok(this.kind, this.text, flags, origin);
  }
}

/** True when `tok` is the punctuator spelled `p`. */
export function isPunct(tok: Tok | null | undefined, p: string): boolean {
  return tok != null && tok.kind === TK_PUNCT && tok.text === p;
}

/** True for `#` and its digraph `%:`. */
export function isHash(tok: Tok | null | undefined): boolean {
  return tok != null && tok.kind === TK_PUNCT && (tok.text === '#' || tok.text === '%:');
}

/** True for `##` and its digraph `%:%:`. */
export function isPaste(tok: Tok | null | undefined): boolean {
  return tok != null && tok.kind === TK_PUNCT && (tok.text === '##' || tok.text === '%:%:');
}
