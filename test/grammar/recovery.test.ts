// Syntax errors: every error of a file in one run, each where the parser got
// stuck, the rest of the file still parsed; input nested too deeply for the
// parser is refused with a diagnostic instead of a stack overflow.

import { describe, expect, it } from 'vitest';
import { MAX_NESTING, parseText } from '../../generator/parse/index.js';
import { errorsOf, span } from './helpers.js';

describe('recovery', () => {
  it('reports every bad statement and keeps the good ones', () => {
    const r = parseText(
      [
        'subsystem s 100;',
        'routine a(x: int y: int);',
        'routine b(p: port_t);',
        'type t = ;',
        'skip;',
      ].join('\n'),
      't.defs',
    );
    expect(r.diagnostics.map((d) => `${span(d.loc!)} ${d.message}`)).toEqual([
      "2:18-2:19 expected ';', ',', ')' or '=', found 'y'",
      "4:10-4:11 expected a type, found ';'",
    ]);
    expect(r.file.statements.map((s) => s.kind)).toEqual([
      'subsystem',
      'error',
      'routine',
      'error',
      'skip',
    ]);
    expect(span(r.file.statements[1].loc)).toBe('2:1-2:26');
  });

  it('resumes at a statement keyword that begins a line when a ";" is missing', () => {
    const r = parseText('routine a(x: int)\nroutine b(y: int);\n', 't.defs');
    expect(r.diagnostics.map((d) => `${span(d.loc!)} ${d.code}: ${d.message}`)).toEqual([
      "2:1-2:8 parse-unexpected-token: expected ';', found 'routine'",
    ]);
    expect(r.file.statements.map((s) => s.kind)).toEqual(['error', 'routine']);
  });

  it('does not resume inside an argument list', () => {
    // The ";" after "x int" closes an argument, not the statement.
    const r = parseText('routine a(x int; y: int);\nskip;', 't.defs');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.file.statements.map((s) => s.kind)).toEqual(['error', 'skip']);
  });

  it('reports the end of the file when a statement is cut short', () => {
    expect(errorsOf('routine a(x: int')).toEqual([
      "1:17-1:17 parse-unexpected-eof: expected ';', ',', ')' or '=', found end of file",
    ]);
  });

  it('names characters that cannot start a token', () => {
    expect(errorsOf('skip $;')).toEqual([
      "1:6-1:7 parse-unexpected-token: expected ';' or an integer expression, found '$'",
    ]);
    expect(errorsOf('skip \u0001;')).toEqual([
      "1:6-1:7 parse-unexpected-token: expected ';' or an integer expression, found character U+0001",
    ]);
  });

  it('names what may come next the way a user writes it', () => {
    expect(errorsOf('typefoo x;')).toEqual([
      "1:1-1:8 parse-unexpected-token: expected a statement, found 'typefoo'",
    ]);
    expect(errorsOf('type t = array[;')).toEqual([
      "1:16-1:17 parse-unexpected-token: expected ']', '*' or an integer expression, found ';'",
    ]);
    expect(errorsOf('type t = MACH_MSG_TYPE_INTEGER_32 x;')).toEqual([
      "1:35-1:36 parse-unexpected-token: expected ';', '|' or a type annotation, found 'x'",
    ]);
    expect(errorsOf('routine r(a: ; b: int);')).toEqual([
      "1:14-1:15 parse-unexpected-token: expected a type name, found ';'",
    ]);
  });

  it('stops reporting after 100 syntax errors, and says so', () => {
    const r = parseText('x;\n'.repeat(150), 't.defs');
    expect(r.diagnostics).toHaveLength(101);
    expect(r.diagnostics[100].code).toBe('parse-too-many-errors');
    expect(r.file.statements).toHaveLength(150);
  });
});

describe('nesting limits', () => {
  it('accepts nesting up to the limit', () => {
    const parens = `type t = array[${'('.repeat(MAX_NESTING - 1)}1${')'.repeat(MAX_NESTING - 1)}] of int;`;
    expect(parseText(parens, 't.defs').diagnostics).toEqual([]);
    const chain = `type t = ${'array[] of '.repeat(MAX_NESTING)}int;`;
    expect(parseText(chain, 't.defs').diagnostics).toEqual([]);
  });

  it('refuses 10,000 nested parentheses without recursing into them', () => {
    // "array[" opens level 1, so the 128th parenthesis (column 15 + 128) opens level 129.
    const text = `skip;\ntype t = array[${'('.repeat(10_000)}1${')'.repeat(10_000)}] of int;\nskip;`;
    const r = parseText(text, 't.defs');
    expect(r.diagnostics.map((d) => `${span(d.loc!)} ${d.code}: ${d.message}`)).toEqual([
      `2:${15 + MAX_NESTING}-2:${16 + MAX_NESTING} parse-too-deep: brackets nest more than ${MAX_NESTING} levels deep`,
    ]);
    expect(r.file.statements.map((s) => s.kind)).toEqual(['skip', 'error', 'skip']);
  });

  it('refuses unbalanced deep brackets and finds the next statement', () => {
    const r = parseText(`type t = array[${'('.repeat(10_000)}\nskip;`, 't.defs');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['parse-too-deep']);
    expect(r.file.statements.map((s) => s.kind)).toEqual(['error', 'skip']);
  });

  it('refuses 10,000 chained array prefixes, unary operators and binary operators', () => {
    for (const text of [
      `type t = ${'array[] of '.repeat(10_000)}int;`,
      `type t = ${'^'.repeat(10_000)}int;`,
      `skip ${'-'.repeat(10_000)}1;`,
      `skip ${'1+'.repeat(10_000)}1;`,
    ]) {
      const r = parseText(`${text}\nskip;`, 't.defs');
      expect(r.diagnostics.map((d) => d.code)).toEqual(['parse-too-deep']);
      expect(r.file.statements.map((s) => s.kind)).toEqual(['error', 'skip']);
    }
  });
});
