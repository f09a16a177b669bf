// Preprocess stage: macro definitions. Parses the operands of `#define`
// into a `MacroDef` (checking the rules C puts on parameters, `#` and `##`),
// and decides whether a redefinition is the same definition.

import { F_WS, TK_IDENT, Tok, isHash, isPaste, isPunct } from './tokens.js';
import { PreprocessCodes } from './codes.js';

/** Built-in macros whose value depends on where they are used. */
export const BUILTIN_NONE = 0;
export const BUILTIN_FILE = 1;
export const BUILTIN_LINE = 2;
export const BUILTIN_COUNTER = 3;
export const BUILTIN_INCLUDE_LEVEL = 4;
export const BUILTIN_BASE_FILE = 5;

/** One macro as `#define` (or the command line, or the built-ins) made it. */
export class MacroDef {
  /** True while this macro's expansion is being rescanned (no recursive self-expansion). */
  disabled = false;
  /** For each body token: the parameter it names, or -1. */
  readonly paramOf: Int32Array;
  /** For each parameter: whether the body uses it fully expanded (not next to `#` or `##`). */
  readonly expandArg: boolean[];

  constructor(
    readonly name: string,
    /** The number expansion origins store for this name. */
    readonly id: number,
    readonly functionLike: boolean,
    readonly params: string[],
    /** The last parameter collects the rest of the arguments (`...` or GNU `name...`). */
    readonly variadic: boolean,
    readonly body: Tok[],
    /** Origin of the name in the definition (for "previous definition" notes). */
    readonly nameOrigin: number,
    readonly builtin = BUILTIN_NONE,
  ) {
    this.paramOf = new Int32Array(body.length).fill(-1);
    this.expandArg = params.map(() => false);
    if (!functionLike) return;
    for (let i = 0; i < body.length; i++) {
      const t = body[i];
      if (t.kind === TK_IDENT) this.paramOf[i] = params.indexOf(t.text);
    }
    for (let i = 0; i < body.length; i++) {
      const k = this.paramOf[i];
      if (k < 0) continue;
      const stringized = i > 0 && isHash(body[i - 1]);
      const pasted =
        (i > 0 && isPaste(body[i - 1])) || (i + 1 < body.length && isPaste(body[i + 1]));
      if (!stringized && !pasted) this.expandArg[k] = true;
    }
  }

  /** True when `other` is the same definition (C's rule: same parameters, same tokens, same spacing). */
  sameAs(other: MacroDef): boolean {
    if (this.functionLike !== other.functionLike || this.variadic !== other.variadic) return false;
    if (this.builtin !== other.builtin) return false;
    if (
      this.params.length !== other.params.length ||
      this.params.some((p, i) => p !== other.params[i])
    )
      return false;
    if (this.body.length !== other.body.length) return false;
    for (let i = 0; i < this.body.length; i++) {
      const a = this.body[i];
      const b = other.body[i];
      if (a.text !== b.text) return false;
      if (i > 0 && (a.flags & F_WS) !== (b.flags & F_WS)) return false;
    }
    return true;
  }
}

/** A problem found in a `#define`, at one of its tokens (or at the directive when `tok` is null). */
export interface DefineProblem {
  code: string;
  message: string;
  tok: Tok | null;
  severity: 'error' | 'warning';
}

/** What `parseDefine` gives: the definition, or null when it has an error; and every problem. */
export interface DefineResult {
  def: MacroDef | null;
  problems: DefineProblem[];
}

const VA_ARGS = '__VA_ARGS__';

/**
 * Parses `#define` operands (the tokens after `define` on its line).
 * `macroId` maps a name to the number expansion origins use.
 */
