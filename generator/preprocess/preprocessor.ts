// Preprocess stage: the driver. Reads the entry file and everything it
// includes, runs the directives, expands macros in running text and writes
// the output with the origin of every token.
//
// It promises: never throws on any input, never recurses per include or per
// expansion level (the include stack and the expander's frames are explicit
// arrays), and reports every problem as a diagnostic with a location.

import { isAbsolute, join, dirname, resolve } from 'node:path';
import { DiagnosticBag, type Note } from '../diagnostics.js';
import { type Loc, SourceSet } from '../source.js';
import { Expander, type ExpandHost, type TokenSource } from './expand.js';
import { evaluateCondition } from './expr.js';
import { type FileHost, nodeFileHost } from './host.js';
import { Lexer } from './lexer.js';
import {
  BUILTIN_BASE_FILE,
  BUILTIN_COUNTER,
  BUILTIN_FILE,
  BUILTIN_INCLUDE_LEVEL,
  BUILTIN_LINE,
  BUILTIN_NONE,
  MacroDef,
  parseDefine,
} from './macros.js';
import { FileRecord, Origins } from './origins.js';
import { Output, makeLocate } from './output.js';
import { type Target, predefinedMacros } from './predefined.js';
import {
  F_SOL,
  F_WS,
  TK_EOF,
  TK_EOL,
  TK_HEADER,
  TK_IDENT,
  TK_NUMBER,
  TK_PUNCT,
  TK_STRING,
  Tok,
  isPunct,
} from './tokens.js';
import { PreprocessCodes } from './codes.js';

/** The deepest `#include` nesting accepted (as GCC and clang). */
export const MAX_INCLUDE_DEPTH = 200;

/** Options after defaults, as the driver uses them. */
export interface DriverOptions {
  includePaths: string[];
  defines: Array<[string, string]>;
  undefines: string[];
  target: Target;
  undef: boolean;
  stdIncludes: boolean;
  stdDir: string;
  host: FileHost;
}

/** What a run produces (see `PreprocessResult` in index.ts). */
export interface DriverResult {
  text: string;
  locate(start: number, end: number): Loc;
  diagnostics: DiagnosticBag;
  sources: SourceSet;
  dependencies: string[];
}

const BUILTIN_FILE_NAME = '<built-in>';
const COMMAND_LINE_NAME = '<command line>';

/** An open `#if` group. */
interface Cond {
  /** Origin of `#if`/`#ifdef`/`#ifndef` (for "unterminated" errors). */
  origin: number;
  directive: string;
  /** Some group of this conditional has been taken. */
  taken: boolean;
  /** Origin of its `#else`, or -1. */
  elseOrigin: number;
}

/** One file being read. */
class FileState {
  readonly conds: Cond[] = [];
  /** `includedFrom` origins saved by line markers with flag 1 (entering a presumed include). */
  readonly presumedStack: number[] = [];

  constructor(
    readonly lexer: Lexer,
    readonly record: FileRecord,
    /** The file instance new tokens belong to (changes with `#line`). */
    public inst: number,
    /** Directory searched first for `#include "…"`. */
    readonly dir: string,
    /** Index in the search list where the file was found (-1: not through the list), for `#include_next`. */
    readonly searchIndex: number,
    /** The absolute path: the file's identity on the include stack. */
    readonly key: string,
    readonly includedFrom: number,
  ) {}
}

/** One preprocessing run. */
export class Preprocessor implements ExpandHost {
  readonly origins = new Origins();
  readonly macros = new Map<string, MacroDef>();
  private readonly diags = new DiagnosticBag();
  private readonly sources = new SourceSet();
  private readonly dependencies: string[] = [];
  private readonly dependencySet = new Set<string>();
  private readonly out = new Output();
  private readonly expander = new Expander(this);
  private readonly stack: FileState[] = [];
  private readonly texts = new Map<string, FileRecord | null>();
  private readonly realpaths = new Map<string, string>();
  /** Canonical paths of files that must not be entered again (#import, #pragma once). */
  private readonly onceFiles = new Set<string>();
  /** Absolute paths of every file entered. */
  private readonly enteredFiles = new Set<string>();
  private readonly searchDirs: string[];
  private counter = 0;
  private entryName = '';
  /** > 0 while macro arguments are read from the running text (directives there are restricted). */
  private inArgs = 0;
  private readonly sink = (t: Tok): void => this.out.emitText(t.text, t.flags, t.origin);

  constructor(private readonly options: DriverOptions) {
    this.searchDirs = [...options.includePaths];
    if (options.stdIncludes) this.searchDirs.push(options.stdDir);
  }

