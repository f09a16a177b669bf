// Check stage: MIG types, from AST type expressions to the facts MIG
// computes for them.
//
// `TypeTable` keeps the named types of one file and builds each type the way
// MIG's type module does: a short IPC name gives one element of a size; an
// array multiplies the element count and decides inline or out-of-line; `^`
// sends out-of-line; `struct[N]` keeps a by-value block; `c_string` is an
// array of characters with a NUL. The computed facts (byte size, padding,
// descriptor count, inline/out-of-line, variable count) are exactly what the
// layout module needs, so layout never reasons about syntax. Problems become
// diagnostics; a type with an error is still returned (marked `bad`) so one
// mistake is reported once.

import type { Loc, Range } from '../source.js';
import { plainRange } from '../source.js';
import type {
  ArgFlag,
  CStringType,
  GnuStructType,
  Ident,
  IpcName,
  IpcTypeExpr,
  LongFormType,
  NamedTypeDecl,
  NativeType,
  TypeAnnotation,
  TypeExpr,
} from '../parse/ast.js';
import type { CheckContext } from './context.js';
import {
  IPC_NAMES,
  MACH_MSG_TYPE_POLYMORPHIC,
  MACH_MSG_TYPE_STRING_C,
  ipcNumberName,
  isPortDisposition,
} from './ipc.js';
import type { IrTranslation, IrType, IrTypeShape, Signedness } from './ir.js';

/** Bytes a descriptor counts for in MIG's size bookkeeping (not its real size). */
const MIG_DESCRIPTOR_UNIT = 12;

/** Padding that brings `bytes` to a multiple of 4 (MIG's machine_padding). */
function padTo4(bytes: number): number {
  return bytes & 3 ? 4 - (bytes & 3) : 0;
}

/**
 * A type under construction, with MIG's fields. Mutable while a declaration
 * is built; `TypeTable.freeze` turns it into an `IrType`.
 */
export interface MigType {
  name: string | null;
  loc?: Loc;
  aliasChain: string[];
  shape: DraftShape;
  /** Bytes of data (maximum for variable inline arrays; 12 per descriptor for kernel-processed data). */
  typeSize: number;
  padSize: number;
  /** The minimum bytes the value takes (4, plus 4 for a string, for variable inline arrays). */
  minTypeSize: number;
  inName: number;
  outName: number;
  inNameStr: string | null;
  outNameStr: string | null;
  /** Bits per element. */
  size: number;
  /** Elements per value (the maximum for bounded arrays, 0 unbounded). */
  number: number;
  /** Descriptors per value. */
  kpdNumber: number;
  inLine: boolean;
  /** `array[]`: presented inline, sent out-of-line. */
  migInLine: boolean;
  portType: boolean;
  struct: boolean;
  string: boolean;
  varArray: boolean;
  native: boolean;
  nativePointer: boolean;
  badValue?: string;
  /** The type this one was derived from (MIG's itElement). */
  element: MigType | null;
  userType: string | null;
  serverType: string | null;
  transType: string | null;
  inTrans?: IrTranslation;
  outTrans?: IrTranslation;
  destructor?: IrTranslation;
  inTranPayload?: IrTranslation;
  /** Bound of a bounded out-of-line array (0 otherwise). */
  oolNumber: number;
  /** An error was reported while building this type. */
  bad: boolean;
}

/** Shape while building; elements are drafts. */
export type DraftShape =
  | { kind: 'basic' }
  | { kind: 'array'; bound: 'fixed' | 'bounded' | 'unbounded'; length: number; element: MigType }
  | { kind: 'struct'; length: number; element: MigType }
  | { kind: 'pointer'; target: MigType }
  | { kind: 'cstring'; length: number; variable: boolean }
  | { kind: 'native'; form: 'pointerto' | 'pointertoifnot' | 'valueof'; cType: string }
  | { kind: 'gnuStruct'; fields: Array<{ name: string; type: MigType }> };

/** A fresh type with MIG's defaults: one inline by-value element of size 0. */
function blank(): MigType {
  return {
    name: null,
    aliasChain: [],
    shape: { kind: 'basic' },
    typeSize: 0,
    padSize: 0,
    minTypeSize: 0,
    inName: 0,
    outName: 0,
    inNameStr: null,
    outNameStr: null,
    size: 0,
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
    userType: null,
    serverType: null,
    transType: null,
    oolNumber: 0,
    bad: false,
  };
}

