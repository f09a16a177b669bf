// Emit stage (C++): the view model the Handlebars templates print.
//
// Reads only the IR and the layouts and turns them into plain data: C++
// spellings (through naming.ts), offset expressions tied to the generated
// structs (`offsetof(Request, a) - shift`), and one "step" per construct
// each template prints (put a port descriptor, copy a variable array, …).
// Every number here comes from the layout; this module computes no offset
// of its own. Steps name the partial that prints them (`t`), so templates
// stay free of logic beyond loops and conditionals.

import { basename } from 'node:path';
import type { InterfaceIR, IrArgument, IrRoutine, IrType } from '../../check/ir.js';
import type {
  InterfaceLayout,
  LayoutField,
  MessageLayout,
  ReceiverCheck,
  RoutineLayout,
} from '../../layout/types.js';
import { DESCRIPTOR_TYPE, MACH_SIZES } from '../../layout/types.js';
import { clientNamespace, cppGlobalName, cppIdentifier, includeGuard } from './naming.js';

/** What the C++ emitter is given (the registry's EmitInput; `sourceName` defaults to the .defs file's name). */
export interface CppEmitInput {
  ir: InterfaceIR;
  layouts: InterfaceLayout;
  /** The output base name: `calc` for `calc.mig.h` / `calc.mig.cc`. */
  baseName: string;
  /** The .defs file as the `@generated` line names it. */
  sourceName?: string;
}

/** A step a template prints: `t` names the partial, the other fields are its data. */
export type Step = { t: string } & Record<string, unknown>;

/** The whole interface as the header and source templates see it. */
export interface InterfaceView {
  source: string;
  headerFile: string;
  /** The server side's source file (the client side is `<base>.mig.cc`). */
  serverFile: string;
  guard: string;
  subsystem: string;
  base: number;
  end: number;
  idCount: number;
  namespace: string;
  demux: string;
  demuxRoutine: string;
  subsystemTable: string;
  imports: string[];
  routines: RoutineView[];
  /** The subsystem's routine table, one entry per id (skipped ids and invalid routines are empty). */
  table: Array<{ empty: boolean; stub: string; argc: number; replyStruct: string }>;
  requestUnion: string;
  replyUnion: string;
  /** MACH_RCV_TRAILER_ELEMENTS(n) the server loop receives with. */
  serverTrailer: string;
}

/** One routine: its structs, client function and server function. */
export interface RoutineView {
  name: string;
  kind: string;
  where: string;
  id: number;
  replyId: number;
  oneWay: boolean;
  request: StructView;
  reply: StructView | null;
  requestCheck: CheckView;
  replyCheck: CheckView | null;
  client: ClientView;
  server: ServerView;
}

/** A message struct with its static_asserts. */
export interface StructView {
  name: string;
  size: number;
  members: Array<{ decl: string }>;
  asserts: Array<{ member: string; offset: number; size: number }>;
}

/** The constant description of one message that tsmig::stubs checks against. */
export interface CheckView {
  name: string;
  replyId: number;
  complex: boolean;
  descriptorCount: number;
  minSize: number;
  maxSize: number;
  descriptors: Array<{ text: string }>;
  variables: Array<{ text: string }>;
  trailerBytes: number;
}

/** A client function: MIG's user side of one routine. */
export interface ClientView {
  name: string;
  params: string;
  requestStruct: string;
  replyStruct: string;
  trailerType: string;
  hasRequestShift: boolean;
  requestSteps: Step[];
  bits: string;
  remote: string;
  local: string;
  sendSize: string;
  options: string;
  rcvSize: string;
  timeout: string;
  ownReplyPort: boolean;
  specialReplyPort: boolean;
  consumeTimeout: boolean;
  consumeAny: boolean;
  replyShifts: number;
  replyCheck: string;
  userTrailer: boolean;
  replySteps: Step[];
}

/** A server function: MIG's `_X<routine>` for one routine. */
export interface ServerView {
  stub: string;
  handler: string;
  requestStruct: string;
  replyStruct: string;
  requestShifts: number;
  requestCheck: string;
  serverTrailer: boolean;
  locals: Step[];
  callArgs: string;
  destroys: Step[];
  /** The reply carries only the RetCode (or there is none): no reply body to build. */
  retCodeOnly: boolean;
  complexReply: boolean;
  hasReplyShift: boolean;
  replySteps: Step[];
  replySize: string;
  prototype: string;
}

