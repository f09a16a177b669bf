// The output text the parser reads: one space where the source had
// whitespace, none where it had none, a newline where the source moved to a
// new line, comments as whitespace, no line markers, and no accidental
// token pasting where a macro joined tokens that were apart.

import { describe, expect, it } from 'vitest';
import { wouldPaste } from '../../generator/preprocess/output.js';
import { pp, run, tokens } from './helpers.js';

describe('output spacing', () => {
  it('normalises whitespace and keeps adjacency', () => {
    expect(pp('import   <mach/std_types.defs>;\n\n\n\tuimport "mach_types.h";\n').text).toBe(
      'import <mach/std_types.defs>;\nuimport "mach_types.h";',
    );
  });
  it('turns comments into whitespace, and drops directives', () => {
    expect(pp('a/* x */b // tail\n#define Q\n/* lead */ c\n').text).toBe('a b\nc');
  });
  it('joins spliced lines', () => {
    expect(pp('ab\\\ncd e\\\n  f\n').text).toBe('abcd e f');
  });
  it('emits no line markers', () => {
    const files = {
      'm.defs': '#line 7 "z"\nq\n#include "s.defs"\nx\n',
      's.defs': '# 3 "w.defs" 1\ny\n',
    };
    expect(run(files, 'm.defs').text).toBe('q\ny\nx');
  });
  it('keeps a macro expansion where the name stood', () => {
    expect(pp('#define N 10\narray[N] of int\n').text).toBe('array[10] of int');
    expect(pp('#define T int\n  T x;\nT\n').text).toBe('int x;\nint');
  });
  it('separates tokens a macro would otherwise glue together', () => {
    expect(pp('#define M -\n-M M- M-1\n').text).toBe('- - - - - -1');
    expect(pp('#define E\n+E+ x E y\n').text).toBe('+ + x y');
    expect(pp('#define I(x) x\nI(a)I(b) I(/)I(/) I(.)I(.)I(.)\n').text).toBe('a b / / . . .');
  });
  it('preserves the token sequence through a re-lex', () => {
    const text =
      '#define CAT(a, b) a ## b\n#define ID(x) x\nCAT(1, e)ID(+)2 ID(<)ID(<=) ID(x)ID("s") ID(L)ID(\'c\')\n';
    const out = pp(text).text;
    expect(tokens(out)).toEqual(['1e', '+', '2', '<', '<=', 'x', '"s"', 'L', "'c'"]);
  });
});

describe('wouldPaste', () => {
  it.each([
    ['a', 'b', true],
    ['1', 'x', true],
    ['x', '1', true],
    ['1', '.', true],
    ['1e', '+', true],
    ['.', '5', true],
    ['.', '.', true],
    ['-', '>', true],
    ['-', '-', true],
    ['<', '<=', true],
    ['<<', '=', true],
    ['/', '*', true],
    ['/', '/', true],
    ['#', '#', true],
    ['%:', '%:', true],
    ['L', '"x"', true],
    ['a', '(', false],
    [')', 'a', false],
    ['+', '-', false],
    ['1', '+', false],
    [';', ';', false],
    ['"a"', '"b"', false],
  ])('%s then %s: %s', (a, b, expected) => {
    expect(wouldPaste(a, b)).toBe(expected);
  });
});
