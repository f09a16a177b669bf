// Emit stage (TypeScript): the body of a message decoder. It makes the
// layout's receiver checks in the layout's order (MIG's order) and returns
// the MIG error code of the first that fails, then reads every value. Reads
// stay inside the message: each count is read only after the size proves
// the bytes before it are there, and a decoder fed arbitrary bytes returns a
// code, never throws.

import type { ReceiverCheck } from '../../layout/types.js';
import { DESCRIPTOR_TYPE } from '../../layout/types.js';
import { MessageView, sumExpression } from './messages.js';
import { camelCase } from './naming.js';
import { codecOf, readScalar } from './types.js';
import type { WireValue } from './values.js';
import { TsWriter } from './writer.js';

/** A local decoders keep per out-of-line descriptor once looked up. */
interface Lookup {
  statement: string;
  local: string;
}

/** Writes the statements that check and read one received message, ending with the values object. */
export function writeDecoderBody(w: TsWriter, mv: MessageView, values: WireValue[], capacities: WireValue[]): void {
  const sizeError = mv.layout.checks.find((c) => c.check === 'size' || c.check === 'sizeRange')!;
  const generic = 'error' in sizeError ? sizeError.error : 'MIG_TYPE_ERROR';
  w.writeLine('const bytes = message.bytes;');
  w.writeLine('const size = messageSize(bytes);');
  w.writeLine(`if (size < 0) return ${generic};`);
  // The rest is written apart first: the DataView is made only when something reads through it.
  const rest = new TsWriter();
  writeChecksAndValues(rest, mv, values, capacities, generic);
  if (rest.contains(/\bview\./)) w.writeLine('const view = viewOf(bytes);');
  w.append(rest);
}

function writeChecksAndValues(w: TsWriter, mv: MessageView, values: WireValue[], capacities: WireValue[], generic: string): void {
  const layout = mv.layout;

  let variableIndex = 0;
  for (const check of layout.checks) {
    writeCheck(w, mv, check, () => variableIndex++);
    if ((check.check === 'size' || check.check === 'sizeRange') && mv.which === 'reply' && layout.fields.some((f) => f.role === 'retCode')) {
      // A simple reply's RetCode: the server's error, returned as MIG's client returns it.
      w.writeLine('const retCode = view.getInt32(32, true);');
      w.writeLine('if (retCode !== 0) return retCode;');
    }
  }

  const lookups = regionLookups(w, mv, generic);
  const trailerEnd = Math.max(0, ...layout.trailer.elements.map((e) => e.offset + e.size));
  if (trailerEnd > 0) w.writeLine(`if (trailerAt + ${trailerEnd} > bytes.length) return MIG_TRAILER_ERROR;`);
  for (const capacity of capacities) {
    const v = mv.variables.find((x) => x.arg === capacity.arg);
    if (v === undefined) continue;
    w.writeLine(
      `if (capacities?.${capacity.key} !== undefined && ${v.countVar} > capacities.${capacity.key}) return MIG_ARRAY_TOO_LARGE;`,
    );
  }

  w.write('return').block(() => {
    for (const value of values) if (value.encodeOnly !== true) w.writeLine(`${value.key}: ${valueExpression(mv, value, lookups)},`);
  });
  w.write(';');
}