/** Builds the view of a whole interface (only valid routines get code). */
export function interfaceView(input: CppEmitInput): InterfaceView {
  const { ir, layouts, baseName } = input;
  const subsystem = ir.subsystem!;
  const valid = ir.routines
    .map((rt, i) => ({ rt, layout: layouts.routines[i] }))
    .filter((x): x is { rt: IrRoutine; layout: RoutineLayout } => !!x.layout && !x.rt.invalid);
  const globals = [
    ...valid.map((x) => cppGlobalName(x.rt.serverName)),
    ir.serverDemux,
    `${ir.serverDemux}_routine`,
    ir.serverSubsystem,
  ];
  const namespace = clientNamespace(subsystem.name, globals);
  const routines = valid.map(({ rt, layout }) => routineView(rt, layout));
  const byNumber = new Map(valid.map(({ rt }, i) => [rt.number, routines[i]!]));
  const table = Array.from({ length: ir.idCount }, (_, n) => {
    const r = byNumber.get(n);
    return r
      ? {
          empty: false,
          stub: r.server.stub,
          argc: argc(valid.find((v) => v.rt.number === n)!.rt),
          replyStruct: r.reply ? r.reply.name : 'mig_reply_error_t',
        }
      : { empty: true, stub: '', argc: 0, replyStruct: '' };
  });
  const trailerElements = Math.max(0, ...valid.map((v) => v.layout.request.trailer.rcvElements));
  return {
    source: input.sourceName ?? basename(ir.file),
    headerFile: `${baseName}.mig.h`,
    serverFile: `${baseName}.server.mig.cc`,
    guard: includeGuard(baseName),
    subsystem: subsystem.name,
    base: subsystem.base,
    end: subsystem.base + ir.idCount,
    idCount: ir.idCount,
    namespace,
    demux: ir.serverDemux,
    demuxRoutine: `${ir.serverDemux}_routine`,
    subsystemTable: ir.serverSubsystem,
    imports: ir.imports.map((i) => i.file),
    routines,
    table,
    requestUnion: `__RequestUnion__${ir.serverSubsystem}`,
    replyUnion: `__ReplyUnion__${ir.serverSubsystem}`,
    serverTrailer: `MACH_RCV_TRAILER_ELEMENTS(${trailerElements})`,
  };
}

/** MIG's argc in a routine descriptor: the server function's parameter count. */
function argc(rt: IrRoutine): number {
  return rt.args.filter((a) => a.serverParameter).length;
}

function routineView(rt: IrRoutine, layout: RoutineLayout): RoutineView {
  const request = structView(layout.request);
  const reply = layout.reply ? structView(layout.reply) : null;
  const requestCheck = checkView(`kRequestCheck_${rt.name}`, layout.request, 0);
  const replyCheck = layout.reply
    ? checkView(`kReplyCheck_${rt.name}`, layout.reply, rt.replyId)
    : null;
  return {
    name: rt.name,
    kind: rt.kind,
    where: `${basename(rt.loc.file)}:${rt.loc.line}`,
    id: rt.id,
    replyId: rt.replyId,
    oneWay: rt.oneWay,
    request,
    reply,
    requestCheck,
    replyCheck,
    client: clientView(rt, layout),
    server: serverView(rt, layout),
  };
}

// ---------------------------------------------------------------------------
// Structs

function structView(m: MessageLayout): StructView {
  return {
    name: m.struct,
    size: m.maxSize,
    members: m.fields.map((f) => ({
      decl: `${f.cType} ${member(f)}${f.arrayLength !== undefined ? `[${f.arrayLength}]` : ''};`,
    })),
    asserts: m.fields.map((f) => ({ member: member(f), offset: f.offset, size: f.size })),
  };
}

/** The C++ member name of a layout field (Apple's name unless C++ reserves it). */
function member(f: LayoutField): string {
  return cppGlobalName(f.name);
}

// ---------------------------------------------------------------------------
// Checks

function checkView(name: string, m: MessageLayout, replyId: number): CheckView {
  const variables = m.fields.filter((f) => f.variable);
  const variableIndex = new Map(variables.map((f, i) => [f.name, i]));
  const position = (fieldName: string): string => {
    const f = m.fields.find((x) => x.name === fieldName)!;
    return `{offsetof(${m.struct}, ${member(f)}), ${f.shiftedBy.length}}`;
  };
  const descriptors = m.fields
    .filter((f) => f.descriptor)
    .map((f) => {
      const d = f.descriptor!;
      const accepted = m.checks.find(
        (c): c is Extract<ReceiverCheck, { check: 'disposition' }> =>
          c.check === 'disposition' && c.field === f.name,
      );
      const mask = accepted ? accepted.accepted.map((n) => `(1u << ${n})`).join(' | ') : '0';
      const fixed =
        d.kind === 'ool' && typeof d.oolBytes === 'number'
          ? d.oolBytes
          : d.kind === 'oolPorts' && typeof d.oolPortCount === 'number'
            ? d.oolPortCount
            : -1;
      const counted = m.checks.find(
        (
          c,
        ): c is Extract<
          ReceiverCheck,
          { check: 'oolSizeMatchesCount' } | { check: 'oolPortCountMatchesCount' }
        > =>
          (c.check === 'oolSizeMatchesCount' || c.check === 'oolPortCountMatchesCount') &&
          c.field === f.name,
      );
      const countPart = counted
        ? `true, ${position(counted.countField)}, ${counted.check === 'oolSizeMatchesCount' ? counted.bytesPerCount : 1}, ${counted.maxCount ?? 0}`
        : 'false, {0, 0}, 1, 0';
      return {
        text: `{offsetof(${m.struct}, ${member(f)}), ${d.count}, ${descriptorTypeName(d.kind)}, ${mask}, ${fixed}, ${countPart}}`,
      };
    });
  const vars = variables.map((f) => {
    const v = f.variable!;
    const countField = m.fields.find((x) => x.name === v.countField)!;
    return {
      text: `{{offsetof(${m.struct}, ${member(countField)}), ${countField.shiftedBy.length}}, offsetof(${m.struct}, ${member(f)}), ${v.elementSize}, ${v.maxCount}, ${v.maxBytes}, ${v.string}}`,
    };
  });
  void variableIndex;
  const trailerBytes = m.trailer.elements.reduce((sum, e) => sum + e.size, 0);
  return {
    name,
    replyId,
    complex: m.complex,
    descriptorCount: m.descriptorCount,
    minSize: m.minSize,
    maxSize: m.maxSize,
    descriptors,
    variables: vars,
    trailerBytes,
  };
}

