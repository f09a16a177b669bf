// The remaining directives and every problem the preprocessor reports that
// other files do not cover: #define and #undef syntax, macro invocation
// errors, #error/#warning, unknown directives, #line syntax, lexical
// problems, the expansion budget. Each case checks the exact
// `file:line:col`, code and message. A last test makes sure every code the
// preprocessor can emit is exercised somewhere in these tests.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PreprocessCodes } from '../../generator/preprocess/index.js';
import { diagLines, pp, run } from './helpers.js';

const diags = (text: string) => diagLines(pp(text).diagnostics);

describe('#define and #undef problems', () => {
  it.each([
    ['#define\n', 't.defs:1:8: error[pp-macro-name-missing]: macro name missing'],
    ['#define 3 x\n', 't.defs:1:9: error[pp-macro-name-invalid]: macro names must be identifiers'],
    [
      '#define defined 1\n',
      "t.defs:1:9: error[pp-macro-name-invalid]: 'defined' cannot be used as a macro name",
    ],
    [
      '#undef defined\n',
      "t.defs:1:8: error[pp-macro-name-invalid]: 'defined' cannot be used as a macro name",
    ],
    ['#undef\n', 't.defs:1:1: error[pp-macro-name-missing]: macro name missing after #undef'],
    ['#define F(a, a) a\n', "t.defs:1:14: error[pp-macro-params]: duplicate macro parameter 'a'"],
    [
      '#define F(a b) a\n',
      "t.defs:1:13: error[pp-macro-params]: expected ',' or ')' in macro parameter list, found 'b'",
    ],
    ['#define F(a,\n', "t.defs:1:12: error[pp-macro-params]: missing ')' in macro parameter list"],
    [
      '#define F(1) a\n',
      "t.defs:1:11: error[pp-macro-params]: expected a parameter name, found '1'",
    ],
    ['#define F(..., a) a\n', "t.defs:1:14: error[pp-macro-params]: expected ')' after '...'"],
    [
      '#define F(__VA_ARGS__) 1\n',
      't.defs:1:11: error[pp-macro-params]: __VA_ARGS__ can only appear in the expansion of a variadic macro',
    ],
    [
      '#define F(x) #y\n',
      "t.defs:1:14: error[pp-stringize-not-param]: '#' is not followed by a macro parameter",
    ],
    [
      '#define P ## a\n',
      "t.defs:1:11: error[pp-paste-at-edge]: '##' cannot appear at either end of a macro expansion",
    ],
    [
      '#define P a ##\n',
      "t.defs:1:13: error[pp-paste-at-edge]: '##' cannot appear at either end of a macro expansion",
    ],
    [
      '#define V __VA_ARGS__\n',
      't.defs:1:11: warning[pp-va-args-misuse]: __VA_ARGS__ can only appear in the expansion of a variadic macro',
    ],
    [
      '#define X+1\n',
      't.defs:1:10: warning[pp-macro-missing-space]: missing whitespace after the macro name',
    ],
    [
      '#undef X Y\n',
      't.defs:1:10: warning[pp-extra-tokens]: extra tokens at end of #undef directive',
    ],
  ])('%j', (text, expected) => {
    expect(diags(text)).toEqual([expected]);
  });
  it('does not define a macro whose definition has an error', () => {
    expect(pp('#define F(x) #y\nF(1)\n').text).toBe('F(1)');
  });
  it('keeps a # in an object-like body as a token', () => {
    expect(pp('#define H # x\nH\n').text).toBe('# x');
  });
});

describe('macro invocation problems', () => {
  it('reports a wrong argument count at the name and drops the list (as GCC)', () => {
    const r = pp('#define F(a, b) a\nF(1) F(1, 2, 3)\n');
    expect(diagLines(r.diagnostics)).toEqual([
      "t.defs:2:1: error[pp-macro-arg-count]: macro 'F' requires 2 arguments, but only 1 given",
      "t.defs:2:6: error[pp-macro-arg-count]: macro 'F' passed 3 arguments, but takes just 2",
    ]);
    expect(r.text).toBe('F F');
  });
  it('reports an argument count error inside another expansion', () => {
    const r = pp('#define F(a, b) a\n#define G F(1)\nG\n');
    expect(diagLines(r.diagnostics)).toEqual([
      "t.defs:3:1: error[pp-macro-arg-count]: macro 'F' requires 2 arguments, but only 1 given",
    ]);
    expect(r.text).toBe('F');
  });
  it('reports an argument list that runs to the end of the file', () => {
    const r = pp('#define F(x) x\nF(1, (2)\n');
    expect(diagLines(r.diagnostics)).toEqual([
      "t.defs:2:1: error[pp-unterminated-args]: unterminated argument list invoking macro 'F'",
    ]);
    expect(r.text).toBe('F');
  });
  it('stops at the end of an included file, not in the includer', () => {
    const r = run(
      { 'm.defs': '#include "i.defs"\n1)\n', 'i.defs': '#define F(x) x\nF(\n' },
      'm.defs',
    );
    expect(diagLines(r.diagnostics)).toEqual([
      "i.defs:2:1: error[pp-unterminated-args]: unterminated argument list invoking macro 'F'",
    ]);
    expect(r.text).toBe('F\n1)');
  });
  it('runs directives met inside arguments', () => {
    expect(pp('#define F(x) [x]\nF(\n#define Q 2\nQ)\n').text).toBe('[2]');
  });
  it('takes an #if whose expansion was cut off as false, with no further errors', () => {
    let text = '#define L0 1 + 1\n';
    for (let i = 1; i <= 30; i++) text += `#define L${i} L${i - 1} + L${i - 1}\n`;
    const r = pp(text + '#if L30\nyes\n#endif\n');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['pp-expansion-too-large']);
    expect(r.text).toBe('');
  });
  it('cuts off an exponential expansion with a diagnostic', () => {
    let text = '#define L0 x x\n';
    for (let i = 1; i <= 30; i++) text += `#define L${i} L${i - 1} L${i - 1}\n`;
    const r = pp(text + 'L30\nafter\n');
    expect(diagLines(r.diagnostics)).toEqual([
      "t.defs:32:1: error[pp-expansion-too-large]: expansion of macro 'L30' produces more than 1048576 tokens; the rest is dropped",
    ]);
    expect(r.text.endsWith('\nafter')).toBe(true);
  });
});

