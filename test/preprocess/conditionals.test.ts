// Conditional inclusion: #if/#elif/#else/#endif, #ifdef/#ifndef, and the
// integer constant expressions of #if (C's rules in 64-bit arithmetic:
// signed and unsigned operands, short-circuit evaluation, character
// constants). Values are checked against what C defines.

import { describe, expect, it } from 'vitest';
import { diagLines, pp } from './helpers.js';

/** Whether `#if expr` holds (with the given prefix of definitions). */
function holds(expr: string, defs = ''): boolean {
  const r = pp(`${defs}#if ${expr}\nyes\n#else\nno\n#endif\n`);
  return r.text === 'yes';
}

describe('#if groups', () => {
  it('takes the first true group', () => {
    const text = '#if 0\na\n#elif 1\nb\n#elif 1\nc\n#else\nd\n#endif\n';
    expect(pp(text).text).toBe('b');
  });
  it('takes #else when nothing else holds', () => {
    expect(pp('#if 0\na\n#elif 0\nb\n#else\nc\n#endif\n').text).toBe('c');
  });
  it('skips nested conditionals inside a skipped group', () => {
    expect(pp('#if 0\n#if 1\na\n#else\nb\n#endif\n#elif 1\nc\n#endif\n').text).toBe('c');
  });
  it('ignores directives and junk in skipped groups', () => {
    expect(
      pp('#if 0\n#bogus\n#error no\ndon\'t "x\n#include <nowhere>\n#endif\nok\n').diagnostics,
    ).toEqual([]);
  });
  it('does not see directives inside comments of skipped groups', () => {
    expect(pp('#if 0\n/*\n#endif\n*/\n#else\nkept\n#endif\n').text).toBe('kept');
  });
  it('does not evaluate #elif once a group was taken', () => {
    expect(pp('#if 1\na\n#elif 1/0\nb\n#endif\n').diagnostics).toEqual([]);
  });
  it('handles #ifdef and #ifndef', () => {
    expect(
      pp(
        '#define A\n#ifdef A\na\n#endif\n#ifndef A\nb\n#endif\n#ifdef B\nc\n#endif\n#ifndef B\nd\n#endif\n',
      ).text,
    ).toBe('a\nd');
  });
  it('applies definitions made inside taken groups only', () => {
    expect(pp('#if 0\n#define X 1\n#endif\n#ifdef X\nbad\n#endif\n').text).toBe('');
  });
  it('lets include guards work', () => {
    expect(pp('#ifndef G\n#define G\nonce\n#endif\n#ifndef G\ntwice\n#endif\n').text).toBe('once');
  });
});

describe('#if expressions', () => {
  it('knows defined X and defined(X)', () => {
    expect(holds('defined A && defined(A) && !defined B', '#define A\n')).toBe(true);
  });
  it('evaluates defined before macro expansion of its operand', () => {
    expect(holds('defined(A)', '#define A B\n')).toBe(true);
  });
  it('evaluates defined when a macro produces it (as GCC)', () => {
    expect(
      holds(
        'HAVE_A && !HAVE_B',
        '#define A\n#define HAVE_A defined(A)\n#define HAVE_B defined B\n',
      ),
    ).toBe(true);
  });
  it('treats unknown identifiers as 0', () => {
    expect(holds('UNKNOWN == 0 && !UNKNOWN')).toBe(true);
  });
  it('expands macros in the expression', () => {
    expect(holds('N * 2 == 20', '#define N 10\n')).toBe(true);
    expect(holds('F(3) == 9', '#define F(x) ((x) * (x))\n')).toBe(true);
  });
  it('has C precedence and associativity', () => {
    expect(holds('1 + 2 * 3 == 7')).toBe(true);
    expect(holds('10 - 4 - 3 == 3')).toBe(true);
    expect(holds('(1 | 2 ^ 3 & 4) == 3')).toBe(true);
    expect(holds('1 << 2 + 1 == 8')).toBe(true);
    expect(holds('2 > 1 == 1')).toBe(true);
  });
  it('has unary operators', () => {
    expect(holds('-1 < 0 && ~0 == -1 && !0 == 1 && +3 == 3 && - - 4 == 4')).toBe(true);
  });
  it('divides truncating toward zero', () => {
    expect(holds('-7 / 2 == -3 && -7 % 2 == -1 && 7 % -2 == 1')).toBe(true);
  });
  it('has the conditional operator, right-associative', () => {
    expect(holds('(1 ? 2 : 3) == 2 && (0 ? 2 : 0 ? 3 : 4) == 4')).toBe(true);
  });
  it('has the comma operator', () => {
    expect(holds('(1, 0) == 0')).toBe(true);
  });
  it('reads hex, octal, binary and suffixed constants', () => {
    expect(
      holds(
        '0x10 == 16 && 010 == 8 && 0b101 == 5 && 10u == 10 && 10UL == 10 && 10LL == 10 && 10ull == 10',
      ),
    ).toBe(true);
  });
  it('converts to unsigned when either operand is unsigned', () => {
    expect(holds('-1 < 0u')).toBe(false);
    expect(holds('-1 > 0u')).toBe(true);
    expect(holds('0xFFFFFFFFFFFFFFFF == -1')).toBe(true);
    expect(holds('0xFFFFFFFFFFFFFFFF > 0')).toBe(true);
    expect(holds('(0 ? 1u : -1) > 0')).toBe(true);
  });
  it('computes in 64 bits', () => {
    expect(holds('0x7FFFFFFFFFFFFFFF + 0 == 9223372036854775807')).toBe(true);
    expect(holds('1 << 40 == 1099511627776')).toBe(true);
    expect(holds('0xFFFFFFFFFFFFFFFFu >> 63 == 1 && -8 >> 1 == -4')).toBe(true);
  });
  it('reads character constants (plain char is signed)', () => {
    expect(holds("'a' == 97 && '\\n' == 10 && '\\0' == 0 && '\\x41' == 65 && '\\101' == 65")).toBe(
      true,
    );
    expect(holds("'\\377' == -1 && '\\xff' < 0")).toBe(true);
    expect(holds("L'a' == 97 && U'\\u00e9' == 233")).toBe(true);
  });
  it('short-circuits && and || and ?: (no diagnostics from the dead side)', () => {
    const r = pp('#if 0 && (1 / 0)\n#endif\n#if 1 || (1 / 0)\n#endif\n#if 1 ? 2 : 1 / 0\n#endif\n');
    expect(r.diagnostics).toEqual([]);
  });
});