  /** Preprocesses `text` as the file `name` (read through the host when `text` is undefined). */
  run(name: string, text: string | undefined): DriverResult {
    this.entryName = name;
    try {
      this.defineBuiltins();
      const entryText = text ?? this.readFile(name, false);
      this.addDependency(name);
      if (entryText === undefined) {
        this.diags.error(PreprocessCodes.fileNotFound, `cannot read '${name}'`);
      } else {
        this.enter(name, entryText, -1, -1, dirname(name));
        this.runMain();
      }
    } catch (e) {
      // A failing file host (or an engine limit) ends the run with a diagnostic, never an exception.
      const where = this.stack.length > 0 ? this.stack[this.stack.length - 1].record.path : name;
      const message = e instanceof Error ? e.message : String(e);
      this.diags.error(PreprocessCodes.stopped, `preprocessing stopped in '${where}': ${message}`);
    }
    const table = this.out.table();
    return {
      text: this.out.text(),
      locate: makeLocate(table, this.origins, name),
      diagnostics: this.diags,
      sources: this.sources,
      dependencies: this.dependencies,
    };
  }

  // ---- Expander host --------------------------------------------------

  /** Reports a problem at an origin (-1: no location). */
  report(
    severity: 'error' | 'warning',
    code: string,
    message: string,
    origin: number,
    notes?: Note[],
  ): void {
    const loc = origin >= 0 ? this.origins.loc(origin) : undefined;
    if (severity === 'error') this.diags.error(code, message, loc, notes);
    else this.diags.warning(code, message, loc, notes);
  }

  builtin(m: MacroDef, use: Tok): Tok {
    const at = this.origins.presumed(this.origins.topFileOrigin(use.origin));
    switch (m.builtin) {
      case BUILTIN_FILE:
        return new Tok(TK_STRING, quote(at.file), use.flags, use.origin);
      case BUILTIN_LINE:
        return new Tok(TK_NUMBER, String(at.line), use.flags, use.origin);
      case BUILTIN_COUNTER:
        return new Tok(TK_NUMBER, String(this.counter++), use.flags, use.origin);
      case BUILTIN_INCLUDE_LEVEL:
        return new Tok(
          TK_NUMBER,
          String(Math.max(0, this.stack.length - 1)),
          use.flags,
          use.origin,
        );
      default:
        return new Tok(TK_STRING, quote(this.entryName), use.flags, use.origin);
    }
  }

  // ---- Files ------------------------------------------------------------

  /** Defines the built-in, predefined and command-line macros (through small virtual files). */
  private defineBuiltins(): void {
    for (const [name, kind] of [
      ['__FILE__', BUILTIN_FILE],
      ['__LINE__', BUILTIN_LINE],
      ['__COUNTER__', BUILTIN_COUNTER],
      ['__INCLUDE_LEVEL__', BUILTIN_INCLUDE_LEVEL],
      ['__BASE_FILE__', BUILTIN_BASE_FILE],
    ] as const) {
      this.macros.set(
        name,
        new MacroDef(name, this.origins.macroId(name), false, [], false, [], -1, kind),
      );
    }
    const o = this.options;
    if (!o.undef) this.runVirtual(BUILTIN_FILE_NAME, defineLines(predefinedMacros(o.target)));
    let cmd = defineLines(o.defines);
    for (const name of o.undefines) cmd += `#undef ${oneLine(name)}\n`;
    if (cmd) this.runVirtual(COMMAND_LINE_NAME, cmd);
  }

  private runVirtual(name: string, text: string): void {
    this.sources.add(name, text);
    this.enter(name, text, -1, -1, '.', true);
    this.runMain();
  }

  /** Reads a file through the host (tsmig's own `defs/` also from disk); cached per run. */
  private readFile(path: string, std: boolean): string | undefined {
    const cached = this.texts.get(path);
    if (cached !== undefined) return cached === null ? undefined : cached.text;
    let text = this.options.host.readFile(path);
    if (text === undefined && std && this.options.host !== nodeFileHost)
      text = nodeFileHost.readFile(path);
    this.texts.set(path, text === undefined ? null : new FileRecord(path, text));
    return text;
  }

  /** The host's canonical path (asked only when include-once needs it: it may cost system calls). */
  private realpath(path: string): string {
    let real = this.realpaths.get(path);
    if (real === undefined) {
      const host = this.options.host;
      real = host.realpath ? host.realpath(path) : resolve(path);
      this.realpaths.set(path, real);
    }
    return real;
  }

