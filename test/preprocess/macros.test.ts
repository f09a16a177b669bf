// Macro definition and expansion: object-like and function-like macros,
// `#` and `##`, variadic arguments, rescanning and "blue paint", argument
// pre-expansion, redefinition, and the built-in macros. Expected outputs
// follow the C standard's examples and GCC's behaviour.

import { describe, expect, it } from 'vitest';
import { diagLines, pp, tokens } from './helpers.js';

const out = (text: string) => pp(text).text;

describe('object-like macros', () => {
  it('replaces a name by its body', () => {
    expect(out('#define N 10\ntype t = array[N] of int;\n')).toBe('type t = array[10] of int;');
  });
  it('rescans the replacement', () => {
    expect(out('#define A B + 1\n#define B 7\nA\n')).toBe('7 + 1');
  });
  it('does not expand a macro inside its own expansion', () => {
    expect(out('#define X X + 1\nX\n')).toBe('X + 1');
    expect(out('#define A B\n#define B A\nA B\n')).toBe('A B');
  });
  it('expands to nothing', () => {
    expect(out('#define EMPTY\na EMPTY b\n')).toBe('a b');
  });
  it('ignores names in strings, character constants and comments', () => {
    expect(out('#define N 1\n"N" \'N\' /* N */ N\n')).toBe('"N" \'N\' 1');
  });
  it('is forgotten after #undef', () => {
    expect(out('#define N 1\nN\n#undef N\nN\n')).toBe('1\nN');
  });
  it('pastes in an object-like body', () => {
    expect(out('#define P a ## b\nP\n')).toBe('ab');
  });
});

describe('function-like macros', () => {
  it('substitutes arguments', () => {
    expect(out('#define ADD(a, b) ((a) + (b))\nADD(1, x*2)\n')).toBe('((1) + (x*2))');
  });
  it('keeps nested parentheses and commas inside them', () => {
    expect(out('#define F(a, b) [a|b]\nF((1, 2), g(3, 4))\n')).toBe('[(1, 2)|g(3, 4)]');
  });
  it('is not invoked without parentheses', () => {
    expect(out('#define F(x) x\nF + F\n')).toBe('F + F');
  });
  it('finds its parenthesis on a later line', () => {
    expect(out('#define F(x) <x>\nF\n(1)\n')).toBe('<1>');
  });
  it('does not look for its parenthesis past a directive (as GCC)', () => {
    expect(out('#define F(x) <x>\n#define Q 1\nF\n#undef Q\n(Q)\n')).toBe('F\n(Q)');
  });
  it('turns newlines inside arguments into spaces', () => {
    expect(out('#define F(x) [x]\nF(a\nb)\n')).toBe('[a b]');
  });
  it('takes empty arguments', () => {
    expect(out('#define F(a, b) <a|b>\nF(,) F(1,) F(,2)\n')).toBe('<|> <1|> <|2>');
    expect(out('#define Z() z\nZ()\n')).toBe('z');
  });
  it('pre-expands arguments before substitution', () => {
    expect(out('#define f(x) x+f(x)\nf(f(1))\n')).toBe('1+f(1)+f(1+f(1))');
  });
  it('rescans the result together with what follows', () => {
    expect(out('#define f(x) g\n#define g(y) [y]\nf(1)(2)\n')).toBe('[2]');
  });
  it('uses the C standard example of nested rescans', () => {
    // C11 6.10.3.5 example 3, one line of it.
    const defs =
      '#define x 3\n#define f(a) f(x * (a))\n#undef x\n#define x 2\n#define g f\n#define z z[0]\n#define t(a) a\n';
    expect(tokens(out(defs + 'f(y+1) + f(f(z)) % t(t(g)(0) + t)(1);\n'))).toEqual(
      tokens('f(2 * (y+1)) + f(2 * (f(2 * (z[0])))) % f(2 * (0)) + t(1);'),
    );
  });
});