describe('#if diagnostics', () => {
  const diags = (text: string) => diagLines(pp(text).diagnostics);
  it('reports division by zero and takes the group as false', () => {
    const r = pp('#if 1 / 0\nx\n#endif\n');
    expect(r.text).toBe('');
    expect(diagLines(r.diagnostics)).toEqual([
      't.defs:1:7: error[pp-if-div-zero]: division by zero in #if',
    ]);
    expect(diags('#if 1 % 0\n#endif\n')).toEqual([
      't.defs:1:7: error[pp-if-div-zero]: remainder by zero in #if',
    ]);
  });
  it('reports a missing expression', () => {
    expect(diags('#if\n#endif\n')).toEqual([
      't.defs:1:1: error[pp-if-missing-expr]: #if with no expression',
    ]);
    expect(diags('#if 0\n#elif\n#endif\n')).toEqual([
      't.defs:2:1: error[pp-if-missing-expr]: #elif with no expression',
    ]);
  });
  it('reports syntax errors at the offending token', () => {
    expect(diags('#if 1 2\n#endif\n')).toEqual([
      "t.defs:1:7: error[pp-if-syntax]: missing binary operator before '2'",
    ]);
    expect(diags('#if (1\n#endif\n')).toEqual([
      "t.defs:1:5: error[pp-if-syntax]: missing ')' in expression",
    ]);
    expect(diags('#if 1 +\n#endif\n')).toEqual([
      "t.defs:1:7: error[pp-if-syntax]: expected a value after '+'",
    ]);
    expect(diags('#if 1 ? 2\n#endif\n')).toEqual([
      "t.defs:1:9: error[pp-if-syntax]: expected ':' in conditional expression",
    ]);
    expect(diags('#if 1 : 2\n#endif\n')).toEqual([
      "t.defs:1:7: error[pp-if-syntax]: ':' without preceding '?'",
    ]);
    expect(diags('#if 1 )\n#endif\n')).toEqual([
      "t.defs:1:7: error[pp-if-syntax]: unbalanced ')' in expression",
    ]);
    expect(diags('#if * 2\n#endif\n')).toEqual([
      "t.defs:1:5: error[pp-if-syntax]: expected a value before '*'",
    ]);
  });
  it('rejects tokens that have no value', () => {
    expect(diags('#if "s"\n#endif\n')).toEqual([
      `t.defs:1:5: error[pp-if-bad-token]: token '"s"' is not valid in preprocessor expressions`,
    ]);
    expect(diags('#if 1 = 1\n#endif\n')).toEqual([
      "t.defs:1:7: error[pp-if-bad-token]: token '=' is not valid in preprocessor expressions",
    ]);
  });
  it('rejects bad numbers', () => {
    expect(diags('#if 1.5\n#endif\n')).toEqual([
      "t.defs:1:5: error[pp-if-bad-number]: floating constant '1.5' in preprocessor expression",
    ]);
    expect(diags('#if 12abc\n#endif\n')).toEqual([
      "t.defs:1:5: error[pp-if-bad-number]: invalid suffix 'abc' on integer constant",
    ]);
    expect(diags('#if 09\n#endif\n')).toEqual([
      "t.defs:1:5: error[pp-if-bad-number]: invalid digit in octal constant '09'",
    ]);
  });
  it('warns about constants too large or implicitly unsigned', () => {
    expect(diags('#if 18446744073709551616\n#endif\n')).toEqual([
      "t.defs:1:5: warning[pp-if-overflow]: integer constant '18446744073709551616' is too large for its type",
    ]);
    expect(diags('#if 9223372036854775808\n#endif\n')).toEqual([
      "t.defs:1:5: warning[pp-if-unsigned]: integer constant '9223372036854775808' is so large that it is unsigned",
    ]);
  });
  it('warns about signed overflow', () => {
    expect(diags('#if 0x7FFFFFFFFFFFFFFF + 1\n#endif\n')).toEqual([
      't.defs:1:24: warning[pp-if-overflow]: integer overflow in preprocessor expression',
    ]);
  });
  it('reports bad character constants', () => {
    expect(diags("#if '' == 0\n#endif\n")).toEqual([
      't.defs:1:5: error[pp-if-bad-char]: empty character constant',
    ]);
    expect(diags("#if 'ab' == 24930\n#endif\n")).toEqual([
      "t.defs:1:5: warning[pp-if-multichar]: multi-character character constant 'ab'",
    ]);
  });
  it('reports a malformed defined', () => {
    expect(diags('#if defined\n#endif\n')).toEqual([
      "t.defs:1:5: error[pp-defined-syntax]: operator 'defined' requires an identifier",
    ]);
    expect(diags('#if defined(A\n#endif\n')).toEqual([
      "t.defs:1:13: error[pp-defined-syntax]: missing ')' after 'defined'",
    ]);
  });
  it('limits nesting instead of overflowing the stack', () => {
    const deep = '('.repeat(100000) + '1' + ')'.repeat(100000);
    const r = pp(`#if ${deep}\n#endif\n`);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['pp-if-too-deep']);
  });
  it.each([
    ['unary operators', '!'.repeat(100000) + '1'],
    ['chained conditionals', '0 ? 1 : '.repeat(100000) + '1'],
    ['nested conditionals', '1 ? '.repeat(100000) + '1' + ' : 0'.repeat(100000)],
  ])('limits the nesting of %s too', (_kind, expr) => {
    expect(pp(`#if ${expr}\n#endif\n`).diagnostics.map((d) => d.code)).toEqual(['pp-if-too-deep']);
  });
  it('evaluates long flat expressions without nesting', () => {
    expect(holds('1' + ' + 1'.repeat(100000) + ' == 100001')).toBe(true);
  });
});