  private addDependency(path: string): void {
    const abs = resolve(path);
    if (!this.dependencySet.has(abs)) {
      this.dependencySet.add(abs);
      this.dependencies.push(abs);
    }
  }

  /** Starts reading a file (its text already read). */
  private enter(
    path: string,
    text: string,
    includedFrom: number,
    searchIndex: number,
    dir: string,
    virtual = false,
  ): void {
    let record = this.texts.get(path);
    if (!record) {
      record = new FileRecord(path, text);
      this.texts.set(path, record);
    }
    if (!virtual) {
      if (this.sources.get(path) === undefined) this.sources.add(path, text);
      this.addDependency(path);
    }
    const inst = this.origins.addInstance({
      file: record,
      presumedName: path,
      lineDelta: 0,
      includedFrom,
    });
    const key = virtual ? path : resolve(path);
    this.enteredFiles.add(key);
    // A byte-order mark is not part of the text.
    const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    let state: FileState | null = null;
    const lexer = new Lexer(
      text,
      (code, message, s, e, severity) =>
        this.report(severity, code, message, this.origins.addFile(state!.inst, s, e - s)),
      start,
    );
    state = new FileState(lexer, record, inst, dir, searchIndex, key, includedFrom);
    this.stack.push(state);
  }

  /** Finishes a file: open conditionals are errors. */
  private leave(fs: FileState): void {
    for (const c of fs.conds)
      this.report(
        'error',
        PreprocessCodes.unterminatedIf,
        `unterminated #${c.directive} (no matching #endif)`,
        c.origin,
      );
    this.stack.pop();
  }

  // ---- Running text -----------------------------------------------------

  /** Reads tokens until the stack is empty: the hot loop. */
  private runMain(): void {
    const out = this.out;
    const origins = this.origins;
    const macros = this.macros;
    const stack = this.stack;
    while (stack.length > 0) {
      const fs = stack[stack.length - 1];
      const lx = fs.lexer;
      const kind = lx.next();
      if (kind === TK_EOF) {
        this.leave(fs);
        continue;
      }
      if (kind === TK_PUNCT && lx.flags & F_SOL && isDirectiveHash(lx)) {
        this.directive(fs);
        continue;
      }
      if (kind === TK_IDENT) {
        const text = lx.tokenText();
        if (macros.has(text)) {
          const tok = new Tok(
            TK_IDENT,
            text,
            lx.flags,
            origins.addFile(fs.inst, lx.start, lx.end - lx.start),
          );
          this.expander.expandAt(tok, this.baseSource(fs), this.sink);
          continue;
        }
      }
      const origin = origins.addFile(fs.inst, lx.start, lx.end - lx.start);
      if (lx.spelled === null) out.emitSource(lx.text, lx.start, lx.end, lx.flags, origin);
      else out.emitText(lx.spelled, lx.flags, origin);
    }
  }

  /**
   * The running text after a macro name, for the expander: arguments may
   * span lines and directives (which run as they are met); looking for the
   * `(` of a function-like macro stops at a directive, as GCC does.
   */
  private baseSource(fs: FileState): TokenSource {
    return {
      next: (): Tok | null => {
        if (this.stack[this.stack.length - 1] !== fs) return null;
        const lx = fs.lexer;
        for (;;) {
          const mark = lx.mark();
          const kind = lx.next();
          if (kind === TK_EOF) return null;
          if (kind === TK_PUNCT && lx.flags & F_SOL && isDirectiveHash(lx)) {
            lx.reset(mark);
            return null;
          }
          return new Tok(
            kind,
            lx.tokenText(),
            lx.flags,
            this.origins.addFile(fs.inst, lx.start, lx.end - lx.start),
          );
        }
      },
      nextArg: (): Tok | null => {
        const lx = fs.lexer;
        for (;;) {
          if (this.stack[this.stack.length - 1] !== fs) return null;
          const kind = lx.next();
          if (kind === TK_EOF) return null;
          if (kind === TK_PUNCT && lx.flags & F_SOL && isDirectiveHash(lx)) {
            this.inArgs++;
            this.directive(fs);
            this.inArgs--;
            continue;
          }
          return new Tok(
            kind,
            lx.tokenText(),
            lx.flags,
            this.origins.addFile(fs.inst, lx.start, lx.end - lx.start),
          );
        }
      },
    };
  }

  // ---- Directives -------------------------------------------------------

