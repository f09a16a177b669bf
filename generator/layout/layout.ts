// Layout stage: every routine's request and reply as Apple's MIG lays them
// out on LP64 (x86_64 and arm64 alike), computed once from the IR.
//
// Order of a message: the 24-byte header; in a complex message the body
// (descriptor count) and the descriptors in argument order; the NDR record
// when anything but ports follows; in a simple reply the RetCode; then the
// inline arguments in argument order, each padded to 4 bytes, variable
// arrays declared at their maximum with their count first. All members are
// packed to 4 bytes, so an 8-byte value may sit at an offset that is not a
// multiple of 8. The module also lists what a receiver checks, so servers and
// clients in every language validate the same way.

import type { InterfaceIR, IrArgument, IrRoutine, IrType } from '../check/ir.js';
import { PortDisposition } from '../check/ipc.js';
import { deepFreeze } from '../check/types.js';
import {
  MACH_NOTIFY_SEND_ONCE,
  MACH_SIZES,
  MINIMUM_TRAILER_SIZE,
  TRAILER_ELEMENTS,
  type DescriptorInfo,
  type Disposition,
  type HeaderPorts,
  type InterfaceLayout,
  type LayoutField,
  type MessageLayout,
  type MigCheckError,
  type ReceiverCheck,
  type RoutineLayout,
  type TrailerLayout,
} from './types.js';

/** Lays out every valid routine of an interface (invalid ones get null). */
export function layoutInterface(ir: InterfaceIR): InterfaceLayout {
  return deepFreeze({ routines: ir.routines.map((rt) => (rt.invalid ? null : layoutRoutine(rt))) });
}

/** The request and reply layouts of one routine that the checker accepted. */
export function layoutRoutine(rt: IrRoutine): RoutineLayout {
  return deepFreeze({
    routine: rt.name,
    id: rt.id,
    request: message(rt, 'request'),
    reply: rt.oneWay ? null : message(rt, 'reply'),
    requestHeader: headerPorts(rt),
  });
}

/** True for inline data whose count travels with it (declared at its maximum). */
function isVariableInline(t: IrType): boolean {
  return t.variable && t.category === 'inline';
}

const DESCRIPTOR_C_TYPE = {
  port: 'mach_msg_port_descriptor_t',
  ool: 'mach_msg_ool_descriptor_t',
  oolPorts: 'mach_msg_ool_ports_descriptor_t',
} as const;

const DESCRIPTOR_SIZE = {
  port: MACH_SIZES.portDescriptor,
  ool: MACH_SIZES.oolDescriptor,
  oolPorts: MACH_SIZES.oolPortsDescriptor,
} as const;

/** Appends members at packed offsets and remembers which variable data precede each. */
class StructBuilder {
  readonly fields: LayoutField[] = [];
  private offset = 0;
  private readonly variables: string[] = [];

  add(field: Omit<LayoutField, 'offset' | 'shiftedBy'>): LayoutField {
    const f: LayoutField = { ...field, offset: this.offset, shiftedBy: [...this.variables] };
    this.fields.push(f);
    this.offset += field.size;
    return f;
  }

  /** Fields added from now on move when `name` carries fewer elements than its maximum. */
  variableEnds(name: string): void {
    this.variables.push(name);
  }

  get size(): number {
    return this.offset;
  }
}

