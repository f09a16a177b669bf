// Check stage: routines, from a `routine`/`simpleroutine` statement to the
// IR routine with MIG's full argument list.
//
// MIG's argument rules are applied in MIG's order: directions default (the
// first argument without one is the request port), flags are reconciled
// (with MIG's warnings when one is meaningless), implicit arguments are
// inserted after their parent (poly disposition, CountInOut, count, dealloc
// flag), kernel-processed data is recognised, the reply port, message option
// and timeout get their defaults, then the routine as a whole is checked
// (request port present and proper, no outs in a simpleroutine, …). A
// routine with an error is still returned, marked `invalid`, so later
// statements are checked too and the layout skips it.

import type { Loc, Range } from '../source.js';
import { plainRange } from '../source.js';
import type { ArgFlag, Argument, Direction, RoutineStmt } from '../parse/ast.js';
import type { CheckContext } from './context.js';
import type {
  IrArgFlags,
  IrArgKind,
  IrArgument,
  IrReplyPort,
  IrRoutine,
  IrTimeout,
  Placement,
  TrailerElement,
} from './ir.js';
import {
  IPC_NAMES,
  MACHINE_INTEGER_BITS,
  MACH_MSG_TYPE_POLYMORPHIC,
  PortDisposition,
} from './ipc.js';
import { Base, F, Kind, baseOf, has, hasAll, without } from './kinds.js';
import type { MigType, TypeTable } from './types.js';
import { deepFreeze, isDescriptorData, isOptionalNative, isVariableInline } from './types.js';

/** IPC flag bits of an argument. */
const Fl = {
  physicalCopy: 0x1,
  overwrite: 0x2,
  dealloc: 0x4,
  notDealloc: 0x8,
  maybeDealloc: 0x10,
  sameCount: 0x20,
  countInOut: 0x40,
  retCode: 0x80,
  auto: 0x100,
  const: 0x200,
  serverCopy: 0x400,
} as const;

/** Argument kinds only Apple's MIG knows. */
const APPLE_ONLY_DIRECTIONS: ReadonlySet<Direction> = new Set<Direction>([
  'sendtime',
  'sectoken',
  'serversectoken',
  'usersectoken',
  'audittoken',
  'serveraudittoken',
  'useraudittoken',
  'servercontexttoken',
]);

/** The state of file-wide statements when a routine is declared. */
export interface RoutineEnv {
  kernelUser: boolean;
  kernelServer: boolean;
  serverPrefix: string;
  userPrefix: string;
  errorProc: string;
  waitTime: string | null;
  sendTime: string | null;
  msgOption: string | null;
  useSpecialReplyPort: boolean;
  consumeOnSendError: 'none' | 'timeout' | 'any';
}

/** One argument while the routine is checked. */
interface Arg {
  name: string;
  msgField: string;
  kind: number;
  type: MigType | undefined;
  flags: number;
  dealloc: 'no' | 'yes' | 'maybe';
  countInOut: boolean;
  loc: Loc;
  /** True for NDR, RetCode and the dummy reply port / option / timeout MIG adds. */
  internal: boolean;
  implicit: boolean;
  parent?: Arg;
  count?: Arg;
  countInOutArg?: Arg;
  poly?: Arg;
  deallocArg?: Arg;
  sameCount?: Arg;
  multiplier: number;
  byRefUser: boolean;
  byRefServer: boolean;
  kpd?: 'port' | 'ool' | 'oolPorts';
}

/** The routine under check. */
interface Rt {
  name: string;
  oneWay: boolean;
  args: Arg[];
  requestPort?: Arg;
  replyPort?: Arg;
  waitTime?: Arg;
  msgOption?: Arg;
  retCodeArg?: Arg;
}

function newArg(name: string, kind: number, type: MigType | undefined, loc: Loc): Arg {
  return {
    name,
    msgField: name,
    kind,
    type,
    flags: 0,
    dealloc: 'no',
    countInOut: false,
    loc,
    internal: false,
    implicit: false,
    multiplier: 1,
    byRefUser: false,
    byRefServer: false,
  };
}

/** Checks routines of one file against the shared type table. */
export class RoutineChecker {
  /** MIG's internal integer types (counts, poly dispositions, dealloc flags). */
  private readonly intType: MigType;
  private readonly retCodeType: MigType;
  private readonly ndrType: MigType;
  /** Type of the reply port MIG adds when a routine names none (internal: never in the IR). */
  private readonly replyPortType: MigType;
  /** The argument checked just before (MIG's SameCount looks at it). */
  private previousArg?: Arg;

  constructor(
    private readonly ctx: CheckContext,
    private readonly types: TypeTable,
  ) {
    this.intType = this.internalType(
      'mach_msg_type_number_t',
      'MACH_MSG_TYPE_INTEGER_32',
      'MACH_MSG_TYPE_INTEGER_32',
    );
    this.retCodeType = this.internalType(
      'kern_return_t',
      'MACH_MSG_TYPE_INTEGER_32',
      'MACH_MSG_TYPE_INTEGER_32',
    );
    this.ndrType = this.internalType(
      'NDR_record_t',
      'MACH_MSG_TYPE_BYTE',
      'MACH_MSG_TYPE_BYTE',
      64,
    );
    this.replyPortType = this.internalType(
      'mach_port_t',
      'MACH_MSG_TYPE_MAKE_SEND_ONCE',
      'MACH_MSG_TYPE_PORT_SEND_ONCE',
    );
  }

  /** A type MIG builds for itself; like MIG's, it is not marked as a port even when it names one. */
  private internalType(
    name: string,
    sent: string,
    received: string,
    bits = MACHINE_INTEGER_BITS,
  ): MigType {
    const s = IPC_NAMES.get(sent)!;
    const r = IPC_NAMES.get(received)!;
    return {
      name,
      aliasChain: [],
      shape: { kind: 'basic' },
      typeSize: bits / 8,
      padSize: 0,
      minTypeSize: bits / 8,
      inName: s.sent,
      outName: r.received,
      inNameStr: s.sentName,
      outNameStr: r.receivedName,
      size: bits,
      number: 1,
      kpdNumber: 0,
      inLine: true,
      migInLine: false,
      portType: false,
      struct: true,
      string: false,
      varArray: false,
      native: false,
      nativePointer: false,
      element: null,
      userType: name,
      serverType: name,
      transType: name,
      oolNumber: 0,
      bad: false,
    };
  }