function writeCheck(w: TsWriter, mv: MessageView, check: ReceiverCheck, nextVariable: () => number): void {
  const layout = mv.layout;
  switch (check.check) {
    case 'replyId':
      w.writeLine(`const id = view.getInt32(20, true);`);
      w.writeLine(`if (id !== ${check.expected}) return id === ${check.serverDiedId} ? ${check.serverDiedError} : ${check.error};`);
      return;
    case 'errorReply':
      // A 36-byte simple reply with a failing RetCode is the server's error reply.
      w.writeLine(`if (!isComplex(bytes) && size === ${check.size} && view.getInt32(32, true) !== 0) return view.getInt32(32, true);`);
      return;
    case 'complexBit':
      w.writeLine(`if (${check.complex ? '!' : ''}isComplex(bytes)) return ${check.error};`);
      return;
    case 'descriptorCount':
      w.writeLine(`if (size < 28 || readU32(bytes, 24) !== ${check.expected}) return ${check.error};`);
      return;
    case 'size':
      w.writeLine(`if (size !== ${check.exact}) return ${check.error};`);
      return;
    case 'sizeRange':
      w.writeLine(`if (size < ${check.min} || size > ${check.max}) return ${check.error};`);
      return;
    case 'replyPortNull':
      // As received, msgh_remote_port is the port a reply would be answered on: a reply has none.
      w.writeLine(`if (readU32(bytes, 8) !== 0) return ${check.error};`);
      return;
    case 'descriptorType': {
      const field = mv.field(check.field);
      eachDescriptor(w, field.offset, field.size / field.descriptor!.count, field.descriptor!.count, (at) =>
        `if (bytes[${at} + 11] !== ${DESCRIPTOR_TYPE[check.kind]}) return ${check.error};`,
      );
      return;
    }
    case 'disposition': {
      const field = mv.field(check.field);
      const test = check.accepted.map((d) => `d !== ${d}`).join(' && ');
      eachDescriptor(w, field.offset, field.size / field.descriptor!.count, field.descriptor!.count, (at) =>
        check.accepted.length === 1
          ? `if (bytes[${at} + 10] !== ${check.accepted[0]}) return ${check.error};`
          : `{ const d = bytes[${at} + 10]; if (${test}) return ${check.error}; }`,
      );
      return;
    }
    case 'oolSize': {
      const field = mv.field(check.field);
      eachDescriptor(w, field.offset, field.size / field.descriptor!.count, field.descriptor!.count, (at) =>
        `if (readU32(bytes, ${at} + 12) !== ${check.bytes}) return ${check.error};`,
      );
      return;
    }
    case 'oolPortCount': {
      const field = mv.field(check.field);
      eachDescriptor(w, field.offset, field.size / field.descriptor!.count, field.descriptor!.count, (at) =>
        `if (readU32(bytes, ${at} + 12) !== ${check.count}) return ${check.error};`,
      );
      return;
    }
    case 'countBound': {
      const index = nextVariable();
      const v = mv.variables[index];
      const countField = mv.field(check.countField);
      if (mv.variables.findIndex((x) => x.countVar === v.countVar) === index) {
        w.writeLine(`const ${v.countVar} = readU32(bytes, ${mv.at(countField)});`);
      }
      w.writeLine(`if (${v.countVar} > ${check.max}) return ${check.error};`);
      w.writeLine(`const ${v.unusedVar} = ${v.field.variable!.maxBytes} - round4(${v.countVar} * ${v.field.variable!.elementSize});`);
      if (index < mv.variables.length - 1) {
        // The next count sits after this array: the message must reach it before it is read.
        const before = mv.variables.slice(0, index + 1);
        const full = before.reduce((sum, x) => sum + x.field.variable!.maxBytes, 0);
        const unused = sumExpression(before.map((x) => x.unusedVar));
        w.writeLine(`if (size < ${layout.minSize + full} - ${unused}) return ${check.error};`);
      }
      return;
    }
    case 'sizeMatchesCounts':
      w.writeLine(`if (size !== ${mv.sizeExpression()}) return ${check.error};`);
      return;
    case 'oolSizeMatchesCount':
    case 'oolPortCountMatchesCount': {
      const field = mv.field(check.field);
      const count = countLocal(w, mv, check.countField);
      const size = `readU32(bytes, ${field.offset + 12})`;
      const measured = check.check === 'oolSizeMatchesCount' && check.bytesPerCount > 1 ? `Math.floor(${size} / ${check.bytesPerCount})` : size;
      const bound = check.maxCount !== undefined ? ` || ${count} > ${check.maxCount}` : '';
      w.writeLine(`if (${measured} !== ${count}${bound}) return ${check.error};`);
      return;
    }
    case 'cStringTerminated': {
      const field = mv.field(check.field);
      w.writeLine(`if (!hasNul(bytes, ${mv.at(field)}, ${check.max}, size)) return ${check.error};`);
      return;
    }
    case 'trailerFormat':
      w.writeLine('const trailerAt = round4(size);');
      w.writeLine(`if (trailerAt + 8 > bytes.length || readU32(bytes, trailerAt) !== ${check.format}) return ${check.error};`);
      return;
    case 'trailerSize':
      w.writeLine(`if (readU32(bytes, trailerAt + 4) < ${check.minSize}) return ${check.error};`);
      return;
  }
}

/** The check written once per descriptor of a field (a loop for an array of descriptors). */
function eachDescriptor(w: TsWriter, offset: number, each: number, count: number, statement: (at: string) => string): void {
  if (count === 1) {
    w.writeLine(statement(String(offset)));
    return;
  }
  w.write(`for (let at = ${offset}; at < ${offset + each * count}; at += ${each})`).block(() => {
    w.writeLine(statement('at'));
  });
}

/** The local holding the count in field `name`, read now if no check read it yet. */
function countLocal(w: TsWriter, mv: MessageView, name: string): string {
  let local = mv.countVars.get(name);
  if (local === undefined) {
    local = mv.scope.claim(camelCase(name));
    mv.countVars.set(name, local);
    w.writeLine(`const ${local} = readU32(bytes, ${mv.at(mv.field(name))});`);
  }
  return local;
}

