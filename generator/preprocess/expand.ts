// Preprocess stage: macro expansion, by C's rules, without recursion.
//
// Each expansion pushes its replacement as a context and disables its
// macro until the context is read to the end; an identifier naming a
// disabled macro is painted and never expands again ("blue paint").
// Function-like arguments are fully expanded on their own before
// substitution (except next to `#` and `##`); that pre-expansion runs in a
// child frame on an explicit stack, so a 10,000-deep chain of macros or
// nested arguments never deepens the JavaScript stack. A budget on the
// tokens one expansion may produce keeps exponential macros from hanging.

import { lexSingleToken } from './lexer.js';
import { BUILTIN_NONE, type MacroDef } from './macros.js';
import { type Origins } from './origins.js';
import {
  F_NOEXPAND,
  F_SOL,
  F_WS,
  TK_IDENT,
  TK_NUMBER,
  TK_PLACEMARKER,
  TK_PUNCT,
  TK_STRING,
  TK_CHAR,
  Tok,
  isHash,
  isPaste,
  isPunct,
} from './tokens.js';
import { PreprocessCodes } from './codes.js';

/**
 * Where an expansion in running text reads the tokens that follow it. Both
 * return null at the end of the file (arguments never run into the includer).
 */
export interface TokenSource {
  /** The token after a function-like macro's name; null also when a directive comes first. */
  next(): Tok | null;
  /** The next token inside an argument list; directives met on the way are run. */
  nextArg(): Tok | null;
}

/** How far `read` may look: only the frame's contexts, or on into the running text. */
const CONTEXTS_ONLY = 0;
const LOOKAHEAD = 1;
const ARGUMENTS = 2;

/** What the expander needs from the preprocessor. */
export interface ExpandHost {
  readonly origins: Origins;
  readonly macros: Map<string, MacroDef>;
  report(severity: 'error' | 'warning', code: string, message: string, origin: number): void;
  /** The token a built-in macro (`__FILE__`, `__LINE__`, …) stands for at `use`. */
  builtin(macro: MacroDef, use: Tok): Tok;
}

/** The most tokens one top-level expansion may produce before it is cut off. */
export const EXPANSION_BUDGET = 1 << 20;

/** Tokens being rescanned: `toks[pos, end)`. */
class Context {
  constructor(
    readonly toks: Tok[],
    /** The macro this context is the expansion of (re-enabled when the context ends). */
    readonly macro: MacroDef | null,
    public pos = 0,
    readonly end = toks.length,
  ) {}
}

/**
 * One argument: `toks[start, end)`. Arguments are views into the array
 * they were read from, so nested invocations share tokens instead of
 * copying them at every level.
 */
interface Arg {
  toks: Tok[];
  start: number;
  end: number;
}

interface Invocation {
  macro: MacroDef;
  name: Tok;
  args: Arg[];
  expanded: Tok[][];
  nextArg: number;
}

function wholeArray(toks: Tok[]): Arg {
  return { toks, start: 0, end: toks.length };
}

/** The variable arguments of an invocation that gave none at all (GNU `, ## __VA_ARGS__` then drops the comma). */
const OMITTED: Arg = { toks: [], start: 0, end: 0 };

/** State shared by all frames of one expansion. */
interface RunState {
  budget: number;
  aborted: boolean;
  /** Inside `#if`: `defined` is an operator. */
  ifMode: boolean;
  /** A `defined` operator was malformed (the expression is already reported). */
  failed: boolean;
  /** The first macro this run expanded (named when the budget runs out). */
  root: string | null;
}

class Frame {
  readonly contexts: Context[] = [];
  readonly out: Tok[] = [];
  pending: Invocation | null = null;
  /** Where finished tokens go: the caller's sink for the top frame, `out` for an argument. */
  readonly emit: (tok: Tok) => void;
  constructor(
    readonly parent: Frame | null,
    /** Which argument of the parent's pending invocation this frame expands. */
    readonly argIndex: number,
    readonly base: TokenSource | null,
    readonly state: RunState,
    sink: ((tok: Tok) => void) | null,
  ) {
    this.emit = sink ?? ((t) => this.out.push(t));
  }
}

