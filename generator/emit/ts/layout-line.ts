// Emit stage (TypeScript): laying out one generated line that is too wide.
// The emitters write each statement, signature or object property on one
// line; when it passes the print width this module reads it back — a small
// reader for the expressions and signatures the emitters write, nothing
// more — and builds a layout document whose breaks are where a reader
// expects them: call arguments and parameters one per line, object and
// array literals opened up, `if (…)` followed by its statement on the next
// line, arrow bodies after `=>`. Text between the breakable pieces is kept
// exactly as written. A line the reader does not understand is left as it
// is: layout never changes what the code means.

import {
  conditionalGroup,
  group,
  ifBreak,
  indent,
  indentIfBreak,
  join,
  line,
  mustBreak,
  PRINT_WIDTH,
  printDoc,
  softline,
  type Doc,
} from './layout-doc.js';

interface Token {
  text: string;
  start: number;
  end: number;
  kind: 'word' | 'number' | 'string' | 'punct';
}

/** A word, a number, or an operator (longest first), at the reader's position. */
const TOKEN = /([A-Za-z_$][\w$]*)|([0-9][\w.]*)|(>>>=|>>>|===|!==|\.\.\.|\*\*=|<<=|>>=|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.|\+\+|--|\+=|-=|\*=|\/=|\|=|&=|<<|>>|\*\*|.)/y;

class Unreadable extends Error {}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ') {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === '`') {
      i = stringEnd(text, i);
      tokens.push({ text: text.slice(start, i), start, end: i, kind: 'string' });
      continue;
    }
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(text)!;
    i += m[0].length;
    tokens.push({ text: m[0], start, end: i, kind: m[1] !== undefined ? 'word' : m[2] !== undefined ? 'number' : 'punct' });
  }
  return tokens;
}

/** The index just past the string or template literal opening at `i`. */
function stringEnd(text: string, i: number): number {
  const quote = text[i++];
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === quote) return i + 1;
    else if (quote === '`' && c === '$' && text[i + 1] === '{') {
      // A substitution: skip to its matching brace, strings inside included.
      let depth = 0;
      i++;
      while (i < text.length) {
        if (text[i] === '{') depth++;
        else if (text[i] === '}' && --depth === 0) break;
        else if (text[i] === "'" || text[i] === '"' || text[i] === '`') {
          i = stringEnd(text, i) - 1;
        }
        i++;
      }
      i++;
    } else i++;
  }
  throw new Unreadable('unterminated string');
}

const BINARY_PRECEDENCE: Record<string, number> = {
  '??': 1,
  '||': 2,
  '&&': 3,
  '|': 4,
  '^': 5,
  '&': 6,
  '==': 7,
  '!=': 7,
  '===': 7,
  '!==': 7,
  '<': 8,
  '>': 8,
  '<=': 8,
  '>=': 8,
  instanceof: 8,
  in: 8,
  '<<': 9,
  '>>': 9,
  '>>>': 9,
  '+': 10,
  '-': 10,
  '*': 11,
  '/': 11,
  '%': 11,
  '**': 12,
};

/** What the reader knows about an expression besides its layout: whether it may hug a call's parentheses. */
interface Expression {
  doc: Doc;
  huggable: boolean;
  /** An arrow function, an object or an array literal: printed right after `=>` or `=`. */
  opensItself: boolean;
}

