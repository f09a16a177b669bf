// Check stage: state shared by the type and routine checkers of one run —
// the dialect, the diagnostics, and small helpers that report in one voice.

import type { Diagnostic, DiagnosticBag, Note } from '../diagnostics.js';
import type { Loc } from '../source.js';
import type { Expr } from '../parse/ast.js';
import type { Dialect } from './ir.js';

/** What the type and routine checkers share while one file is checked. */
export class CheckContext {
  constructor(
    readonly dialect: Dialect,
    readonly diags: DiagnosticBag,
  ) {}

  /** Reports an error. */
  error(code: string, message: string, loc?: Loc, notes?: Note[]): Diagnostic {
    return this.diags.error(code, message, loc, notes);
  }

  /** Reports a warning. */
  warning(code: string, message: string, loc?: Loc, notes?: Note[]): Diagnostic {
    return this.diags.warning(code, message, loc, notes);
  }

  /** An error in GNU's dialect, a warning in Apple's (MIG's dialects differ in severity only). */
  gnuErrorAppleWarning(code: string, message: string, loc?: Loc, notes?: Note[]): Diagnostic {
    return this.dialect === 'gnu'
      ? this.error(code, message, loc, notes)
      : this.warning(code, message, loc, notes);
  }

  /**
   * Reports GNU-only syntax met while checking Apple's dialect. Returns true
   * when the construct may be used (GNU dialect), false after reporting.
   */
  gnuOnly(what: string, loc: Loc): boolean {
    if (this.dialect === 'gnu') return true;
    this.error(
      'check-gnu-only',
      `${what} is GNU MIG syntax: Apple's MIG rejects it and gives it no message layout (check with --dialect gnu to accept it)`,
      loc,
    );
    return false;
  }

  /**
   * Reports Apple-only syntax met while checking GNU's dialect (GNU's MIG
   * has no such keyword). Apple's dialect accepts it silently.
   */
  appleOnly(what: string, loc: Loc): void {
    if (this.dialect !== 'gnu') return;
    this.error('check-apple-only', `${what} is Apple MIG syntax that GNU's MIG rejects`, loc);
  }

  /**
   * Evaluates an integer expression of the .defs (array sizes, subsystem
   * base). Reports and returns undefined on names, division by zero and
   * values outside 0..2^32-1 (sizes, counts and bases are unsigned in MIG).
   */
  evaluate(expr: Expr, what: string): number | undefined {
    const value = this.evalExpr(expr);
    if (value === undefined) return undefined;
    if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
      this.error(
        'check-bad-number',
        `${what} must be an integer from 0 to 4294967295, not ${value}`,
        expr.loc,
      );
      return undefined;
    }
    return value;
  }

  /** MIG's own expressions know decimal numbers, + - * / and parentheses; tsmig accepts more, with a warning. */
  private extension(what: string, loc: Loc): void {
    this.warning(
      'check-expression-extension',
      `${what} is not part of MIG's integer expressions (numbers, + - * / and parentheses): tsmig accepts it, Apple's and GNU's MIG do not`,
      loc,
    );
  }

  private evalExpr(expr: Expr): number | undefined {
    switch (expr.kind) {
      case 'number':
        if (/^0x/i.test(expr.text)) this.extension('a hexadecimal number', expr.loc);
        return expr.value;
      case 'name':
        this.error(
          'check-not-a-number',
          `'${expr.name}' is not a number (a macro the preprocessor did not define?)`,
          expr.loc,
        );
        return undefined;
      case 'unary': {
        this.extension(`unary '${expr.op}'`, expr.loc);
        const v = this.evalExpr(expr.operand);
        if (v === undefined) return undefined;
        if (expr.op === '-') return -v;
        if (expr.op === '~') return ~v >>> 0;
        return v;
      }
      case 'binary': {
        if (!['+', '-', '*', '/'].includes(expr.op)) this.extension(`'${expr.op}'`, expr.loc);
        const l = this.evalExpr(expr.left);
        const r = this.evalExpr(expr.right);
        if (l === undefined || r === undefined) return undefined;
        switch (expr.op) {
          case '+':
            return l + r;
          case '-':
            return l - r;
          case '*':
            return l * r;
          case '/':
          case '%':
            if (r === 0) {
              this.error('check-bad-number', 'division by zero', expr.loc);
              return undefined;
            }
            // MIG evaluates in C unsigned arithmetic: integer division truncates.
            return expr.op === '/' ? Math.trunc(l / r) : l % r;
          case '<<':
            return l * 2 ** r;
          case '>>':
            return Math.floor(l / 2 ** r);
          case '&':
            return (l & r) >>> 0;
          case '|':
            return (l | r) >>> 0;
          case '^':
            return (l ^ r) >>> 0;
        }
      }
    }
  }
}
