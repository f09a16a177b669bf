// Where output tokens came from: `locate` maps output ranges back to the
// file, line and column the user wrote, through #include ("included from"),
// macros ("expanded from", with the spelling in the body or the argument),
// #line and gcc line markers. Also the printed form of such diagnostics.

import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../generator/diagnostics.js';
import { locOf, pp, run, span } from './helpers.js';

describe('locate', () => {
  it('maps plain tokens to their line and column', () => {
    const r = pp('subsystem foo 100;\n\n\troutine bar(x: int);\n');
    expect(span(locOf(r, 'foo'))).toBe('t.defs:1:11-1:14');
    expect(span(locOf(r, 'bar'))).toBe('t.defs:3:10-3:13');
    expect(locOf(r, 'bar').includedFrom).toBeUndefined();
  });
  it('spans several tokens of one file', () => {
    const r = pp('routine bar(\n  x: int);\n');
    const start = r.text.indexOf('bar');
    expect(span(r.locate(start, r.text.indexOf(';') + 1))).toBe('t.defs:1:9-2:11');
  });
  it('clamps out-of-range and empty ranges', () => {
    const r = pp('a b\n');
    expect(span(r.locate(-5, -1))).toBe('t.defs:1:1-1:1');
    expect(span(r.locate(100, 200))).toBe('t.defs:1:4-1:4');
    expect(span(r.locate(1, 1))).toBe('t.defs:1:3-1:3');
    expect(span(r.locate(NaN, NaN))).toBe('t.defs:1:1-1:1');
    expect(span(pp('').locate(0, 0))).toBe('t.defs:1:1-1:1');
  });
  it('points into an included file, with the #include as includedFrom', () => {
    const r = run(
      { 'main.defs': 'a\n#include "sub.defs"\n', 'sub.defs': '\n  inner\n' },
      'main.defs',
    );
    const loc = locOf(r, 'inner');
    expect(span(loc)).toBe('sub.defs:2:3-2:8');
    expect(loc.includedFrom && span(loc.includedFrom)).toBe('main.defs:2:10-2:20');
  });
  it('gives macro tokens the use site and the spelling in the body', () => {
    const r = pp('#define N \\\n   42\ntype t = array[N] of int;\n');
    const loc = locOf(r, '42');
    expect(span(loc)).toBe('t.defs:3:16-3:17');
    expect(loc.expandedFrom?.macro).toBe('N');
    expect(span(loc.expandedFrom!.spelling)).toBe('t.defs:2:4-2:6');
  });
  it('chains nested macros outermost first', () => {
    const r = pp('#define A B + 1\n#define B 7\nA\n');
    const loc = locOf(r, '7');
    expect(span(loc)).toBe('t.defs:3:1-3:2');
    expect(loc.expandedFrom?.macro).toBe('A');
    expect(span(loc.expandedFrom!.spelling)).toBe('t.defs:1:11-1:12');
    expect(loc.expandedFrom!.spelling.expandedFrom?.macro).toBe('B');
    expect(span(loc.expandedFrom!.spelling.expandedFrom!.spelling)).toBe('t.defs:2:11-2:12');
  });
  it('gives argument tokens the spelling in the argument', () => {
    const r = pp('#define F(x) [x]\nF(  arg )\n');
    const loc = locOf(r, 'arg');
    expect(span(loc)).toBe('t.defs:2:1-2:2');
    expect(loc.expandedFrom?.macro).toBe('F');
    expect(span(loc.expandedFrom!.spelling)).toBe('t.defs:2:5-2:8');
  });
  it('keeps macro definitions in included files located there', () => {
    const r = run(
      { 'main.defs': '#include "m.defs"\nM\n', 'm.defs': '#define M mval\n' },
      'main.defs',
    );
    const loc = locOf(r, 'mval');
    expect(span(loc)).toBe('main.defs:2:1-2:2');
    expect(span(loc.expandedFrom!.spelling)).toBe('m.defs:1:11-1:15');
    expect(
      loc.expandedFrom!.spelling.includedFrom && span(loc.expandedFrom!.spelling.includedFrom),
    ).toBe('main.defs:1:10-1:18');
  });
  it('shares one includedFrom object among all tokens of an inclusion', () => {
    const r = run({ 'main.defs': '#include "s.defs"\n', 's.defs': 'a b\n' }, 'main.defs');
    expect(locOf(r, 'a').includedFrom).toBe(locOf(r, 'b').includedFrom);
  });
});

describe('#line and line markers', () => {
  it('renumbers lines and renames the file with #line', () => {
    const r = pp('a\n#line 100 "other.defs"\nb\nc __LINE__ __FILE__\n');
    expect(span(locOf(r, 'a'))).toBe('t.defs:1:1-1:2');
    expect(span(locOf(r, 'b'))).toBe('other.defs:100:1-100:2');
    expect(r.text).toBe('a\nb\nc 101 "other.defs"');
  });
  it('expands macros in #line', () => {
    const r = pp('#define L 50\n#line L\nx\n');
    expect(span(locOf(r, 'x'))).toBe('t.defs:50:1-50:2');
  });
  it("reads gcc's line markers with flags as presumed includes", () => {
    const text = '# 1 "main.defs"\nm\n# 1 "sub.defs" 1 3 4\ns\n# 3 "main.defs" 2\nafter\n';
    const r = pp(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe('m\ns\nafter');
    const s = locOf(r, 's');
    expect(span(s)).toBe('sub.defs:1:1-1:2');
    expect(s.includedFrom && `${s.includedFrom.file}:${s.includedFrom.line}`).toBe('main.defs:2');
    const after = locOf(r, 'after');
    expect(span(after)).toBe('main.defs:3:1-3:6');
    expect(after.includedFrom).toBeUndefined();
  });
  it("accepts the #line that Apple's mig.sh prepends", () => {
    const r = pp('#line 1 "real.defs"\nsubsystem x 1;\n');
    expect(span(locOf(r, 'subsystem'))).toBe('real.defs:1:1-1:10');
  });
});

describe('printed diagnostics', () => {
  it('show the excerpt, the macro chain and the include chain', () => {
    const files = {
      'main.defs': 'a\n#include "sub.defs"\n',
      'sub.defs': '#define CAT(a, b) a ## b\nCAT(+, /)\n',
    };
    const r = run(files, 'main.defs');
    expect(formatDiagnostic(r.diagnostics[0], r.sources.lookup)).toBe(
      [
        "sub.defs:2:1: error: pasting '+' and '/' does not give a valid preprocessing token",
        ' 2 | CAT(+, /)',
        '   | ^~~',
        "sub.defs:1:21: note: expanded from macro 'CAT'",
        ' 1 | #define CAT(a, b) a ## b',
        '   |                     ^~',
        'main.defs:2:10: note: included from here',
        '',
      ].join('\n'),
    );
  });
});