/** True when the value travels as descriptors (MIG's "kernel processed data"). */
export function isDescriptorData(t: MigType): boolean {
  return !t.inLine || t.portType;
}

/** True for an inline array whose count travels with it (`array[*:N]`, `c_string[*:N]`). */
export function isVariableInline(t: MigType): boolean {
  return t.varArray && t.inLine && !t.portType;
}

/** True for a native type given with `PointerToIfNot` (optional, with a "present" flag). */
export function isOptionalNative(t: MigType): boolean {
  return t.native && t.nativePointer && t.badValue !== undefined;
}

/** Recomputes sizes after a change of inline-ness, count or element size (MIG's itCalculateSizeInfo). */
function computeSizes(t: MigType): void {
  if (!isDescriptorData(t)) {
    const bytes = Math.ceil((t.number * t.size) / 8);
    t.typeSize = bytes;
    t.padSize = padTo4(bytes);
    // For a variable inline array only the count (and a string's offset) is certain.
    t.minTypeSize = isVariableInline(t) ? 4 + (t.string ? 4 : 0) : bytes + t.padSize;
  } else {
    t.typeSize = t.kpdNumber > 1 ? t.kpdNumber * MIG_DESCRIPTOR_UNIT : MIG_DESCRIPTOR_UNIT;
    t.padSize = 0;
    t.minTypeSize = t.typeSize;
  }
}

/** A copy that remembers its origin as element (MIG's itCopyType). */
function derive(old: MigType): MigType {
  return { ...old, name: null, loc: undefined, element: old, aliasChain: [...old.aliasChain] };
}

/** Drops C types and translations, which a derived type does not inherit (MIG's itResetType). */
function resetTranslations(t: MigType): MigType {
  t.userType = null;
  t.serverType = null;
  t.transType = null;
  delete t.inTrans;
  delete t.outTrans;
  delete t.destructor;
  delete t.inTranPayload;
  return t;
}

/** Type names GNU's MIG defines itself (Apple's defines none). */
const GNU_BUILTIN_NAMES = ['char', 'short', 'int'];

/** A previously declared type and where it was declared. */
interface Entry {
  type: MigType;
  loc?: Loc;
}

/** Options of a `TypeTable`. */
export interface TypeTableOptions {
  /** Called before each lookup of a name; returns false to refuse it (GNU's subsystem-first rule). */
  beforeLookup?: (name: Ident) => boolean;
}

/** The named types of one file, and the builder of new ones. */
export class TypeTable {
  private readonly named = new Map<string, Entry>();
  /** Every named type in declaration order (for the IR). */
  readonly declared: MigType[] = [];
  private readonly frozen = new Map<MigType, IrType>();

  constructor(
    private readonly ctx: CheckContext,
    private readonly options: TypeTableOptions = {},
  ) {}

  /** Adds GNU MIG's built-in names (char, short, int), which GNU defines at the subsystem statement. */
  addGnuBuiltins(): void {
    const builtin = (name: string, ipc: string) => {
      const info = IPC_NAMES.get(ipc)!;
      const t = this.shortDecl(
        info.sent,
        info.sentName,
        info.received,
        info.receivedName,
        info.bits,
        undefined,
      );
      this.finishNamed(name, t, undefined);
      this.named.set(name, { type: t });
    };
    builtin('char', 'MACH_MSG_TYPE_CHAR');
    builtin('short', 'MACH_MSG_TYPE_INTEGER_16');
    builtin('int', 'MACH_MSG_TYPE_INTEGER_32');
  }

  /** The type currently named `name`, if any. */
  get(name: string): MigType | undefined {
    return this.named.get(name)?.type;
  }

  /** Where `name` was declared, if it was declared in the source. */
  declaredAt(name: string): Loc | undefined {
    return this.named.get(name)?.loc;
  }