function descriptorTypeName(kind: 'port' | 'ool' | 'oolPorts'): string {
  return kind === 'port'
    ? 'MACH_MSG_PORT_DESCRIPTOR'
    : kind === 'ool'
      ? 'MACH_MSG_OOL_DESCRIPTOR'
      : 'MACH_MSG_OOL_PORTS_DESCRIPTOR';
}

// ---------------------------------------------------------------------------
// Shared helpers

/** Arguments that occupy a message, by name, for one side (names repeat across sides: `zCnt`). */
function argsIn(rt: IrRoutine, side: 'request' | 'reply'): Map<string, IrArgument> {
  const map = new Map<string, IrArgument>();
  for (const a of rt.args) {
    const placed = side === 'request' ? a.requestPlacement : a.replyPlacement;
    if (placed !== 'none') map.set(a.name, a);
  }
  return map;
}

/** An argument by name among those the user (or server) function takes. */
function paramArg(rt: IrRoutine, name: string, side: 'user' | 'server'): IrArgument | undefined {
  return rt.args.find(
    (a) => a.name === name && (side === 'user' ? a.userParameter : a.serverParameter),
  );
}

/** `offsetof(S, m)`, minus the running shift when variable data precedes the field. */
function offsetExpr(struct: string, f: LayoutField, shift: (k: number) => string): string {
  const base = `offsetof(${struct}, ${member(f)})`;
  return f.shiftedBy.length ? `${base} - ${shift(f.shiftedBy.length)}` : base;
}

const EACH_DESCRIPTOR = {
  port: MACH_SIZES.portDescriptor,
  ool: MACH_SIZES.oolDescriptor,
  oolPorts: MACH_SIZES.oolPortsDescriptor,
};

function boolExpr(b: boolean): string {
  return b ? 'true' : 'false';
}

function copyExpr(copy: 'virtual' | 'physical'): string {
  return copy === 'virtual' ? 'MACH_MSG_VIRTUAL_COPY' : 'MACH_MSG_PHYSICAL_COPY';
}

/** The element C type of an array argument (ports, regions or inline data). */
function elementType(t: IrType, side: 'user' | 'server'): string {
  const e = t.arrayElement;
  if (!e) return side === 'user' ? t.cUserType : t.cServerType;
  return side === 'user' ? e.cUserType : e.cServerType;
}

// ---------------------------------------------------------------------------
// Client (MIG's user side)