function message(rt: IrRoutine, which: 'request' | 'reply'): MessageLayout {
  const request = which === 'request';
  const placed = (a: IrArgument) => (request ? a.requestPlacement : a.replyPlacement);
  const byName = new Map(rt.args.map((a) => [a.name, a]));
  const b = new StructBuilder();
  b.add({ name: 'Head', size: MACH_SIZES.header, role: 'header', cType: 'mach_msg_header_t' });

  const complex = request ? !rt.simpleRequest : !rt.simpleReply;
  let descriptorCount = 0;
  if (complex) {
    b.add({ name: 'msgh_body', size: MACH_SIZES.body, role: 'body', cType: 'mach_msg_body_t' });
    for (const a of rt.args) {
      if (placed(a) !== 'descriptor' || a.implicit || !a.descriptor) continue;
      const n = a.type.descriptorCount;
      descriptorCount += n;
      b.add({
        name: a.msgField,
        size: n * DESCRIPTOR_SIZE[a.descriptor],
        role: 'descriptor',
        cType: DESCRIPTOR_C_TYPE[a.descriptor],
        ...(n > 1 ? { arrayLength: n } : {}),
        arg: a.name,
        descriptor: descriptorInfo(a, byName),
      });
    }
  }
  if (request ? requestHasNdr(rt) : replyHasNdr(rt)) {
    b.add({ name: 'NDR', size: MACH_SIZES.ndr, role: 'ndr', cType: 'NDR_record_t' });
  }
  // Errors travel as mig_reply_error_t, so only a simple reply reserves a RetCode.
  if (!request && rt.simpleReply)
    b.add({ name: 'RetCode', size: MACH_SIZES.retCode, role: 'retCode', cType: 'kern_return_t' });

  const variableData: LayoutField[] = [];
  for (const a of rt.args) {
    if (placed(a) !== 'body') continue;
    const parent = a.parent ? byName.get(a.parent) : undefined;
    // The count of inline variable data is declared with that data.
    if ((a.kind === 'count' || a.kind === 'sameCount') && parent && isVariableInline(parent.type))
      continue;
    if (isVariableInline(a.type)) {
      variableData.push(variableField(b, a, byName));
      continue;
    }
    b.add({
      name: a.msgField,
      size: a.type.byteSize,
      role: a.kind === 'count' || a.kind === 'countInOut' ? 'count' : 'data',
      cType: a.type.cServerType,
      arg: a.name,
    });
    if (a.type.padBytes)
      b.add({
        name: `${a.name}Pad`,
        size: a.type.padBytes,
        role: 'pad',
        cType: 'char',
        arrayLength: a.type.padBytes,
        arg: a.name,
      });
  }

  const maxSize = b.size;
  const minSize = maxSize - variableData.reduce((sum, f) => sum + f.variable!.maxBytes, 0);
  const layout: MessageLayout = {
    struct: `__${request ? 'Request' : 'Reply'}__${rt.name}_t`,
    id: request ? rt.id : rt.replyId,
    complex,
    descriptorCount,
    minSize,
    maxSize,
    fields: b.fields,
    trailer: trailerLayout(rt, request),
    checks: [],
  };
  layout.checks = request ? requestChecks(rt, layout) : replyChecks(rt, layout);
  return layout;
}

/** `[nameOffset] [nameCnt] name[max] [namePad]`: a variable inline array at its maximum. */
function variableField(
  b: StructBuilder,
  a: IrArgument,
  byName: Map<string, IrArgument>,
): LayoutField {
  const t = a.type;
  const element = t.arrayElement;
  const elementSize = element ? element.byteSize : 1;
  const maxCount =
    element && element.elementCount
      ? Math.floor(t.elementCount / element.elementCount)
      : t.elementCount;
  if (t.string)
    b.add({
      name: `${a.name}Offset`,
      size: 4,
      role: 'stringOffset',
      cType: 'mach_msg_type_number_t',
      arg: a.name,
    });
  let countField = a.countArg ?? `${a.name}Cnt`;
  if (a.sameCountAs) {
    countField = byName.get(a.sameCountAs)?.countArg ?? countField;
  } else {
    b.add({
      name: countField,
      size: 4,
      role: 'count',
      cType: 'mach_msg_type_number_t',
      arg: a.countArg ?? a.name,
    });
  }
  const data = b.add({
    name: a.msgField,
    size: t.byteSize,
    role: 'data',
    cType: element ? element.cServerType : 'char',
    arrayLength: maxCount,
    arg: a.name,
    variable: {
      countField,
      elementSize,
      maxCount,
      maxBytes: t.byteSize + t.padBytes,
      string: t.string,
    },
  });
  b.variableEnds(a.msgField);
  if (t.padBytes)
    b.add({
      name: `${a.name}Pad`,
      size: t.padBytes,
      role: 'pad',
      cType: 'char',
      arrayLength: t.padBytes,
      arg: a.name,
    });
  return data;
}

/**
 * MIG puts an NDR record in the request when any argument is not a port:
 * inline data, out-of-line data, or a count (ports alone need none).
 */
function requestHasNdr(rt: IrRoutine): boolean {
  return rt.args.some(
    (a) =>
      a.inRequest &&
      (((a.kind === 'in' || a.kind === 'inout') && !isPortData(a.type)) ||
        a.kind === 'count' ||
        a.kind === 'countInOut' ||
        a.kind === 'retCode'),
  );
}

/** A reply has an NDR record when it has a RetCode (simple) or returns anything but ports. */
function replyHasNdr(rt: IrRoutine): boolean {
  if (rt.simpleReply) return true;
  return rt.args.some(
    (a) =>
      a.inReply &&
      (((a.kind === 'out' || a.kind === 'inout') && !isPortData(a.type)) || a.kind === 'count'),
  );
}

