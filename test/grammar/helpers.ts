// Test helpers for the parse stage: parse raw text, compare ASTs without
// their locations, print locations compactly.

import { expect } from 'vitest';
import type { Statement } from '../../generator/parse/ast.js';
import { parseText } from '../../generator/parse/index.js';
import type { Diagnostic } from '../../generator/diagnostics.js';
import type { Range } from '../../generator/source.js';

/** A deep copy of `value` without any `loc`/`directionLoc` field (for shape comparisons). */
export function withoutLocs<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, v) => (key === 'loc' || key === 'directionLoc' ? undefined : v)),
  );
}

/** Parses `text` (no preprocessing), expects no diagnostics, returns the statements. */
export function parseOk(text: string): Statement[] {
  const r = parseText(text, 'test.defs');
  expect(r.diagnostics.map((d) => `${d.loc?.line}:${d.loc?.column}: ${d.message}`)).toEqual([]);
  return r.file.statements;
}

/** Parses `text`, expects no diagnostics, returns the statements without locations. */
export function shapes(text: string): unknown[] {
  return withoutLocs(parseOk(text));
}

/** The diagnostics of `text` as `line:col-endLine:endCol code: message`. */
export function errorsOf(text: string): string[] {
  return parseText(text, 'test.defs').diagnostics.map(briefly);
}

/** One diagnostic as `line:col-endLine:endCol code: message`. */
export function briefly(d: Diagnostic): string {
  return `${d.loc ? span(d.loc) : '-'} ${d.code}: ${d.message}`;
}

/** `line:col-endLine:endCol` of a range. */
export function span(r: Range): string {
  return `${r.line}:${r.column}-${r.endLine}:${r.endColumn}`;
}