function clientView(rt: IrRoutine, layout: RoutineLayout): ClientView {
  const req = layout.request;
  const reqArgs = argsIn(rt, 'request');
  const shift = () => 'shift';
  const name = (a: IrArgument) => cppIdentifier(a.name);
  // A by-reference scalar is read through its pointer; arrays are pointers already.
  const value = (a: IrArgument) => (a.byReferenceUser && a.type.byValue ? `*${name(a)}` : name(a));
  const steps: Step[] = [];
  for (const f of req.fields) {
    const at = offsetExpr('Request', f, shift);
    const a = f.arg ? reqArgs.get(f.arg) : undefined;
    switch (f.role) {
      case 'body':
        steps.push({ t: 'cpp-put-body', at, count: req.descriptorCount });
        break;
      case 'ndr':
        steps.push({ t: 'cpp-put-ndr', buffer: 'InP', at });
        break;
      case 'descriptor':
        steps.push(clientDescriptorStep(rt, f, a!, at, 'Request'));
        break;
      case 'count': {
        if (!a || isVariableInlineCount(rt, a)) break;
        if (a.kind === 'countInOut') {
          const out = rt.args.find((x) => x.name === a.parent)!;
          const max = outCapacity(layout.reply!, out);
          const cnt = cppIdentifier(a.name);
          steps.push({
            t: 'cpp-put-value',
            buffer: 'InP',
            type: 'mach_msg_type_number_t',
            at,
            value: `*${cnt} < ${max} ? *${cnt} : ${max}`,
          });
        } else {
          steps.push({
            t: 'cpp-put-value',
            buffer: 'InP',
            type: 'mach_msg_type_number_t',
            at,
            value: value(a),
          });
        }
        break;
      }
      case 'data': {
        if (!a) break;
        if (f.variable) {
          steps.push(clientVariableStep(rt, req, f, a, at));
        } else if (a.byReferenceUser || !a.type.byValue) {
          steps.push({ t: 'cpp-put-bytes', buffer: 'InP', at, value: name(a), size: f.size });
        } else {
          steps.push({
            t: 'cpp-put-member',
            struct: 'Request',
            member: member(f),
            at,
            value: name(a),
          });
        }
        break;
      }
      default:
        break;
    }
  }

  const header = layout.requestHeader;
  const remoteArg = header.remote.arg ? cppIdentifier(header.remote.arg) : 'MACH_PORT_NULL';
  const remoteDisp = dispositionExpr(header.remote.disposition, rt, header.remote.arg, 'user');
  const replyArg = rt.replyPort.kind === 'argument' ? rt.replyPort.argument : null;
  const ownReplyPort = !rt.oneWay && rt.replyPort.kind === 'default';
  const special = ownReplyPort && rt.useSpecialReplyPort;
  // MIG keeps the reply port's disposition in the header bits even when the port itself is null (sreplyport).
  let local = 'MACH_PORT_NULL';
  let localDisp = '0';
  if (header.local.disposition !== null) {
    if (header.local.arg) {
      local = cppIdentifier(header.local.arg);
      localDisp = dispositionExpr(header.local.disposition, rt, replyArg, 'user');
    } else if (ownReplyPort) {
      local = special ? 'tsmig::stubs::special_reply_port()' : 'mig_get_reply_port()';
      localDisp = 'MACH_MSG_TYPE_MAKE_SEND_ONCE';
    } else {
      localDisp = String(header.local.disposition.sent);
    }
  }
  const bits = `${req.complex ? 'MACH_MSGH_BITS_COMPLEX | ' : ''}MACH_MSGH_BITS(${remoteDisp}, ${localDisp})`;
  const hasRequestShift = req.fields.some((f) => f.variable);
  const sendSize = hasRequestShift
    ? '(mach_msg_size_t)(sizeof(Request) - shift)'
    : '(mach_msg_size_t)sizeof(Request)';

  const optionParts = rt.oneWay ? ['MACH_SEND_MSG'] : ['MACH_SEND_MSG', 'MACH_RCV_MSG'];
  const replyTrailer = layout.reply ? layout.reply.trailer : null;
  const userTrailer = !!replyTrailer && replyTrailer.elements.length > 0;
  if (userTrailer) optionParts.push('MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0)');
  let timeout = 'MACH_MSG_TIMEOUT_NONE';
  if (rt.timeout) {
    const t = rt.timeout;
    timeout = 'argument' in t ? cppIdentifier(t.argument) : t.text;
    optionParts.push(
      t.kind === 'waitTime' && !rt.oneWay
        ? 'MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT'
        : 'MACH_SEND_TIMEOUT',
    );
  }
  optionParts.push(
    'argument' in rt.msgOption ? cppIdentifier(rt.msgOption.argument) : rt.msgOption.text,
  );
  if (userTrailer) optionParts.push(`MACH_RCV_TRAILER_ELEMENTS(${replyTrailer!.rcvElements})`);
  if (special) optionParts.push('tsmig::stubs::kSpecialReplyPortOptions');

  const replySteps = layout.reply ? clientReplySteps(rt, layout.reply) : [];
  const reqStructName = req.struct;
  return {
    name: cppGlobalName(rt.userName),
    params: userParams(rt),
    requestStruct: reqStructName,
    replyStruct: layout.reply ? layout.reply.struct : '',
    trailerType: userTrailer ? 'mach_msg_max_trailer_t' : 'mach_msg_trailer_t',
    hasRequestShift,
    requestSteps: steps,
    bits,
    remote: remoteArg,
    local,
    sendSize,
    options: optionParts.join(' | '),
    rcvSize: '(mach_msg_size_t)sizeof(Mess.Out)',
    timeout,
    ownReplyPort,
    specialReplyPort: special,
    consumeTimeout: rt.consumeOnSendError === 'timeout' && !!rt.timeout,
    consumeAny: rt.consumeOnSendError === 'any',
    replyShifts: layout.reply ? layout.reply.fields.filter((f) => f.variable).length + 1 : 1,
    replyCheck: `kReplyCheck_${rt.name}`,
    userTrailer,
    replySteps,
  };
}

/** The parameters of the client function, in MIG's order. */
function userParams(rt: IrRoutine): string {
  const ps = rt.args
    .filter((a) => a.userParameter)
    .map(
      (a) =>
        `${paramType(a, a.type.cUserType)} ${a.byReferenceUser && a.type.byValue ? '*' : ''}${cppIdentifier(a.name)}`,
    );
  return ps.length ? ps.join(', ') : 'void';
}

/** The parameters of the server function, in MIG's order. */
function serverParams(rt: IrRoutine): string {
  const ps = rt.args
    .filter((a) => a.serverParameter)
    .map(
      (a) =>
        `${paramType(a, a.type.cServerType)} ${a.byReferenceServer && a.type.byValue ? '*' : ''}${cppIdentifier(a.name)}`,
    );
  return ps.length ? ps.join(', ') : 'void';
}

/** A parameter's C type: MIG declares a polymorphic port's disposition as mach_msg_type_name_t. */
function paramType(a: IrArgument, cType: string): string {
  return a.kind === 'poly' ? 'mach_msg_type_name_t' : cType;
}

/** True for the count of an inline variable array (written and read with its data). */
function isVariableInlineCount(rt: IrRoutine, a: IrArgument): boolean {
  if (a.kind !== 'count' && a.kind !== 'sameCount') return false;
  const parent = rt.args.find((x) => x.name === a.parent && x.countArg === a.name);
  return !!parent && parent.type.variable && parent.type.category === 'inline';
}

/** The disposition a port is sent with: a number, or the poly argument's value. */
function dispositionExpr(
  d: { sent: number; polymorphic: string },
  rt: IrRoutine,
  argName: string | null,
  side: 'user' | 'server',
): string {
  if ((d.polymorphic === 'sent' || d.polymorphic === 'both') && argName) {
    const a = rt.args.find((x) => x.name === argName && x.polyArg);
    if (a?.polyArg) {
      const poly = rt.args.find((x) => x.name === a.polyArg && x.kind === 'poly');
      if (poly)
        return poly.byReferenceUser && side === 'user'
          ? `*${cppIdentifier(poly.name)}`
          : cppIdentifier(poly.name);
    }
  }
  return String(d.sent);
}

