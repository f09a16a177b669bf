// Stage: parse. Runs the generated Peggy parser over preprocessed text and
// returns the AST of every statement that parsed plus a diagnostic for each
// one that did not. It never throws on any input.
//
// A well-formed file is parsed in one call (the fast path). Otherwise the
// file is parsed one statement at a time: a statement that fails is reported
// ("expected ';' or ',', found 'x'") and replaced by an `error` node, and
// parsing resumes after its `;` or at the next statement keyword that begins
// a line. Input that nests deeper than MAX_NESTING is refused per statement
// before the parser can recurse into it.

import type { Diagnostic } from '../diagnostics.js';
import type { Loc } from '../source.js';
import type { DefsFile, ErrorRecovery, Expr, Node, Statement, TypeExpr } from './ast.js';
import { parse as peggyParse, type Expectation } from './generated/mig-parser.js';
import type { Locate } from './locate.js';
import { findDeepNesting, MAX_NESTING, resyncPoint, skipSpace } from './recovery.js';
import { describeExpected, foundToken } from './syntax-errors.js';

/** How `parseDefs` reads its input. */
export interface ParseOptions {
  /** The file the text stands for (names the `file` node). */
  fileName: string;
  /** Maps offsets in `text` to locations in the user's files. */
  locate: Locate;
  /** Stop reporting syntax errors after this many (default 100). */
  maxErrors?: number;
}

/** The AST of one file and what went wrong while reading it. */
export interface ParseResult {
  file: DefsFile;
  diagnostics: Diagnostic[];
}

/** Diagnostic codes this module emits. */
export const ParseCodes = {
  unexpectedToken: 'parse-unexpected-token',
  unexpectedEnd: 'parse-unexpected-eof',
  tooDeep: 'parse-too-deep',
  tooManyErrors: 'parse-too-many-errors',
} as const;

/** Node kinds whose nesting `MAX_NESTING` bounds (type specs and expressions). */
const NESTING_KINDS = new Set(['array', 'pointer', 'structArray', 'binary', 'unary']);

/** What `Step` returns at the end of the input (see the grammar's initializer). */
function isEnd(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { kind?: string }).kind === 'end';
}

/** Parses preprocessed MIG text into a located AST; never throws on user input. */
export function parseDefs(text: string, options: ParseOptions): ParseResult {
  const { fileName, locate } = options;
  const maxErrors = options.maxErrors ?? 100;
  const diagnostics: Diagnostic[] = [];
  const fileLoc: Loc = { file: fileName, line: 1, column: 1, endLine: 1, endColumn: 1 };
  let deepAt = findDeepNesting(text, 0);

  if (deepAt < 0) {
    const whole = tryParse(text, 'File', 0, locate);
    if (whole.ok) {
      const statements = (whole.value as Statement[]).map((s) => guardNesting(s, diagnostics));
      return { file: { kind: 'file', statements, loc: fileLoc }, diagnostics };
    }
  }

  const statements: Statement[] = [];
  let pos = 0;
  let errors = 0;
  while (pos < text.length) {
    const first = skipSpace(text, pos);
    if (first >= text.length) break;
    if (deepAt >= 0 && deepAt >= first) {
      // Refuse the statement around the deep bracket without letting the parser recurse into it.
      const end = resyncPoint(text, pos, first);
      if (deepAt < end) {
        diagnostics.push(
          tooDeep(`brackets nest more than ${MAX_NESTING} levels deep`, locate(deepAt, deepAt + 1)),
        );
        statements.push(errorNode(text, first, end, locate));
        pos = end;
        deepAt = findDeepNesting(text, end);
        continue;
      }
    }
    const step = tryParse(text, 'Step', pos, locate);
    if (step.ok) {
      if (isEnd(step.value)) break;
      if (step.value !== null) statements.push(guardNesting(step.value as Statement, diagnostics));
      pos = step.end;
      continue;
    }
    errors++;
    if (step.overflow) {
      diagnostics.push(tooDeep('this statement nests too deeply to parse', locate(first, first)));
    } else if (errors <= maxErrors) {
      diagnostics.push(syntaxError(text, step.failPos, step.expected, locate));
    }
    if (errors === maxErrors + 1) {
      diagnostics.push({
        severity: 'error',
        code: ParseCodes.tooManyErrors,
        message: `too many syntax errors; stopped reporting after ${maxErrors}`,
        loc: locate(first, first),
      });
    }
    const resume = resyncPoint(text, pos, step.failPos);
    statements.push(errorNode(text, first, resume, locate));
    pos = resume;
  }
  return { file: { kind: 'file', statements, loc: fileLoc }, diagnostics };
}