  /** `type name = spec;`: builds, reports a redefinition, and enters the name. */
  declare(decl: NamedTypeDecl): MigType {
    const t = this.namedTypeSpec(decl);
    const previous = this.named.get(decl.name.name);
    if (previous) {
      const notes = previous.loc
        ? [{ message: 'previous definition is here', loc: previous.loc }]
        : [];
      const builtin = previous.loc ? '' : ' (a GNU MIG built-in)';
      this.ctx.gnuErrorAppleWarning(
        'check-type-redefined',
        `overriding previous definition of type '${decl.name.name}'${builtin}`,
        decl.name.loc,
        notes,
      );
    }
    this.named.set(decl.name.name, { type: t, loc: decl.name.loc });
    this.declared.push(t);
    return t;
  }

  /**
   * The type of a routine argument: a name (the declared type itself), an
   * inline `name = spec` declaration, or a native C type. Undefined when the
   * type could not be found (already reported).
   */
  argumentType(spec: TypeExpr | NamedTypeDecl): MigType | undefined {
    if (spec.kind === 'namedType') return this.namedTypeSpec(spec);
    if (spec.kind === 'typeRef') return this.lookup(spec.name);
    if (spec.kind === 'native') return this.nativeType(spec);
    // MIG's grammar allows only these three; anything else is built but reported.
    this.ctx.error(
      'check-argument-type-form',
      "an argument's type must be a type name, a 'name = type' declaration, or a native C type",
      spec.loc,
    );
    const t = this.typeSpec(spec);
    t.bad = true;
    return t;
  }

  /** A named type spec (`name = spec annotations…`), not entered into the table. */
  namedTypeSpec(decl: NamedTypeDecl): MigType {
    const t = resetTranslations(this.typeSpec(decl.spec));
    for (const a of decl.annotations) this.annotate(t, a);
    this.finishNamed(decl.name.name, t, decl.name.loc);
    t.loc = decl.name.loc;
    return t;
  }

  /** Looks a type name up for an argument (no copy), reporting an unknown name. */
  lookup(name: Ident): MigType | undefined {
    if (this.options.beforeLookup && !this.options.beforeLookup(name)) return undefined;
    const entry = this.named.get(name.name);
    if (!entry) {
      const hint =
        this.ctx.dialect === 'apple' && GNU_BUILTIN_NAMES.includes(name.name)
          ? ` ('${name.name}' is built into GNU's MIG, not Apple's: declare it, or check with --dialect gnu)`
          : '';
      this.ctx.error('check-undefined-type', `type '${name.name}' is not defined${hint}`, name.loc);
      return undefined;
    }
    return entry.type;
  }

  /** Builds any type expression into a fresh type. */
  typeSpec(spec: TypeExpr): MigType {
    switch (spec.kind) {
      case 'typeRef':
        return this.previousDecl(spec.name);
      case 'ipcType':
        return this.basicType(spec);
      case 'longForm':
        return this.longForm(spec);
      case 'array':
        return this.arrayType(spec);
      case 'pointer':
        return this.pointerType(this.typeSpec(spec.target), spec.loc);
      case 'structArray': {
        const length = this.ctx.evaluate(spec.count, 'a struct length');
        const element = this.typeSpec(spec.element);
        return this.structDecl(length ?? 1, element, spec.loc, length === undefined);
      }
      case 'gnuStruct':
        return this.gnuStruct(spec);
      case 'cstring':
        return this.cString(spec);
      case 'native':
        return this.nativeType(spec);
    }
  }

  /** `type new = old`: a derived copy of `old`, or an empty bad type when `old` is unknown. */
  private previousDecl(name: Ident): MigType {
    const old = this.lookup(name);
    if (!old) {
      const t = blank();
      t.bad = true;
      return t;
    }
    const t = derive(old);
    t.aliasChain = [name.name, ...old.aliasChain];
    return t;
  }

