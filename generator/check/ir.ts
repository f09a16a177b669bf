// Check stage output: the interface model (IR) every later stage reads.
//
// The checker (check.ts) turns a .defs AST into one `InterfaceIR`: every type
// resolved through its alias chain to the facts MIG computes for it, every
// routine with its message ids and the full argument list MIG works with
// (the arguments written plus the implicit ones MIG adds: counts, poly
// dispositions, dealloc flags). The IR is plain data: frozen, JSON-
// serialisable, no cycles, no functions. Emitters and the layout module read
// it and never look at the AST again. Names are kept as MIG spells them
// (`dataCnt`, `Head.msgh_request_port`), so generated code can be Apple-
// compatible, and each part keeps the `Range` it was declared at, so output
// can say "generated from calc.defs:12".

import type { Range } from '../source.js';

/** Which MIG's rules the checker follows. Layouts are always Apple's. */
export type Dialect = 'apple' | 'gnu';

/** The whole checked interface. */
export interface InterfaceIR {
  /** Version of this JSON shape; bumped on incompatible changes. */
  irVersion: 1;
  dialect: Dialect;
  /** The main .defs file as it was named to tsmig. */
  file: string;
  /** The `subsystem` statement (the last one, as MIG uses); null when missing (an error was reported). */
  subsystem: IrSubsystem | null;
  /** Name of the server demux function: `ServerDemux`, or `<subsystem>_server`. */
  serverDemux: string;
  /** Name of MIG's server subsystem table: `<ServerPrefix><subsystem>_subsystem`. */
  serverSubsystem: string;
  /** The `ServerPrefix` and `UserPrefix` in force at the end of the file (each routine records its own). */
  serverPrefix: string;
  userPrefix: string;
  /** `Error` statement: the error procedure's name (MIG's default `MsgError`). */
  errorProc: string;
  /** `RCSId "…"` text as written, without quotes. */
  rcsId?: string;
  /** `import`/`uimport`/`simport`/`dimport`/`iimport` statements in order. */
  imports: IrImport[];
  /** Every named type in declaration order (a redefinition appears again, and the later one is used from there on). */
  types: IrType[];
  /** Routines in declaration order (skipped ids have no entry). */
  routines: IrRoutine[];
  /**
   * How many message ids the subsystem covers: routines plus skipped slots,
   * so ids run from `subsystem.base` to `subsystem.base + idCount - 1`.
   */
  idCount: number;
  /** Values of the file-wide options at the end of the file. */
  options: IrGlobalOptions;
}

/** `subsystem [KernelUser] [KernelServer] name base;` */
export interface IrSubsystem {
  name: string;
  base: number;
  kernelUser: boolean;
  kernelServer: boolean;
  loc: Range;
}

/** An import statement: a C header the generated code includes. */
export interface IrImport {
  which: 'import' | 'uimport' | 'simport' | 'dimport' | 'iimport';
  /** The file with its delimiters, as MIG writes it into `#include` (`<mach/std_types.h>`, `"x.h"`). */
  file: string;
  loc: Range;
}

/** File-wide options (statements whose value later routines pick up). */
export interface IrGlobalOptions {
  /** `UseSpecialReplyPort 1` was seen anywhere. */
  useSpecialReplyPort: boolean;
  /** `UserTypeLimit N`; null when not given. */
  userTypeLimit: number | null;
  /** `OnStackLimit N`; null when not given. */
  onStackLimit: number | null;
}

/** How a value of a type travels in a message. */
export type TypeCategory =
  /** Bytes in the message body (scalars, structs, inline arrays, strings). */
  | 'inline'
  /** One port descriptor, or several for an inline array of ports. */
  | 'port'
  /** An out-of-line memory descriptor (or several). */
  | 'ool'
  /** An out-of-line ports descriptor (or several). */
  | 'oolPorts';

/** Signedness of an integer type, read from well-known C names in its alias chain. */
export type Signedness = 'signed' | 'unsigned' | 'unspecified';