function clientDescriptorStep(
  rt: IrRoutine,
  f: LayoutField,
  a: IrArgument,
  at: string,
  struct: string,
): Step {
  const d = f.descriptor!;
  // An inout value arrives through a pointer.
  const name =
    a.byReferenceUser && a.type.byValue ? `(*${cppIdentifier(a.name)})` : cppIdentifier(a.name);
  const disposition = d.disposition ? dispositionExpr(d.disposition, rt, a.name, 'user') : '0';
  const dealloc =
    d.deallocate === 'maybe' && a.deallocArg
      ? cppIdentifier(a.deallocArg)
      : boolExpr(d.deallocate === 'yes');
  const countArg = d.countArg ? paramArg(rt, d.countArg, 'user') : undefined;
  const countValue = countArg
    ? countArg.byReferenceUser
      ? `*${cppIdentifier(countArg.name)}`
      : cppIdentifier(countArg.name)
    : '';
  void struct;
  if (d.kind === 'port') {
    if (d.count === 1) return { t: 'cpp-put-port', buffer: 'InP', at, name, disposition };
    if (a.type.variable) {
      return {
        t: 'cpp-put-port-array-var',
        at,
        name,
        disposition,
        count: cppIdentifier(a.countArg!),
        max: d.count,
      };
    }
    return { t: 'cpp-put-port-array', buffer: 'InP', at, name, disposition, count: d.count };
  }
  if (d.kind === 'ool') {
    const size =
      typeof d.oolBytes === 'number'
        ? String(d.oolBytes)
        : bytesOf(countValue, d.bytesPerCount ?? 1);
    if (d.count === 1) {
      return {
        t: 'cpp-put-ool',
        buffer: 'InP',
        at,
        address: `tsmig::stubs::to_address(${name})`,
        size,
        dealloc,
        copy: copyExpr(d.copy),
      };
    }
    return {
      t: 'cpp-put-ool-array',
      buffer: 'InP',
      at,
      name,
      size,
      dealloc,
      copy: copyExpr(d.copy),
      count: d.count,
    };
  }
  const count = typeof d.oolPortCount === 'number' ? String(d.oolPortCount) : countValue;
  return {
    t: 'cpp-put-ool-ports',
    buffer: 'InP',
    at,
    address: `tsmig::stubs::to_address(${name})`,
    count,
    disposition,
    dealloc,
  };
}

function bytesOf(count: string, bytesPerCount: number): string {
  return bytesPerCount === 1 ? count : `${count} * ${bytesPerCount}`;
}

/** The largest count an out array takes (its bound). */
function outCapacity(m: MessageLayout, out: IrArgument): number {
  const f = m.fields.find((x) => x.arg === out.name && x.variable);
  return f ? f.variable!.maxCount : out.type.elementCount;
}

function clientVariableStep(
  rt: IrRoutine,
  m: MessageLayout,
  f: LayoutField,
  a: IrArgument,
  at: string,
): Step {
  const v = f.variable!;
  const countField = m.fields.find((x) => x.name === v.countField)!;
  const countAt = offsetExpr('Request', countField, () => 'shift');
  if (v.string) {
    const offsetField = m.fields.find((x) => x.role === 'stringOffset' && x.arg === a.name)!;
    return {
      t: 'cpp-put-string',
      buffer: 'InP',
      offsetAt: offsetExpr('Request', offsetField, () => 'shift'),
      countAt,
      at,
      value: cppIdentifier(a.name),
      max: v.maxCount,
      maxBytes: v.maxBytes,
    };
  }
  // SameCount arrays share the first array's count, which the caller gave once.
  const countName = a.sameCountAs
    ? rt.args.find((x) => x.name === a.sameCountAs)!.countArg!
    : a.countArg!;
  const countArg = paramArg(rt, countName, 'user')!;
  const count = countArg.byReferenceUser
    ? `*${cppIdentifier(countName)}`
    : cppIdentifier(countName);
  return {
    t: 'cpp-put-variable',
    buffer: 'InP',
    writeCount: !a.sameCountAs,
    countAt,
    at,
    value: cppIdentifier(a.name),
    count,
    max: v.maxCount,
    elementSize: v.elementSize,
    maxBytes: v.maxBytes,
  };
}

function clientReplySteps(rt: IrRoutine, m: MessageLayout): Step[] {
  const byArg = new Map<string, LayoutField>();
  for (const f of m.fields)
    if (f.arg && f.role !== 'pad' && f.role !== 'stringOffset') {
      // A variable array's count field carries the count argument's name; keep the data field for the array.
      if (!byArg.has(f.arg) || f.role === 'data' || f.role === 'descriptor') byArg.set(f.arg, f);
    }
  const at = (f: LayoutField) => offsetExpr('Reply', f, (k) => `out_shift[${k}]`);
  const steps: Step[] = [];
  for (const a of rt.args) {
    if (!a.userParameter) continue;
    const name = cppIdentifier(a.name);
    if (a.trailer && (a.trailerSide === 'user' || a.trailerSide === 'both')) {
      steps.push({ t: 'cpp-get-trailer', dest: name, element: trailerMember(a.trailer) });
      continue;
    }
    if (a.replyPlacement === 'none') continue;
    if (a.kind === 'poly') {
      const parent = byArg.get(a.parent!);
      if (parent) steps.push({ t: 'cpp-get-disposition', dest: name, at: at(parent) });
      continue;
    }
    if (isVariableInlineCount(rt, a)) continue;
    const f = byArg.get(a.name);
    if (!f) continue;
    if (f.role === 'descriptor') {
      steps.push(clientReplyDescriptorStep(rt, m, f, a, at(f)));
    } else if (f.variable) {
      const v = f.variable;
      const countField = m.fields.find((x) => x.name === v.countField)!;
      if (v.string) {
        steps.push({ t: 'cpp-get-string', dest: name, at: at(f), max: v.maxCount });
      } else {
        const countArg = a.countArg ? paramArg(rt, a.countArg, 'user') : undefined;
        const capacity =
          a.countInOutArg && countArg ? `*${cppIdentifier(countArg.name)}` : String(v.maxCount);
        steps.push({
          t: 'cpp-get-variable',
          dest: name,
          countDest: countArg ? cppIdentifier(countArg.name) : '',
          hasCountDest: !!countArg,
          countAt: at(countField),
          at: at(f),
          capacity,
          elementSize: v.elementSize,
        });
      }
    } else {
      steps.push({ t: 'cpp-get-bytes', dest: name, at: at(f), size: f.size });
    }
  }
  return steps;
}