  /** One element of an IPC type: `MACH_MSG_TYPE_X`, `polymorphic`, a number, or `in|out`. */
  private basicType(spec: IpcTypeExpr): MigType {
    const sent = this.ipcName(spec.sent);
    const received = spec.received ? this.ipcName(spec.received) : sent;
    if (!sent || !received) {
      const t = blank();
      t.bad = true;
      return t;
    }
    let bits = sent.bits;
    if (spec.received && sent.bits !== received.bits) {
      // A number has no default size; the other half may supply one.
      if (sent.bits === 0) bits = received.bits;
      else if (received.bits !== 0) {
        this.ctx.error(
          'check-ipc-size-mismatch',
          `the two IPC types have different sizes (${sent.bits} and ${received.bits} bits)`,
          spec.loc,
        );
        return this.shortDecl(
          sent.value,
          sent.name,
          received.receivedValue,
          received.receivedName,
          0,
          spec.loc,
          true,
        );
      }
    }
    if (bits === 0) {
      const gnu =
        sent.dialect === 'gnu' ? " (GNU MIG's long form '(name, bits)' gives it one)" : '';
      this.ctx.error('check-needs-size', `IPC type ${sent.name} has no size${gnu}`, spec.loc);
    }
    return this.shortDecl(
      sent.value,
      sent.name,
      received.receivedValue,
      received.receivedName,
      bits,
      spec.loc,
      bits === 0,
    );
  }

  /** Resolves one IPC name; reports unknown and GNU-only names (unless the enclosing long form was reported). */
  private ipcName(
    n: IpcName,
    inLongForm = false,
  ):
    | {
        value: number;
        name: string;
        receivedValue: number;
        receivedName: string;
        bits: number;
        dialect: string;
      }
    | undefined {
    if (n.name === undefined) {
      const value = n.number ? this.ctx.evaluate(n.number, 'an IPC type number') : undefined;
      if (value === undefined) return undefined;
      const name = ipcNumberName(value);
      return { value, name, receivedValue: value, receivedName: name, bits: 0, dialect: 'both' };
    }
    const info = IPC_NAMES.get(n.name);
    if (!info) {
      this.ctx.error('check-unknown-ipc-type', `unknown IPC type '${n.name}'`, n.loc);
      return undefined;
    }
    if (info.dialect === 'gnu' && !inLongForm && !this.ctx.gnuOnly(`IPC type ${n.name}`, n.loc))
      return undefined;
    // A sent half names what is sent; a received half names what arrives.
    return {
      value: info.sent,
      name: info.sentName,
      receivedValue: info.received,
      receivedName: info.receivedName,
      bits: info.bits,
      dialect: info.dialect,
    };
  }

  /** MIG's itShortDecl: one element with the given IPC names and size. */
  private shortDecl(
    inName: number,
    inStr: string,
    outName: number,
    outStr: string,
    bits: number,
    loc: Loc | undefined,
    bad = false,
  ): MigType {
    const t = blank();
    t.inName = inName;
    t.inNameStr = inStr;
    t.outName = outName;
    t.outNameStr = outStr;
    t.size = bits;
    t.bad = bad;
    if (inName === MACH_MSG_TYPE_STRING_C) {
      t.struct = false;
      t.string = true;
    }
    // Polymorphic names are restricted to ports, so the sent half decides.
    if (isPortDisposition(inName) || inName === MACH_MSG_TYPE_POLYMORPHIC) {
      t.portType = true;
      t.kpdNumber = 1;
    }
    computeSizes(t);
    if (loc) this.warnZeroSize(t, loc);
    return t;
  }

  /** GNU's `(IPCTYPE, bits[, flags])`: an element of an explicit size. */
  private longForm(spec: LongFormType): MigType {
    this.ctx.gnuOnly("a long-form type declaration '(type, bits)'", spec.loc);
    const sent = this.ipcName(spec.ipc.sent, true);
    const received = spec.ipc.received ? this.ipcName(spec.ipc.received, true) : sent;
    const bits = this.ctx.evaluate(spec.size, 'an IPC type size');
    if (!sent || !received || bits === undefined) {
      const t = blank();
      t.bad = true;
      return t;
    }
    for (const flag of spec.flags) this.longFormFlag(flag);
    const t = this.shortDecl(
      sent.value,
      sent.name,
      received.receivedValue,
      received.receivedName,
      bits,
      spec.loc,
    );
    t.bad ||= this.ctx.dialect !== 'gnu';
    return t;
  }

  /** Flags inside a long form describe GNU's typed message format only. */
  private longFormFlag(flag: ArgFlag): void {
    if (this.ctx.dialect !== 'gnu') return;
    this.ctx.warning(
      'check-gnu-flag-ignored',
      `'${flag.flag}' in a long-form type has no meaning in Apple's message format; it is ignored`,
      flag.loc,
    );
  }