describe('conditional structure diagnostics', () => {
  const diags = (text: string) => diagLines(pp(text).diagnostics);
  it('reports unterminated conditionals at their directive', () => {
    expect(diags('#if 1\n#ifdef X\n')).toEqual([
      't.defs:1:1: error[pp-unterminated-if]: unterminated #if (no matching #endif)',
      't.defs:2:1: error[pp-unterminated-if]: unterminated #ifdef (no matching #endif)',
    ]);
  });
  it('reports stray #else, #elif and #endif', () => {
    expect(diags('#else\n#elif 1\n#endif\n')).toEqual([
      't.defs:1:1: error[pp-stray-else]: #else without #if',
      't.defs:2:1: error[pp-stray-elif]: #elif without #if',
      't.defs:3:1: error[pp-stray-endif]: #endif without #if',
    ]);
  });
  it('reports #else or #elif after #else, with a note at the first #else', () => {
    expect(diags('#if 1\n#else\n#else\n#endif\n')).toEqual([
      't.defs:3:1: error[pp-else-after-else]: #else after #else',
      '  note t.defs:2:1: the #else is here',
    ]);
    expect(diags('#if 0\n#else\n#elif 1\n#endif\n')).toEqual([
      't.defs:3:1: error[pp-elif-after-else]: #elif after #else',
      '  note t.defs:2:1: the #else is here',
    ]);
  });
  it('warns about extra tokens after #else and #endif', () => {
    expect(diags('#if 1\n#else junk\n#endif KERNEL\n')).toEqual([
      't.defs:2:7: warning[pp-extra-tokens]: extra tokens at end of #else directive',
      't.defs:3:8: warning[pp-extra-tokens]: extra tokens at end of #endif directive',
    ]);
  });
  it('reports #ifdef without a name', () => {
    expect(diags('#ifdef\n#endif\n#ifndef 3\n#endif\n')).toEqual([
      't.defs:1:1: error[pp-macro-name-missing]: macro name missing after #ifdef',
      't.defs:3:9: error[pp-macro-name-invalid]: macro names must be identifiers',
    ]);
  });
  it("does not let an included file close the includer's conditional", () => {
    const r = pp('#if 1\n#include "t2.defs"\n#endif\n');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['pp-include-not-found']);
  });
});