  /**
   * Checks one routine statement. `number` is its position among the
   * subsystem's ids; its ids are given from base 0 (the file checker adds
   * the subsystem base, known only at the end of the file).
   */
  check(stmt: RoutineStmt, env: RoutineEnv, number: number): IrRoutine {
    const errorsBefore = this.ctx.diags.errorCount;
    const kind = this.routineKind(stmt);
    const ndr = newArg('NDR_record', Base.ndr, this.ndrType, stmt.loc);
    ndr.internal = true;
    ndr.msgField = 'NDR';
    const retCode = newArg('RetCode', Kind.retCode, this.retCodeType, stmt.loc);
    retCode.internal = true;
    const rt: Rt = {
      name: stmt.name.name,
      oneWay: kind === 'simpleroutine',
      args: [ndr, retCode, ...stmt.args.map((a) => this.explicitArg(a))],
    };
    this.previousArg = undefined;
    this.kernelModes = { user: env.kernelUser, server: env.kernelServer };
    this.checkArguments(rt);
    this.addDefaults(rt, env, stmt);
    this.checkWhole(rt, env, stmt);
    const failed = () =>
      this.ctx.diags.errorCount > errorsBefore || rt.args.some((a) => a.type?.bad);
    let simpleRequest = true;
    let simpleReply = true;
    if (!failed()) {
      simpleRequest = !rt.args.some(
        (a) => has(a.kind, F.request) && a.type && isDescriptorData(a.type),
      );
      simpleReply = !rt.args.some(
        (a) => has(a.kind, F.reply) && a.type && isDescriptorData(a.type),
      );
      this.finish(rt, env, simpleRequest);
    }
    const invalid = failed();
    return this.toIr(rt, stmt, env, kind, number, invalid, simpleRequest, simpleReply);
  }

  private routineKind(stmt: RoutineStmt): 'routine' | 'simpleroutine' {
    switch (stmt.routineKind) {
      case 'routine':
      case 'simpleroutine':
        return stmt.routineKind;
      default:
        this.ctx.error(
          'check-obsolete-routine-kind',
          `'${stmt.routineKind}' is an obsolete MIG routine kind that neither Apple's nor GNU's MIG accepts; use 'routine' or 'simpleroutine'`,
          stmt.loc,
        );
        return stmt.routineKind === 'simpleprocedure' ? 'simpleroutine' : 'routine';
    }
  }

  /** An argument as written: its direction's kind, its type, its flags. */
  private explicitArg(a: Argument): Arg {
    let kind = this.directionKind(a.direction);
    if (a.impl) {
      kind = a.impl === 'userimpl' ? Kind.userImpl : Kind.serverImpl;
      this.ctx.error(
        'check-impl-unsupported',
        `'${a.impl === 'userimpl' ? 'UserImpl' : 'ServerImpl'}' arguments name no trailer field in Apple's MIG; use MsgSeqno, ServerSecToken, ServerAuditToken, ServerContextToken, UserSecToken or UserAuditToken`,
        a.loc,
      );
    }
    if (APPLE_ONLY_DIRECTIONS.has(a.direction))
      this.ctx.appleOnly(`the '${a.direction}' argument kind`, a.directionLoc ?? a.loc);
    const type = this.types.argumentType(a.type);
    if (type?.native) this.ctx.appleOnly('a native C type', a.loc);
    const arg = newArg(a.name.name, kind, type, a.loc);
    arg.flags = this.parseFlags(a.flags);
    if (type?.native) this.checkNativeDirection(a, type);
    return arg;
  }

  private directionKind(d: Direction): number {
    switch (d) {
      case 'none':
        return Base.none;
      case 'in':
        return Kind.in;
      case 'out':
        return Kind.out;
      case 'inout':
        return Kind.inout;
      case 'requestport':
        return Kind.requestPort;
      case 'replyport':
        return Kind.replyPort;
      case 'ureplyport':
        return Kind.uReplyPort;
      case 'sreplyport':
        return Kind.sReplyPort;
      case 'waittime':
        return Kind.waitTime;
      case 'sendtime':
        return Kind.sendTime;
      case 'msgoption':
        return Kind.msgOption;
      case 'msgseqno':
        return Kind.msgSeqno;
      case 'sectoken':
        return Kind.secToken;
      case 'serversectoken':
        return Kind.serverSecToken;
      case 'usersectoken':
        return Kind.userSecToken;
      case 'audittoken':
        return Kind.auditToken;
      case 'serveraudittoken':
        return Kind.serverAuditToken;
      case 'useraudittoken':
        return Kind.userAuditToken;
      case 'servercontexttoken':
        return Kind.serverContextToken;
    }
  }

  /** MIG's rules for native C types: only in/out/inout, and ValueOf/PointerToIfNot only in. */
  private checkNativeDirection(a: Argument, type: MigType): void {
    if (!['in', 'out', 'inout'].includes(a.direction)) {
      this.ctx.error(
        'check-native-direction',
        `native type argument '${a.name.name}' needs the direction in, out or inout`,
        a.loc,
      );
    } else if (!type.nativePointer && a.direction !== 'in') {
      this.ctx.error(
        'check-native-direction',
        `ValueOf is only valid for an 'in' argument ('${a.name.name}')`,
        a.loc,
      );
    } else if (type.badValue !== undefined && a.direction !== 'in') {
      this.ctx.error(
        'check-native-direction',
        `PointerToIfNot is only valid for an 'in' argument ('${a.name.name}')`,
        a.loc,
      );
    }
  }