function trailerMember(e: string): string {
  return {
    seqno: 'msgh_seqno',
    sender: 'msgh_sender',
    audit: 'msgh_audit',
    context: 'msgh_context',
  }[e]!;
}

function clientReplyDescriptorStep(
  rt: IrRoutine,
  m: MessageLayout,
  f: LayoutField,
  a: IrArgument,
  at: string,
): Step {
  const d = f.descriptor!;
  const name = cppIdentifier(a.name);
  if (d.kind === 'port') {
    if (d.count === 1) return { t: 'cpp-get-port', dest: name, at };
    const countField =
      a.type.variable && a.countArg
        ? m.fields.find((x) => x.arg === a.countArg && x.role === 'count')
        : undefined;
    return {
      t: 'cpp-get-port-array',
      dest: name,
      at,
      count: countField
        ? `tsmig::stubs::get<mach_msg_type_number_t>(OutP, ${offsetExpr('Reply', countField, (k) => `out_shift[${k}]`)})`
        : String(d.count),
    };
  }
  if (d.kind === 'ool' && d.count > 1) {
    return {
      t: 'cpp-get-ool-array',
      dest: name,
      at,
      count: d.count,
      type: elementType(a.type, 'user'),
    };
  }
  return { t: 'cpp-get-ool', dest: name, at, type: a.type.cUserType };
}

// ---------------------------------------------------------------------------
// Server (MIG's _X routine)

function serverView(rt: IrRoutine, layout: RoutineLayout): ServerView {
  const req = layout.request;
  const reqArgs = argsIn(rt, 'request');
  const fieldOf = new Map<string, LayoutField>();
  for (const f of req.fields)
    if (f.arg && f.role !== 'pad' && f.role !== 'stringOffset') {
      if (!fieldOf.has(f.arg) || f.role === 'data' || f.role === 'descriptor')
        fieldOf.set(f.arg, f);
    }
  const inAt = (f: LayoutField) => offsetExpr('Request', f, (k) => `in_shift[${k}]`);
  const locals: Step[] = [];
  const destroys: Step[] = [];
  const reply = layout.reply;
  for (const a of rt.args) {
    if (!a.serverParameter) continue;
    const name = cppIdentifier(a.name);
    const type = a.type.cServerType;
    if (a.trailer && (a.trailerSide === 'server' || a.trailerSide === 'both')) {
      locals.push({ t: 'cpp-local-trailer', type, name, element: trailerMember(a.trailer) });
      continue;
    }
    if (a.kind === 'requestPort') {
      locals.push({ t: 'cpp-local-init', type, name, init: 'InHeadP->msgh_local_port' });
      continue;
    }
    if (a.kind === 'replyPort') {
      locals.push({ t: 'cpp-local-init', type, name, init: 'InHeadP->msgh_remote_port' });
      continue;
    }
    if (a.kind === 'poly' && a.requestPlacement !== 'none') {
      const parent = rt.args.find((x) => x.name === a.parent)!;
      if (parent.kind === 'requestPort') {
        locals.push({
          t: 'cpp-local-init',
          type: 'mach_msg_type_name_t',
          name,
          init: 'MACH_MSGH_BITS_LOCAL(InHeadP->msgh_bits)',
        });
      } else if (parent.kind === 'replyPort') {
        locals.push({
          t: 'cpp-local-init',
          type: 'mach_msg_type_name_t',
          name,
          init: 'MACH_MSGH_BITS_REMOTE(InHeadP->msgh_bits)',
        });
      } else {
        const pf = fieldOf.get(parent.name)!;
        locals.push({
          t: 'cpp-local-init',
          type: 'mach_msg_type_name_t',
          name,
          init: `tsmig::stubs::port_disposition(InP, ${inAt(pf)})`,
        });
      }
      continue;
    }
    // A count travels with its array (or its out-of-line descriptor) and is declared with it.
    if (a.kind === 'count' && a.requestPlacement !== 'none') continue;
    if (a.requestPlacement !== 'none') {
      const step = serverInLocal(rt, req, a, fieldOf, inAt);
      if (step) locals.push(step);
      if (a.serverDestroys) destroys.push(serverDestroy(a, fieldOf.get(a.name), inAt));
      continue;
    }
    locals.push(serverOutLocal(rt, reply, a, fieldOf, inAt));
  }

  const retCodeOnly = rt.oneWay || rt.noReplyArgs || !reply;
  const replySteps = reply && !retCodeOnly ? serverReplySteps(rt, reply) : [];
  const hasReplyShift = !!reply && reply.fields.some((f) => f.variable);
  const callArgs = rt.args
    .filter((a) => a.serverParameter)
    .map((a) => (a.byReferenceServer ? `&${cppIdentifier(a.name)}` : cppIdentifier(a.name)))
    .join(', ');
  return {
    stub: `_X${rt.name}`,
    handler: cppGlobalName(rt.serverName),
    requestStruct: req.struct,
    replyStruct: reply ? reply.struct : 'mig_reply_error_t',
    requestShifts: req.fields.filter((f) => f.variable).length + 1,
    requestCheck: `kRequestCheck_${rt.name}`,
    serverTrailer: req.trailer.elements.length > 0,
    locals,
    callArgs,
    destroys,
    retCodeOnly,
    complexReply: !!reply && reply.complex,
    hasReplyShift,
    replySteps,
    replySize: hasReplyShift
      ? '(mach_msg_size_t)(sizeof(Reply) - shift)'
      : '(mach_msg_size_t)sizeof(Reply)',
    prototype: `kern_return_t ${cppGlobalName(rt.serverName)}(${serverParams(rt)})`,
  };
}