/** Reads one line of generated TypeScript into layout documents; throws Unreadable on anything outside what the emitters write. */
class Reader {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.at + offset];
  }
  private is(text: string, offset = 0): boolean {
    return this.peek(offset)?.text === text;
  }
  private next(): Token {
    const t = this.tokens[this.at++];
    if (t === undefined) throw new Unreadable('unexpected end');
    return t;
  }
  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text) throw new Unreadable(`expected ${text}, got ${t.text}`);
    return t;
  }
  done(): boolean {
    return this.at >= this.tokens.length;
  }
  /** The source text from token `from` up to (not including) the current token. */
  private sliceFrom(from: number): string {
    return this.text.slice(this.tokens[from].start, this.tokens[this.at - 1].end);
  }

  /** A type annotation: kept as written, read up to a `,`, `)`, `;`, `=` or `{` outside brackets (or `=>`). */
  type(): string {
    const from = this.at;
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t === undefined) break;
      if (depth === 0 && [',', ')', ';', '=', '=>', ']'].includes(t.text)) break;
      if (depth === 0 && t.text === '{' && this.at > from) break;
      if (['(', '[', '{', '<'].includes(t.text)) depth++;
      if ([')', ']', '}', '>'].includes(t.text)) depth--;
      if (t.text === '>>') depth -= 2;
      if (depth < 0) throw new Unreadable('unbalanced type');
      this.at++;
    }
    if (this.at === from) throw new Unreadable('empty type');
    return this.sliceFrom(from);
  }

  /** `name?: Type` (or `...name: Type`), kept as written. */
  parameter(): Doc {
    const from = this.at;
    if (this.is('...')) this.next();
    if (this.peek()?.kind !== 'word') throw new Unreadable('parameter name');
    this.next();
    if (this.is('?')) this.next();
    if (this.is(':')) {
      this.next();
      this.type();
    }
    return this.sliceFrom(from);
  }

  /** `(a: A, b?: B)`: the parameter list of a function, method or arrow. */
  parameters(): Doc {
    this.expect('(');
    const params: Doc[] = [];
    while (!this.is(')')) {
      params.push(this.parameter());
      if (!this.is(')')) this.expect(',');
    }
    this.expect(')');
    return list('(', params, ')', false);
  }

  expression(minPrecedence = 0): Expression {
    let left = this.unary();
    // A run of operators of one precedence lays out as one chain.
    for (;;) {
      const op = this.peek();
      if (op === undefined) break;
      if (op.text === '?' && minPrecedence === 0) {
        this.next();
        const consequent = this.expression();
        this.expect(':');
        const alternate = this.expression();
        left = plain(group([left.doc, indent([line, '? ', consequent.doc, line, ': ', alternate.doc])]));
        continue;
      }
      const precedence = BINARY_PRECEDENCE[op.text];
      if (precedence === undefined || precedence <= minPrecedence) break;
      const operands: Doc[] = [left.doc];
      const operators: string[] = [];
      while (this.peek()?.text !== undefined && BINARY_PRECEDENCE[this.peek()!.text] === precedence) {
        operators.push(this.next().text);
        operands.push(this.expression(precedence).doc);
      }
      const rest: Doc[] = [];
      operators.forEach((o, i) => rest.push(` ${o}`, line, operands[i + 1]));
      left = plain(binary(operands[0], rest));
    }
    return left;
  }

  private unary(): Expression {
    const t = this.peek();
    if (t === undefined) throw new Unreadable('expression expected');
    if (['!', '-', '+', '~', '...'].includes(t.text)) {
      this.next();
      return plain([t.text, this.unary().doc]);
    }
    if (['typeof', 'await', 'void'].includes(t.text)) {
      this.next();
      return plain([`${t.text} `, this.unary().doc]);
    }
    return this.postfix(this.primary());
  }

  private primary(): Expression {
    const t = this.peek();
    if (t === undefined) throw new Unreadable('expression expected');
    if (t.kind === 'word' && t.text === 'new') {
      this.next();
      const from = this.at;
      this.next();
      while (this.is('.')) {
        this.next();
        this.next();
      }
      const callee = this.sliceFrom(from);
      if (!this.is('(')) return plain(`new ${callee}`);
      return plain(['new ', callee, this.argumentsList()]);
    }
    if (t.kind === 'word' || t.kind === 'number' || t.kind === 'string') {
      this.next();
      if (t.kind === 'word' && this.is('=>')) return this.arrowBody(t.text);
      return plain(t.kind === 'string' ? singleQuoted(t.text) : t.text);
    }
    if (t.text === '(') {
      if (this.arrowAhead()) return this.arrowBody(this.parameters());
      this.next();
      const inner = this.expression();
      this.expect(')');
      return plain(['(', inner.doc, ')']);
    }
    if (t.text === '[') {
      this.next();
      const items: Doc[] = [];
      while (!this.is(']')) {
        items.push(this.expression().doc);
        if (!this.is(']')) this.expect(',');
      }
      this.expect(']');
      return { doc: items.length === 0 ? '[]' : list('[', items, ']', false), huggable: items.length > 0, opensItself: true };
    }
    if (t.text === '{') return this.objectLiteral();
    throw new Unreadable(`unexpected ${t.text}`);
  }

  /** Whether the `(` here opens an arrow function's parameters: its matching `)` is followed by `=>`. */
  private arrowAhead(): boolean {
    let depth = 0;
    for (let i = this.at; i < this.tokens.length; i++) {
      const text = this.tokens[i].text;
      if (text === '(') depth++;
      else if (text === ')' && --depth === 0) return this.tokens[i + 1]?.text === '=>';
    }
    return false;
  }

  private arrowBody(params: Doc): Expression {
    this.expect('=>');
    const body = this.expression();
    const doc = body.opensItself
      ? group([params, ' => ', body.doc])
      : group([params, ' =>', group(indent([line, body.doc]))]);
    return { doc, huggable: true, opensItself: true };
  }

  private objectLiteral(): Expression {
    this.expect('{');
    const properties: Doc[] = [];
    while (!this.is('}')) {
      properties.push(this.property());
      if (!this.is('}')) this.expect(',');
    }
    this.expect('}');
    if (properties.length === 0) return { doc: '{}', huggable: false, opensItself: true };
    return { doc: list('{', properties, '}', true), huggable: true, opensItself: true };
  }

  /** `key: value`, `key` or `...spread` in an object literal. */
  property(): Doc {
    if (this.is('...')) return this.expression().doc;
    const key = this.next();
    if (key.kind !== 'word' && key.kind !== 'string' && key.kind !== 'number') throw new Unreadable('property key');
    if (!this.is(':')) return key.text;
    this.next();
    const keyText = key.kind === 'string' ? singleQuoted(key.text) : key.text;
    return assignment(keyText, ':', this.expression());
  }

  private argumentsList(): Doc {
    this.expect('(');
    const args: Expression[] = [];
    while (!this.is(')')) {
      args.push(this.expression());
      if (!this.is(')')) this.expect(',');
    }
    this.expect(')');
    return callArguments(args);
  }

  private postfix(start: Expression): Expression {
    const parts: Doc[] = [start.doc];
    for (;;) {
      const t = this.peek();
      if (t === undefined) break;
      if (t.text === '.' || t.text === '?.') {
        this.next();
        parts.push(t.text, this.next().text);
      } else if (t.text === '[') {
        this.next();
        const index = this.expression();
        this.expect(']');
        parts.push('[', index.doc, ']');
      } else if (t.text === '(') {
        parts.push(this.argumentsList());
      } else if (t.text === '!' && this.postfixBang()) {
        this.next();
        parts.push('!');
      } else if (t.text === '++' || t.text === '--') {
        this.next();
        parts.push(t.text);
      } else break;
    }
    return parts.length === 1 ? start : plain(parts);
  }

  /** A `!` right after an operand is TypeScript's non-null assertion when no operand follows it. */
  private postfixBang(): boolean {
    const after = this.peek(1);
    return after === undefined || [',', ')', ']', '}', '.', ';', '?.', '['].includes(after.text) || BINARY_PRECEDENCE[after.text] !== undefined;
  }

  /** The next `count` tokens, as written. */
  raw(count: number): string {
    const from = this.at;
    this.at += count;
    return this.sliceFrom(from);
  }

  /** The rest of the line from the current token, as written. */
  rest(): string {
    if (this.done()) return '';
    return this.text.slice(this.tokens[this.at].start);
  }

  take(text: string): boolean {
    if (!this.is(text)) return false;
    this.next();
    return true;
  }
  peekText(offset = 0): string | undefined {
    return this.peek(offset)?.text;
  }
}