type Attempt =
  | { ok: true; value: unknown; end: number }
  | { ok: false; failPos: number; expected: Expectation[]; overflow: boolean };

/**
 * One call of the generated parser in library mode: a result or the
 * furthest failure. The nesting checks keep recursion shallow; should the
 * stack still run out, that is a failure of this attempt, not a crash.
 */
function tryParse(text: string, startRule: 'File' | 'Step', pos: number, locate: Locate): Attempt {
  try {
    const r = peggyParse(text, { startRule, locate, peg$library: true, peg$currPos: pos });
    if (r.peg$result !== r.peg$FAILED) return { ok: true, value: r.peg$result, end: r.peg$currPos };
    return {
      ok: false,
      failPos: r.peg$maxFailPos,
      expected: r.peg$maxFailExpected,
      overflow: false,
    };
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return { ok: false, failPos: pos, expected: [], overflow: true };
  }
}

function tooDeep(message: string, loc: Loc): Diagnostic {
  return { severity: 'error', code: ParseCodes.tooDeep, message, loc };
}

/** "expected X, found Y" at the token where the parser got stuck. */
function syntaxError(
  text: string,
  failPos: number,
  expected: Expectation[],
  locate: Locate,
): Diagnostic {
  const at = skipSpace(text, failPos);
  const found = foundToken(text, at);
  return {
    severity: 'error',
    code: found.atEnd ? ParseCodes.unexpectedEnd : ParseCodes.unexpectedToken,
    message: `expected ${describeExpected(expected)}, found ${found.text}`,
    loc: locate(at, found.end),
  };
}

/** An `error` statement covering `[start, end)` without the whitespace at its end. */
function errorNode(text: string, start: number, end: number, locate: Locate): ErrorRecovery {
  let last = end;
  while (last > start && /\s/.test(text[last - 1])) last--;
  return { kind: 'error', loc: locate(start, last) };
}

/**
 * Returns the statement, or an `error` node with a diagnostic when its type
 * specs or expressions nest deeper than MAX_NESTING (long `array[] of` or
 * unary chains parse as loops, so only here can they be bounded). Visits
 * only the parts of a statement that hold types and expressions, with an
 * explicit stack: the AST may be deeper than the call stack allows.
 */
function guardNesting(statement: Statement, diagnostics: Diagnostic[]): Statement {
  const stack: Array<[Node, number]> = [];
  const push = (node: Node | undefined, depth: number) => {
    if (node !== undefined) stack.push([node, depth]);
  };
  switch (statement.kind) {
    case 'subsystem':
      push(statement.base, 0);
      break;
    case 'skip':
      push(statement.count, 0);
      break;
    case 'type':
      push(statement.decl.spec, 0);
      break;
    case 'option':
      if (
        statement.value?.kind !== 'ident' &&
        statement.value?.kind !== 'string' &&
        statement.value?.kind !== 'raw'
      )
        push(statement.value, 0);
      break;
    case 'routine':
      for (const arg of statement.args)
        push(arg.type.kind === 'namedType' ? arg.type.spec : arg.type, 0);
      push(statement.returns, 0);
      break;
  }
  while (stack.length > 0) {
    const [node, outer] = stack.pop()!;
    const n = node as TypeExpr | Expr;
    const depth = NESTING_KINDS.has(n.kind) ? outer + 1 : outer;
    if (depth > MAX_NESTING) {
      diagnostics.push(
        tooDeep(`types or expressions nest more than ${MAX_NESTING} levels deep`, n.loc),
      );
      return { kind: 'error', loc: statement.loc };
    }
    switch (n.kind) {
      case 'array':
        push(
          n.bound.kind === 'fixed'
            ? n.bound.size
            : n.bound.kind === 'bounded'
              ? n.bound.max
              : undefined,
          depth,
        );
        push(n.element, depth);
        break;
      case 'pointer':
        push(n.target, depth);
        break;
      case 'structArray':
        push(n.count, depth);
        push(n.element, depth);
        break;
      case 'longForm':
      case 'cstring':
        push(n.size, depth);
        break;
      case 'gnuStruct':
        for (const field of n.fields) push(field.type, depth);
        break;
      case 'binary':
        push(n.left, depth);
        push(n.right, depth);
        break;
      case 'unary':
        push(n.operand, depth);
        break;
    }
  }
  return statement;
}