export function parseDefine(toks: Tok[], macroId: (name: string) => number): DefineResult {
  const problems: DefineProblem[] = [];
  const fail = (code: string, message: string, tok: Tok | null): DefineResult => {
    problems.push({ code, message, tok, severity: 'error' });
    return { def: null, problems };
  };
  const name = toks[0];
  if (!name) return fail(PreprocessCodes.macroNameMissing, 'macro name missing', null);
  if (name.kind !== TK_IDENT)
    return fail(PreprocessCodes.macroNameInvalid, 'macro names must be identifiers', name);
  if (name.text === 'defined')
    return fail(PreprocessCodes.macroNameInvalid, "'defined' cannot be used as a macro name", name);

  let i = 1;
  const params: string[] = [];
  let variadic = false;
  let functionLike = false;
  // A parenthesis glued to the name opens a parameter list.
  if (isPunct(toks[1], '(') && !(toks[1].flags & F_WS)) {
    functionLike = true;
    i = 2;
    if (isPunct(toks[i], ')')) {
      i++;
    } else {
      for (;;) {
        const t = toks[i];
        if (!t)
          return fail(
            PreprocessCodes.macroParams,
            "missing ')' in macro parameter list",
            toks[i - 1],
          );
        if (isPunct(t, '...')) {
          variadic = true;
          params.push(VA_ARGS);
          i++;
        } else if (t.kind === TK_IDENT) {
          if (t.text === VA_ARGS)
            return fail(
              PreprocessCodes.macroParams,
              '__VA_ARGS__ can only appear in the expansion of a variadic macro',
              t,
            );
          if (params.includes(t.text))
            return fail(PreprocessCodes.macroParams, `duplicate macro parameter '${t.text}'`, t);
          params.push(t.text);
          i++;
          // GNU's named variadic parameter: `args...`.
          if (isPunct(toks[i], '...')) {
            variadic = true;
            i++;
          }
        } else {
          return fail(
            PreprocessCodes.macroParams,
            `expected a parameter name, found '${t.text}'`,
            t,
          );
        }
        const sep = toks[i];
        if (isPunct(sep, ')')) {
          i++;
          break;
        }
        if (variadic)
          return fail(PreprocessCodes.macroParams, "expected ')' after '...'", sep ?? toks[i - 1]);
        if (!isPunct(sep, ',')) {
          return fail(
            PreprocessCodes.macroParams,
            sep
              ? `expected ',' or ')' in macro parameter list, found '${sep.text}'`
              : "missing ')' in macro parameter list",
            sep ?? toks[i - 1],
          );
        }
        i++;
      }
    }
  } else if (toks[1] && !(toks[1].flags & F_WS)) {
    problems.push({
      code: PreprocessCodes.macroMissingSpace,
      message: 'missing whitespace after the macro name',
      tok: toks[1],
      severity: 'warning',
    });
  }

  const body = toks.slice(i);
  // The body's leading whitespace is not part of the definition.
  if (body.length > 0 && body[0].flags & F_WS)
    body[0] = new Tok(body[0].kind, body[0].text, body[0].flags & ~F_WS, body[0].origin);
  if (body.length > 0 && (isPaste(body[0]) || isPaste(body[body.length - 1]))) {
    return fail(
      PreprocessCodes.pasteAtEdge,
      "'##' cannot appear at either end of a macro expansion",
      isPaste(body[0]) ? body[0] : body[body.length - 1],
    );
  }
  const vaName = variadic ? params[params.length - 1] : null;
  for (let k = 0; k < body.length; k++) {
    const t = body[k];
    if (functionLike && isHash(t)) {
      const next = body[k + 1];
      if (!next || next.kind !== TK_IDENT || !params.includes(next.text)) {
        return fail(
          PreprocessCodes.stringizeNotParam,
          "'#' is not followed by a macro parameter",
          t,
        );
      }
    }
    if (t.kind === TK_IDENT && t.text === VA_ARGS && vaName !== VA_ARGS) {
      problems.push({
        code: PreprocessCodes.vaArgsMisuse,
        message: '__VA_ARGS__ can only appear in the expansion of a variadic macro',
        tok: t,
        severity: 'warning',
      });
    }
  }
  const def = new MacroDef(
    name.text,
    macroId(name.text),
    functionLike,
    params,
    variadic,
    body,
    name.origin,
  );
  return { def, problems };
}