function plain(doc: Doc): Expression {
  return { doc, huggable: false, opensItself: false };
}

/** `a op b op c`: the first operand, then each operator at a line's end. */
function binary(first: Doc, rest: Doc[]): Doc {
  return group([first, indent(rest)]);
}

/** A bracketed, comma-separated list; broken, one item a line with a trailing comma. Objects keep spaces inside when flat. */
function list(open: string, items: Doc[], close: string, spaced: boolean): Doc {
  const edge = spaced ? line : softline;
  return group([open, indent([edge, join([',', line], items)]), ifBreak(','), edge, close]);
}

/** A call's arguments: flat, or hugging a last object, array or arrow function, or one per line. */
function callArguments(args: Expression[]): Doc {
  if (args.length === 0) return '()';
  const docs = args.map((a) => a.doc);
  const allBroken = group(['(', indent([line, join([',', line], docs)]), ',', line, ')'], true);
  const last = args[args.length - 1];
  const others = args.slice(0, -1);
  if (last.huggable && !others.some((a) => a.huggable || mustBreak(a.doc))) {
    const flat = ['(', join(', ', docs), ')'];
    const hugged = ['(', join(', ', [...docs.slice(0, -1), group(last.doc, true)]), ')'];
    return conditionalGroup([flat, hugged, allBroken]);
  }
  return group(['(', indent([softline, join([',', line], docs)]), ifBreak(','), softline, ')']);
}

/**
 * `left op value` (`=` in declarations, `:` in properties). A value that
 * opens itself (a call, an object, an arrow) stays on the line when its
 * opening fits there and moves below, indented, when not; other values
 * move below when they do not fit whole.
 */
function assignment(left: Doc, op: string, value: Expression): Doc {
  if (value.opensItself || isCallLike(value.doc)) {
    const afterOperator = Symbol('after operator');
    return group([left, op, group(indent(line), false, afterOperator), indentIfBreak(value.doc, afterOperator)]);
  }
  return group([left, op, group(indent([line, value.doc]))]);
}

