// Preprocess stage: `#if` / `#elif` expressions.
//
// Evaluates a fully macro-expanded operand list as a C integer constant
// expression in 64-bit arithmetic (intmax_t / uintmax_t as C requires): all
// unary, binary and conditional operators, short-circuit `&&`, `||` and
// `?:` (nothing is reported from an operand that is not evaluated), integer
// suffixes, character constants, identifiers as 0. Nesting is limited (like
// clang's bracket depth) so no input can exhaust the stack.

import { TK_CHAR, TK_IDENT, TK_NUMBER, TK_PUNCT, type Tok } from './tokens.js';
import { PreprocessCodes } from './codes.js';

/** Where problems go: the token they concern, or null for "at the directive". */
export type ExprReport = (
  severity: 'error' | 'warning',
  code: string,
  message: string,
  tok: Tok | null,
) => void;

/** The deepest nesting of parentheses and unary operators accepted. */
export const MAX_EXPR_DEPTH = 256;

interface Value {
  v: bigint;
  /** uintmax_t rather than intmax_t. */
  u: boolean;
}

class Bail {}

const PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '>': 7,
  '<=': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Evaluates `toks` (already expanded, `defined` already replaced). Returns
 * whether the condition holds; any error makes it false.
 */
export function evaluateCondition(toks: Tok[], report: ExprReport): boolean {
  const p = new ExprParser(toks, report);
  try {
    if (toks.length === 0) {
      report(
        'error',
        PreprocessCodes.ifMissingExpr,
        'expected an expression after the directive',
        null,
      );
      return false;
    }
    const value = p.comma(true);
    if (p.pos < toks.length) p.unexpected(toks[p.pos]);
    return !p.failed && value.v !== 0n;
  } catch (e) {
    if (e instanceof Bail) return false;
    throw e;
  }
}

class ExprParser {
  pos = 0;
  depth = 0;
  failed = false;

  constructor(
    private readonly toks: Tok[],
    private readonly report: ExprReport,
  ) {}

  /** `a, b` (lowest precedence). */
  comma(evaluate: boolean): Value {
    let v = this.conditional(evaluate);
    while (this.isOp(',')) {
      this.pos++;
      v = this.conditional(evaluate);
    }
    return v;
  }

  /** `c ? a : b`. */
  private conditional(evaluate: boolean): Value {
    const c = this.binary(1, evaluate);
    if (!this.isOp('?')) return c;
    const q = this.toks[this.pos++];
    // Both operands may nest further conditionals: count them against the depth limit.
    if (++this.depth > MAX_EXPR_DEPTH) this.tooDeep(q);
    try {
      const take = c.v !== 0n;
      const a = this.comma(evaluate && take);
      if (!this.isOp(':'))
        this.fail(
          PreprocessCodes.ifSyntax,
          "expected ':' in conditional expression",
          this.toks[this.pos] ?? this.toks[this.pos - 1] ?? q,
        );
      this.pos++;
      const b = this.conditional(evaluate && !take);
      const u = a.u || b.u;
      return { v: convert(take ? a.v : b.v, u), u };
    } finally {
      this.depth--;
    }
  }

  /** Binary operators of precedence `min` and above (precedence climbing). */
  private binary(min: number, evaluate: boolean): Value {
    let lhs = this.unary(evaluate);
    for (;;) {
      const t = this.toks[this.pos];
      if (t === undefined || t.kind !== TK_PUNCT) return lhs;
      const prec = PRECEDENCE[t.text];
      if (prec === undefined || prec < min) return lhs;
      this.pos++;
      if (t.text === '&&') {
        const rhs = this.binary(prec + 1, evaluate && lhs.v !== 0n);
        lhs = { v: lhs.v !== 0n && rhs.v !== 0n ? 1n : 0n, u: false };
      } else if (t.text === '||') {
        const rhs = this.binary(prec + 1, evaluate && lhs.v === 0n);
        lhs = { v: lhs.v !== 0n || rhs.v !== 0n ? 1n : 0n, u: false };
      } else {
        const rhs = this.binary(prec + 1, evaluate);
        lhs = this.apply(t, lhs, rhs, evaluate);
      }
    }
  }