  /** Runs the directive whose `#` the lexer just read. */
  private directive(fs: FileState): void {
    const lx = fs.lexer;
    const hashStart = lx.start;
    const kind = lx.nextInLine();
    if (kind === TK_EOL) return; // The null directive.
    if (kind === TK_NUMBER) {
      this.lineMarker(fs, hashStart);
      return;
    }
    const dirOrigin = this.origins.addFile(fs.inst, hashStart, lx.end - hashStart);
    if (kind !== TK_IDENT) {
      this.report(
        'error',
        PreprocessCodes.unknownDirective,
        `invalid preprocessing directive '#${lx.tokenText()}'`,
        dirOrigin,
      );
      lx.skipRestOfLine();
      return;
    }
    const name = lx.tokenText();
    switch (name) {
      case 'define':
        this.define(fs);
        return;
      case 'undef':
        this.undef(fs, dirOrigin);
        return;
      case 'include':
      case 'import':
      case 'include_next':
        this.include(fs, name, dirOrigin);
        return;
      case 'if':
        this.pushCond(fs, name, dirOrigin, this.ifCondition(fs, dirOrigin));
        return;
      case 'ifdef':
      case 'ifndef': {
        const operand = this.macroOperand(fs, name, dirOrigin);
        const cond = operand !== null && this.macros.has(operand.name) === (name === 'ifdef');
        this.pushCond(fs, name, dirOrigin, cond);
        return;
      }
      case 'elif':
      case 'else':
      case 'endif':
        this.elseOrEndif(fs, name, dirOrigin);
        return;
      case 'line':
        this.lineDirective(fs, dirOrigin);
        return;
      case 'error':
      case 'warning': {
        const message = this.restOfLineText(fs);
        this.report(
          name === 'error' ? 'error' : 'warning',
          name === 'error' ? PreprocessCodes.error : PreprocessCodes.warning,
          `#${name}${message ? ' ' + message : ''}`,
          dirOrigin,
        );
        return;
      }
      case 'pragma': {
        const toks = this.lineTokens(fs);
        if (toks.length === 1 && toks[0].kind === TK_IDENT && toks[0].text === 'once')
          this.onceFiles.add(this.realpath(fs.record.path));
        return;
      }
      case 'ident':
      case 'sccs':
        this.lineTokens(fs);
        return;
      default:
        this.report(
          'error',
          PreprocessCodes.unknownDirective,
          `invalid preprocessing directive '#${name}'`,
          dirOrigin,
        );
        lx.skipRestOfLine();
    }
  }

  /** The remaining tokens of the directive line, as objects. */
  private lineTokens(fs: FileState): Tok[] {
    const lx = fs.lexer;
    const toks: Tok[] = [];
    while (lx.nextInLine() !== TK_EOL) {
      toks.push(
        new Tok(
          lx.kind,
          lx.tokenText(),
          lx.flags,
          this.origins.addFile(fs.inst, lx.start, lx.end - lx.start),
        ),
      );
    }
    return toks;
  }

  /** The rest of the line as written (for `#error`), comments and splices turned into spaces. */
  private restOfLineText(fs: FileState): string {
    const lx = fs.lexer;
    lx.quiet = true;
    let text = '';
    while (lx.nextInLine() !== TK_EOL) {
      if (text && lx.flags & F_WS) text += ' ';
      text += lx.tokenText();
    }
    lx.quiet = false;
    return text;
  }

  /** Warns about tokens after a directive that takes none (or no more). */
  private extraTokens(fs: FileState, name: string): void {
    const lx = fs.lexer;
    if (lx.nextInLine() === TK_EOL) return;
    const origin = this.origins.addFile(fs.inst, lx.start, lx.end - lx.start);
    this.report(
      'warning',
      PreprocessCodes.extraTokens,
      `extra tokens at end of #${name} directive`,
      origin,
    );
    lx.quiet = true;
    while (lx.nextInLine() !== TK_EOL);
    lx.quiet = false;
  }

  private define(fs: FileState): void {
    const toks = this.lineTokens(fs);
    const { def, problems } = parseDefine(toks, (n) => this.origins.macroId(n));
    for (const p of problems)
      this.report(p.severity, p.code, p.message, p.tok ? p.tok.origin : this.lineEndOrigin(fs));
    if (def === null) return;
    const prev = this.macros.get(def.name);
    if (prev !== undefined && !prev.sameAs(def)) {
      if (prev.builtin !== BUILTIN_NONE) {
        this.report(
          'warning',
          PreprocessCodes.builtinMacro,
          `redefining builtin macro '${def.name}'`,
          def.nameOrigin,
        );
      } else {
        const notes: Note[] =
          prev.nameOrigin >= 0
            ? [{ message: 'previous definition is here', loc: this.origins.loc(prev.nameOrigin) }]
            : [];
        this.report(
          'warning',
          PreprocessCodes.macroRedefined,
          `'${def.name}' macro redefined`,
          def.nameOrigin,
          notes,
        );
      }
    }
    this.macros.set(def.name, def);
  }