function isPortData(t: IrType): boolean {
  return t.category === 'port' || t.category === 'oolPorts';
}

function dispositionOf(t: IrType): Disposition {
  const ipc = t.ipc;
  return {
    sent: ipc.sent,
    sentName: ipc.sentName,
    received: ipc.received,
    receivedName: ipc.receivedName,
    polymorphic: t.polymorphic,
  };
}

function descriptorInfo(a: IrArgument, byName: Map<string, IrArgument>): DescriptorInfo {
  const t = a.type;
  const kind = a.descriptor!;
  const info: DescriptorInfo = {
    kind,
    count: t.descriptorCount,
    deallocate: a.dealloc,
    copy: kind === 'oolPorts' || a.flags.physicalCopy ? 'physical' : 'virtual',
  };
  if (a.polyArg) info.polyArg = a.polyArg;
  if (kind === 'port' || kind === 'oolPorts') info.disposition = dispositionOf(t);
  // For an array of regions, each descriptor carries one element.
  const each = t.descriptorCount > 1 && t.arrayElement ? t.arrayElement : t;
  const count = a.countArg ? byName.get(a.countArg) : undefined;
  if (kind === 'ool') {
    info.oolBytes = each.variable ? null : Math.ceil((each.elementCount * each.ipc.bits) / 8);
    if (each.variable && count) {
      info.countArg = count.name;
      info.bytesPerCount = oolBytesPerCount(each, count);
      if (each.oolMaxCount !== null) info.maxCount = each.oolMaxCount;
    }
  }
  if (kind === 'oolPorts') {
    info.oolPortCount = each.variable ? null : each.elementCount;
    if (each.variable && count) {
      info.countArg = count.name;
      if (each.oolMaxCount !== null) info.maxCount = each.oolMaxCount;
    }
  }
  return info;
}

/**
 * Bytes per unit of an OOL array's count. MIG's receiver divides the size by
 * this (count multiplier × element bits / 8, or 1 for byte-sized elements).
 */
function oolBytesPerCount(t: IrType, count: IrArgument): number {
  const multiplier = count.multiplier ?? 1;
  return multiplier > 1 || t.ipc.bits > 8 ? (multiplier * t.ipc.bits) / 8 : 1;
}

function trailerLayout(rt: IrRoutine, request: boolean): TrailerLayout {
  const elements: TrailerLayout['elements'] = [];
  for (const a of rt.args) {
    if (!a.trailer) continue;
    const side = request
      ? a.trailerSide === 'server' || a.trailerSide === 'both'
      : a.trailerSide === 'user' || a.trailerSide === 'both';
    if (!side) continue;
    const e = TRAILER_ELEMENTS[a.trailer];
    elements.push({ element: a.trailer, arg: a.name, offset: e.offset, size: e.size });
  }
  const rcvElements = Math.max(0, ...elements.map((e) => TRAILER_ELEMENTS[e.element].rcvElements));
  const size = Math.max(
    MINIMUM_TRAILER_SIZE,
    ...elements.map((e) => TRAILER_ELEMENTS[e.element].trailerSize),
  );
  elements.sort((x, y) => x.offset - y.offset);
  return { elements, rcvElements, size };
}

/** The checks MIG's server stub makes on a request, in its order. */
function requestChecks(rt: IrRoutine, m: MessageLayout): ReceiverCheck[] {
  const bad: MigCheckError = 'MIG_BAD_ARGUMENTS';
  const checks: ReceiverCheck[] = [{ check: 'complexBit', complex: m.complex, error: bad }];
  if (m.complex) checks.push({ check: 'descriptorCount', expected: m.descriptorCount, error: bad });
  checks.push(sizeCheck(m, bad));
  if (m.complex && rt.args.some((a) => a.kind === 'retCode')) {
    checks.push({
      check: 'errorReply',
      size: MACH_SIZES.migReplyError,
      note: 'a simpleroutine with a RetCode argument also accepts a simple 36-byte message shaped like mig_reply_error_t whose RetCode is not KERN_SUCCESS',
    });
  }
  checks.push(...descriptorChecks(rt, m, 'server'));
  checks.push(...variableChecks(m, bad));
  checks.push(...oolCountChecks(m));
  for (const a of rt.args) {
    if (a.requestPlacement === 'body' && a.type.string) {
      checks.push({
        check: 'cStringTerminated',
        field: a.msgField,
        max: a.type.elementCount,
        error: 'MIG_BAD_ARGUMENTS',
      });
    }
  }
  checks.push(...trailerChecks(m));
  return checks;
}