  private arrayType(spec: Extract<TypeExpr, { kind: 'array' }>): MigType {
    const element = this.typeSpec(spec.element);
    if (spec.bound.kind === 'fixed') {
      const n = this.ctx.evaluate(spec.bound.size, 'an array length');
      return this.arrayDecl(n ?? 1, element, spec.loc, n === undefined);
    }
    let max = 0;
    if (spec.bound.kind === 'bounded') {
      const n = this.ctx.evaluate(spec.bound.max, 'an array bound');
      if (n === undefined) element.bad = true;
      max = n ?? 0;
    }
    return this.varArrayDecl(max, element, spec.loc);
  }

  /** `array[*:N] of T` (N > 0) or `array[] of T` (N = 0): MIG's itVarArrayDecl. */
  private varArrayDecl(max: number, old: MigType, loc: Loc): MigType {
    const t = resetTranslations(derive(old));
    t.aliasChain = [];
    t.shape = { kind: 'array', bound: max ? 'bounded' : 'unbounded', length: max, element: old };
    if (!t.inLine) {
      // An array of out-of-line regions: one descriptor per element.
      if (t.kpdNumber !== 1 || !max) {
        this.tooComplicated(loc, ' for descriptors (an unbounded array of out-of-line data)');
        t.bad = true;
      }
      t.kpdNumber *= max;
      t.number = 1;
      t.struct = false;
      t.oolNumber = max;
    } else if (t.varArray) {
      this.tooComplicated(loc, ' (an array of variable arrays)');
      t.bad = true;
    } else if (max) {
      // Bounded arrays of data or of ports stay inline.
      t.number *= max;
      t.struct = false;
      if (t.portType) t.kpdNumber *= max;
      t.oolNumber = max;
    } else {
      // Unbounded: presented inline, sent out-of-line.
      t.number = 0;
      t.migInLine = true;
      t.inLine = false;
      t.struct = true;
      t.kpdNumber = 1;
      t.oolNumber = 0;
    }
    t.varArray = true;
    t.string = false;
    computeSizes(t);
    return t;
  }

  /** `array[N] of T`: MIG's itArrayDecl. */
  private arrayDecl(length: number, old: MigType, loc: Loc, bad: boolean): MigType {
    const t = resetTranslations(derive(old));
    t.aliasChain = [];
    t.bad ||= bad;
    t.shape = { kind: 'array', bound: 'fixed', length, element: old };
    if (!t.inLine) {
      if (t.kpdNumber !== 1) {
        this.tooComplicated(loc, ' for descriptors');
        t.bad = true;
      }
      t.kpdNumber *= length;
      t.number = 1;
      t.struct = false;
      t.string = false;
      t.varArray = false;
    } else if (t.varArray) {
      this.tooComplicated(loc, ' (an array of variable arrays)');
      t.bad = true;
    } else {
      t.number *= length;
      t.struct = false;
      t.string = false;
      if (t.portType) t.kpdNumber *= length;
    }
    computeSizes(t);
    this.warnZeroSize(t, loc);
    return t;
  }

  /** `^T`: sends `T` out-of-line (MIG's itPtrDecl, which changes the type in place). */
  private pointerType(t: MigType, loc: Loc): MigType {
    if (!t.inLine && !t.migInLine) {
      this.ctx.error('check-already-ool', "'^' applied to a type that is already out-of-line", loc);
      t.bad = true;
    }
    const target = { ...t };
    t.shape = { kind: 'pointer', target };
    t.aliasChain = [];
    t.inLine = false;
    t.struct = true;
    t.string = false;
    t.migInLine = false;
    t.kpdNumber = 1;
    computeSizes(t);
    return t;
  }

  /** `struct[N] of T`: MIG's itStructDecl. */
  private structDecl(length: number, old: MigType, loc: Loc, bad: boolean): MigType {
    const t = resetTranslations(derive(old));
    t.aliasChain = [];
    t.bad ||= bad;
    t.shape = { kind: 'struct', length, element: old };
    if (!t.inLine || t.varArray) {
      this.tooComplicated(loc, ' (struct of out-of-line or variable data)');
      t.bad = true;
    }
    t.number *= length;
    t.struct = true;
    t.string = false;
    computeSizes(t);
    this.warnZeroSize(t, loc);
    return t;
  }

