// Stage: parse. Turns Peggy's failure report into a message a user can act on.
//
// Peggy records, at the furthest position any rule failed, what each rule
// expected there: literals, named rules ("identifier"), the end of input.
// This module names those the way a user writes them (`';'`, `'routine'`),
// folds the large families into one phrase ("a statement", "a type"), and
// names the token actually found. Nothing here knows Peggy's internals
// beyond the shape of one expectation.

import type { Expectation } from './generated/mig-parser.js';

// Families of expectations that read better as one phrase. Members are
// compared case-insensitively. A family folds even when a few members are
// missing: a word that begins like a keyword (`typefoo`) matches the
// keyword's letters and so is not reported as expecting that keyword.

/** Keywords that start a statement: "a statement". */
const STATEMENT_WORDS = [
  'subsystem',
  'routine',
  'simpleroutine',
  'procedure',
  'simpleprocedure',
  'function',
  'skip',
  'type',
  'import',
  'uimport',
  'simport',
  'dimport',
  'iimport',
  'serverprefix',
  'userprefix',
  'serverdemux',
  'error',
  'rcsid',
  'msgoption',
  'waittime',
  'nowaittime',
  'sendtime',
  'nosendtime',
  'usespecialreplyport',
  'consumeonsenderror',
  'usertypelimit',
  'onstacklimit',
].map((w) => `'${w}'`);

/** What can open a type spec: "a type" (the extras may be missing). */
const TYPE_START = [
  "'^'",
  "'array'",
  "'struct'",
  "'c_string'",
  "'('",
  'ipc type name',
  'identifier',
];
const TYPE_START_EXTRA = ["'pointerto'", "'pointertoifnot'", "'valueof'", 'number'];

/** What can follow ':' in an argument: "a type name". */
const ARGUMENT_TYPE = ['identifier', "'pointerto'", "'pointertoifnot'", "'valueof'"];

/** What can open an argument: "an argument". */
const ARGUMENT_START = ['argument direction', 'identifier', "'userimpl'", "'serverimpl'"];

/** Annotations after a type spec: "a type annotation". */
const ANNOTATION_WORDS = [
  "'ctype'",
  "'cusertype'",
  "'cservertype'",
  "'intran'",
  "'outtran'",
  "'destructor'",
  "'intranpayload'",
];

/** What can open an integer expression: "an integer expression". */
const EXPRESSION_START = ['number', 'identifier', "'('", 'unary operator'];

/** Binary operators that may continue an expression: "an operator". */
const BINARY_OPERATORS = ["'|'", "'^'", "'&'", "'<<'", "'>>'", "'+'", "'-'", "'*'", "'/'", "'%'"];

/** Punctuation in the order messages list it. */
const PUNCTUATION_ORDER = [
  ';',
  ',',
  ')',
  ']',
  '}',
  ':',
  '=',
  '(',
  '[',
  '{',
  '|',
  '^',
  '*',
  '<',
  '"',
];

/** How one expectation reads in a message (a character class reads as its characters). */
function describe(e: Expectation): string[] {
  switch (e.type) {
    case 'literal':
      return [`'${e.text}'`];
    case 'other':
      return e.description === undefined ? [] : [e.description];
    case 'end':
      return ['end of file'];
    case 'class':
      // Peggy turns `"+" / "-"` into a class; name each character as the literal it was.
      return (e.parts ?? []).map((p) =>
        Array.isArray(p) ? `'${p[0]}'…'${p[1]}'` : `'${String(p)}'`,
      );
    default:
      return [];
  }
}

/**
 * Replaces a family of expectations by one phrase when at most a quarter
 * of its members are missing; `alsoAbsorb` members go with it when present.
 */
function fold(
  items: Map<string, string>,
  family: string[],
  phrase: string,
  alsoAbsorb: string[] = [],
): void {
  const present = family.filter((f) => items.has(f));
  if (family.length - present.length > Math.floor(family.length / 4)) return;
  for (const f of [...present, ...alsoAbsorb]) items.delete(f);
  items.set(phrase, phrase);
}

/**
 * The "expected …" half of a syntax error: `';' or ','`, `a statement`,
 * `'[', ';' or a type annotation`. Families are folded, punctuation comes
 * first, then keywords, then descriptions, each group in a fixed order.
 */
export function describeExpected(expected: readonly Expectation[]): string {
  // Keyed by the lower-cased text, so families match keywords whatever their case in the grammar.
  const items = new Map<string, string>();
  for (const e of expected) for (const d of describe(e)) items.set(d.toLowerCase(), d);
  fold(items, STATEMENT_WORDS, 'a statement', ["';'"]);
  fold(items, TYPE_START, 'a type', TYPE_START_EXTRA);
  fold(items, ARGUMENT_TYPE, 'a type name');
  fold(items, ARGUMENT_START, 'an argument');
  fold(items, ANNOTATION_WORDS, 'a type annotation');
  fold(items, EXPRESSION_START, 'an integer expression');
  fold(items, BINARY_OPERATORS, 'an operator');
  const rank = (item: string): [number, number, string] => {
    const punct = /^'(.+)'$/.exec(item)?.[1];
    if (punct !== undefined && !/^[A-Za-z_]/.test(punct)) {
      const i = PUNCTUATION_ORDER.indexOf(punct);
      return [0, i < 0 ? PUNCTUATION_ORDER.length : i, item];
    }
    if (item.startsWith("'")) return [1, 0, item.toLowerCase()];
    return [2, 0, item];
  };
  const sorted = [...items.values()].sort((a, b) => {
    const [ga, ia, sa] = rank(a);
    const [gb, ib, sb] = rank(b);
    return ga - gb || ia - ib || (sa < sb ? -1 : sa > sb ? 1 : 0);
  });
  if (sorted.length === 0) return 'something else';
  if (sorted.length === 1) return sorted[0];
  return `${sorted.slice(0, -1).join(', ')} or ${sorted[sorted.length - 1]}`;
}

/** The token at `pos` as a message names it, and where it ends. */
export interface FoundToken {
  /** `'routine'`, `'('`, `end of file`, `character U+0001`. */
  text: string;
  end: number;
  atEnd: boolean;
}

const MAX_SHOWN = 40;

/** Reads the token that starts at `pos` (whitespace already skipped). */
export function foundToken(input: string, pos: number): FoundToken {
  if (pos >= input.length) return { text: 'end of file', end: pos, atEnd: true };
  const word = /[A-Za-z0-9_]+|"[^"\n]*"?/y;
  word.lastIndex = pos;
  const m = word.exec(input);
  if (m) {
    const shown = m[0].length > MAX_SHOWN ? `${m[0].slice(0, MAX_SHOWN)}…` : m[0];
    return { text: `'${shown}'`, end: pos + m[0].length, atEnd: false };
  }
  const code = input.codePointAt(pos)!;
  const width = code > 0xffff ? 2 : 1;
  if (code >= 0x21 && code <= 0x7e) return { text: `'${input[pos]}'`, end: pos + 1, atEnd: false };
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  return { text: `character U+${hex}`, end: pos + width, atEnd: false };
}