/** The checks MIG's client stub makes on a reply, in its order. */
function replyChecks(rt: IrRoutine, m: MessageLayout): ReceiverCheck[] {
  const typeError: MigCheckError = 'MIG_TYPE_ERROR';
  const checks: ReceiverCheck[] = [
    {
      check: 'replyId',
      expected: rt.replyId,
      serverDiedId: MACH_NOTIFY_SEND_ONCE,
      error: 'MIG_REPLY_MISMATCH',
      serverDiedError: 'MIG_SERVER_DIED',
    },
  ];
  if (!(rt.simpleReply && rt.noReplyArgs)) {
    checks.push({
      check: 'errorReply',
      size: MACH_SIZES.migReplyError,
      note: 'a simple 36-byte reply whose RetCode is not KERN_SUCCESS is an error reply: the client returns that RetCode',
    });
  }
  checks.push({ check: 'complexBit', complex: m.complex, error: typeError });
  if (m.complex)
    checks.push({ check: 'descriptorCount', expected: m.descriptorCount, error: typeError });
  checks.push(sizeCheck(m, typeError));
  // A reply never carries a reply port of its own (MIG checks it right after the size).
  checks.push({ check: 'replyPortNull', error: typeError });
  checks.push(...descriptorChecks(rt, m, 'client'));
  checks.push(...variableChecks(m, typeError));
  checks.push(...oolCountChecks(m));
  checks.push(...trailerChecks(m));
  return checks;
}

/**
 * Out-of-line data whose size follows a count: the size must match the
 * count (and the count stay within a bounded array's maximum). MIG's server
 * and client stubs both check it, after the inline sizes.
 */
function oolCountChecks(m: MessageLayout): ReceiverCheck[] {
  const checks: ReceiverCheck[] = [];
  for (const f of m.fields) {
    const d = f.descriptor;
    if (!d || d.countArg === undefined) continue;
    if (d.kind === 'ool') {
      checks.push({
        check: 'oolSizeMatchesCount',
        field: f.name,
        countField: d.countArg,
        bytesPerCount: d.bytesPerCount ?? 1,
        ...(d.maxCount !== undefined ? { maxCount: d.maxCount } : {}),
        error: 'MIG_TYPE_ERROR',
      });
    } else if (d.kind === 'oolPorts') {
      checks.push({
        check: 'oolPortCountMatchesCount',
        field: f.name,
        countField: d.countArg,
        ...(d.maxCount !== undefined ? { maxCount: d.maxCount } : {}),
        error: 'MIG_TYPE_ERROR',
      });
    }
  }
  return checks;
}

function sizeCheck(m: MessageLayout, error: MigCheckError): ReceiverCheck {
  return m.minSize === m.maxSize
    ? { check: 'size', exact: m.maxSize, error }
    : { check: 'sizeRange', min: m.minSize, max: m.maxSize, error };
}

/** Type, disposition and fixed size of each descriptor (dispositions of variable port arrays can't be checked: entries may be empty). */
function descriptorChecks(
  rt: IrRoutine,
  m: MessageLayout,
  side: 'server' | 'client',
): ReceiverCheck[] {
  const checks: ReceiverCheck[] = [];
  const byName = new Map(rt.args.map((a) => [a.name, a]));
  for (const f of m.fields) {
    const d = f.descriptor;
    if (!d) continue;
    const a = byName.get(f.arg!)!;
    checks.push({ check: 'descriptorType', field: f.name, kind: d.kind, error: 'MIG_TYPE_ERROR' });
    if (d.kind === 'port' && !a.type.variable) {
      const accepted = acceptedDispositions(a, side);
      if (accepted)
        checks.push({ check: 'disposition', field: f.name, ...accepted, error: 'MIG_TYPE_ERROR' });
    }
    if (d.kind === 'ool' && d.oolBytes !== null && d.oolBytes !== undefined) {
      checks.push({ check: 'oolSize', field: f.name, bytes: d.oolBytes, error: 'MIG_TYPE_ERROR' });
    }
    if (d.kind === 'oolPorts') {
      if (d.oolPortCount !== null && d.oolPortCount !== undefined) {
        checks.push({
          check: 'oolPortCount',
          field: f.name,
          count: d.oolPortCount,
          error: 'MIG_TYPE_ERROR',
        });
      }
      if (!a.polyArg) {
        const r = d.disposition!;
        checks.push({
          check: 'disposition',
          field: f.name,
          accepted: [r.received],
          acceptedNames: [r.receivedName],
          error: 'MIG_TYPE_ERROR',
        });
      }
    }
  }
  return checks;
}