/** A resolved MIG type with the facts MIG computes for it. */
export interface IrType {
  /** MIG's name for the type; null for an anonymous part (an array's element written in place). */
  name: string | null;
  /** Where the type was declared (absent for anonymous parts and built-ins). */
  loc?: Range;
  /** For `type a = b`: the names `a` stands for, nearest first (`['int', 'int32_t']`). Empty when the declaration is not an alias. */
  aliasChain: string[];
  /** The type's structure, with aliases resolved away. */
  shape: IrTypeShape;
  category: TypeCategory;
  /** The IPC element: sent and received type numbers and names, bits per element. */
  ipc: IrIpc;
  /** MIG's element count: elements of `ipc` in one value; for a bounded array the maximum; 0 for an unbounded array. */
  elementCount: number;
  /** The value's count travels with it (`array[*:N]`, `array[]`, `c_string[*:N]`). */
  variable: boolean;
  /** `array[] of T`: presented to callers as an array, always sent out-of-line. */
  unbounded: boolean;
  /** A C string (`c_string[…]` or GNU's `MACH_MSG_TYPE_STRING`). */
  string: boolean;
  /** Assigned by value in C (MIG's itStruct): scalars, `struct[N]`, out-of-line pointers. */
  byValue: boolean;
  /** Bytes of the data in the message body: the maximum for a variable inline array; for descriptors, 12 per descriptor (MIG's count, not the descriptor's real size). */
  byteSize: number;
  /** Bytes of padding MIG adds after the data to reach 4-byte alignment. */
  padBytes: number;
  /** Port, OOL or OOL-ports descriptors one value occupies (0 for inline). */
  descriptorCount: number;
  /** For a bounded out-of-line array, the maximum element count the receiver accepts; null otherwise. */
  oolMaxCount: number | null;
  /**
   * What a count counts (MIG's element type), for variable arrays (inline,
   * out-of-line, of ports) and arrays of descriptors; null otherwise (a fixed
   * inline array is described by `shape`).
   */
  arrayElement: IrType | null;
  /** With `arrayElement`: how many of them fit (the bound; 0 unbounded; the descriptor count for arrays of descriptors). */
  arrayLength: number;
  /** A port whose disposition is chosen at run time: `sent`, `received`, `both` or `none`. */
  polymorphic: 'none' | 'sent' | 'received' | 'both';
  signedness: Signedness;
  /** C types of generated code (MIG's cusertype / cservertype / translated type). */
  cUserType: string;
  cServerType: string;
  cTransType: string;
  /** `intran: TransType Func(ServerType)`. */
  inTran?: IrTranslation;
  /** `outtran: ServerType Func(TransType)`. */
  outTran?: IrTranslation;
  /** `destructor: Func(TransType)`. */
  destructor?: IrTranslation;
  /** GNU's `intranpayload: TransType Func`. */
  inTranPayload?: IrTranslation;
  /** A native C type (`PointerTo`, `PointerToIfNot`, `ValueOf`). */
  native?: { pointer: boolean; badValue?: string };
}

/** A translation or destructor function named in a type declaration. */
export interface IrTranslation {
  function: string;
  /** The type the function takes or returns, as written. */
  transType: string;
  serverType?: string;
  loc: Range;
}

/** IPC type numbers and names of one element. */
export interface IrIpc {
  /** The number sent (a disposition for ports, `0xffffffff` when polymorphic). */
  sent: number;
  /** `MACH_MSG_TYPE_COPY_SEND`, or the number as text when written as a number. */
  sentName: string;
  /** The number a receiver sees. */
  received: number;
  receivedName: string;
  /** Bits per element (MIG's itSize). */
  bits: number;
}

/** The structure of a type as declared. */
export type IrTypeShape =
  /** One IPC element: a scalar or a port. */
  | { kind: 'basic' }
  /** `array[N]`, `array[*:N]`, `array[]` / `array[*]` of an element. */
  | { kind: 'array'; bound: 'fixed' | 'bounded' | 'unbounded'; length: number; element: IrType }
  /** `struct[N] of T`. */
  | { kind: 'struct'; length: number; element: IrType }
  /** `^T`: `target` sent out-of-line. */
  | { kind: 'pointer'; target: IrType }
  /** `c_string[N]` or `c_string[*:N]`: `length` is the buffer size including the NUL. */
  | { kind: 'cstring'; length: number; variable: boolean }
  /** `PointerTo(…)`, `PointerToIfNot(…, …)`, `ValueOf(…)`. */
  | { kind: 'native'; form: 'pointerto' | 'pointertoifnot' | 'valueof'; cType: string }
  /** GNU's `struct { T a; … }`, laid out the way GNU MIG lays it out. */
  | { kind: 'gnuStruct'; fields: Array<{ name: string; type: IrType }> };

/** What an argument is, after MIG's defaults are applied. */
export type IrArgKind =
  | 'in'
  | 'out'
  | 'inout'
  | 'requestPort'
  | 'replyPort'
  | 'waitTime'
  | 'sendTime'
  | 'msgOption'
  | 'msgSeqno'
  | 'secToken'
  | 'auditToken'
  | 'contextToken'
  /** A variable array's element count (implicit). */
  | 'count'
  /** The count an `out` array's caller passes in, with `CountInOut` (implicit). */
  | 'countInOut'
  /** The run-time disposition of a polymorphic port (implicit). */
  | 'poly'
  /** The run-time deallocate flag of a `dealloc[]` argument (implicit). */
  | 'dealloc'
  /** A `SameCount` array's count, taken from the previous array (implicit, not in the message). */
  | 'sameCount'
  /** An argument flagged `RetCode` in a simpleroutine whose request is complex. */
  | 'retCode';

/** A trailer element (Apple's `mach_msg_max_trailer_t` field) an argument reads. */
export type TrailerElement = 'seqno' | 'sender' | 'audit' | 'context';