  private undef(fs: FileState, dirOrigin: number): void {
    const operand = this.macroOperand(fs, 'undef', dirOrigin);
    if (operand === null) return;
    const prev = this.macros.get(operand.name);
    if (prev !== undefined && prev.builtin !== BUILTIN_NONE) {
      this.report(
        'warning',
        PreprocessCodes.builtinMacro,
        `undefining builtin macro '${operand.name}'`,
        operand.origin,
      );
    }
    this.macros.delete(operand.name);
  }

  /** The identifier operand of `#ifdef`, `#ifndef`, `#undef` (null, reported, when missing or wrong). */
  private macroOperand(
    fs: FileState,
    directive: string,
    dirOrigin: number,
  ): { name: string; origin: number } | null {
    const lx = fs.lexer;
    const kind = lx.nextInLine();
    if (kind === TK_EOL) {
      this.report(
        'error',
        PreprocessCodes.macroNameMissing,
        `macro name missing after #${directive}`,
        dirOrigin,
      );
      return null;
    }
    const origin = this.origins.addFile(fs.inst, lx.start, lx.end - lx.start);
    if (kind !== TK_IDENT) {
      this.report(
        'error',
        PreprocessCodes.macroNameInvalid,
        'macro names must be identifiers',
        origin,
      );
      lx.quiet = true;
      while (lx.nextInLine() !== TK_EOL);
      lx.quiet = false;
      return null;
    }
    const name = lx.tokenText();
    if (name === 'defined' && directive === 'undef') {
      this.report(
        'error',
        PreprocessCodes.macroNameInvalid,
        "'defined' cannot be used as a macro name",
        origin,
      );
      return null;
    }
    this.extraTokens(fs, directive);
    return { name, origin };
  }

  /** An origin at the end of the current directive line (for "missing" problems). */
  private lineEndOrigin(fs: FileState): number {
    return this.origins.addFile(fs.inst, fs.lexer.pos, 0);
  }

  // ---- Conditionals -----------------------------------------------------

  /** Evaluates the operands of `#if`/`#elif`. */
  private ifCondition(fs: FileState, dirOrigin: number): boolean {
    const toks = this.lineTokens(fs);
    if (toks.length === 0) {
      this.report(
        'error',
        PreprocessCodes.ifMissingExpr,
        `#${this.directiveName(fs, dirOrigin)} with no expression`,
        dirOrigin,
      );
      return false;
    }
    const expanded = this.expander.expandList(toks, true);
    if (expanded.failed) return false;
    return evaluateCondition(expanded.toks, (severity, code, message, tok) => {
      this.report(severity, code, message, tok ? tok.origin : dirOrigin);
    });
  }

  /** The directive's name from its origin's text (`if` or `elif`). */
  private directiveName(fs: FileState, dirOrigin: number): string {
    const o = this.origins;
    const text = fs.record.text.slice(
      o.offsetOf(dirOrigin),
      o.offsetOf(dirOrigin) + o.lengthOf(dirOrigin),
    );
    return /[A-Za-z_]+$/.exec(text)?.[0] ?? 'if';
  }

  private pushCond(fs: FileState, directive: string, origin: number, taken: boolean): void {
    const cond: Cond = { origin, directive, taken, elseOrigin: -1 };
    fs.conds.push(cond);
    if (!taken) this.skipGroup(fs, cond);
  }

  /** `#elif`, `#else`, `#endif` met in a group that was being read. */
  private elseOrEndif(fs: FileState, name: string, dirOrigin: number): void {
    const cond = fs.conds[fs.conds.length - 1];
    if (cond === undefined) {
      this.report(
        'error',
        name === 'else'
          ? PreprocessCodes.strayElse
          : name === 'elif'
            ? PreprocessCodes.strayElif
            : PreprocessCodes.strayEndif,
        `#${name} without #if`,
        dirOrigin,
      );
      fs.lexer.skipRestOfLine();
      return;
    }
    if (name === 'endif') {
      this.extraTokens(fs, name);
      fs.conds.pop();
      return;
    }
    if (cond.elseOrigin >= 0) {
      this.report(
        'error',
        name === 'else' ? PreprocessCodes.elseAfterElse : PreprocessCodes.elifAfterElse,
        `#${name} after #else`,
        dirOrigin,
        [{ message: 'the #else is here', loc: this.origins.loc(cond.elseOrigin) }],
      );
    }
    if (name === 'else') {
      this.extraTokens(fs, name);
      if (cond.elseOrigin < 0) cond.elseOrigin = dirOrigin;
    } else {
      fs.lexer.skipRestOfLine();
    }
    // The group just read was the one taken: skip everything up to #endif.
    this.skipGroup(fs, cond);
  }

