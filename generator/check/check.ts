// Check stage entry point: one pass over a .defs AST that builds the IR.
//
// Statements are visited in order, as MIG reads them: a type is known from
// its declaration on, and options such as ServerPrefix, WaitTime or
// MsgOption apply to the routines that follow them. Ids come from the
// routine's position (skips included) and the subsystem base. Every problem
// is a diagnostic with a location; user input never makes this stage throw,
// and an unexpected exception is reported as an internal error (a tsmig
// bug) with the location of the statement being checked.

import type { Diagnostic } from '../diagnostics.js';
import { DiagnosticBag } from '../diagnostics.js';
import type { Loc, Range } from '../source.js';
import { fileStart, plainRange } from '../source.js';
import type {
  DefsFile,
  OptionStmt,
  RoutineStmt,
  SkipStmt,
  Statement,
  SubsystemStmt,
} from '../parse/ast.js';
import { CheckContext } from './context.js';
import type { Dialect, InterfaceIR, IrImport, IrRoutine, IrSubsystem } from './ir.js';
import { RoutineChecker, type RoutineEnv } from './routines.js';
import { TypeTable, deepFreeze } from './types.js';

/** Options of the check stage. */
export interface CheckOptions {
  /** Whose MIG rules to follow (Apple's by default). */
  dialect?: Dialect;
  /** The main file's name, for the IR and for diagnostics without a better place. */
  file?: string;
}

/** What the check stage produces. */
export interface CheckResult {
  ir: InterfaceIR;
  diagnostics: Diagnostic[];
}

/** Checks a parsed .defs file and builds its IR. Never throws on user input. */
export function checkDefs(ast: DefsFile, options: CheckOptions = {}): CheckResult {
  const diags = new DiagnosticBag();
  const checker = new FileChecker(
    new CheckContext(options.dialect ?? 'apple', diags),
    options.file ?? ast.loc.file,
  );
  const ir = checker.run(ast);
  return { ir, diagnostics: diags.items };
}

/** The state of one file's check. */
class FileChecker {
  private readonly types: TypeTable;
  private readonly routineChecker: RoutineChecker;
  private subsystem: (Omit<IrSubsystem, 'base'> & { base: number }) | null = null;
  private subsystemLoc?: Loc;
  private gnuBuiltinsAdded = false;
  private gnuEarlyLookupReported = false;
  private readonly env: RoutineEnv = {
    kernelUser: false,
    kernelServer: false,
    serverPrefix: '',
    userPrefix: '',
    errorProc: 'MsgError',
    waitTime: null,
    sendTime: null,
    msgOption: null,
    useSpecialReplyPort: false,
    consumeOnSendError: 'none',
  };
  private serverDemux: string | null = null;
  private rcsId?: { text: string; loc: Loc };
  private readonly imports: IrImport[] = [];
  /** Routines checked as they were read; their ids are set at the end, from the final base (as MIG does). */
  private readonly routines: IrRoutine[] = [];
  private readonly routineNames = new Map<string, Loc>();
  private nextNumber = 0;
  private hasUseSpecialReplyPort = false;
  /** Where UseSpecialReplyPort was turned on, and whether its misuse in a kernel interface was reported. */
  private specialReplyPortAt?: Loc;
  private specialReplyPortReported = false;
  private userTypeLimit: number | null = null;
  private onStackLimit: number | null = null;

  constructor(
    private readonly ctx: CheckContext,
    private readonly file: string,
  ) {
    this.types = new TypeTable(ctx, { beforeLookup: (name) => this.allowLookup(name.loc) });
    this.routineChecker = new RoutineChecker(ctx, this.types);
  }

  run(ast: DefsFile): InterfaceIR {
    for (const stmt of ast.statements) this.guarded(stmt.loc, () => this.statement(stmt));
    if (!this.subsystem) {
      this.ctx.error(
        'check-missing-subsystem',
        "no 'subsystem' statement: every interface needs one (subsystem name base;)",
        fileStart(this.file),
      );
    }
    const base = this.subsystem?.base ?? 0;
    const routines = this.routines.map((r) => ({
      ...r,
      id: base + r.number,
      replyId: base + r.number + 100,
    }));
    return this.build(routines);
  }

  /** Runs one step; an exception becomes an internal-error diagnostic instead of escaping. */
  private guarded(loc: Loc, step: () => void): void {
    try {
      step();
    } catch (err) {
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      this.ctx.error(
        'check-internal-error',
        `internal error in tsmig's checker (please report it): ${detail.split('\n')[0]}`,
        loc,
      );
    }
  }

