// The AST of a .defs file: what the grammar (grammar/mig.peggy) builds and
// nothing more. No type is resolved, no number is given meaning, no layout
// is computed here; the check stage does all of that. Every node carries
// the location of the text it came from (through includes and macros).
//
// Keywords are case-insensitive in MIG; the AST keeps names as written in
// `Ident.name` and the grammar normalises keyword-derived fields (such as
// `Direction` or `RoutineKind`) to the lower-case spellings below.

import type { Loc } from '../source.js';

/** Every AST node has a location. */
export interface Node {
  loc: Loc;
}

/** A name as written, with its own location. */
export interface Ident extends Node {
  kind: 'ident';
  name: string;
}

/** A whole .defs translation unit after preprocessing. */
export interface DefsFile extends Node {
  kind: 'file';
  statements: Statement[];
}

export type Statement =
  | SubsystemStmt
  | RoutineStmt
  | SkipStmt
  | TypeStmt
  | ImportStmt
  | OptionStmt
  | ErrorRecovery;

/** `subsystem [KernelUser] [KernelServer] name base;` */
export interface SubsystemStmt extends Node {
  kind: 'subsystem';
  /** `KernelUser`, `KernelServer`, as written (order kept). */
  modifiers: Ident[];
  name: Ident;
  base: Expr;
}

/** The kinds of routine statement; GNU's older spellings are kept so the checker can say what they are. */
export type RoutineKind = 'routine' | 'simpleroutine' | 'procedure' | 'simpleprocedure' | 'function';

/** `routine name(args);` and its relatives. */
export interface RoutineStmt extends Node {
  kind: 'routine';
  routineKind: RoutineKind;
  name: Ident;
  args: Argument[];
  /** GNU's obsolete `function name(args): type;` return type. */
  returns?: TypeExpr;
}

/** `skip;` or GNU's `skip N;`. */
export interface SkipStmt extends Node {
  kind: 'skip';
  count?: Expr;
}

/** `type name = spec annotations…;` */
export interface TypeStmt extends Node {
  kind: 'type';
  decl: NamedTypeDecl;
}

/** `name = spec annotations…`, in a type statement or inline in an argument. */
export interface NamedTypeDecl extends Node {
  kind: 'namedType';
  name: Ident;
  spec: TypeExpr;
  annotations: TypeAnnotation[];
}

/** `import <x.h>;` and its variants. */
export interface ImportStmt extends Node {
  kind: 'import';
  which: 'import' | 'uimport' | 'simport' | 'dimport' | 'iimport';
  /** The file name without its delimiters. */
  file: string;
  delimiter: 'angle' | 'quote';
}

/**
 * The one-value statements. `value` is absent for `NoWaitTime`/`NoSendTime`;
 * for `WaitTime`, `SendTime`, `MsgOption`, `ConsumeOnSendError` (whose
 * argument MIG reads as raw text up to the `;`) it is a `RawText`.
 */
export interface OptionStmt extends Node {
  kind: 'option';
  option:
    | 'serverprefix'
    | 'userprefix'
    | 'serverdemux'
    | 'rcsid'
    | 'error'
    | 'msgoption'
    | 'waittime'
    | 'nowaittime'
    | 'sendtime'
    | 'nosendtime'
    | 'usespecialreplyport'
    | 'consumeonsenderror'
    | 'usertypelimit'
    | 'onstacklimit';
  /** The keyword as written (for messages). */
  keyword: Ident;
  value?: Ident | StringLit | Expr | RawText;
}

/** A statement that failed to parse; the parser skipped to the next `;`. */
export interface ErrorRecovery extends Node {
  kind: 'error';
}

/** Argument directions. `none` when the argument has no direction keyword. */
export type Direction =
  | 'none'
  | 'in'
  | 'out'
  | 'inout'
  | 'requestport'
  | 'replyport'
  | 'sreplyport'
  | 'ureplyport'
  | 'waittime'
  | 'sendtime'
  | 'msgoption'
  | 'msgseqno'
  | 'sectoken'
  | 'serversectoken'
  | 'usersectoken'
  | 'audittoken'
  | 'serveraudittoken'
  | 'useraudittoken'
  | 'servercontexttoken';

/** IPC flags after an argument's type. */
export type ArgFlagName =
  | 'dealloc'
  | 'notdealloc'
  | 'servercopy'
  | 'countinout'
  | 'samecount'
  | 'retcode'
  | 'physicalcopy'
  | 'overwrite'
  | 'auto'
  | 'const'
  | 'islong'
  | 'isnotlong';

export interface ArgFlag extends Node {
  kind: 'flag';
  flag: ArgFlagName;
  /** `dealloc[]`: the caller decides at run time. */
  variable: boolean;
}