describe('other directives', () => {
  it('reports #error as an error and #warning as a warning, and goes on', () => {
    const r = pp('#error the "x" isn\'t set\n#warning check  /* c */ this\nafter\n');
    expect(diagLines(r.diagnostics)).toEqual([
      't.defs:1:1: error[pp-error]: #error the "x" isn\'t set',
      't.defs:2:1: warning[pp-warning]: #warning check this',
    ]);
    expect(r.text).toBe('after');
  });
  it('reports unknown directives, outside skipped groups only', () => {
    expect(diags('#foo bar\n# 1x\n#if 0\n#foo\n#endif\n')).toEqual([
      "t.defs:1:1: error[pp-unknown-directive]: invalid preprocessing directive '#foo'",
      "t.defs:2:3: error[pp-line-syntax]: '1x' in a line marker is not a line number",
    ]);
    expect(diags('# "x"\n')).toEqual([
      `t.defs:1:1: error[pp-unknown-directive]: invalid preprocessing directive '#"x"'`,
    ]);
  });
  it('accepts the null directive, #pragma, #ident and #sccs silently', () => {
    const r = pp('#\n#pragma GCC poison x\n#pragma mark - Section\n#ident "v1"\n#sccs "v1"\nok\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe('ok');
  });
  it('reports bad #line directives and line markers', () => {
    expect(diags('#line\n')).toEqual([
      't.defs:1:1: error[pp-line-syntax]: #line expects a line number',
    ]);
    expect(diags('#line x\n')).toEqual([
      "t.defs:1:7: error[pp-line-syntax]: #line expects a line number, found 'x'",
    ]);
    expect(diags('#line 5 x\n')).toEqual([
      "t.defs:1:9: error[pp-line-syntax]: invalid file name 'x' in #line",
    ]);
    expect(diags('#line 5 "f" 1\n')).toEqual([
      't.defs:1:13: warning[pp-extra-tokens]: extra tokens at end of #line directive',
    ]);
    expect(diags('#line 0\n')).toEqual([
      't.defs:1:7: warning[pp-line-range]: line number 0 out of range',
    ]);
    expect(diags('# 5 x\n')).toEqual([
      "t.defs:1:5: error[pp-line-syntax]: invalid file name 'x' in a line marker",
    ]);
    expect(diags('# 5 "f" 9\n')).toEqual([
      "t.defs:1:9: error[pp-line-syntax]: invalid flag '9' in a line marker",
    ]);
  });
  it('warns about #include_next in the main file and searches from the start', () => {
    const r = pp('#include_next "t.defs"\n');
    expect(diagLines(r.diagnostics)[0]).toBe(
      't.defs:1:15: warning[pp-include-next-in-primary]: #include_next in the main file',
    );
  });
});

describe('lexical problems', () => {
  it('reports an unterminated comment', () => {
    expect(diags('a /* never\nclosed\n')).toEqual([
      't.defs:1:3: error[pp-unterminated-comment]: unterminated /* comment',
    ]);
  });
  it('warns about an unterminated quote, which runs to the end of its line', () => {
    const r = pp('a \'b c\nd "e\n');
    expect(diagLines(r.diagnostics)).toEqual([
      "t.defs:1:3: warning[pp-unterminated-literal]: missing terminating ' character",
      't.defs:2:3: warning[pp-unterminated-literal]: missing terminating " character',
    ]);
    expect(r.text).toBe('a \'b c\nd "e');
  });
});

describe('coverage of diagnostic codes', () => {
  it('exercises every code the preprocessor can emit', () => {
    const codes = Object.values(PreprocessCodes);
    const testDir = import.meta.dirname;
    const tests = readdirSync(testDir)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(join(testDir, f), 'utf8'))
      .join('\n');
    const missing = [...codes].filter(
      (c) => !tests.includes(`[${c}]`) && !tests.includes(`'${c}'`),
    );
    expect(missing).toEqual([]);
  });
});