/** The result of expanding a directive's operands. */
export interface ListResult {
  toks: Tok[];
  /** True when a `defined` was malformed (already reported). */
  failed: boolean;
}

/** Expands macros; one per preprocessing run. */
export class Expander {
  constructor(private readonly host: ExpandHost) {}

  /**
   * Expands the macro named by `name` (already known to be a macro) found in
   * running text; tokens after it come from `base`. Every resulting token
   * goes to `sink`, in order.
   */
  expandAt(name: Tok, base: TokenSource, sink: (tok: Tok) => void): void {
    const state: RunState = {
      budget: EXPANSION_BUDGET,
      aborted: false,
      ifMode: false,
      failed: false,
      root: null,
    };
    const top = new Frame(null, -1, base, state, sink);
    this.process(top, name);
    this.run(top);
  }

  /** Fully expands a directive's operands (with `defined` as an operator when `ifMode`). */
  expandList(toks: Tok[], ifMode: boolean): ListResult {
    const state: RunState = {
      budget: EXPANSION_BUDGET,
      aborted: false,
      ifMode,
      failed: false,
      root: null,
    };
    const top = new Frame(null, -1, null, state, null);
    top.contexts.push(new Context(toks, null));
    this.run(top);
    // A cut-off expansion is already reported; evaluating its remains would only add noise.
    return { toks: top.out, failed: state.failed || state.aborted };
  }

  private run(top: Frame): void {
    const stack: Frame[] = [top];
    while (stack.length > 0) {
      const f = stack[stack.length - 1];
      if (f.state.aborted) {
        for (const fr of stack) this.unwind(fr);
        return;
      }
      const p = f.pending;
      if (p !== null) {
        while (p.nextArg < p.args.length && !p.macro.expandArg[p.nextArg]) p.nextArg++;
        if (p.nextArg < p.args.length) {
          // Pre-expand the next argument in a child frame of its own.
          const child = new Frame(f, p.nextArg, null, f.state, null);
          const arg = p.args[p.nextArg];
          child.contexts.push(new Context(arg.toks, null, arg.start, arg.end));
          p.nextArg++;
          stack.push(child);
          continue;
        }
        f.pending = null;
        this.substitute(f, p);
        continue;
      }
      const tok = this.read(f, CONTEXTS_ONLY);
      if (tok === null) {
        stack.pop();
        if (f.parent !== null) f.parent.pending!.expanded[f.argIndex] = f.out;
        continue;
      }
      this.process(f, tok);
    }
  }

  /** Reads the next token of a frame, ending contexts (and re-enabling their macros) as they run out. */
  private read(f: Frame, reach: number): Tok | null {
    const cs = f.contexts;
    for (;;) {
      if (cs.length === 0) {
        if (f.base === null || reach === CONTEXTS_ONLY) return null;
        return reach === LOOKAHEAD ? f.base.next() : f.base.nextArg();
      }
      const c = cs[cs.length - 1];
      if (c.pos < c.end) return c.toks[c.pos++];
      cs.pop();
      if (c.macro !== null) c.macro.disabled = false;
    }
  }

  /** Handles one token read in frame `f`: expands it, or passes it on. */
  private process(f: Frame, tok: Tok): void {
    const emit = f.emit;
    if (tok.kind !== TK_IDENT || tok.flags & F_NOEXPAND) {
      emit(tok);
      return;
    }
    if (f.state.ifMode && tok.text === 'defined') {
      this.defined(f, tok);
      return;
    }
    const m = this.host.macros.get(tok.text);
    if (m === undefined) {
      emit(tok);
      return;
    }
    if (m.disabled) {
      emit(tok.with(tok.flags | F_NOEXPAND, tok.origin));
      return;
    }
    if (m.builtin !== BUILTIN_NONE) {
      emit(this.host.builtin(m, tok));
      return;
    }
    if (!m.functionLike) {
      this.push(f, m, tok, this.replaceObject(m, tok));
      return;
    }
    // A function-like macro expands only when a '(' follows (possibly on a later line).
    const next = this.read(f, LOOKAHEAD);
    if (!isPunct(next, '(')) {
      emit(tok);
      if (next !== null) f.contexts.push(new Context([next], null));
      return;
    }
    const args = this.collectArgs(f, m, tok, next!);
    if (args === null) {
      emit(tok);
      return;
    }
    f.pending = { macro: m, name: tok, args, expanded: new Array<Tok[]>(args.length), nextArg: 0 };
  }