  /** `c_string[N]` / `c_string[*:N]`: an array of characters ending in NUL. */
  private cString(spec: CStringType): MigType {
    const length = this.ctx.evaluate(spec.size, 'a c_string size');
    const char = this.shortDecl(
      MACH_MSG_TYPE_STRING_C,
      'MACH_MSG_TYPE_STRING_C',
      MACH_MSG_TYPE_STRING_C,
      'MACH_MSG_TYPE_STRING_C',
      8,
      undefined,
    );
    this.finishNamed('char', char, undefined);
    const t = resetTranslations(derive(char));
    t.aliasChain = [];
    t.number = length ?? 0;
    t.bad = length === undefined;
    t.varArray = spec.variable;
    t.struct = false;
    t.string = true;
    t.shape = { kind: 'cstring', length: t.number, variable: spec.variable };
    computeSizes(t);
    return t;
  }

  /**
   * GNU's `struct { T a; U b; }`, laid out as GNU MIG does: each field aligned
   * to its size up to 4 bytes, the whole rounded to the largest alignment,
   * then sent as that many elements of the alignment's integer size.
   */
  private gnuStruct(spec: GnuStructType): MigType {
    const allowed = this.ctx.gnuOnly("'struct { … }'", spec.loc);
    const fields: Array<{ name: string; type: MigType }> = [];
    let offset = 0;
    let align = 1;
    let bad = !allowed;
    for (const f of spec.fields) {
      const ft = this.typeSpec(f.type);
      fields.push({ name: f.name.name, type: ft });
      if (ft.bad) bad = true;
      if (isDescriptorData(ft) || ft.varArray) {
        this.ctx.error(
          'check-type-too-complicated',
          `field '${f.name.name}' of a struct must be inline data of a fixed size`,
          f.loc,
        );
        bad = true;
        continue;
      }
      const fieldAlign = Math.min(4, Math.max(1, Math.ceil(ft.size / 8)));
      offset = Math.ceil(offset / fieldAlign) * fieldAlign + ft.typeSize;
      align = Math.max(align, fieldAlign);
    }
    const total = Math.ceil(offset / align) * align;
    const unit =
      align === 4
        ? 'MACH_MSG_TYPE_INTEGER_32'
        : align === 2
          ? 'MACH_MSG_TYPE_INTEGER_16'
          : 'MACH_MSG_TYPE_BYTE';
    const info = IPC_NAMES.get(unit)!;
    const t = this.shortDecl(
      info.sent,
      info.sentName,
      info.received,
      info.receivedName,
      info.bits,
      spec.loc,
    );
    t.number = total / align;
    t.shape = { kind: 'gnuStruct', fields };
    t.bad = bad;
    computeSizes(t);
    this.warnZeroSize(t, spec.loc);
    return t;
  }

  /** `PointerTo(T)`, `PointerToIfNot(T, bad)`, `ValueOf(T)`: a C type MIG copies by size. */
  private nativeType(spec: NativeType): MigType {
    const t = blank();
    const info = IPC_NAMES.get('MACH_MSG_TYPE_BYTE')!;
    t.inName = info.sent;
    t.inNameStr = info.sentName;
    t.outName = info.received;
    t.outNameStr = info.receivedName;
    t.native = true;
    t.nativePointer = spec.form !== 'valueof';
    if (spec.badValue !== undefined) t.badValue = spec.badValue;
    t.userType = spec.type;
    t.serverType = spec.type;
    t.transType = spec.type;
    t.shape = { kind: 'native', form: spec.form, cType: spec.type };
    t.loc = spec.loc;
    computeSizes(t);
    return t;
  }