/** One argument of a routine, written or implicit. */
export interface IrArgument {
  /** MIG's name (`data`, implicit `dataCnt`, `portPoly`, `dataDealloc`). */
  name: string;
  kind: IrArgKind;
  /** True for arguments MIG adds (count, countInOut, poly, dealloc, sameCount). */
  implicit: boolean;
  /** For implicit arguments: the argument they belong to. */
  parent?: string;
  /** Where it was written (for implicit arguments, where the parent was written). */
  loc: Range;
  type: IrType;
  /** A parameter of the user-side (client) function. */
  userParameter: boolean;
  /** A parameter of the server-side (handler) function. */
  serverParameter: boolean;
  /** Passed by pointer on the user side (outs, and counts of outs). */
  byReferenceUser: boolean;
  /** Passed by pointer to the server handler. */
  byReferenceServer: boolean;
  /** The value travels in the request message (body, descriptor, header or trailer). */
  inRequest: boolean;
  /** The value travels in the reply message. */
  inReply: boolean;
  /** Where in the request the value lives: a body field, a descriptor, the header, the trailer, or nowhere. */
  requestPlacement: Placement;
  replyPlacement: Placement;
  /** The struct member MIG names for it (`data`, `Head.msgh_request_port`, `msgh_audit`). */
  msgField: string;
  /** Descriptor kind when the value is sent as kernel-processed data. */
  descriptor?: 'port' | 'ool' | 'oolPorts';
  /** Trailer element, for msgseqno and token arguments. */
  trailer?: TrailerElement;
  /** For trailer arguments: which side reads the trailer. */
  trailerSide?: 'server' | 'user' | 'both';
  /** `dealloc` (yes), `dealloc[]` (maybe: decided by the implicit dealloc argument), or no. */
  dealloc: 'no' | 'yes' | 'maybe';
  flags: IrArgFlags;
  /** Names of the implicit companions of this argument. */
  countArg?: string;
  countInOutArg?: string;
  polyArg?: string;
  deallocArg?: string;
  /** `SameCount`: the argument whose count this one shares. */
  sameCountAs?: string;
  /** For count arguments: the count times this is the number of IPC elements. */
  multiplier?: number;
  /** The server must destroy the value after a failed call (MIG's destructor / deallocation duty). */
  serverDestroys: boolean;
}

/** Where a value sits in a message. */
export type Placement = 'body' | 'descriptor' | 'header' | 'trailer' | 'none';

/** IPC flags as MIG keeps them after its consistency rules. */
export interface IrArgFlags {
  physicalCopy: boolean;
  overwrite: boolean;
  countInOut: boolean;
  sameCount: boolean;
  retCode: boolean;
  auto: boolean;
  const: boolean;
  /** GNU's `servercopy`. */
  serverCopy: boolean;
}

/** A routine: one request message and (unless simple) one reply. */
export interface IrRoutine {
  name: string;
  kind: 'routine' | 'simpleroutine';
  /** No reply is sent (simpleroutine). */
  oneWay: boolean;
  /** Position among the subsystem's ids (routines and skips, from 0). */
  number: number;
  /** Request message id: subsystem base + number. */
  id: number;
  /** Reply message id: id + 100 (present for simpleroutines too, as MIG computes it). */
  replyId: number;
  /** User-side function name: UserPrefix + name (the prefix in force where the routine was declared). */
  userName: string;
  /** Server-side handler name: ServerPrefix + name. */
  serverName: string;
  /** The error procedure in force for this routine. */
  errorProc: string;
  loc: Range;
  /** Every argument in MIG's order, implicit ones right after their parent. */
  args: IrArgument[];
  /** The argument that is the request port (the destination). */
  requestPort: string | null;
  /** The reply port: an argument, or MIG's default. */
  replyPort: IrReplyPort;
  /** Timeout of the client's send/receive, if any. */
  timeout: IrTimeout | null;
  /** Options ORed into the client's `mach_msg` option: an argument or the `MsgOption` text. */
  msgOption: { argument: string } | { text: string };
  /** The request is a simple (non-complex) message. */
  simpleRequest: boolean;
  /** The reply is a simple message (a complex reply carries no RetCode). */
  simpleReply: boolean;
  /** Trailer elements the server reads (msgseqno, ServerSecToken, …). */
  serverTrailer: TrailerElement[];
  /** Trailer elements the client reads (UserSecToken, UserAuditToken, …). */
  userTrailer: TrailerElement[];
  /** Apple's `UseSpecialReplyPort` applies to this routine. */
  useSpecialReplyPort: boolean;
  /** Apple's `ConsumeOnSendError` in force for this routine. */
  consumeOnSendError: 'none' | 'timeout' | 'any';
  /** The reply carries nothing but what the server stub fills in (RetCode). */
  noReplyArgs: boolean;
  /** The routine had errors: no layout is computed for it. */
  invalid: boolean;
}

/** A routine's reply port. */
export type IrReplyPort =
  | { kind: 'argument'; argument: string; side: 'both' | 'user' | 'server' }
  /** MIG's default: a fresh send-once right (MAKE_SEND_ONCE) for routines, none (0) for simpleroutines. */
  | { kind: 'default'; disposition: 'MACH_MSG_TYPE_MAKE_SEND_ONCE' | 'none' };

/** A routine's timeout: an argument or the file's `WaitTime`/`SendTime` text. */
export type IrTimeout =
  | { kind: 'waitTime' | 'sendTime'; argument: string }
  | { kind: 'waitTime' | 'sendTime'; text: string };