  /** Unary operators and primaries. */
  private unary(evaluate: boolean): Value {
    const t = this.toks[this.pos];
    if (t === undefined) {
      const last = this.toks[this.pos - 1];
      this.fail(
        PreprocessCodes.ifSyntax,
        last ? `expected a value after '${last.text}'` : 'expected a value',
        last ?? null,
      );
    }
    if (++this.depth > MAX_EXPR_DEPTH) this.tooDeep(t);
    try {
      if (t.kind === TK_PUNCT) {
        switch (t.text) {
          case '(': {
            this.pos++;
            const v = this.comma(evaluate);
            if (!this.isOp(')'))
              this.fail(
                PreprocessCodes.ifSyntax,
                "missing ')' in expression",
                this.toks[this.pos] ?? t,
              );
            this.pos++;
            return v;
          }
          case '+':
            this.pos++;
            return this.unary(evaluate);
          case '-': {
            this.pos++;
            const a = this.unary(evaluate);
            if (!a.u && a.v === -INT64_MAX - 1n) this.overflow(evaluate, t);
            return { v: convert(-a.v, a.u), u: a.u };
          }
          case '~': {
            this.pos++;
            const a = this.unary(evaluate);
            return { v: convert(~a.v, a.u), u: a.u };
          }
          case '!': {
            this.pos++;
            const a = this.unary(evaluate);
            return { v: a.v === 0n ? 1n : 0n, u: false };
          }
        }
        this.fail(PreprocessCodes.ifSyntax, `expected a value before '${t.text}'`, t);
      }
      this.pos++;
      if (t.kind === TK_NUMBER) return this.number(t);
      if (t.kind === TK_CHAR) return this.character(t);
      // Identifiers left after expansion (not macros) are 0.
      if (t.kind === TK_IDENT) return { v: 0n, u: false };
      return this.fail(
        PreprocessCodes.ifBadToken,
        `token '${t.text}' is not valid in preprocessor expressions`,
        t,
      );
    } finally {
      this.depth--;
    }
  }

  private apply(op: Tok, a: Value, b: Value, evaluate: boolean): Value {
    const text = op.text;
    if (text === '<<' || text === '>>') return this.shift(op, a, b, evaluate);
    const u = a.u || b.u;
    const x = convert(a.v, u);
    const y = convert(b.v, u);
    switch (text) {
      case '==':
        return bool(x === y);
      case '!=':
        return bool(x !== y);
      case '<':
        return bool(x < y);
      case '>':
        return bool(x > y);
      case '<=':
        return bool(x <= y);
      case '>=':
        return bool(x >= y);
      case '&':
        return { v: convert(x & y, u), u };
      case '|':
        return { v: convert(x | y, u), u };
      case '^':
        return { v: convert(x ^ y, u), u };
    }
    let r: bigint;
    if (text === '/' || text === '%') {
      if (y === 0n) {
        if (evaluate)
          this.error(
            PreprocessCodes.ifDivZero,
            `${text === '/' ? 'division' : 'remainder'} by zero in #if`,
            op,
          );
        return { v: 0n, u };
      }
      r = text === '/' ? x / y : x % y;
    } else if (text === '+') r = x + y;
    else if (text === '-') r = x - y;
    else r = x * y;
    const v = convert(r, u);
    if (!u && v !== r) this.overflow(evaluate, op);
    return { v, u };
  }

  private shift(op: Tok, a: Value, b: Value, evaluate: boolean): Value {
    let n = convert(b.v, b.u);
    let left = op.text === '<<';
    // A negative count shifts the other way (as GCC does).
    if (n < 0n) {
      left = !left;
      n = -n;
    }
    const x = convert(a.v, a.u);
    if (left) {
      if (n >= 64n) {
        if (!a.u && x !== 0n) this.overflow(evaluate, op);
        return { v: 0n, u: a.u };
      }
      const r = x << n;
      const v = convert(r, a.u);
      if (!a.u && v !== r) this.overflow(evaluate, op);
      return { v, u: a.u };
    }
    if (n >= 64n) return { v: !a.u && x < 0n ? -1n : 0n, u: a.u };
    return { v: x >> n, u: a.u };
  }

  /** An integer constant (decimal, octal, hex, GNU binary; `u`/`l`/`ll` suffixes). */
  private number(t: Tok): Value {
    const text = t.text;
    const m =
      /^(0[xX])([0-9a-fA-F]+)(.*)$/.exec(text) ??
      /^(0[bB])([01]+)(.*)$/.exec(text) ??
      /^()([0-9]+)(.*)$/.exec(text);
    const floating = /^[0-9]*\.|^0[xX].*[pP]|^[0-9]+[eE]/.test(text) && !/^0[bB]/.test(text);
    if (floating)
      return this.fail(
        PreprocessCodes.ifBadNumber,
        `floating constant '${text}' in preprocessor expression`,
        t,
      );
    if (!m) return this.fail(PreprocessCodes.ifBadNumber, `invalid integer constant '${text}'`, t);
    const [, prefix, digits, suffix] = m;
    if (!/^(?:[uU](?:l|L|ll|LL)?|(?:l|L|ll|LL)[uU]?)?$/.test(suffix)) {
      return this.fail(
        PreprocessCodes.ifBadNumber,
        `invalid suffix '${suffix}' on integer constant`,
        t,
      );
    }
    const octal = prefix === '' && digits.length > 1 && digits[0] === '0';
    if (octal && /[89]/.test(digits))
      return this.fail(PreprocessCodes.ifBadNumber, `invalid digit in octal constant '${text}'`, t);
    let v = BigInt(octal ? '0o' + digits.slice(1) : prefix + digits);
    if (v > UINT64_MAX) {
      this.report(
        'warning',
        PreprocessCodes.ifOverflow,
        `integer constant '${text}' is too large for its type`,
        t,
      );
      v = BigInt.asUintN(64, v);
    }
    let u = /[uU]/.test(suffix);
    if (!u && v > INT64_MAX) {
      // Too big for intmax_t: it is unsigned (C says so for hex and octal; GCC warns for decimal).
      if (prefix === '' && !octal)
        this.report(
          'warning',
          PreprocessCodes.ifUnsigned,
          `integer constant '${text}' is so large that it is unsigned`,
          t,
        );
      u = true;
    }
    return { v, u };
  }