  /**
   * Skips lines until a directive ends the skipped group: `#endif` (closes
   * the conditional), `#else` or a true `#elif` when no group was taken yet.
   */
  private skipGroup(fs: FileState, cond: Cond): void {
    const lx = fs.lexer;
    let depth = 0;
    lx.quiet = true;
    while (lx.skipToDirective()) {
      const hashStart = lx.pos;
      lx.nextInLine();
      if (lx.nextInLine() !== TK_IDENT) {
        lx.skipRestOfLine();
        continue;
      }
      const name = lx.tokenText();
      if (name === 'if' || name === 'ifdef' || name === 'ifndef') {
        depth++;
        lx.skipRestOfLine();
        continue;
      }
      if (depth > 0) {
        if (name === 'endif') depth--;
        lx.skipRestOfLine();
        continue;
      }
      if (name !== 'endif' && name !== 'else' && name !== 'elif') {
        lx.skipRestOfLine();
        continue;
      }
      const dirOrigin = this.origins.addFile(fs.inst, hashStart, lx.end - hashStart);
      lx.quiet = false;
      if (name === 'endif') {
        this.extraTokens(fs, name);
        fs.conds.pop();
        return;
      }
      if (cond.elseOrigin >= 0) {
        this.report(
          'error',
          name === 'else' ? PreprocessCodes.elseAfterElse : PreprocessCodes.elifAfterElse,
          `#${name} after #else`,
          dirOrigin,
          [{ message: 'the #else is here', loc: this.origins.loc(cond.elseOrigin) }],
        );
        lx.skipRestOfLine();
        lx.quiet = true;
        continue;
      }
      if (name === 'else') {
        this.extraTokens(fs, name);
        cond.elseOrigin = dirOrigin;
        if (!cond.taken) {
          cond.taken = true;
          return;
        }
      } else if (!cond.taken && this.ifCondition(fs, dirOrigin)) {
        cond.taken = true;
        return;
      } else {
        lx.skipRestOfLine();
      }
      lx.quiet = true;
    }
    lx.quiet = false;
  }

  // ---- Includes ---------------------------------------------------------