/** A call or `new` (its arguments break before the value moves to the next line). */
function isCallLike(doc: Doc): boolean {
  return Array.isArray(doc) && doc.length > 0 && typeof doc[doc.length - 1] !== 'string';
}

/** A string literal in single quotes when that needs no more escapes (prettier's rule). */
function singleQuoted(literal: string): string {
  if (!literal.startsWith('"')) return literal;
  const body = literal.slice(1, -1);
  if (body.includes("'")) return literal;
  return `'${body.replace(/\\"/g, '"')}'`;
}

/** A declaration's head: `export function f(…): T {`, `async m(…): T {`, `m(…): T;`, `constructor(…) {`. */
function signatureDoc(text: string): Doc | undefined {
  const signature = /^((?:export )?(?:async )?(?:function )?(?:get )?)[\w$]+\(/.exec(text);
  if (signature === null || !(text.endsWith(' {') || text.endsWith(';')) || /^(?:if|for|while|switch|return|throw|new)\b/.test(text)) return undefined;
  const r = new Reader(text, tokenize(text));
  const head = r.raw(tokenize(signature[0]).length - 1);
  const params = r.parameters();
  let tail = '';
  if (r.take(':')) tail = `: ${r.type()}`;
  const end = r.rest();
  if (end !== '{' && end !== ';') return undefined;
  return [head, params, tail, end === '{' ? ' {' : ';'];
}

/** One statement, signature or property line as a layout document, or undefined when the reader does not know its shape. */
function statementDoc(text: string): Doc | undefined {
  // A call statement also starts like a method signature: a list that is not parameters is read as arguments.
  try {
    const signature = signatureDoc(text);
    if (signature !== undefined) return signature;
  } catch (error) {
    if (!(error instanceof Unreadable)) throw error;
  }
  const r = new Reader(text, tokenize(text));
  const first = r.peekText();
  if (first === 'if' && r.peekText(1) === '(') {
    r.raw(2);
    const condition = r.expression();
    if (!r.take(')')) return undefined;
    const rest = r.rest();
    const conditionDoc = group([indent([softline, conditionParts(condition.doc)]), softline]);
    if (rest === '{') return ['if (', conditionDoc, ') {'];
    const statement = statementDoc(rest);
    if (statement === undefined) return undefined;
    return group(['if (', conditionDoc, ')', indent([line, statement])]);
  }
  if (first === 'const' || first === 'let') {
    let left = r.raw(2);
    if (r.take(':')) left += `: ${r.type()}`;
    if (!r.take('=')) return undefined;
    const value = r.expression();
    if (!r.take(';') || !r.done()) return undefined;
    return [assignment(left, ' =', value), ';'];
  }
  if (first === 'return' || first === 'throw') {
    r.raw(1);
    const value = r.expression();
    if (!r.take(';') || !r.done()) return undefined;
    return [`${first} `, value.doc, ';'];
  }
  if (r.peekText(1) === ':' && text.endsWith(' =>')) {
    // An arrow property whose body follows on the next lines (`reply: (…) =>`).
    const key = r.raw(2);
    const params = r.parameters();
    if (!r.take('=>') || !r.done()) return undefined;
    return [key, ' ', params, ' =>'];
  }
  if (r.peekText(1) === ':' && text.endsWith(',')) {
    // A property line of an object written open (`key: value,`).
    const property = r.property();
    if (!r.take(',') || !r.done()) return undefined;
    return [property, ','];
  }
  const expression = r.expression();
  if (!r.take(';') || !r.done()) return undefined;
  return [expression.doc, ';'];
}

/** An `if` condition: a top-level chain of `&&`/`||` breaks without the extra indent (it is indented by the parentheses). */
function conditionParts(doc: Doc): Doc {
  if (typeof doc === 'object' && !Array.isArray(doc) && doc.kind === 'group' && Array.isArray(doc.contents) && doc.contents.length === 2) {
    const [first, rest] = doc.contents;
    if (typeof rest === 'object' && !Array.isArray(rest) && rest.kind === 'indent') return [first, rest.contents];
  }
  return doc;
}

/**
 * Lays out one line of generated TypeScript (without its indentation) at
 * `indentWidth` columns: unchanged when it fits or is not a shape the reader
 * knows, else broken over several lines, each carrying its indentation.
 */
export function layoutLine(text: string, indentWidth: number): string {
  // Comments are never wrapped (JSDoc lines stay whole, as a formatter leaves them).
  if (indentWidth + text.length <= PRINT_WIDTH || /^\s*(\/\/|\/\*|\*)/.test(text)) return text;
  let doc: Doc | undefined;
  try {
    doc = statementDoc(text);
  } catch (error) {
    if (error instanceof Unreadable) return text;
    throw error;
  }
  return doc === undefined ? text : printDoc(doc, indentWidth);
}