  /** IPC flags after the type; redundant or misplaced ones are warned about and dropped, as MIG does. */
  private parseFlags(flags: ArgFlag[]): number {
    let bits = 0;
    for (const f of flags) {
      if (f.variable) {
        if (f.flag !== 'dealloc') {
          this.ctx.warning(
            'check-flag-ignored',
            `only dealloc can be variable ('${f.flag}[]' is ignored)`,
            f.loc,
          );
        } else bits |= Fl.maybeDealloc;
        continue;
      }
      const bit = this.flagBit(f);
      if (bit === 0) continue;
      if (bits & bit)
        this.ctx.warning(
          'check-flag-redundant',
          `redundant IPC flag '${f.flag}' is ignored`,
          f.loc,
        );
      else bits |= bit;
    }
    return bits;
  }

  private flagBit(f: ArgFlag): number {
    switch (f.flag) {
      case 'dealloc':
        return Fl.dealloc;
      case 'notdealloc':
        return Fl.notDealloc;
      case 'countinout':
        return Fl.countInOut;
      case 'retcode':
        return Fl.retCode;
      case 'samecount':
        this.ctx.appleOnly("the 'samecount' flag", f.loc);
        return Fl.sameCount;
      case 'physicalcopy':
        this.ctx.appleOnly("the 'physicalcopy' flag", f.loc);
        return Fl.physicalCopy;
      case 'overwrite':
        this.ctx.appleOnly("the 'overwrite' flag", f.loc);
        return Fl.overwrite;
      case 'auto':
        this.ctx.appleOnly("the 'auto' flag", f.loc);
        return Fl.auto;
      case 'const':
        this.ctx.appleOnly("the 'const' flag", f.loc);
        return Fl.const;
      case 'servercopy':
        return this.ctx.gnuOnly("the 'servercopy' flag", f.loc) ? Fl.serverCopy : 0;
      case 'islong':
      case 'isnotlong':
        if (this.ctx.gnuOnly(`the '${f.flag}' flag`, f.loc)) {
          this.ctx.warning(
            'check-gnu-flag-ignored',
            `'${f.flag}' has no meaning in Apple's message format; it is ignored`,
            f.loc,
          );
        }
        return 0;
    }
  }

  /** MIG's per-argument pass; implicit arguments inserted here are visited later in the same loop. */
  private checkArguments(rt: Rt): void {
    for (let i = 0; i < rt.args.length; i++) {
      const arg = rt.args[i];
      if (arg.kind === Base.none) arg.kind = rt.requestPort ? Kind.in : Kind.requestPort;
      this.trackSpecial(rt, arg);
      this.setDefaults(rt, arg);
      const t = arg.type;
      if (t) {
        this.deallocFlag(arg, t);
        this.countInOutFlag(arg, t);
        this.sameCountFlag(arg, t);
        this.physicalCopyFlag(arg, t);
        this.retCodeFlag(rt, arg, t);
        this.overwriteFlag(arg, t);
        this.augmentKind(arg, t);
        // Inserting each right after `arg` leaves them as: arg, poly, countInOut, count, dealloc.
        if (arg.dealloc === 'maybe') this.addDealloc(rt, i, arg);
        if (t.varArray || (t.kpdNumber > 1 && t.element?.varArray)) this.addCount(rt, i, arg, t);
        if (arg.countInOut) this.addCountInOut(rt, i, arg);
        if (t.inName === MACH_MSG_TYPE_POLYMORPHIC || t.outName === MACH_MSG_TYPE_POLYMORPHIC)
          this.addPoly(rt, i, arg, t);
        this.detectDescriptor(arg, t);
      }
      this.previousArg = arg;
    }
  }

  /** Remembers request/reply port, timeout and option arguments (the last one wins, as in MIG). */
  private trackSpecial(rt: Rt, arg: Arg): void {
    switch (baseOf(arg.kind)) {
      case Base.requestPort:
        if (rt.requestPort) {
          this.ctx.warning(
            'check-multiple-request-port',
            `routine '${rt.name}' has more than one request port; '${rt.requestPort.name}' is not used`,
            arg.loc,
            [{ message: `'${rt.requestPort.name}' declared here`, loc: rt.requestPort.loc }],
          );
        }
        rt.requestPort = arg;
        break;
      case Base.replyPort:
        if (rt.replyPort) {
          this.ctx.warning(
            'check-multiple-reply-port',
            `routine '${rt.name}' has more than one reply port; '${rt.replyPort.name}' is not used`,
            arg.loc,
            [{ message: `'${rt.replyPort.name}' declared here`, loc: rt.replyPort.loc }],
          );
        }
        rt.replyPort = arg;
        break;
      case Base.waitTime:
        if (rt.waitTime) {
          this.ctx.warning(
            'check-multiple-timeout',
            `routine '${rt.name}' has more than one WaitTime/SendTime argument; '${rt.waitTime.name}' is not used`,
            arg.loc,
          );
        }
        rt.waitTime = arg;
        break;
      case Base.sendTime:
        if (rt.waitTime && baseOf(rt.waitTime.kind) === Base.waitTime) {
          this.ctx.warning(
            'check-multiple-timeout',
            `SendTime argument '${arg.name}' after a WaitTime argument in routine '${rt.name}' is not used`,
            arg.loc,
          );
          break;
        }
        if (rt.waitTime) {
          this.ctx.warning(
            'check-multiple-timeout',
            `routine '${rt.name}' has more than one SendTime argument; '${rt.waitTime.name}' is not used`,
            arg.loc,
          );
        }
        rt.waitTime = arg;
        break;
      case Base.msgOption:
        if (rt.msgOption) {
          this.ctx.warning(
            'check-multiple-msgoption',
            `routine '${rt.name}' has more than one MsgOption argument; '${rt.msgOption.name}' is not used`,
            arg.loc,
          );
        }
        rt.msgOption = arg;
        break;
    }
  }