  private include(fs: FileState, directive: string, dirOrigin: number): void {
    const lx = fs.lexer;
    const kind = lx.nextHeaderName();
    let spec: { name: string; angled: boolean; origin: number } | null = null;
    const tokOrigin = () => this.origins.addFile(fs.inst, lx.start, lx.end - lx.start);
    if (kind === TK_HEADER) {
      const text = lx.tokenText();
      spec = { name: text.slice(1, -1), angled: true, origin: tokOrigin() };
      this.extraTokens(fs, directive);
    } else if (kind === TK_STRING && lx.text.charCodeAt(lx.start) === 0x22) {
      const text = lx.tokenText();
      spec = { name: text.slice(1, -1), angled: false, origin: tokOrigin() };
      this.extraTokens(fs, directive);
    } else if (kind !== TK_EOL) {
      // A computed include: expand the line, then read a string or <…> from it.
      const first = new Tok(kind, lx.tokenText(), lx.flags, tokOrigin());
      const toks = [first, ...this.lineTokens(fs)];
      spec = this.computedHeader(this.expander.expandList(toks, false).toks, directive);
    }
    if (spec === null) {
      if (kind === TK_EOL || kind === TK_HEADER || kind === TK_STRING) {
        this.report(
          'error',
          PreprocessCodes.includeSyntax,
          `#${directive} expects "FILENAME" or <FILENAME>`,
          dirOrigin,
        );
      }
      return;
    }
    if (spec.name === '') {
      this.report(
        'error',
        PreprocessCodes.includeSyntax,
        `empty file name in #${directive}`,
        spec.origin,
      );
      return;
    }
    if (this.inArgs > 0) {
      this.report(
        'error',
        PreprocessCodes.includeInArgs,
        `#${directive} inside the arguments of a macro is not supported`,
        dirOrigin,
      );
      return;
    }
    const found = this.resolveInclude(
      fs,
      spec.name,
      spec.angled,
      directive === 'include_next',
      spec.origin,
    );
    if (found === null) {
      this.report(
        'error',
        PreprocessCodes.includeNotFound,
        `'${spec.name}' file not found`,
        spec.origin,
      );
      return;
    }
    if (this.onceFiles.size > 0 && this.onceFiles.has(this.realpath(found.path))) return;
    if (directive === 'import') {
      const real = this.realpath(found.path);
      if ([...this.enteredFiles].some((entered) => this.realpath(entered) === real)) return;
      this.onceFiles.add(real);
    }
    const key = resolve(found.path);
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      this.report(
        'error',
        PreprocessCodes.includeDepth,
        `#include nested more than ${MAX_INCLUDE_DEPTH} levels deep`,
        spec.origin,
      );
      return;
    }
    // A file may re-enter itself (guarded headers do, harmlessly); the third time is a cycle.
    const open = this.stack.filter((s) => s.key === key);
    if (open.length >= 2) {
      const from = this.stack.indexOf(open[open.length - 1]);
      const cycle = [...this.stack.slice(from).map((s) => s.record.path), found.path].join(' -> ');
      this.report('error', PreprocessCodes.includeCycle, `#include cycle: ${cycle}`, spec.origin);
      return;
    }
    this.enter(found.path, found.text, spec.origin, found.searchIndex, dirname(found.path));
  }

  /** `#include MACRO`: the header from the expanded tokens, or null (reported). */
  private computedHeader(
    toks: Tok[],
    directive: string,
  ): { name: string; angled: boolean; origin: number } | null {
    const first = toks[0];
    const fail = () => {
      this.report(
        'error',
        PreprocessCodes.includeSyntax,
        `#${directive} expects "FILENAME" or <FILENAME>`,
        first ? first.origin : -1,
      );
      return null;
    };
    if (first === undefined) return fail();
    if (first.kind === TK_STRING && first.text.startsWith('"')) {
      if (toks.length > 1)
        this.report(
          'warning',
          PreprocessCodes.extraTokens,
          `extra tokens at end of #${directive} directive`,
          toks[1].origin,
        );
      return { name: first.text.slice(1, -1), angled: false, origin: first.origin };
    }
    if (!isPunct(first, '<')) return fail();
    let name = '';
    for (let i = 1; i < toks.length; i++) {
      const t = toks[i];
      if (isPunct(t, '>')) {
        if (i + 1 < toks.length)
          this.report(
            'warning',
            PreprocessCodes.extraTokens,
            `extra tokens at end of #${directive} directive`,
            toks[i + 1].origin,
          );
        return { name, angled: true, origin: first.origin };
      }
      if (name && t.flags & (F_WS | F_SOL)) name += ' ';
      name += t.text;
    }
    this.report(
      'error',
      PreprocessCodes.includeSyntax,
      `missing '>' to end the file name of #${directive}`,
      first.origin,
    );
    return null;
  }

  /** Finds an included file: the includer's directory (for "…"), then -I paths, then tsmig's defs/. */
  private resolveInclude(
    fs: FileState,
    name: string,
    angled: boolean,
    next: boolean,
    origin: number,
  ): { path: string; text: string; searchIndex: number } | null {
    if (isAbsolute(name)) {
      const text = this.readFile(name, false);
      return text === undefined ? null : { path: name, text, searchIndex: -1 };
    }
    let from = 0;
    if (next) {
      if (this.stack.length <= 1)
        this.report(
          'warning',
          PreprocessCodes.includeNextInPrimary,
          '#include_next in the main file',
          origin,
        );
      else if (fs.searchIndex >= 0) from = fs.searchIndex + 1;
    }
    if (!angled && !(next && fs.searchIndex >= 0)) {
      const path = join(fs.dir, name);
      const text = this.readFile(path, false);
      if (text !== undefined) return { path, text, searchIndex: -1 };
    }
    const dirs = this.searchDirs;
    for (let i = from; i < dirs.length; i++) {
      const path = join(dirs[i], name);
      const std = this.options.stdIncludes && i === dirs.length - 1;
      const text = this.readFile(path, std);
      if (text !== undefined) return { path, text, searchIndex: i };
    }
    return null;
  }

  // ---- #line and line markers -------------------------------------------

  private lineDirective(fs: FileState, dirOrigin: number): void {
    const toks = this.expander.expandList(this.lineTokens(fs), false).toks;
    const num = toks[0];
    if (num === undefined || num.kind !== TK_NUMBER || !/^[0-9]+$/.test(num.text)) {
      this.report(
        'error',
        PreprocessCodes.lineSyntax,
        `#line expects a line number${num ? `, found '${num.text}'` : ''}`,
        num ? num.origin : dirOrigin,
      );
      return;
    }
    const file = toks[1];
    if (file !== undefined && !(file.kind === TK_STRING && file.text.startsWith('"'))) {
      this.report(
        'error',
        PreprocessCodes.lineSyntax,
        `invalid file name '${file.text}' in #line`,
        file.origin,
      );
      return;
    }
    if (toks.length > 2)
      this.report(
        'warning',
        PreprocessCodes.extraTokens,
        'extra tokens at end of #line directive',
        toks[2].origin,
      );
    this.applyLine(fs, num, file, 0);
  }

  /** `# 33 "file" 1 3`: gcc's line marker, with its flags (1 enter, 2 return, 3 system, 4 extern C). */
  private lineMarker(fs: FileState, hashStart: number): void {
    const lx = fs.lexer;
    const num = new Tok(
      TK_NUMBER,
      lx.tokenText(),
      lx.flags,
      this.origins.addFile(fs.inst, lx.start, lx.end - lx.start),
    );
    const markerOrigin = this.origins.addFile(fs.inst, hashStart, lx.end - hashStart);
    const toks = this.lineTokens(fs);
    if (!/^[0-9]+$/.test(num.text)) {
      this.report(
        'error',
        PreprocessCodes.lineSyntax,
        `'${num.text}' in a line marker is not a line number`,
        num.origin,
      );
      return;
    }
    const file = toks[0];
    if (file !== undefined && !(file.kind === TK_STRING && file.text.startsWith('"'))) {
      this.report(
        'error',
        PreprocessCodes.lineSyntax,
        `invalid file name '${file.text}' in a line marker`,
        file.origin,
      );
      return;
    }
    let flag = 0;
    for (const t of toks.slice(1)) {
      if (t.kind !== TK_NUMBER || !/^[1-4]$/.test(t.text)) {
        this.report(
          'error',
          PreprocessCodes.lineSyntax,
          `invalid flag '${t.text}' in a line marker`,
          t.origin,
        );
        return;
      }
      if (t.text === '1' || t.text === '2') flag = Number(t.text);
    }
    this.applyLine(fs, num, file, flag, markerOrigin);
  }

  /** Starts a new instance whose next line is line `num` of `file` (flag 1/2: presumed include enter/return). */
  private applyLine(
    fs: FileState,
    num: Tok,
    file: Tok | undefined,
    flag: number,
    markerOrigin = -1,
  ): void {
    const line = Number(num.text);
    if (line === 0 || line > 2147483647)
      this.report(
        'warning',
        PreprocessCodes.lineRange,
        `line number ${num.text} out of range`,
        num.origin,
      );
    const cur = this.origins.instances[fs.inst];
    // The directive ends at the lexer's position (before the newline); the next line is physical line index + 2.
    const nextLine = fs.record.lineIndex(fs.lexer.pos) + 2;
    let includedFrom = cur.includedFrom;
    if (flag === 1) {
      fs.presumedStack.push(cur.includedFrom);
      includedFrom = markerOrigin;
    } else if (flag === 2) {
      includedFrom = fs.presumedStack.pop() ?? fs.includedFrom;
    }
    fs.inst = this.origins.addInstance({
      file: fs.record,
      presumedName: file ? unquote(file.text) : cur.presumedName,
      lineDelta: line - nextLine,
      includedFrom,
    });
  }
}

/** True when the lexer's current punctuator is a lone `#` (or `%:`), i.e. it can start a directive. */
function isDirectiveHash(lx: Lexer): boolean {
  const len = lx.end - lx.start;
  const c = lx.text.charCodeAt(lx.start);
  return (
    (len === 1 && c === 0x23) ||
    (len === 2 && c === 0x25 && lx.text.charCodeAt(lx.start + 1) === 0x3a)
  );
}

/** `#define` lines for (name, value) pairs (a value with newlines keeps its first line's meaning as one line). */
function defineLines(pairs: Array<[string, string]>): string {
  let text = '';
  for (const [name, value] of pairs) text += `#define ${oneLine(name)} ${oneLine(value)}\n`;
  return text;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

/** A C string literal spelling `s`. */
function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, '\\$&') + '"';
}

/** The text of a `#line` file name (escapes `\\` and `\"` undone). */
function unquote(lit: string): string {
  return lit.slice(1, -1).replace(/\\(.)/g, '$1');
}