/** One routine argument. */
export interface Argument extends Node {
  kind: 'argument';
  direction: Direction;
  /** Location of the direction keyword when one was written. */
  directionLoc?: Loc;
  /** `UserImpl`/`ServerImpl` trailer arguments (Apple): the implicit argument kind. */
  impl?: 'userimpl' | 'serverimpl';
  name: Ident;
  /** `: typename`, `: name = spec…` (inline declaration) or a native type spec. */
  type: TypeExpr | NamedTypeDecl;
  flags: ArgFlag[];
}

/** Type expressions. */
export type TypeExpr =
  | TypeRef
  | IpcTypeExpr
  | LongFormType
  | ArrayType
  | PointerType
  | StructArrayType
  | GnuStructType
  | CStringType
  | NativeType;

/** A previously declared type, by name. */
export interface TypeRef extends Node {
  kind: 'typeRef';
  name: Ident;
}

/**
 * A primitive IPC type: a `MACH_MSG_TYPE_*` name, `polymorphic`, or a
 * number, optionally as `in | out` when the sent and received names differ.
 */
export interface IpcTypeExpr extends Node {
  kind: 'ipcType';
  sent: IpcName;
  received?: IpcName;
}

export interface IpcName extends Node {
  kind: 'ipcName';
  /** The symbolic name (`MACH_MSG_TYPE_INTEGER_32`, `polymorphic`) or undefined for a number. */
  name?: string;
  /** The numeric form, when written as a number. */
  number?: Expr;
}

/** GNU/old long form: `(IPCTYPE, size[, flags…])`. */
export interface LongFormType extends Node {
  kind: 'longForm';
  ipc: IpcTypeExpr;
  size: Expr;
  flags: ArgFlag[];
}

/** `array[N] of T` (fixed), `array[*:N] of T` (bounded), `array[] of T` / `array[*] of T` (unbounded). */
export interface ArrayType extends Node {
  kind: 'array';
  bound: { kind: 'fixed'; size: Expr } | { kind: 'bounded'; max: Expr } | { kind: 'unbounded' };
  element: TypeExpr;
}

/** `^T`: out-of-line data (usually `^array[…] of T`). */
export interface PointerType extends Node {
  kind: 'pointer';
  target: TypeExpr;
}

/** `struct[N] of T`. */
export interface StructArrayType extends Node {
  kind: 'structArray';
  count: Expr;
  element: TypeExpr;
}

/** GNU `struct { T a; U b; }`. */
export interface GnuStructType extends Node {
  kind: 'gnuStruct';
  fields: Array<{ type: TypeExpr; name: Ident; loc: Loc }>;
}

/** `c_string[N]` or `c_string[*:N]`. */
export interface CStringType extends Node {
  kind: 'cstring';
  variable: boolean;
  size: Expr;
}

/** `PointerTo(phrase)`, `PointerToIfNot(phrase, phrase)`, `ValueOf(phrase)` (Apple native types). */
export interface NativeType extends Node {
  kind: 'native';
  form: 'pointerto' | 'pointertoifnot' | 'valueof';
  /** The C type phrase, words joined by single spaces (`struct foo`). */
  type: string;
  /** `PointerToIfNot`'s bad value phrase. */
  badValue?: string;
}

/** Annotations after a type spec in a declaration. */
export type TypeAnnotation =
  | { kind: 'ctype' | 'cusertype' | 'cservertype'; ctype: Ident; loc: Loc }
  | { kind: 'intran'; transType: Ident; func: Ident; serverType: Ident; loc: Loc }
  | { kind: 'outtran'; serverType: Ident; func: Ident; transType: Ident; loc: Loc }
  | { kind: 'destructor'; func: Ident; transType: Ident; loc: Loc }
  | { kind: 'intranpayload'; transType: Ident; func: Ident; loc: Loc };

/** Integer expressions (`1024*4`, `(N+1)`); evaluated by the checker. */
export type Expr = NumberLit | BinaryExpr | UnaryExpr | NameExpr;

export interface NumberLit extends Node {
  kind: 'number';
  /** The value as written, parsed: decimal (leading zeros too, as MIG's atoi reads them) or 0x hex. */
  value: number;
  text: string;
}

export interface BinaryExpr extends Node {
  kind: 'binary';
  op: '+' | '-' | '*' | '/' | '%' | '<<' | '>>' | '&' | '|' | '^';
  left: Expr;
  right: Expr;
}

export interface UnaryExpr extends Node {
  kind: 'unary';
  op: '-' | '+' | '~';
  operand: Expr;
}

/** A name where a number was expected (left for the checker to reject or resolve). */
export interface NameExpr extends Node {
  kind: 'name';
  name: string;
}

export interface StringLit extends Node {
  kind: 'string';
  /** The contents without quotes, escapes left as written. */
  value: string;
}

/** Raw text MIG copies into generated code (e.g. `WaitTime MACH_MSG_TIMEOUT_NONE;`). */
export interface RawText extends Node {
  kind: 'raw';
  text: string;
}