  /** The message field MIG names for an argument. */
  private setDefaults(rt: Rt, arg: Arg): void {
    switch (baseOf(arg.kind)) {
      case Base.requestPort:
        arg.msgField = 'Head.msgh_request_port';
        break;
      case Base.replyPort:
        arg.msgField = 'Head.msgh_reply_port';
        break;
      case Base.ndr:
        arg.msgField = 'NDR';
        break;
      case Base.secToken:
        arg.msgField = 'msgh_sender';
        break;
      case Base.auditToken:
        arg.msgField = 'msgh_audit';
        break;
      case Base.contextToken:
        arg.msgField = 'msgh_context';
        break;
      case Base.msgSeqno:
        arg.msgField = 'msgh_seqno';
        break;
    }
    // The dispositions of the request and reply ports live in the header bits.
    if (
      arg.parent &&
      (arg.parent === rt.requestPort || arg.parent === rt.replyPort) &&
      baseOf(arg.kind) === Base.poly
    ) {
      arg.msgField = 'Head.msgh_bits';
    }
  }

  private deallocFlag(arg: Arg, t: MigType): void {
    let flags = arg.flags;
    if (flags & Fl.maybeDealloc && flags & (Fl.dealloc | Fl.notDealloc)) {
      this.ctx.warning(
        'check-dealloc-ignored',
        `'${arg.name}': dealloc and notdealloc are ignored with dealloc[]`,
        arg.loc,
      );
      flags &= ~(Fl.dealloc | Fl.notDealloc);
    }
    if ((flags & (Fl.dealloc | Fl.notDealloc)) === (Fl.dealloc | Fl.notDealloc)) {
      this.ctx.warning(
        'check-dealloc-ignored',
        `'${arg.name}': dealloc and notdealloc cancel out`,
        arg.loc,
      );
      flags &= ~(Fl.dealloc | Fl.notDealloc);
    }
    const kernel = this.kernelModes;
    if (
      ((kernel.server && has(arg.kind, F.return)) || (kernel.user && has(arg.kind, F.send))) &&
      flags & Fl.dealloc
    ) {
      // Kernel interfaces may deallocate inline data, for Mach 2.5's sake.
      arg.dealloc = 'yes';
    } else if (flags & (Fl.maybeDealloc | Fl.dealloc)) {
      if (t.inLine && !t.portType) {
        this.ctx.warning(
          'check-dealloc-ignored',
          `'${arg.name}': dealloc is meaningless for inline data and is ignored`,
          arg.loc,
        );
        flags &= ~(Fl.maybeDealloc | Fl.dealloc);
      } else arg.dealloc = flags & Fl.maybeDealloc ? 'maybe' : 'yes';
    }
    arg.flags = flags;
  }