  /** A character constant: its value as `int` (plain char is signed, as on Apple's targets). */
  private character(t: Tok): Value {
    const text = t.text;
    const q = text.indexOf("'");
    const prefix = text.slice(0, q);
    const units = decodeChar(text.slice(q + 1, -1));
    if (units === null || units.length === 0)
      return this.fail(
        PreprocessCodes.ifBadChar,
        units === null ? `invalid character constant ${text}` : 'empty character constant',
        t,
      );
    if (prefix !== '') {
      if (units.length > 1)
        this.report(
          'warning',
          PreprocessCodes.ifMultichar,
          `character constant ${text} is too long for its type`,
          t,
        );
      const c = units[units.length - 1];
      return {
        v: BigInt(prefix === 'u' ? c & 0xffff : prefix === 'u8' ? c & 0xff : c | 0),
        u: false,
      };
    }
    // Plain char: the bytes of the constant (UTF-8 for non-ASCII), as an int.
    const bytes: number[] = [];
    for (const c of units) {
      if (c < 0x100) bytes.push(c);
      else for (const b of Buffer.from(String.fromCodePoint(c), 'utf8')) bytes.push(b);
    }
    if (bytes.length === 1) return { v: BigInt((bytes[0] << 24) >> 24), u: false };
    this.report(
      'warning',
      PreprocessCodes.ifMultichar,
      `multi-character character constant ${text}`,
      t,
    );
    let v = 0;
    for (const b of bytes) v = (v << 8) | b;
    return { v: BigInt(v | 0), u: false };
  }

  unexpected(t: Tok): never {
    if (
      t.kind === TK_PUNCT &&
      PRECEDENCE[t.text] === undefined &&
      !['?', ':', ',', '(', ')'].includes(t.text)
    ) {
      this.fail(
        PreprocessCodes.ifBadToken,
        `token '${t.text}' is not valid in preprocessor expressions`,
        t,
      );
    }
    if (t.kind === TK_PUNCT && t.text === ')')
      this.fail(PreprocessCodes.ifSyntax, "unbalanced ')' in expression", t);
    if (t.kind === TK_PUNCT && t.text === ':')
      this.fail(PreprocessCodes.ifSyntax, "':' without preceding '?'", t);
    this.fail(PreprocessCodes.ifSyntax, `missing binary operator before '${t.text}'`, t);
  }

  private tooDeep(t: Tok): never {
    this.fail(
      PreprocessCodes.ifTooDeep,
      `expression nested more than ${MAX_EXPR_DEPTH} levels deep`,
      t,
    );
  }

  private isOp(text: string): boolean {
    const t = this.toks[this.pos];
    return t !== undefined && t.kind === TK_PUNCT && t.text === text;
  }

  private overflow(evaluate: boolean, t: Tok): void {
    if (evaluate)
      this.report(
        'warning',
        PreprocessCodes.ifOverflow,
        'integer overflow in preprocessor expression',
        t,
      );
  }

  private error(code: string, message: string, t: Tok | null): void {
    this.failed = true;
    this.report('error', code, message, t);
  }

  private fail(code: string, message: string, t: Tok | null): never {
    this.error(code, message, t);
    throw new Bail();
  }
}

function bool(b: boolean): Value {
  return { v: b ? 1n : 0n, u: false };
}

/** `v` as intmax_t or uintmax_t. */
function convert(v: bigint, unsigned: boolean): bigint {
  return unsigned ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v);
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 10,
  t: 9,
  v: 11,
  b: 8,
  r: 13,
  f: 12,
  a: 7,
  e: 27,
  E: 27,
  '\\': 92,
  "'": 39,
  '"': 34,
  '?': 63,
};

/** The code units of a character constant's body, escapes decoded; null when malformed. */
function decodeChar(body: string): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < body.length;) {
    const c = body.codePointAt(i)!;
    if (c !== 0x5c) {
      out.push(c);
      i += c > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return null;
    if (e in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[e]);
      i += 2;
    } else if (e >= '0' && e <= '7') {
      const m = /^[0-7]{1,3}/.exec(body.slice(i + 1))!;
      out.push(parseInt(m[0], 8));
      i += 1 + m[0].length;
    } else if (e === 'x') {
      const m = /^[0-9a-fA-F]+/.exec(body.slice(i + 2));
      if (!m) return null;
      out.push(Number(BigInt.asUintN(32, BigInt('0x' + m[0]))));
      i += 2 + m[0].length;
    } else if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + len);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) return null;
      out.push(parseInt(hex, 16));
      i += 2 + len;
    } else {
      // An unknown escape stands for the character itself (GCC warns; the value is the same).
      out.push(body.codePointAt(i + 1)!);
      i += 2;
    }
  }
  return out;
}
