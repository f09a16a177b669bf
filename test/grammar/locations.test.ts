// Every AST node carries the exact range of its text: leading whitespace and
// comments excluded, the last token included, across lines.

import { describe, expect, it } from 'vitest';
import type {
  Argument,
  BinaryExpr,
  Expr,
  NamedTypeDecl,
  RoutineStmt,
  TypeStmt,
  UnaryExpr,
} from '../../generator/parse/ast.js';
import { parseText } from '../../generator/parse/index.js';
import { parseOk, span } from './helpers.js';

describe('locations', () => {
  const text = [
    'subsystem calc 4000;', // line 1
    '/* a comment */ routine add(', // line 2
    '\t\tserver : mach_port_t;', // line 3
    '\tin  a : int32_t, dealloc;', // line 4
    '\tout b : bt = array[*:8] of int32_t);', // line 5
    'type t = ^array[] of int', // line 6
    '   ctype: foo_t;', // line 7
  ].join('\n');
  const [subsystem, routine, type] = parseOk(text) as [unknown, RoutineStmt, TypeStmt];

  it('spans a statement from its keyword to its last token, without the ";"', () => {
    expect(span((subsystem as RoutineStmt).loc)).toBe('1:1-1:20');
    expect(span(routine.loc)).toBe('2:17-5:37');
    expect(span(type.loc)).toBe('6:1-7:16');
  });

  it('points names at themselves', () => {
    expect(span(routine.name.loc)).toBe('2:25-2:28');
    expect(span(routine.args[0].name.loc)).toBe('3:3-3:9');
  });

  it('spans arguments from direction to last flag, and records the direction', () => {
    const [server, a, b] = routine.args as [Argument, Argument, Argument];
    expect(span(server.loc)).toBe('3:3-3:23');
    expect(server.directionLoc).toBeUndefined();
    expect(span(a.loc)).toBe('4:2-4:26');
    expect(span(a.directionLoc!)).toBe('4:2-4:4');
    expect(span(a.flags[0].loc)).toBe('4:19-4:26');
    expect(span(b.type.loc)).toBe('5:10-5:36');
  });

  it('spans nested type specs from their own first token', () => {
    const decl: NamedTypeDecl = type.decl;
    expect(span(decl.loc)).toBe('6:6-7:16');
    expect(span(decl.spec.loc)).toBe('6:10-6:25');
    const pointer = decl.spec as {
      target: { loc: NamedTypeDecl['loc']; element: { loc: NamedTypeDecl['loc'] } };
    };
    expect(span(pointer.target.loc)).toBe('6:11-6:25');
    expect(span(pointer.target.element.loc)).toBe('6:22-6:25');
    expect(span(decl.annotations[0].loc)).toBe('7:4-7:16');
  });

  it('spans expressions from first to last operand, parentheses of operands included', () => {
    const [t] = parseOk('type t = array[ -(1 + 2) * 3 ] of int;') as [TypeStmt];
    const product = (t.decl.spec as { bound: { size: Expr } }).bound.size as BinaryExpr;
    expect(span(product.loc)).toBe('1:17-1:29');
    const negation = product.left as UnaryExpr;
    expect(span(negation.loc)).toBe('1:17-1:25');
    expect(span(negation.operand.loc)).toBe('1:19-1:24');
    expect(span(product.right.loc)).toBe('1:28-1:29');
  });

  it('names the file it was given', () => {
    const r = parseText('skip;', 'dir/x.defs');
    expect(r.file.statements[0].loc.file).toBe('dir/x.defs');
    expect(r.file.loc).toEqual({
      file: 'dir/x.defs',
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
    });
  });
});