  /** `defined X` / `defined(X)` inside `#if`: becomes 1 or 0. */
  private defined(f: Frame, tok: Tok): void {
    const emit = f.emit;
    let t = this.read(f, CONTEXTS_ONLY);
    const paren = isPunct(t, '(');
    if (paren) t = this.read(f, CONTEXTS_ONLY);
    if (t === null || t.kind !== TK_IDENT) {
      this.host.report(
        'error',
        PreprocessCodes.definedSyntax,
        "operator 'defined' requires an identifier",
        (t ?? tok).origin,
      );
      f.state.failed = true;
      emit(new Tok(TK_NUMBER, '0', tok.flags, tok.origin));
      return;
    }
    if (paren) {
      const close = this.read(f, CONTEXTS_ONLY);
      if (!isPunct(close, ')')) {
        this.host.report(
          'error',
          PreprocessCodes.definedSyntax,
          "missing ')' after 'defined'",
          (close ?? t).origin,
        );
        f.state.failed = true;
      }
    }
    emit(new Tok(TK_NUMBER, this.host.macros.has(t.text) ? '1' : '0', tok.flags, tok.origin));
  }

  /**
   * Reads the arguments after `(` up to the matching `)`. Returns null (with
   * a diagnostic) when the list is unterminated or the count is wrong; the
   * list is then dropped and only the name remains, as GCC does.
   */
  private collectArgs(f: Frame, m: MacroDef, name: Tok, open: Tok): Arg[] | null {
    const top = f.contexts[f.contexts.length - 1];
    if (top !== undefined && top.pos > 0 && top.toks[top.pos - 1] === open) {
      const args = this.argsInContext(top, m);
      if (args !== null) return this.checkCount(m, name, args) ? args : null;
    }
    // The list runs past the current context: copy its tokens as they come.
    const args: Arg[] = [];
    let cur: Tok[] = [];
    let depth = 0;
    const restCollects = m.variadic ? m.params.length - 1 : -1;
    for (;;) {
      const t = this.read(f, ARGUMENTS);
      if (t === null) {
        this.host.report(
          'error',
          PreprocessCodes.unterminatedArgs,
          `unterminated argument list invoking macro '${m.name}'`,
          name.origin,
        );
        return null;
      }
      if (t.kind === TK_PUNCT) {
        if (t.text === '(') depth++;
        else if (t.text === ')') {
          if (depth === 0) break;
          depth--;
        } else if (t.text === ',' && depth === 0 && args.length !== restCollects) {
          args.push(wholeArray(cur));
          cur = [];
          continue;
        }
      }
      cur.push(t);
    }
    args.push(wholeArray(cur));
    return this.checkCount(m, name, args) ? args : null;
  }

  /**
   * The arguments when the whole list (through its `)`) lies in context
   * `c`: views into its array, with `c` moved past the list. Null when the
   * list does not end inside `c` (nothing is consumed then).
   */
  private argsInContext(c: Context, m: MacroDef): Arg[] | null {
    const toks = c.toks;
    const args: Arg[] = [];
    const restCollects = m.variadic ? m.params.length - 1 : -1;
    // In a long list, jump over nested parentheses: nested invocations then cost O(1) per level.
    const match = c.end - c.pos > 32 ? parenMatches(toks) : null;
    let start = c.pos;
    let depth = 0;
    for (let i = c.pos; i < c.end; i++) {
      const t = toks[i];
      if (t.kind !== TK_PUNCT) continue;
      if (t.text === '(') {
        const close = match === null ? -1 : match[i];
        if (close >= 0 && close < c.end) i = close;
        else depth++;
      } else if (t.text === ')') {
        if (depth > 0) {
          depth--;
          continue;
        }
        args.push({ toks, start, end: i });
        c.pos = i + 1;
        return args;
      } else if (t.text === ',' && depth === 0 && args.length !== restCollects) {
        args.push({ toks, start, end: i });
        start = i + 1;
      }
    }
    return null;
  }