  /** Applies one `ctype:`/`intran:`/… annotation, warning on conflicts as MIG does. */
  private annotate(t: MigType, a: TypeAnnotation): void {
    const set = (field: 'userType' | 'serverType' | 'transType', value: string, what: string) => {
      const old = t[field];
      if (old !== null && old !== value) {
        this.ctx.warning(
          'check-type-conflict',
          `conflicting ${what} (${old}, ${value}); ${value} is used`,
          a.loc,
        );
      }
      t[field] = value;
    };
    const fn = (
      field: 'inTrans' | 'outTrans' | 'destructor' | 'inTranPayload',
      value: IrTranslation,
      what: string,
    ) => {
      const old = t[field];
      if (old && old.function !== value.function) {
        this.ctx.warning(
          'check-type-conflict',
          `conflicting ${what} (${old.function}, ${value.function}); ${value.function} is used`,
          a.loc,
        );
      }
      t[field] = value;
    };
    const at = plainRange(a.loc);
    switch (a.kind) {
      case 'ctype':
        set('userType', a.ctype.name, 'user types');
        set('serverType', a.ctype.name, 'server types');
        break;
      case 'cusertype':
        set('userType', a.ctype.name, 'user types');
        break;
      case 'cservertype':
        set('serverType', a.ctype.name, 'server types');
        break;
      case 'intran':
        set('transType', a.transType.name, 'translation types');
        fn(
          'inTrans',
          {
            function: a.func.name,
            transType: a.transType.name,
            serverType: a.serverType.name,
            loc: at,
          },
          'in-translation functions',
        );
        set('serverType', a.serverType.name, 'server types');
        break;
      case 'outtran':
        set('serverType', a.serverType.name, 'server types');
        fn(
          'outTrans',
          {
            function: a.func.name,
            transType: a.transType.name,
            serverType: a.serverType.name,
            loc: at,
          },
          'out-translation functions',
        );
        set('transType', a.transType.name, 'translation types');
        break;
      case 'destructor':
        fn(
          'destructor',
          { function: a.func.name, transType: a.transType.name, loc: at },
          'destructor functions',
        );
        set('transType', a.transType.name, 'translation types');
        break;
      case 'intranpayload':
        if (this.ctx.gnuOnly("'intranpayload'", a.loc)) {
          fn(
            'inTranPayload',
            { function: a.func.name, transType: a.transType.name, loc: at },
            'payload translation functions',
          );
        }
        break;
    }
  }

  /** Names a type and fills MIG's default C names (MIG's itCheckDecl). */
  private finishNamed(name: string, t: MigType, loc: Loc | undefined): void {
    t.name = name;
    t.inNameStr ??= ipcNumberName(t.inName);
    t.outNameStr ??= ipcNumberName(t.outName);
    t.userType ??= name;
    t.serverType ??= name;
    t.transType ??= t.serverType;
    if (t.varArray && (t.inTrans || t.outTrans)) {
      this.ctx.error(
        'check-var-array-translation',
        `type '${name}': variable-sized arrays can't have translation functions`,
        loc,
      );
    }
    if (t.varArray && t.destructor) {
      this.ctx.error(
        'check-var-array-translation',
        `type '${name}': variable-sized arrays can't have a destructor`,
        loc,
      );
    }
  }

  private tooComplicated(loc: Loc, detail: string): void {
    this.ctx.error(
      'check-type-too-complicated',
      `IPC type declaration is too complicated${detail}`,
      loc,
    );
  }

  private warnZeroSize(t: MigType, loc: Loc): void {
    if (t.typeSize === 0 && !t.varArray && !t.native && !t.bad) {
      this.ctx.warning('check-zero-size', 'this type has size 0', loc);
    }
  }

  /** The frozen IR form of a type (memoised, so shared parts stay shared). */
  freeze(t: MigType): IrType {
    const done = this.frozen.get(t);
    if (done) return done;
    const ir = freezeType(t, (inner) => this.freeze(inner));
    this.frozen.set(t, ir);
    return ir;
  }
}