  private countInOutFlag(arg: Arg, t: MigType): void {
    if (!(arg.flags & Fl.countInOut)) return;
    if (!has(arg.kind, F.reply)) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': countinout is ignored, the argument must be out`,
        arg.loc,
      );
      arg.flags &= ~Fl.countInOut;
    } else if (!t.varArray || !t.inLine) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': countinout is ignored, the argument isn't a variable inline array`,
        arg.loc,
      );
      arg.flags &= ~Fl.countInOut;
    } else arg.countInOut = true;
  }

  private sameCountFlag(arg: Arg, t: MigType): void {
    if (!(arg.flags & Fl.sameCount)) return;
    if (!t.varArray) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': samecount is ignored, the argument is not variable`,
        arg.loc,
      );
      arg.flags &= ~Fl.sameCount;
      return;
    }
    let other = this.previousArg;
    if (other?.parent) other = other.parent;
    if (other?.sameCount) other = other.sameCount;
    if (!other || !other.type?.varArray) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': samecount is ignored, the argument before it is not variable`,
        arg.loc,
      );
      arg.flags &= ~Fl.sameCount;
      return;
    }
    const mask = 0x1f | F.send | F.return | F.request | F.reply | F.userArg | F.serverArg;
    if ((other.kind & mask) !== (arg.kind & mask) || other.countInOut !== arg.countInOut) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': samecount is ignored, its direction or flags differ from '${other.name}'`,
        arg.loc,
      );
      arg.flags &= ~Fl.sameCount;
      return;
    }
    const mine = t.number / (t.element?.number || 1);
    const theirs = other.type.number / (other.type.element?.number || 1);
    if (mine !== theirs) {
      this.ctx.error(
        'check-count-bound',
        `'${arg.name}' shares the count of '${other.name}' (samecount) but their bounds differ (${mine} and ${theirs}): the shared count could exceed one bound`,
        arg.loc,
        [{ message: `'${other.name}' declared here`, loc: other.loc }],
      );
    }
    arg.sameCount = other;
  }

  private physicalCopyFlag(arg: Arg, t: MigType): void {
    if (!(arg.flags & Fl.physicalCopy)) return;
    if (t.inLine) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': physicalcopy is ignored, the argument is copied inline anyway`,
        arg.loc,
      );
      arg.flags &= ~Fl.physicalCopy;
    }
    if (t.portType) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': physicalcopy is ignored, it does not apply to ports`,
        arg.loc,
      );
      arg.flags &= ~Fl.physicalCopy;
    }
  }

  private retCodeFlag(rt: Rt, arg: Arg, t: MigType): void {
    if (!(arg.flags & Fl.retCode)) return;
    if (!t.inLine || !t.struct || t.size !== 32 || t.number !== 1) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': retcode is ignored, the type is not a 32-bit return code`,
        arg.loc,
      );
      arg.flags &= ~Fl.retCode;
    } else if (!rt.oneWay) {
      this.ctx.error(
        'check-retcode-routine',
        `'${arg.name}': retcode is allowed only in a simpleroutine`,
        arg.loc,
      );
    } else if (rt.retCodeArg) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': retcode is ignored, only one argument can be the return code`,
        arg.loc,
      );
      arg.flags &= ~Fl.retCode;
    } else rt.retCodeArg = arg;
  }

  private overwriteFlag(arg: Arg, t: MigType): void {
    if (!(arg.flags & Fl.overwrite)) return;
    if (t.inLine || t.migInLine || !has(arg.kind, F.return) || has(arg.kind, F.send)) {
      this.ctx.warning(
        'check-flag-ignored',
        `'${arg.name}': overwrite is ignored, the argument must be out and out-of-line`,
        arg.loc,
      );
      arg.flags &= ~Fl.overwrite;
    }
  }

  /** Marks variable inline data (never inout) and arguments the server must hold in a local. */
  private augmentKind(arg: Arg, t: MigType): void {
    if (isVariableInline(t)) {
      if (hasAll(arg.kind, F.request | F.reply)) {
        this.ctx.error(
          'check-inout-variable',
          `'${arg.name}': an inline variable-sized array can't be inout (its count would have to fit both messages)`,
          arg.loc,
        );
      }
      arg.kind |= F.variable;
    }
    if (isOptionalNative(t)) arg.kind |= F.variable;
    const base = baseOf(arg.kind);
    if (
      (t.outTrans && has(arg.kind, F.returnSnd)) ||
      (t.inTrans && hasAll(arg.kind, F.sendRcv | F.returnSnd)) ||
      (t.destructor && has(arg.kind, F.sendRcv) && !has(arg.kind, F.returnSnd) && t.inTrans) ||
      t.kpdNumber > 1 ||
      ((base === Base.poly || base === Base.dealloc) && has(arg.kind, F.returnSnd))
    ) {
      arg.kind = without(arg.kind, F.replyCopy) | F.varNeeded;
    }
  }

  private insertAfter(rt: Rt, i: number, arg: Arg): void {
    rt.args.splice(i + 1, 0, arg);
  }

  private addCount(rt: Rt, i: number, arg: Arg, t: MigType): void {
    if (t.kpdNumber > 1 && !t.inLine && (t.varArray || t.element?.varArray)) {
      // Per-region counts (or a count of regions) have no consistent receiver checks in Apple's MIG.
      this.ctx.error(
        'check-unsupported',
        `'${arg.name}': an array of out-of-line regions whose number or sizes vary needs per-element counts, which tsmig does not support`,
        arg.loc,
      );
      return;
    }
    const count = newArg(`${arg.name}Cnt`, Kind.count, this.intType, arg.loc);
    count.implicit = true;
    count.parent = arg;
    count.multiplier = t.kpdNumber > 1 ? 1 : (t.element?.number ?? 1);
    arg.count = count;
    if (t.string) {
      // A C string's count is in the message but is no parameter on either side.
      count.kind = Base.count | (has(arg.kind, F.send) ? F.sendRcv : F.returnRcv);
    } else {
      count.kind |= arg.kind & ~0x1f;
      count.kind = without(count.kind, F.variable | F.varNeeded);
      // The count of inline variable data is declared inside its field group.
      if (isVariableInline(t)) count.kind = without(count.kind, F.request | F.reply);
    }
    this.insertAfter(rt, i, count);
  }

  private addCountInOut(rt: Rt, i: number, arg: Arg): void {
    const count = newArg(`${arg.name}Cnt`, Kind.countInOut, this.intType, arg.loc);
    count.implicit = true;
    count.parent = arg;
    arg.countInOutArg = count;
    this.insertAfter(rt, i, count);
  }

  private addPoly(rt: Rt, i: number, arg: Arg, t: MigType): void {
    const poly = newArg(`${arg.name}Poly`, Base.poly, this.intType, arg.loc);
    poly.implicit = true;
    poly.parent = arg;
    arg.poly = poly;
    const kernel = this.kernelModes;
    let sendBits = F.send;
    let returnBits = F.return;
    if (t.inName === MACH_MSG_TYPE_POLYMORPHIC) {
      sendBits |= F.userArg | F.sendSnd;
      if (!kernel.server) returnBits |= F.serverArg | F.returnSnd;
    }
    if (t.outName === MACH_MSG_TYPE_POLYMORPHIC) {
      sendBits |= F.serverArg | F.sendRcv;
      returnBits |= F.userArg | F.returnRcv;
      if (kernel.server) returnBits |= F.serverArg | F.returnSnd;
    }
    if (has(arg.kind, F.send)) poly.kind |= arg.kind & sendBits;
    if (has(arg.kind, F.return)) poly.kind |= arg.kind & returnBits;
    this.insertAfter(rt, i, poly);
  }

  private addDealloc(rt: Rt, i: number, arg: Arg): void {
    const flag = newArg(`${arg.name}Dealloc`, Base.dealloc, this.intType, arg.loc);
    flag.implicit = true;
    flag.parent = arg;
    arg.deallocArg = flag;
    if (has(arg.kind, F.send)) flag.kind |= arg.kind & (F.userArg | F.send | F.sendSnd);
    if (has(arg.kind, F.return)) {
      flag.kind |= arg.kind & (F.serverArg | F.return | F.returnSnd);
      flag.byRefServer = true;
    }
    this.insertAfter(rt, i, flag);
  }

  /** Data sent as descriptors moves from the body bits to the descriptor bits. */
  private detectDescriptor(arg: Arg, t: MigType): void {
    if (!isDescriptorData(t)) return;
    if (has(arg.kind, F.sendBody)) arg.kind = without(arg.kind, F.sendBody) | F.sendKPD;
    if (has(arg.kind, F.returnBody)) arg.kind = without(arg.kind, F.returnBody) | F.returnKPD;
    arg.kpd = t.inLine ? 'port' : t.portType ? 'oolPorts' : 'ool';
  }

  /** The subsystem's KernelUser/KernelServer modifiers for the routine being checked. */
  private kernelModes = { user: false, server: false };

  /** The reply port, message option and timeout MIG supplies when the routine gives none. */
  private addDefaults(rt: Rt, env: RoutineEnv, stmt: RoutineStmt): void {
    if (!rt.replyPort) {
      const port = newArg('dummy ReplyPort arg', Base.replyPort, this.replyPortType, stmt.loc);
      port.internal = true;
      port.msgField = 'Head.msgh_reply_port';
      const at = rt.requestPort ? rt.args.indexOf(rt.requestPort) + 1 : 0;
      rt.args.splice(at, 0, port);
      rt.replyPort = port;
    }
    if (!rt.msgOption) {
      const option = newArg(
        env.msgOption ?? 'MACH_MSG_OPTION_NONE',
        Base.msgOption,
        this.intType,
        stmt.loc,
      );
      option.internal = true;
      rt.args.unshift(option);
      rt.msgOption = option;
    }
    if (!rt.waitTime && (env.waitTime !== null || env.sendTime !== null)) {
      const text = env.waitTime ?? env.sendTime!;
      const timeout = newArg(
        text,
        env.waitTime !== null ? Base.waitTime : Base.sendTime,
        this.intType,
        stmt.loc,
      );
      timeout.internal = true;
      rt.args.splice(rt.args.indexOf(rt.msgOption) + 1, 0, timeout);
      rt.waitTime = timeout;
    }
    if (rt.waitTime && env.consumeOnSendError === 'none' && this.ctx.dialect === 'apple') {
      this.ctx.warning(
        'check-timeout-may-leak',
        `routine '${rt.name}' has a SendTime/WaitTime, which may leak the rights and memory of a message whose send times out; add 'ConsumeOnSendError Timeout'`,
        rt.waitTime.internal ? stmt.name.loc : rt.waitTime.loc,
      );
    }
  }

  /** Checks that need every argument in place. */
  private checkWhole(rt: Rt, env: RoutineEnv, stmt: RoutineStmt): void {
    const kindName = rt.oneWay ? 'simpleroutine' : 'routine';
    if (!rt.requestPort) {
      this.ctx.error(
        'check-no-request-port',
        `${kindName} '${rt.name}' has no request (server) port argument`,
        stmt.name.loc,
      );
    } else if (rt.requestPort.type && !this.isProperPort(rt.requestPort.type, false)) {
      this.ctx.error(
        'check-bad-request-port',
        `argument '${rt.requestPort.name}' isn't a proper request port (it must be a single send or send-once right)`,
        rt.requestPort.loc,
      );
    }
    if (
      rt.replyPort &&
      !rt.replyPort.internal &&
      rt.replyPort.type &&
      !this.isProperPort(rt.replyPort.type, true)
    ) {
      this.ctx.error(
        'check-bad-reply-port',
        `argument '${rt.replyPort.name}' isn't a proper reply port (it must be a single send or send-once right)`,
        rt.replyPort.loc,
      );
    }
    for (const special of [rt.waitTime, rt.msgOption]) {
      if (special && !special.internal && special.type && !this.isProperInt(special.type)) {
        this.ctx.error(
          'check-bad-integer',
          `argument '${special.name}' isn't a proper 32-bit integer`,
          special.loc,
        );
      }
    }
    const trailerArgs = rt.args.filter((a) => has(a.kind, F.serverImplicit | F.userImplicit));
    if ((env.kernelServer || env.kernelUser) && trailerArgs.length > 0) {
      this.ctx.error(
        'check-trailer-kernel',
        'trailer arguments (msgseqno, security/audit/context tokens) are not supported in KernelUser and KernelServer interfaces',
        trailerArgs[0].loc,
      );
    }
    for (const a of trailerArgs) this.checkTrailerType(a);
    for (const a of rt.args) this.checkTranslations(a);
    if (rt.oneWay) {
      const out = rt.args.find((a) => !a.internal && has(a.kind, F.return));
      if (out) {
        this.ctx.error(
          'check-oneway-out',
          `simpleroutine '${rt.name}' has an argument returned to the caller ('${out.name}'), but a simpleroutine has no reply`,
          out.loc,
        );
      }
    }
    this.checkDuplicateNames(rt);
    if (rt.args.some((a) => a.type?.native && !a.internal)) {
      const native = rt.args.find((a) => a.type?.native)!;
      this.ctx.error(
        'check-native-unsupported',
        `'${native.name}': a native C type has a size only the C compiler knows, so tsmig can't lay out the message`,
        native.loc,
      );
    }
  }

  /** MIG's request/reply port test: one inline send (or send-once, or polymorphic) right. */
  private isProperPort(t: MigType, reply: boolean): boolean {
    const okName =
      t.outName === PortDisposition.MOVE_SEND ||
      t.outName === PortDisposition.MOVE_SEND_ONCE ||
      t.outName === MACH_MSG_TYPE_POLYMORPHIC ||
      (reply && t.outName === 0);
    return okName && t.number === 1 && t.size === 32 && t.inLine && t.struct && !t.varArray;
  }

  private isProperInt(t: MigType): boolean {
    return (
      t.inName === 2 &&
      t.outName === 2 &&
      t.number === 1 &&
      t.size === 32 &&
      t.inLine &&
      t.struct &&
      !t.varArray
    );
  }

  /** Trailer elements have fixed sizes; a type of another size can't receive them. */
  private checkTrailerType(a: Arg): void {
    const t = a.type;
    if (!t) return;
    const base = baseOf(a.kind);
    const expected =
      base === Base.msgSeqno
        ? 4
        : base === Base.secToken
          ? 8
          : base === Base.auditToken
            ? 32
            : base === Base.contextToken
              ? 8
              : 0;
    if (expected === 0) return;
    if (!t.inLine || t.varArray || t.portType || t.typeSize !== expected) {
      this.ctx.warning(
        'check-trailer-type',
        `'${a.name}' receives a ${expected}-byte trailer element, but its type is not ${expected} bytes of inline data`,
        a.loc,
      );
    }
  }

  /** MIG warns when a type's server and translated C types differ but no function converts them. */
  private checkTranslations(a: Arg): void {
    const t = a.type;
    if (
      !t ||
      a.internal ||
      t.serverType === null ||
      t.transType === null ||
      t.serverType === t.transType
    )
      return;
    if (has(a.kind, F.sendRcv) && !t.inTrans) {
      this.ctx.warning(
        'check-missing-translation',
        `'${a.name}': argument has no in-translation function`,
        a.loc,
      );
    }
    if (has(a.kind, F.returnSnd) && !t.outTrans) {
      this.ctx.warning(
        'check-missing-translation',
        `'${a.name}': argument has no out-translation function`,
        a.loc,
      );
    }
  }

  /** Two parameters or message fields with one name would not compile. */
  private checkDuplicateNames(rt: Rt): void {
    const seen = new Map<string, Arg>();
    for (const a of rt.args) {
      if (a.internal) continue;
      const first = seen.get(a.name);
      // CountInOut's two counts share one name on purpose; a SameCount count is no parameter.
      const pairedCounts =
        a.implicit &&
        first?.implicit &&
        (a.kind === Kind.countInOut || first.kind === Kind.countInOut);
      if (baseOf(a.kind) === Base.sameCount) continue;
      if (first && !pairedCounts) {
        const implicitNote = a.implicit
          ? ` (the implicit ${this.implicitWhat(a)} of '${a.parent!.name}')`
          : '';
        this.ctx.error(
          'check-duplicate-argument',
          `routine '${rt.name}' has two arguments named '${a.name}'${implicitNote}`,
          a.loc,
          [{ message: `'${first.name}' first declared here`, loc: first.loc }],
        );
      } else if (!first) seen.set(a.name, a);
    }
  }

  private implicitWhat(a: Arg): string {
    switch (baseOf(a.kind)) {
      case Base.poly:
        return 'disposition';
      case Base.dealloc:
        return 'dealloc flag';
      default:
        return 'count';
    }
  }

  /** The rest of MIG's routine pass, run only on routines without errors. */
  private finish(rt: Rt, env: RoutineEnv, simpleRequest: boolean): void {
    const overwrite = rt.args.find((a) => a.flags & Fl.overwrite);
    if (overwrite && env.kernelUser) {
      this.ctx.error(
        'check-overwrite-kerneluser',
        'overwrite arguments are not supported in a KernelUser interface',
        overwrite.loc,
      );
    }
    this.checkDestroy(rt);
    this.byReference(rt, env);
    this.replaceSameCounts(rt);
    // A RetCode-flagged argument of a complex simpleroutine request is read but not laid out.
    if (rt.retCodeArg && !simpleRequest) {
      rt.retCodeArg.kind = Base.retCode | F.userArg | F.serverArg | F.sendRcv;
    }
  }

  private checkDestroy(rt: Rt): void {
    for (const a of rt.args) {
      const t = a.type;
      if (!t) continue;
      if (has(a.kind, F.sendRcv) && !has(a.kind, F.returnSnd) && (t.destructor || t.migInLine))
        a.kind |= F.destroy;
      const isIn = baseOf(a.kind) === Base.normal && has(a.kind, F.request);
      if (isIn && has(a.kind, F.sendKPD | F.returnKPD) && a.kpd === 'ool' && a.flags & Fl.auto)
        a.kind |= F.destroy;
    }
  }

  private byReference(rt: Rt, env: RoutineEnv): void {
    for (const a of rt.args) {
      const t = a.type;
      if (!t) continue;
      if (has(a.kind, F.returnRcv) && t.struct) {
        a.byRefUser = true;
        if (a.countInOutArg) a.countInOutArg.byRefUser = true;
      }
      const serverGets =
        has(a.kind, F.returnSnd) ||
        (has(a.kind, F.serverImplicit) && has(a.kind, F.returnRcv) && has(a.kind, F.sendRcv));
      if (serverGets && t.struct) {
        a.byRefServer = true;
        if (env.kernelServer && isDescriptorData(t)) a.kind |= F.varNeeded;
      }
    }
  }

  /** A SameCount array gives up its own count and uses the previous array's. */
  private replaceSameCounts(rt: Rt): void {
    for (const a of [...rt.args]) {
      if (!(a.flags & Fl.sameCount) || !a.sameCount?.count || !a.count) continue;
      const mine = a.count;
      const shared = newArg(
        a.sameCount.count.name,
        Base.sameCount | (mine.kind & F.varNeeded),
        mine.type,
        a.loc,
      );
      shared.implicit = true;
      shared.parent = a;
      shared.multiplier = mine.multiplier;
      a.sameCount.count.kind |= mine.kind & F.varNeeded;
      rt.args[rt.args.indexOf(mine)] = shared;
      a.count = shared;
    }
  }

  /** States the checked routine in IR terms. */
  private toIr(
    rt: Rt,
    stmt: RoutineStmt,
    env: RoutineEnv,
    kind: 'routine' | 'simpleroutine',
    number: number,
    invalid: boolean,
    simpleRequest: boolean,
    simpleReply: boolean,
  ): IrRoutine {
    const visible = rt.args.filter((a) => !a.internal && a.type);
    const args = visible.map((a) => this.irArg(rt, a));
    const trailer = (side: number): TrailerElement[] => {
      const out: TrailerElement[] = [];
      for (const a of visible) {
        const element = trailerElementOf(a);
        if (element && has(a.kind, side) && !out.includes(element)) out.push(element);
      }
      return out;
    };
    const reply = rt.replyPort!;
    const replyPort: IrReplyPort = reply.internal
      ? { kind: 'default', disposition: rt.oneWay ? 'none' : 'MACH_MSG_TYPE_MAKE_SEND_ONCE' }
      : {
          kind: 'argument',
          argument: reply.name,
          side: hasAll(reply.kind, F.userArg | F.serverArg)
            ? 'both'
            : has(reply.kind, F.userArg)
              ? 'user'
              : 'server',
        };
    let timeout: IrTimeout | null = null;
    if (rt.waitTime) {
      const which = baseOf(rt.waitTime.kind) === Base.sendTime ? 'sendTime' : 'waitTime';
      timeout = rt.waitTime.internal
        ? { kind: which, text: rt.waitTime.name }
        : { kind: which, argument: rt.waitTime.name };
    }
    const msgOption = rt.msgOption!.internal
      ? { text: rt.msgOption!.name }
      : { argument: rt.msgOption!.name };
    const explicitReply = !reply.internal && has(reply.kind, F.userArg);
    return deepFreeze({
      name: rt.name,
      kind,
      oneWay: rt.oneWay,
      number,
      id: number,
      replyId: number + 100,
      userName: env.userPrefix + rt.name,
      serverName: env.serverPrefix + rt.name,
      errorProc: env.errorProc,
      loc: plainRange(stmt.loc) as Range,
      args,
      requestPort: rt.requestPort && rt.requestPort.type ? rt.requestPort.name : null,
      replyPort,
      timeout,
      msgOption,
      simpleRequest,
      simpleReply,
      serverTrailer: trailer(F.serverImplicit),
      userTrailer: trailer(F.userImplicit),
      useSpecialReplyPort: env.useSpecialReplyPort && !rt.oneWay && !explicitReply,
      consumeOnSendError: env.consumeOnSendError,
      noReplyArgs: !rt.args.some((a) => has(a.kind, F.returnSnd)),
      invalid,
    });
  }

  private irArg(rt: Rt, a: Arg): IrArgument {
    const t = a.type!;
    const base = baseOf(a.kind);
    const out: IrArgument = {
      name: a.name,
      kind: irKind(a),
      implicit: a.implicit,
      loc: plainRange(a.loc) as Range,
      type: this.types.freeze(t),
      userParameter: has(a.kind, F.userArg),
      serverParameter: has(a.kind, F.serverArg),
      byReferenceUser: a.byRefUser,
      byReferenceServer: a.byRefServer,
      inRequest: carried(a, true),
      inReply: carried(a, false),
      requestPlacement: placement(rt, a, 'request'),
      replyPlacement: placement(rt, a, 'reply'),
      msgField: a.msgField,
      dealloc: a.dealloc,
      flags: irFlags(a.flags),
      serverDestroys: has(a.kind, F.destroy),
    };
    if (a.parent) out.parent = a.parent.name;
    if (a.kpd && (out.requestPlacement === 'descriptor' || out.replyPlacement === 'descriptor'))
      out.descriptor = a.kpd;
    const element = trailerElementOf(a);
    if (element) {
      out.trailer = element;
      out.trailerSide = hasAll(a.kind, F.serverImplicit | F.userImplicit)
        ? 'both'
        : has(a.kind, F.serverImplicit)
          ? 'server'
          : 'user';
    }
    if (a.count) out.countArg = a.count.name;
    if (a.countInOutArg) out.countInOutArg = a.countInOutArg.name;
    if (a.poly) out.polyArg = a.poly.name;
    if (a.deallocArg) out.deallocArg = a.deallocArg.name;
    if (a.sameCount && a.flags & Fl.sameCount) out.sameCountAs = a.sameCount.name;
    if (base === Base.count || base === Base.sameCount) out.multiplier = a.multiplier;
    return out;
  }
}