  /** Checks the argument count (filling in left-out variable arguments); reports a mismatch. */
  private checkCount(m: MacroDef, name: Tok, args: Arg[]): boolean {
    const want = m.params.length;
    if (want === 0 && args.length === 1 && args[0].end === args[0].start) {
      args.length = 0;
      return true;
    }
    if (args.length === want) {
      // `V()` for `V(...)` counts as omitting the variable arguments (as GCC).
      if (want === 1 && m.variadic && args[0].end === args[0].start) args[0] = OMITTED;
      return true;
    }
    if (m.variadic && args.length === want - 1) {
      args.push(OMITTED);
      return true;
    }
    const message =
      args.length > want
        ? `macro '${m.name}' passed ${args.length} arguments, but takes just ${want}`
        : `macro '${m.name}' requires ${want} argument${want === 1 ? '' : 's'}, but only ${args.length} given`;
    this.host.report('error', PreprocessCodes.macroArgCount, message, name.origin);
    return false;
  }

  /** The replacement of an object-like macro used at `name`. */
  private replaceObject(m: MacroDef, name: Tok): Tok[] {
    const origins = this.host.origins;
    const body = m.body;
    const out = new Array<Tok>(body.length);
    for (let i = 0; i < body.length; i++) {
      const b = body[i];
      out[i] = new Tok(
        b.kind,
        b.text,
        b.flags & F_WS,
        origins.addExpansion(m.id, name.origin, b.origin),
      );
    }
    if (body.some(isPaste)) return this.pasteAll(out);
    return out;
  }

  /** `##` in an object-like body: glue the neighbours of every paste operator. */
  private pasteAll(toks: Tok[]): Tok[] {
    const out: Tok[] = [];
    for (let i = 0; i < toks.length; i++) {
      if (isPaste(toks[i]) && i + 1 < toks.length && out.length > 0) {
        this.paste(out, [toks[i + 1]], toks[i]);
        i++;
      } else out.push(toks[i]);
    }
    return out;
  }

  /** Substitutes the arguments of a function-like invocation and pushes the result for rescanning. */
  private substitute(f: Frame, p: Invocation): void {
    const { macro: m, name, args, expanded } = p;
    const origins = this.host.origins;
    const body = m.body;
    const out: Tok[] = [];
    let pasteOp: Tok | null = null;
    // Substituted tokens point back here; inside arguments a newline is just whitespace.
    const wrap = (t: Tok, flags: number): Tok =>
      new Tok(
        t.kind,
        t.text,
        flags & F_SOL ? (flags & ~F_SOL) | F_WS : flags,
        origins.addExpansion(m.id, name.origin, t.origin),
      );
    for (let i = 0; i < body.length; i++) {
      const b = body[i];
      let item: Tok[];
      const k = m.paramOf[i];
      if (isHash(b) && i + 1 < body.length && m.paramOf[i + 1] >= 0) {
        // #param: the argument's spelling as a string literal.
        item = [
          new Tok(
            TK_STRING,
            stringize(args[m.paramOf[i + 1]]),
            b.flags & F_WS,
            origins.addExpansion(m.id, name.origin, b.origin),
          ),
        ];
        i++;
      } else if (isPaste(b)) {
        pasteOp = wrap(b, 0);
        continue;
      } else if (k >= 0) {
        const raw = pasteOp !== null || (i + 1 < body.length && isPaste(body[i + 1]));
        const src = raw || expanded[k] === undefined ? args[k] : wholeArray(expanded[k]);
        const { toks, start, end } = src;
        // GNU: `, ## __VA_ARGS__` drops the comma when the variable arguments are left out.
        if (
          pasteOp !== null &&
          m.variadic &&
          k === m.params.length - 1 &&
          i >= 2 &&
          isPunct(body[i - 2], ',')
        ) {
          pasteOp = null;
          if (args[k] === OMITTED) out.pop();
          else
            for (let j = start; j < end; j++)
              out.push(wrap(toks[j], j === start ? b.flags & F_WS : toks[j].flags));
          continue;
        }
        if (end === start)
          item = raw ? [new Tok(TK_PLACEMARKER, '', b.flags & F_WS, name.origin)] : [];
        else {
          item = new Array<Tok>(end - start);
          for (let j = start; j < end; j++) {
            item[j - start] = wrap(
              toks[j],
              j === start ? (toks[j].flags & ~(F_WS | F_SOL)) | (b.flags & F_WS) : toks[j].flags,
            );
          }
        }
      } else {
        item = [wrap(b, b.flags & F_WS)];
      }
      if (pasteOp !== null) {
        this.paste(out, item, pasteOp);
        pasteOp = null;
      } else {
        for (const t of item) out.push(t);
      }
    }
    const result = out.some((t) => t.kind === TK_PLACEMARKER)
      ? out.filter((t) => t.kind !== TK_PLACEMARKER)
      : out;
    this.push(f, m, name, result);
  }