/** Looks up each out-of-line region and port array (and counts of port descriptor arrays) before the values are read. */
function regionLookups(w: TsWriter, mv: MessageView, generic: string): Map<string, Lookup[]> {
  const lookups = new Map<string, Lookup[]>();
  for (const field of mv.layout.fields) {
    const d = field.descriptor;
    if (!d) continue;
    const arg = mv.argOf(field);
    const each = field.size / d.count;
    const index = mv.descriptorIndex(field);
    const found: Lookup[] = [];
    if (d.kind === 'ool') {
      for (let i = 0; i < d.count; i++) {
        const local = mv.scope.claim(`${camelCase(arg.name)}Region`);
        found.push({ local, statement: `oolRegion(message, ${index + i}, readU32(bytes, ${field.offset + each * i + 12}))` });
      }
    } else if (d.kind === 'oolPorts') {
      const local = mv.scope.claim(`${camelCase(arg.name)}Names`);
      found.push({ local, statement: `oolPortNames(message, ${index}, readU32(bytes, ${field.offset + 12}))` });
    } else if (d.count > 1 && arg.type.variable && arg.countArg !== undefined) {
      // A variable array of port descriptors: its count must not claim more descriptors than there are.
      const count = countLocal(w, mv, arg.countArg);
      w.writeLine(`if (${count} > ${d.count}) return ${generic};`);
    }
    for (const lookup of found) {
      w.writeLine(`const ${lookup.local} = ${lookup.statement};`);
      w.writeLine(`if (${lookup.local} === undefined) return MIG_TYPE_ERROR;`);
    }
    lookups.set(arg.name, found);
  }
  return lookups;
}

function valueExpression(mv: MessageView, value: WireValue, lookups: Map<string, Lookup[]>): string {
  const arg = value.arg;
  switch (arg.kind) {
    case 'requestPort':
      // As received, the destination is msgh_local_port and its kind the local bits.
      return '{ name: readU32(bytes, 12), disposition: (readU32(bytes, 0) >>> 8) & 0x1f }';
    case 'replyPort':
      return '{ name: readU32(bytes, 8), disposition: bytes[0] & 0x1f }';
    case 'countInOut':
      return `readU32(bytes, ${mv.at(mv.field(arg.name))})`;
    case 'msgSeqno':
    case 'secToken':
    case 'auditToken':
    case 'contextToken': {
      const element = mv.layout.trailer.elements.find((e) => e.arg === arg.name)!;
      switch (element.element) {
        case 'seqno':
          return `readU32(bytes, trailerAt + ${element.offset})`;
        case 'sender':
          return `readSecurityToken(bytes, trailerAt + ${element.offset})`;
        case 'audit':
          return `readAuditToken(bytes, trailerAt + ${element.offset})`;
        case 'context':
          return `view.getBigUint64(trailerAt + ${element.offset}, true)`;
      }
    }
  }
  const codec = codecOf(arg);
  const descriptor = mv.descriptorField(arg);
  if (descriptor !== undefined) {
    const d = descriptor.descriptor!;
    const found = lookups.get(arg.name) ?? [];
    if (codec.kind === 'port') return `readPortDescriptor(bytes, ${descriptor.offset})`;
    if (codec.kind === 'ports' && d.kind === 'port') {
      const count = arg.type.variable && arg.countArg !== undefined ? mv.countVars.get(arg.countArg)! : String(d.count);
      return `readPortDescriptors(bytes, ${descriptor.offset}, ${count})`;
    }
    if (codec.kind === 'ports' && d.kind === 'oolPorts') return `portNames(${found[0].local}, bytes[${descriptor.offset + 10}])`;
    if (codec.kind === 'array') {
      const elements =
        d.oolBytes !== null && d.oolBytes !== undefined
          ? String(d.oolBytes / codec.element.bytes)
          : perCount(mv.countVars.get(d.countArg!)!, (d.bytesPerCount ?? 1) / codec.element.bytes);
      return `regionAs(${codec.element.cls}, ${found[0].local}, ${elements})`;
    }
    if (codec.kind === 'regions') {
      return `[${found.map((f) => `regionAs(${codec.element.cls}, ${f.local}, ${d.oolBytes! / codec.element.bytes})`).join(', ')}]`;
    }
    throw new Error(`tsmig: ${arg.name} of ${mv.layout.struct} does not fit its descriptor`);
  }
  const field = mv.dataField(arg);
  if (field === undefined) throw new Error(`tsmig: ${arg.name} has no field in ${mv.layout.struct}`);
  const at = mv.at(field);
  const variable = mv.variables.find((v) => v.field === field);
  switch (codec.kind) {
    case 'scalar':
      return readScalar(codec.scalar, at);
    case 'cstring':
      return `decodeCString(bytes, ${at}, ${variable ? variable.countVar : field.size})`;
    case 'array':
      if (variable) {
        return `readArray(${codec.element.cls}, bytes, ${at}, ${perCount(variable.countVar, field.variable!.elementSize / codec.element.bytes)})`;
      }
      return `readArray(${codec.element.cls}, bytes, ${at}, ${field.size / codec.element.bytes})`;
    default:
      throw new Error(`tsmig: ${arg.name} of ${mv.layout.struct} is a ${codec.kind} in the body`);
  }
}

function perCount(count: string, elements: number): string {
  return elements === 1 ? count : `${count} * ${elements}`;
}