function irKind(a: Arg): IrArgKind {
  const base = baseOf(a.kind);
  switch (base) {
    case Base.normal:
      return hasAll(a.kind, F.request | F.reply) ? 'inout' : has(a.kind, F.request) ? 'in' : 'out';
    case Base.requestPort:
      return 'requestPort';
    case Base.replyPort:
      return 'replyPort';
    case Base.waitTime:
      return 'waitTime';
    case Base.sendTime:
      return 'sendTime';
    case Base.msgOption:
      return 'msgOption';
    case Base.msgSeqno:
      return 'msgSeqno';
    case Base.secToken:
      return 'secToken';
    case Base.auditToken:
      return 'auditToken';
    case Base.contextToken:
      return 'contextToken';
    case Base.count:
      return 'count';
    case Base.countInOut:
      return 'countInOut';
    case Base.poly:
      return 'poly';
    case Base.dealloc:
      return 'dealloc';
    case Base.sameCount:
      return 'sameCount';
    case Base.retCode:
      return 'retCode';
    default:
      // Generic ServerImpl/UserImpl arguments were reported; they read no field.
      return has(a.kind, F.serverImplicit) ? 'msgSeqno' : 'in';
  }
}

function trailerElementOf(a: Arg): TrailerElement | undefined {
  switch (baseOf(a.kind)) {
    case Base.msgSeqno:
      return 'seqno';
    case Base.secToken:
      return 'sender';
    case Base.auditToken:
      return 'audit';
    case Base.contextToken:
      return 'context';
    default:
      return undefined;
  }
}