  /** Pastes the last token of `out` with the first of `item` (placemarkers vanish), then appends the rest. */
  private paste(out: Tok[], item: Tok[], op: Tok): void {
    const lhs = out.pop();
    const rhs = item[0];
    if (lhs === undefined || lhs.kind === TK_PLACEMARKER) {
      // The result stands where the left operand stood, spacing included.
      const spacing = lhs === undefined ? 0 : lhs.flags & F_WS;
      for (let j = 0; j < item.length; j++)
        out.push(
          j === 0 ? item[j].with((item[j].flags & ~F_WS) | spacing, item[j].origin) : item[j],
        );
      return;
    }
    if (rhs === undefined || rhs.kind === TK_PLACEMARKER) {
      out.push(lhs);
      for (let j = 1; j < item.length; j++) out.push(item[j]);
      return;
    }
    const text = lhs.text + rhs.text;
    const kind = lexSingleToken(text);
    if (kind < 0) {
      this.host.report(
        'error',
        PreprocessCodes.invalidPaste,
        `pasting '${lhs.text}' and '${rhs.text}' does not give a valid preprocessing token`,
        op.origin,
      );
      out.push(lhs);
      for (const t of item) out.push(t);
      return;
    }
    out.push(new Tok(kind, text, lhs.flags, lhs.origin));
    for (let j = 1; j < item.length; j++) out.push(item[j]);
  }

  /** Pushes a replacement for rescanning, disabling its macro; enforces the budget. */
  private push(f: Frame, m: MacroDef, name: Tok, toks: Tok[]): void {
    const state = f.state;
    state.root ??= m.name;
    state.budget -= toks.length + 1;
    if (state.budget < 0) {
      this.host.report(
        'error',
        PreprocessCodes.expansionTooLarge,
        `expansion of macro '${state.root}' produces more than ${EXPANSION_BUDGET} tokens; the rest is dropped`,
        name.origin,
      );
      state.aborted = true;
      return;
    }
    // The replacement takes the place of the name, spacing included.
    if (toks.length > 0) {
      const first = toks[0];
      toks[0] = first.with(
        (first.flags & ~(F_WS | F_SOL)) | (name.flags & (F_WS | F_SOL)),
        first.origin,
      );
    }
    m.disabled = true;
    f.contexts.push(new Context(toks, m));
  }

  /** Drops everything a frame still holds, re-enabling the macros of its contexts. */
  private unwind(f: Frame): void {
    for (const c of f.contexts) if (c.macro !== null) c.macro.disabled = false;
    f.contexts.length = 0;
    f.pending = null;
  }
}

const parenMatchCache = new WeakMap<Tok[], Int32Array>();

/** For each `(` of `toks`, the index of its matching `)` (-1 when unmatched); computed once per array. */
function parenMatches(toks: Tok[]): Int32Array {
  let match = parenMatchCache.get(toks);
  if (match !== undefined) return match;
  match = new Int32Array(toks.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind !== TK_PUNCT) continue;
    if (t.text === '(') open.push(i);
    else if (t.text === ')' && open.length > 0) match[open.pop()!] = i;
  }
  parenMatchCache.set(toks, match);
  return match;
}

/** `#x`: the argument's tokens as one string literal (quotes and backslashes in literals escaped). */
function stringize(arg: Arg): string {
  let s = '"';
  for (let i = arg.start; i < arg.end; i++) {
    const t = arg.toks[i];
    if (i > arg.start && t.flags & (F_WS | F_SOL)) s += ' ';
    if (t.kind === TK_STRING || t.kind === TK_CHAR) s += t.text.replace(/[\\"]/g, '\\$&');
    else s += t.text;
  }
  return s + '"';
}