  private statement(stmt: Statement): void {
    switch (stmt.kind) {
      case 'subsystem':
        return this.subsystemStatement(stmt);
      case 'routine':
        return this.routineStatement(stmt);
      case 'skip':
        return this.skipStatement(stmt);
      case 'type':
        this.types.declare(stmt.decl);
        return;
      case 'import': {
        const file = stmt.delimiter === 'angle' ? `<${stmt.file}>` : `"${stmt.file}"`;
        this.imports.push({ which: stmt.which, file, loc: plainRange(stmt.loc) as Range });
        return;
      }
      case 'option':
        return this.optionStatement(stmt);
      case 'error':
        // The parser reported it; nothing is known about the statement.
        return;
    }
  }

  private subsystemStatement(stmt: SubsystemStmt): void {
    if (this.subsystem) {
      this.ctx.warning(
        'check-subsystem-redefined',
        `a second subsystem statement: the previous one (of '${this.subsystem.name}') is ignored`,
        stmt.loc,
        this.subsystemLoc
          ? [{ message: 'previous subsystem statement is here', loc: this.subsystemLoc }]
          : [],
      );
      this.env.kernelUser = false;
      this.env.kernelServer = false;
    }
    for (const m of stmt.modifiers) {
      const which = m.name.toLowerCase();
      if (which === 'kerneluser' || which === 'kernelserver') {
        const field = which === 'kerneluser' ? 'kernelUser' : 'kernelServer';
        if (this.env[field])
          this.ctx.warning('check-duplicate-modifier', `duplicate ${m.name} keyword`, m.loc);
        this.env[field] = true;
      } else {
        this.ctx.error(
          'check-unknown-modifier',
          `unknown subsystem modifier '${m.name}' (KernelUser or KernelServer)`,
          m.loc,
        );
      }
    }
    const base = this.ctx.evaluate(stmt.base, 'the subsystem base') ?? 0;
    this.subsystem = {
      name: stmt.name.name,
      base,
      kernelUser: this.env.kernelUser,
      kernelServer: this.env.kernelServer,
      loc: plainRange(stmt.loc) as Range,
    };
    this.subsystemLoc = stmt.loc;
    if (this.ctx.dialect === 'gnu' && !this.gnuBuiltinsAdded) {
      this.types.addGnuBuiltins();
      this.gnuBuiltinsAdded = true;
    }
  }

  /** GNU's MIG knows no type at all before its subsystem statement. */
  private allowLookup(loc: Loc): boolean {
    if (this.ctx.dialect !== 'gnu' || this.subsystem) return true;
    if (!this.gnuEarlyLookupReported) {
      this.ctx.error(
        'check-gnu-subsystem-first',
        "GNU's MIG knows no types before the subsystem statement; put 'subsystem' before the first type or routine",
        loc,
      );
      this.gnuEarlyLookupReported = true;
    }
    return false;
  }

  private routineStatement(stmt: RoutineStmt): void {
    const previous = this.routineNames.get(stmt.name.name);
    if (previous) {
      this.ctx.error(
        'check-duplicate-routine',
        `routine '${stmt.name.name}' is already declared`,
        stmt.name.loc,
        [{ message: 'previous declaration is here', loc: previous }],
      );
    } else this.routineNames.set(stmt.name.name, stmt.name.loc);
    const kernel = this.env.kernelUser || this.env.kernelServer;
    if (
      this.env.useSpecialReplyPort &&
      kernel &&
      stmt.routineKind === 'routine' &&
      !this.specialReplyPortReported
    ) {
      this.ctx.error(
        'check-special-reply-kernel',
        'UseSpecialReplyPort cannot be used in a KernelUser or KernelServer interface',
        this.specialReplyPortAt ?? stmt.loc,
        [{ message: `routine '${stmt.name.name}' would use it`, loc: stmt.name.loc }],
      );
      this.specialReplyPortReported = true;
    }
    // Checked now, against the types and options declared so far (a later redefinition doesn't change it).
    const number = this.nextNumber++;
    this.routines.push(this.routineChecker.check(stmt, { ...this.env }, number));
  }

  private skipStatement(stmt: SkipStmt): void {
    let count = 1;
    if (stmt.count) {
      const allowed = this.ctx.gnuOnly("'skip N'", stmt.loc);
      const n = this.ctx.evaluate(stmt.count, 'the number of skipped ids');
      if (allowed && n !== undefined) count = n;
    }
    this.nextNumber += count;
  }