function serverInLocal(
  rt: IrRoutine,
  req: MessageLayout,
  a: IrArgument,
  fieldOf: Map<string, LayoutField>,
  inAt: (f: LayoutField) => string,
): Step | null {
  const name = cppIdentifier(a.name);
  const type = a.type.cServerType;
  const f = fieldOf.get(a.name);
  if (!f) return null;
  if (f.role === 'descriptor') {
    const d = f.descriptor!;
    if (d.kind === 'port') {
      if (d.count === 1)
        return {
          t: 'cpp-local-init',
          type,
          name,
          init: `tsmig::stubs::port_name(InP, ${inAt(f)})`,
        };
      const countField = a.type.variable ? fieldOfCount(req, a) : undefined;
      return {
        t: 'cpp-local-port-array',
        element: elementType(a.type, 'server'),
        name,
        at: inAt(f),
        max: d.count,
        variable: !!countField,
        countName: countField ? cppIdentifier(a.countArg!) : '',
        countAt: countField ? inAt(countField) : '',
      };
    }
    if (d.kind === 'ool' && d.count > 1) {
      return { t: 'cpp-local-ool-array', type, name, at: inAt(f), count: d.count };
    }
    const countArg = a.countArg ? paramArg(rt, a.countArg, 'server') : undefined;
    const count = countArg
      ? {
          countName: cppIdentifier(countArg.name),
          countInit:
            d.kind === 'ool'
              ? `tsmig::stubs::ool_size(InP, ${inAt(f)})${(d.bytesPerCount ?? 1) === 1 ? '' : ` / ${d.bytesPerCount}`}`
              : `tsmig::stubs::ool_size(InP, ${inAt(f)})`,
        }
      : { countName: '', countInit: '' };
    return { t: 'cpp-local-ool', type, name, at: inAt(f), hasCount: !!countArg, ...count };
  }
  if (f.variable) {
    const v = f.variable;
    if (v.string) return { t: 'cpp-local-string', name, at: inAt(f), max: v.maxCount };
    const countName = a.sameCountAs ? null : (a.countArg ?? null);
    const countField = req.fields.find((x) => x.name === v.countField)!;
    return {
      t: 'cpp-local-variable',
      element: f.cType,
      name,
      max: v.maxCount,
      at: inAt(f),
      declareCount: countName !== null,
      countName: cppIdentifier(
        countName ?? rt.args.find((x) => x.name === a.sameCountAs)?.countArg ?? '',
      ),
      countAt: inAt(countField),
      elementSize: v.elementSize,
    };
  }
  return { t: 'cpp-local-bytes', type, name, at: inAt(f), size: f.size };
}

function fieldOfCount(m: MessageLayout, a: IrArgument): LayoutField | undefined {
  return m.fields.find((x) => x.arg === a.countArg && x.role === 'count');
}

function serverOutLocal(
  rt: IrRoutine,
  reply: MessageLayout | null,
  a: IrArgument,
  fieldOf: Map<string, LayoutField>,
  inAt: (f: LayoutField) => string,
): Step {
  const name = cppIdentifier(a.name);
  // The count of an out array: the capacity the routine may fill.
  if (a.kind === 'count' && reply) {
    const parent = rt.args.find((x) => x.name === a.parent && x.countArg === a.name);
    const f = parent ? reply.fields.find((x) => x.arg === parent.name && x.variable) : undefined;
    if (parent && f) {
      const max = f.variable!.maxCount;
      if (parent.countInOutArg) {
        const inField = fieldOf.get(parent.countInOutArg);
        if (inField) {
          const got = `tsmig::stubs::get<mach_msg_type_number_t>(InP, ${inAt(inField)})`;
          return {
            t: 'cpp-local-init',
            type: 'mach_msg_type_number_t',
            name,
            init: `${got} < ${max} ? ${got} : ${max}`,
          };
        }
      }
      return { t: 'cpp-local-init', type: 'mach_msg_type_number_t', name, init: String(max) };
    }
  }
  const rf = reply?.fields.find(
    (x) => x.arg === a.name && (x.role === 'data' || x.role === 'descriptor'),
  );
  if (rf?.variable) {
    return { t: 'cpp-local-array', element: rf.cType, name, length: rf.variable.maxCount };
  }
  if (rf?.descriptor && rf.descriptor.kind === 'port' && rf.descriptor.count > 1) {
    return {
      t: 'cpp-local-array',
      element: elementType(a.type, 'server'),
      name,
      length: rf.descriptor.count,
    };
  }
  return {
    t: 'cpp-local-zero',
    type: a.kind === 'poly' ? 'mach_msg_type_name_t' : a.type.cServerType,
    name,
  };
}