describe('# and ##', () => {
  it('stringizes an argument, escaping quotes and backslashes in literals', () => {
    expect(out('#define S(x) #x\nS(a  +  b) S("a\\n") S(\'"\')\n')).toBe(
      '"a + b" "\\"a\\\\n\\"" "\'\\"\'"',
    );
  });
  it('stringizes an empty argument', () => {
    expect(out('#define S(x) #x\nS()\n')).toBe('""');
  });
  it('pastes arguments without expanding them first', () => {
    expect(out('#define N 5\n#define CAT(a, b) a ## b\nCAT(N, 1) CAT(x, N)\n')).toBe('N1 xN');
  });
  it('expands the result of a paste', () => {
    expect(out('#define AB done\n#define CAT(a, b) a ## b\nCAT(A, B)\n')).toBe('done');
  });
  it('pastes with empty arguments (placemarkers)', () => {
    expect(out('#define CAT(a, b) [a ## b]\nCAT(, x) CAT(x, ) CAT(, )\n')).toBe('[x] [x] []');
  });
  it('pastes a chain left to right', () => {
    expect(out('#define C3(a, b, c) a ## b ## c\nC3(x, 1, y)\n')).toBe('x1y');
  });
  it('makes punctuators', () => {
    expect(out('#define P(a, b) a ## b\nP(-, >) P(<, <=)\n')).toBe('-> <<=');
  });
  it('reports a paste that is not one token, and keeps both', () => {
    const r = pp('#define P(a, b) a ## b\nP(+, -)\n');
    expect(tokens(r.text)).toEqual(['+', '-']);
    expect(diagLines(r.diagnostics)).toEqual([
      "t.defs:2:1: error[pp-invalid-paste]: pasting '+' and '-' does not give a valid preprocessing token",
    ]);
  });
  it('uses the C standard example of # and ## together', () => {
    // C11 6.10.3.5 example 4 (hash_hash).
    const text =
      '#define hash_hash # ## #\n#define mkstr(a) # a\n#define in_between(a) mkstr(a)\n#define join(c, d) in_between(c hash_hash d)\nchar p[] = join(x, y);\n';
    expect(out(text)).toBe('char p[] = "x ## y";');
  });
});

describe('variadic macros', () => {
  it('collects the rest of the arguments in __VA_ARGS__', () => {
    expect(out('#define V(a, ...) <a|__VA_ARGS__>\nV(1, 2, 3) V(1)\n')).toBe('<1|2, 3> <1|>');
  });
  it('accepts GNU named variadic parameters', () => {
    expect(out('#define V(fmt, args...) f(fmt, args)\nV(x, 1, 2)\n')).toBe('f(x, 1, 2)');
  });
  it('drops the comma before an empty __VA_ARGS__ with GNU , ## __VA_ARGS__', () => {
    expect(out('#define V(a, ...) f(a, ## __VA_ARGS__)\nV(1) V(1, 2)\n')).toBe('f(1) f(1, 2)');
  });
  it('stringizes __VA_ARGS__', () => {
    expect(out('#define S(...) #__VA_ARGS__\nS(a, b)\n')).toBe('"a, b"');
  });
});

describe('redefinition', () => {
  it('accepts an identical redefinition silently', () => {
    expect(pp('#define A 1 + 2\n#define A 1 /* same */ + 2\n').diagnostics).toEqual([]);
  });
  it('warns about a different one, pointing at the first', () => {
    const r = pp('#define A 1\n#define A 2\nA\n');
    expect(r.text).toBe('2');
    expect(diagLines(r.diagnostics)).toEqual([
      "t.defs:2:9: warning[pp-macro-redefined]: 'A' macro redefined",
      '  note t.defs:1:9: previous definition is here',
    ]);
  });
  it('treats different spacing as a different body', () => {
    expect(pp('#define A 1+2\n#define A 1 + 2\n').diagnostics.map((d) => d.code)).toEqual([
      'pp-macro-redefined',
    ]);
  });
  it('treats different parameters as a different definition', () => {
    expect(pp('#define F(a) a\n#define F(b) b\n').diagnostics.map((d) => d.code)).toEqual([
      'pp-macro-redefined',
    ]);
  });
});

describe('built-in macros', () => {
  it('knows __LINE__ and __FILE__', () => {
    expect(out('a\n__LINE__ __FILE__\n')).toBe('a\n2 "t.defs"');
  });
  it('uses the line of the outermost use inside a macro', () => {
    expect(out('#define L __LINE__\n\n\nL\n')).toBe('4');
  });
  it('counts with __COUNTER__ and tells the include level', () => {
    expect(out('__COUNTER__ __COUNTER__ __INCLUDE_LEVEL__ __BASE_FILE__\n')).toBe('0 1 0 "t.defs"');
  });
  it('warns when a built-in is redefined or undefined', () => {
    const r = pp('#define __LINE__ 3\n#undef __FILE__\n');
    expect(diagLines(r.diagnostics)).toEqual([
      "t.defs:1:9: warning[pp-builtin-macro]: redefining builtin macro '__LINE__'",
      "t.defs:2:8: warning[pp-builtin-macro]: undefining builtin macro '__FILE__'",
    ]);
  });
});