  private optionStatement(stmt: OptionStmt): void {
    const value = stmt.value;
    const text = (): string | null => {
      if (!value) return null;
      switch (value.kind) {
        case 'raw':
          return value.text.trim();
        case 'string':
          return value.value;
        case 'ident':
          return value.name;
        default:
          return this.ctx.evaluate(value, `the value of ${stmt.keyword.name}`)?.toString() ?? null;
      }
    };
    const number = (): number | null => {
      if (!value || value.kind === 'raw' || value.kind === 'string' || value.kind === 'ident') {
        const t = text();
        const n = t !== null && /^\d+$/.test(t) ? Number(t) : NaN;
        if (Number.isNaN(n)) {
          this.ctx.error(
            'check-bad-option-value',
            `${stmt.keyword.name} needs a number`,
            value?.loc ?? stmt.loc,
          );
          return null;
        }
        return n;
      }
      return this.ctx.evaluate(value, `the value of ${stmt.keyword.name}`) ?? null;
    };
    switch (stmt.option) {
      case 'serverprefix':
        this.env.serverPrefix = text() ?? '';
        return;
      case 'userprefix':
        this.env.userPrefix = text() ?? '';
        return;
      case 'serverdemux':
        this.serverDemux = text();
        return;
      case 'error':
        this.env.errorProc = text() ?? this.env.errorProc;
        return;
      case 'rcsid': {
        if (this.rcsId) {
          this.ctx.warning(
            'check-rcsid-redefined',
            'a second RCSId statement: the previous one is ignored',
            stmt.loc,
            [{ message: 'previous RCSId is here', loc: this.rcsId.loc }],
          );
        }
        this.rcsId = { text: text() ?? '', loc: stmt.loc };
        return;
      }
      case 'msgoption': {
        const t = text();
        this.env.msgOption = t === null || t === 'MACH_MSG_OPTION_NONE' ? null : t;
        return;
      }
      case 'waittime':
        this.env.waitTime = text();
        return;
      case 'nowaittime':
        this.env.waitTime = null;
        return;
      case 'sendtime':
        this.ctx.appleOnly("'SendTime'", stmt.loc);
        this.env.sendTime = text();
        return;
      case 'nosendtime':
        this.ctx.appleOnly("'NoSendTime'", stmt.loc);
        this.env.sendTime = null;
        return;
      case 'usespecialreplyport': {
        this.ctx.appleOnly("'UseSpecialReplyPort'", stmt.loc);
        const n = number();
        this.env.useSpecialReplyPort = n !== null && n !== 0;
        this.hasUseSpecialReplyPort ||= this.env.useSpecialReplyPort;
        if (this.env.useSpecialReplyPort) this.specialReplyPortAt = stmt.loc;
        return;
      }
      case 'consumeonsenderror': {
        this.ctx.appleOnly("'ConsumeOnSendError'", stmt.loc);
        const t = (text() ?? '').toLowerCase();
        if (t === 'none' || t === 'timeout' || t === 'any') this.env.consumeOnSendError = t;
        else
          this.ctx.error(
            'check-bad-option-value',
            'ConsumeOnSendError takes None, Timeout or Any',
            value?.loc ?? stmt.loc,
          );
        return;
      }
      case 'usertypelimit':
        this.ctx.appleOnly("'UserTypeLimit'", stmt.loc);
        this.userTypeLimit = number();
        return;
      case 'onstacklimit':
        this.ctx.appleOnly("'OnStackLimit'", stmt.loc);
        this.onStackLimit = number();
        return;
    }
  }

  private build(routines: IrRoutine[]): InterfaceIR {
    const name = this.subsystem?.name ?? '';
    return deepFreeze({
      irVersion: 1 as const,
      dialect: this.ctx.dialect,
      file: this.file,
      subsystem: this.subsystem,
      serverDemux: this.serverDemux ?? `${name}_server`,
      serverSubsystem: `${this.env.serverPrefix}${name}_subsystem`,
      serverPrefix: this.env.serverPrefix,
      userPrefix: this.env.userPrefix,
      errorProc: this.env.errorProc,
      ...(this.rcsId ? { rcsId: this.rcsId.text } : {}),
      imports: this.imports,
      types: this.types.declared.map((t) => this.types.freeze(t)),
      routines,
      idCount: this.nextNumber,
      options: {
        useSpecialReplyPort: this.hasUseSpecialReplyPort,
        userTypeLimit: this.userTypeLimit,
        onStackLimit: this.onStackLimit,
      },
    });
  }
}