/** Where an argument's value sits in one of the two messages. */
function placement(rt: Rt, a: Arg, which: 'request' | 'reply'): Placement {
  const req = which === 'request';
  if (!carried(a, req)) return 'none';
  const base = baseOf(a.kind);
  if (has(a.kind, req ? F.serverImplicit : F.userImplicit)) return 'trailer';
  if (has(a.kind, req ? F.sendKPD : F.returnKPD)) return 'descriptor';
  if (base === Base.requestPort || base === Base.replyPort) return req ? 'header' : 'none';
  if (base === Base.poly || base === Base.dealloc) {
    if (a.parent === rt.requestPort || a.parent === rt.replyPort) return req ? 'header' : 'none';
    return a.parent?.kpd ? 'descriptor' : 'none';
  }
  if (hasAll(a.kind, (req ? F.request : F.reply) | (req ? F.sendBody : F.returnBody)))
    return 'body';
  // The count of inline variable data (and of a C string) is part of its parent's fields.
  if (
    (base === Base.count || base === Base.sameCount) &&
    a.parent?.type &&
    isVariableInline(a.parent.type)
  ) {
    return base === Base.sameCount ? 'none' : 'body';
  }
  return 'none';
}

/** The count of inline variable data travels wherever its data does. */
function carried(a: Arg, request: boolean): boolean {
  const base = baseOf(a.kind);
  const owner =
    (base === Base.count || base === Base.sameCount) &&
    a.parent?.type &&
    isVariableInline(a.parent.type)
      ? a.parent
      : a;
  return has(owner.kind, request ? F.send : F.return);
}

function irFlags(flags: number): IrArgFlags {
  return {
    physicalCopy: (flags & Fl.physicalCopy) !== 0,
    overwrite: (flags & Fl.overwrite) !== 0,
    countInOut: (flags & Fl.countInOut) !== 0,
    sameCount: (flags & Fl.sameCount) !== 0,
    retCode: (flags & Fl.retCode) !== 0,
    auto: (flags & Fl.auto) !== 0,
    const: (flags & Fl.const) !== 0,
    serverCopy: (flags & Fl.serverCopy) !== 0,
  };
}