/** Builds the frozen IR record of a type; `sub` freezes nested types. */
function freezeType(t: MigType, sub: (inner: MigType) => IrType): IrType {
  const category = !t.inLine ? (t.portType ? 'oolPorts' : 'ool') : t.portType ? 'port' : 'inline';
  const element = arrayElementOf(t);
  const ir: IrType = {
    name: t.name,
    ...(t.loc ? { loc: plainRange(t.loc) as Range } : {}),
    aliasChain: [...t.aliasChain],
    shape: freezeShape(t.shape, sub),
    category,
    ipc: {
      sent: t.inName,
      sentName: t.inNameStr ?? ipcNumberName(t.inName),
      received: t.outName,
      receivedName: t.outNameStr ?? ipcNumberName(t.outName),
      bits: t.size,
    },
    elementCount: t.number,
    variable: t.varArray,
    unbounded: t.varArray && t.number === 0 && t.oolNumber === 0,
    string: t.string,
    byValue: t.struct,
    byteSize: t.typeSize,
    padBytes: t.padSize,
    descriptorCount: isDescriptorData(t) ? Math.max(1, t.kpdNumber) : 0,
    oolMaxCount: !t.inLine && t.varArray && t.oolNumber ? t.oolNumber : null,
    arrayElement: element ? sub(element) : null,
    arrayLength: element ? arrayLengthOf(t, element) : 0,
    polymorphic: polymorphicOf(t),
    signedness: signednessOf(t),
    cUserType: t.userType ?? fallbackCType(t),
    cServerType: t.serverType ?? fallbackCType(t),
    cTransType: t.transType ?? t.serverType ?? fallbackCType(t),
  };
  if (t.inTrans) ir.inTran = t.inTrans;
  if (t.outTrans) ir.outTran = t.outTrans;
  if (t.destructor) ir.destructor = t.destructor;
  if (t.inTranPayload) ir.inTranPayload = t.inTranPayload;
  if (t.native)
    ir.native =
      t.badValue !== undefined
        ? { pointer: t.nativePointer, badValue: t.badValue }
        : { pointer: t.nativePointer };
  return deepFreeze(ir);
}

function freezeShape(s: DraftShape, sub: (inner: MigType) => IrType): IrTypeShape {
  switch (s.kind) {
    case 'array':
      return { kind: 'array', bound: s.bound, length: s.length, element: sub(s.element) };
    case 'struct':
      return { kind: 'struct', length: s.length, element: sub(s.element) };
    case 'pointer':
      return { kind: 'pointer', target: sub(s.target) };
    case 'gnuStruct':
      return {
        kind: 'gnuStruct',
        fields: s.fields.map((f) => ({ name: f.name, type: sub(f.type) })),
      };
    default:
      return { ...s };
  }
}

/**
 * The element a count is measured in (MIG's itElement): present for
 * variable arrays, whose count travels with them, and for arrays of
 * descriptors. Fixed inline arrays are described by their shape alone.
 */
function arrayElementOf(t: MigType): MigType | null {
  return t.element && (t.varArray || t.kpdNumber > 1) ? t.element : null;
}

function arrayLengthOf(t: MigType, element: MigType): number {
  if (t.kpdNumber > 1) return t.varArray ? t.oolNumber : t.kpdNumber;
  return element.number === 0 ? 0 : Math.floor(t.number / element.number);
}

function polymorphicOf(t: MigType): IrType['polymorphic'] {
  const sent = t.inName === MACH_MSG_TYPE_POLYMORPHIC;
  const received = t.outName === MACH_MSG_TYPE_POLYMORPHIC;
  return sent && received ? 'both' : sent ? 'sent' : received ? 'received' : 'none';
}

const UNSIGNED_NAME =
  /^(u_?int(8|16|32|64)?(_t)?|unsigned(8|16|32|64)?|natural_t|uintptr_t|size_t)$/;
const SIGNED_NAME = /^(int(8|16|32|64)?(_t)?|integer_t|short|long|intptr_t|register_t|ssize_t)$/;

/** Signedness of an integer type from the nearest well-known C name in its chain. */
function signednessOf(t: MigType): Signedness {
  const integer = [9, 1, 2, 3].includes(t.inName) && !t.portType;
  if (!integer) return 'unspecified';
  for (const name of [t.name ?? '', ...t.aliasChain]) {
    if (UNSIGNED_NAME.test(name)) return 'unsigned';
    if (SIGNED_NAME.test(name)) return 'signed';
  }
  return 'unspecified';
}

/** A C type for anonymous parts MIG never names (its own output would print "(null)"). */
function fallbackCType(t: MigType): string {
  if (t.portType) return 'mach_port_t';
  switch (t.inName) {
    case 9:
      return t.size === 8 ? 'uint8_t' : 'char';
    case 1:
      return 'int16_t';
    case 2:
      return 'int32_t';
    case 3:
      return 'int64_t';
    case 8:
    case MACH_MSG_TYPE_STRING_C:
      return 'char';
    case 10:
      return 'float';
    case 11:
      return 'double';
    case 15:
      return 'mach_port_name_t';
    default:
      return t.size === 32 ? 'int32_t' : 'uint8_t';
  }
}

/** Freezes a plain-data value and everything inside it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