function serverDestroy(
  a: IrArgument,
  f: LayoutField | undefined,
  inAt: (f: LayoutField) => string,
): Step {
  if (a.type.destructor && !(a.type.unbounded || a.flags.auto)) {
    return { t: 'cpp-destroy-call', fn: a.type.destructor.function, name: cppIdentifier(a.name) };
  }
  const ports = f?.descriptor?.kind === 'oolPorts';
  return { t: 'cpp-destroy-ool', at: f ? inAt(f) : '0', ports: boolExpr(!!ports) };
}

function serverReplySteps(rt: IrRoutine, m: MessageLayout): Step[] {
  const outArgs = argsIn(rt, 'reply');
  const shift = () => 'shift';
  const steps: Step[] = [];
  const local = (n: string) => cppIdentifier(n);
  for (const f of m.fields) {
    const at = offsetExpr('Reply', f, shift);
    const a = f.arg ? outArgs.get(f.arg) : undefined;
    switch (f.role) {
      case 'body':
        steps.push({ t: 'cpp-put-body-out', at, count: m.descriptorCount });
        break;
      case 'ndr':
        steps.push({ t: 'cpp-put-ndr', buffer: 'OutP', at });
        break;
      case 'retCode':
        steps.push({
          t: 'cpp-put-value',
          buffer: 'OutP',
          type: 'kern_return_t',
          at,
          value: 'KERN_SUCCESS',
        });
        break;
      case 'descriptor': {
        const d = f.descriptor!;
        const name = local(a!.name);
        const disposition = d.disposition ? serverDispositionExpr(d.disposition, rt, a!) : '0';
        const dealloc =
          d.deallocate === 'maybe' && a!.deallocArg
            ? local(a!.deallocArg)
            : boolExpr(d.deallocate === 'yes');
        const countName = d.countArg ? local(d.countArg) : '';
        if (d.kind === 'port') {
          if (d.count === 1)
            steps.push({ t: 'cpp-put-port', buffer: 'OutP', at, name, disposition });
          else
            steps.push({
              t: 'cpp-put-port-array',
              buffer: 'OutP',
              at,
              name,
              disposition,
              count: d.count,
            });
        } else if (d.kind === 'ool') {
          const size =
            typeof d.oolBytes === 'number'
              ? String(d.oolBytes)
              : bytesOf(countName, d.bytesPerCount ?? 1);
          if (d.count === 1)
            steps.push({
              t: 'cpp-put-ool',
              buffer: 'OutP',
              at,
              address: `tsmig::stubs::to_address(${name})`,
              size,
              dealloc,
              copy: copyExpr(d.copy),
            });
          else
            steps.push({
              t: 'cpp-put-ool-array',
              buffer: 'OutP',
              at,
              name,
              size,
              dealloc,
              copy: copyExpr(d.copy),
              count: d.count,
            });
        } else {
          const count = typeof d.oolPortCount === 'number' ? String(d.oolPortCount) : countName;
          steps.push({
            t: 'cpp-put-ool-ports',
            buffer: 'OutP',
            at,
            address: `tsmig::stubs::to_address(${name})`,
            count,
            disposition,
            dealloc,
          });
        }
        break;
      }
      case 'count': {
        if (!a || isVariableInlineCount(rt, a)) break;
        steps.push({
          t: 'cpp-put-value',
          buffer: 'OutP',
          type: 'mach_msg_type_number_t',
          at,
          value: local(a.name),
        });
        break;
      }
      case 'data': {
        if (!a) break;
        if (f.variable) {
          const v = f.variable;
          const countField = m.fields.find((x) => x.name === v.countField)!;
          const countAt = offsetExpr('Reply', countField, shift);
          if (v.string) {
            const offsetField = m.fields.find(
              (x) => x.role === 'stringOffset' && x.arg === a.name,
            )!;
            steps.push({
              t: 'cpp-put-string',
              buffer: 'OutP',
              offsetAt: offsetExpr('Reply', offsetField, shift),
              countAt,
              at,
              value: local(a.name),
              max: v.maxCount,
              maxBytes: v.maxBytes,
            });
          } else {
            const countName = a.sameCountAs
              ? rt.args.find((x) => x.name === a.sameCountAs)!.countArg!
              : a.countArg!;
            steps.push({
              t: 'cpp-put-variable-out',
              writeCount: !a.sameCountAs,
              countAt,
              at,
              value: local(a.name),
              count: local(countName),
              max: v.maxCount,
              elementSize: v.elementSize,
              maxBytes: v.maxBytes,
            });
          }
        } else {
          steps.push({
            t: 'cpp-put-bytes',
            buffer: 'OutP',
            at,
            value: `&${local(a.name)}`,
            size: f.size,
          });
        }
        break;
      }
      default:
        break;
    }
  }
  return steps;
}

function serverDispositionExpr(
  d: { sent: number; polymorphic: string },
  rt: IrRoutine,
  a: IrArgument,
): string {
  if ((d.polymorphic === 'sent' || d.polymorphic === 'both') && a.polyArg) {
    return cppIdentifier(a.polyArg);
  }
  void rt;
  return String(d.sent);
}

export { EACH_DESCRIPTOR, DESCRIPTOR_TYPE };