/**
 * Dispositions a receiver accepts for a port descriptor. A fixed disposition
 * arrives as its received name; MIG's server also accepts a polymorphic
 * port whose received kind is known from the right's family.
 */
function acceptedDispositions(
  a: IrArgument,
  side: 'server' | 'client',
): { accepted: number[]; acceptedNames: string[] } | null {
  const ipc = a.type.ipc;
  if (!a.polyArg) return { accepted: [ipc.received], acceptedNames: [ipc.receivedName] };
  if (side === 'client') return null;
  switch (ipc.received) {
    case PortDisposition.MOVE_RECEIVE:
      return { accepted: [16], acceptedNames: ['MACH_MSG_TYPE_MOVE_RECEIVE'] };
    case PortDisposition.MOVE_SEND_ONCE:
      return {
        accepted: [18, 21],
        acceptedNames: ['MACH_MSG_TYPE_MOVE_SEND_ONCE', 'MACH_MSG_TYPE_MAKE_SEND_ONCE'],
      };
    case PortDisposition.MOVE_SEND:
      return {
        accepted: [17, 20, 19],
        acceptedNames: [
          'MACH_MSG_TYPE_MOVE_SEND',
          'MACH_MSG_TYPE_MAKE_SEND',
          'MACH_MSG_TYPE_COPY_SEND',
        ],
      };
    default:
      return null;
  }
}

/** Each variable array's count must be within its bound; then the size must match the counts exactly. */
function variableChecks(m: MessageLayout, error: MigCheckError): ReceiverCheck[] {
  const checks: ReceiverCheck[] = [];
  const vars = m.fields.filter((f) => f.variable);
  for (const f of vars)
    checks.push({
      check: 'countBound',
      countField: f.variable!.countField,
      max: f.variable!.maxCount,
      error,
    });
  if (vars.length) {
    const terms = vars
      .map((f) => `round4(${f.variable!.countField} × ${f.variable!.elementSize})`)
      .join(' + ');
    checks.push({
      check: 'sizeMatchesCounts',
      description: `size = ${m.minSize} + ${terms}`,
      error,
    });
  }
  return checks;
}

function trailerChecks(m: MessageLayout): ReceiverCheck[] {
  if (m.trailer.elements.length === 0) return [];
  const checks: ReceiverCheck[] = [
    { check: 'trailerFormat', format: 0, error: 'MIG_TRAILER_ERROR' },
  ];
  // MIG checks the elements one after another, each needing room after the previous ones.
  let needed = 0;
  for (const e of m.trailer.elements) {
    needed += e.size;
    checks.push({
      check: 'trailerSize',
      element: e.element,
      minSize: needed,
      error: 'MIG_TRAILER_ERROR',
    });
  }
  return checks;
}

function headerPorts(rt: IrRoutine): HeaderPorts {
  const byName = new Map(rt.args.map((a) => [a.name, a]));
  const requestPort = rt.requestPort ? byName.get(rt.requestPort) : undefined;
  const remote = {
    arg: rt.requestPort,
    disposition: requestPort ? dispositionOf(requestPort.type) : copySend(),
  };
  let local: HeaderPorts['local'];
  if (rt.replyPort.kind === 'argument') {
    const port = byName.get(rt.replyPort.argument);
    local = {
      arg: port && port.userParameter ? port.name : null,
      disposition: port ? dispositionOf(port.type) : null,
    };
  } else if (rt.replyPort.disposition === 'none') {
    local = { arg: null, disposition: null };
  } else {
    local = {
      arg: null,
      disposition: {
        sent: PortDisposition.MAKE_SEND_ONCE,
        sentName: 'MACH_MSG_TYPE_MAKE_SEND_ONCE',
        received: PortDisposition.MOVE_SEND_ONCE,
        receivedName: 'MACH_MSG_TYPE_PORT_SEND_ONCE',
        polymorphic: 'none',
      },
    };
  }
  return { remote, local };
}

function copySend(): Disposition {
  return {
    sent: PortDisposition.COPY_SEND,
    sentName: 'MACH_MSG_TYPE_COPY_SEND',
    received: PortDisposition.MOVE_SEND,
    receivedName: 'MACH_MSG_TYPE_PORT_SEND',
    polymorphic: 'none',
  };
}
