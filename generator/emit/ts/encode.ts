// Emit stage (TypeScript): the body of a message encoder. It validates every
// value (a wrong type, an out-of-range integer, a too-long array is a clear
// RangeError before anything is sent), computes the variable arrays' counts
// and the message size, then writes each layout field at the offset the
// layout gives, into a zeroed buffer: header, descriptor count and
// descriptors, NDR record, counts and data. Padding Apple's stubs leave
// uninitialised is zero here.

import type { IrArgument } from '../../check/ir.js';
import type { HeaderPorts, LayoutField } from '../../layout/types.js';
import { MessageView } from './messages.js';
import { camelCase, quote } from './naming.js';
import { checkScalar, codecOf, writeScalar } from './types.js';
import type { TsWriter } from './writer.js';

const MAX_UNBOUNDED = 0xffffffff;

function value(arg: IrArgument): string {
  return `values.${arg.name}`;
}

function label(text: string): string {
  return quote(text);
}

/** The element-size facts of a variable inline array's value. */
function countCall(mv: MessageView, field: LayoutField, arg: IrArgument): string {
  const codec = codecOf(arg);
  const info = field.variable!;
  if (codec.kind === 'array') {
    return `arrayCount(${value(arg)}, ${codec.element.bytes}, ${info.elementSize}, ${info.maxCount}, false, ${label(arg.name)})`;
  }
  throw new Error(`tsmig: variable field ${field.name} of ${mv.layout.struct} is not an array`);
}

/** Writes the statements that count, size, allocate and fill one message. */
export function writeEncoderBody(
  w: TsWriter,
  mv: MessageView,
  header: { kind: 'request'; ports: HeaderPorts } | { kind: 'reply' },
): void {
  const layout = mv.layout;
  const strings = new Map<string, string>();
  const oolCounts = new Map<string, string>();
  const oolList: string[] = [];
  const oolPortsList: string[] = [];

  // Counts first: the size depends on them, and every bad value is reported before anything is built.
  for (const v of mv.variables) {
    const arg = v.arg;
    const sharesCount = mv.variables.find((x) => x.countVar === v.countVar) !== v;
    if (arg.type.string) {
      const local = mv.scope.claim(`${camelCase(arg.name)}Bytes`);
      strings.set(arg.name, local);
      w.writeLine(`const ${local} = encodeCString(${value(arg)}, ${v.field.variable!.maxCount}, ${label(arg.name)});`);
      w.writeLine(`const ${v.countVar} = ${local}.length;`);
    } else if (sharesCount) {
      // SameCount: this array shares the count of an earlier one.
      const count = mv.scope.claim(`${camelCase(arg.name)}Count`);
      w.writeLine(`const ${count} = ${countCall(mv, v.field, arg)};`);
      w.write(`if (${count} !== ${v.countVar})`).block(() => {
        w.writeLine(`throw new RangeError(${label(`${arg.name}: expected as many elements as the array whose count it shares (SameCount)`)});`);
      });
    } else {
      w.writeLine(`const ${v.countVar} = ${countCall(mv, v.field, arg)};`);
    }
    w.writeLine(`const ${v.unusedVar} = ${v.field.variable!.maxBytes} - round4(${v.countVar} * ${v.field.variable!.elementSize});`);
  }
  for (const field of layout.fields) {
    const d = field.descriptor;
    if (!d) continue;
    const arg = mv.argOf(field);
    const codec = codecOf(arg);
    if (d.kind === 'ool' && codec.kind === 'array') {
      const count = mv.scope.claim(`${camelCase(arg.name)}Count`);
      oolCounts.set(arg.name, count);
      if (d.oolBytes === null || d.oolBytes === undefined) {
        const max = d.maxCount ?? MAX_UNBOUNDED;
        w.writeLine(`const ${count} = arrayCount(${value(arg)}, ${codec.element.bytes}, ${d.bytesPerCount ?? 1}, ${max}, false, ${label(arg.name)});`);
      } else {
        w.writeLine(`arrayCount(${value(arg)}, ${codec.element.bytes}, ${codec.element.bytes}, ${d.oolBytes / codec.element.bytes}, true, ${label(arg.name)});`);
      }
    } else if (d.kind === 'ool' && codec.kind === 'regions') {
      w.writeLine(`portArrayCount(${value(arg)} as unknown[], ${d.count}, true, ${label(arg.name)});`);
      w.write(`for (let i = 0; i < ${d.count}; i++)`).block(() => {
        w.writeLine(`arrayCount(${value(arg)}[i], ${codec.element.bytes}, ${codec.element.bytes}, ${d.oolBytes! / codec.element.bytes}, true, \`${arg.name}[\${i}]\`);`);
      });
    } else if (d.kind === 'oolPorts' || (d.kind === 'port' && d.count > 1)) {
      const count = mv.scope.claim(`${camelCase(arg.name)}Count`);
      oolCounts.set(arg.name, count);
      const fixed = d.kind === 'oolPorts' ? d.oolPortCount : arg.type.variable ? null : d.count;
      const max = fixed ?? (d.kind === 'port' ? d.count : (d.maxCount ?? MAX_UNBOUNDED));
      w.writeLine(`const ${count} = portArrayCount(${value(arg)}, ${max}, ${fixed !== null && fixed !== undefined}, ${label(arg.name)});`);
    }
  }

  w.writeLine(`const size = ${mv.sizeExpression()};`);
  w.writeLine('const bytes = new Uint8Array(size);');
  w.writeLine('const view = viewOf(bytes);');

  // The header: destination, reply port, bits, size and id.
  if (header.kind === 'request') {
    const remote = header.ports.remote;
    const requestArg = mv.argNamed(remote.arg ?? '');
    const remoteName = requestArg ? `checkPortName(${value(requestArg)}, ${label(requestArg.name)})` : '0';
    const remoteDisposition =
      requestArg && remote.disposition.polymorphic !== 'none' && remote.disposition.polymorphic !== 'received'
        ? `checkDisposition(${value(requestArg)}, ${label(requestArg.name)})`
        : String(remote.disposition.sent);
    const local = header.ports.local;
    const replyArg = mv.rt.replyPort.kind === 'argument' ? mv.argNamed(mv.rt.replyPort.argument) : undefined;
    let localName = '0';
    let localDisposition = '0';
    if (replyArg !== undefined) {
      localName = `checkPortName(${value(replyArg)}, ${label(replyArg.name)})`;
      localDisposition =
        replyArg.type.polymorphic === 'sent' || replyArg.type.polymorphic === 'both'
          ? `checkDisposition(${value(replyArg)}, ${label(replyArg.name)})`
          : String(replyArg.type.ipc.sent);
    } else if (local.disposition !== null) {
      localName = `checkPortName(replyPort, 'replyPort')`;
      localDisposition = String(local.disposition.sent);
    }
    const bits = `messageBits(${remoteDisposition}, ${localDisposition}, ${layout.complex})`;
    w.writeLine(`writeHeader(view, ${bits}, size, ${remoteName}, ${localName}, ${layout.id});`);
  } else {
    w.writeLine(`writeHeader(view, messageBits(checkDisposition(replyTo, 'replyTo'), 0, ${layout.complex}), size, checkPortName(replyTo, 'replyTo'), 0, ${layout.id});`);
  }

  for (const field of layout.fields) {
    switch (field.role) {
      case 'header':
      case 'pad':
      case 'stringOffset':
      case 'retCode':
        // Zero in a new buffer: the string offset is always 0, a successful RetCode is KERN_SUCCESS.
        break;
      case 'body':
        w.writeLine(`view.setUint32(${field.offset}, ${layout.descriptorCount}, true);`);
        break;
      case 'ndr':
        w.writeLine(`writeNdr(bytes, ${field.offset});`);
        break;
      case 'descriptor':
        writeDescriptor(w, mv, field, oolCounts, oolList, oolPortsList);
        break;
      case 'count':
        writeCount(w, mv, field, oolCounts);
        break;
      case 'data':
        writeData(w, mv, field, strings);
        break;
    }
  }
  const list = (items: string[]): string => (items.length === 0 ? 'NO_BUFFERS' : `[${items.join(', ')}]`);
  w.writeLine(`return { bytes, ool: ${list(oolList)}, oolPorts: ${list(oolPortsList)} };`);
}

function writeDescriptor(
  w: TsWriter,
  mv: MessageView,
  field: LayoutField,
  oolCounts: Map<string, string>,
  oolList: string[],
  oolPortsList: string[],
): void {
  const d = field.descriptor!;
  const arg = mv.argOf(field);
  const codec = codecOf(arg);
  const at = field.offset;
  const dealloc =
    d.deallocate === 'yes' ? 'true' : d.deallocate === 'no' ? 'false' : `values.${arg.deallocArg} === true`;
  const physical = d.copy === 'physical' ? 'true' : 'false';
  if (d.kind === 'port' && codec.kind === 'port') {
    const disposition = codec.sendPoly ? `checkDisposition(${value(arg)}, ${label(arg.name)})` : String(d.disposition!.sent);
    w.writeLine(`writePortDescriptor(view, ${at}, checkPortName(${value(arg)}, ${label(arg.name)}), ${disposition});`);
    return;
  }
  if (d.kind === 'port' && codec.kind === 'ports') {
    const count = oolCounts.get(arg.name)!;
    const each = field.size / d.count;
    const disposition = mv.scope.claim(`${camelCase(arg.name)}Disposition`);
    w.writeLine(
      `const ${disposition} = ${codec.sendPoly ? `commonDisposition(${value(arg)}, ${label(arg.name)})` : String(d.disposition!.sent)};`,
    );
    w.write(`for (let i = 0; i < ${d.count}; i++)`).block(() => {
      // Entries past the count travel as MACH_PORT_NULL.
      w.writeLine(
        `writePortDescriptor(view, ${at} + ${each} * i, i < ${count} ? checkPortName(${value(arg)}[i], \`${arg.name}[\${i}]\`) : 0, ${disposition});`,
      );
    });
    return;
  }
  if (d.kind === 'ool' && codec.kind === 'array') {
    w.writeLine(`writeOolDescriptor(view, ${at}, ${value(arg)}.byteLength, ${dealloc}, ${physical});`);
    oolList.push(`bytesOf(${value(arg)})`);
    return;
  }
  if (d.kind === 'ool' && codec.kind === 'regions') {
    const each = field.size / d.count;
    w.write(`for (let i = 0; i < ${d.count}; i++)`).block(() => {
      w.writeLine(`writeOolDescriptor(view, ${at} + ${each} * i, ${value(arg)}[i].byteLength, ${dealloc}, ${physical});`);
    });
    for (let i = 0; i < d.count; i++) oolList.push(`bytesOf(${value(arg)}[${i}])`);
    return;
  }
  if (d.kind === 'oolPorts' && codec.kind === 'ports') {
    const count = oolCounts.get(arg.name)!;
    const disposition = codec.sendPoly ? `commonDisposition(${value(arg)}, ${label(arg.name)})` : String(d.disposition!.sent);
    w.writeLine(`writeOolPortsDescriptor(view, ${at}, ${count}, ${disposition}, ${dealloc});`);
    oolPortsList.push(`namesOf(${value(arg)}, ${label(arg.name)})`);
    return;
  }
  throw new Error(`tsmig: descriptor ${field.name} of ${mv.layout.struct} does not fit its argument's type`);
}

function writeCount(w: TsWriter, mv: MessageView, field: LayoutField, oolCounts: Map<string, string>): void {
  const arg = mv.argOf(field);
  const at = mv.at(field);
  // The count of a variable inline array was computed up front.
  const counted = mv.variables.find((v) => v.field.variable!.countField === field.name);
  if (counted !== undefined) {
    w.writeLine(`view.setUint32(${at}, ${counted.countVar}, true);`);
    return;
  }
  if (arg.kind === 'countInOut') {
    w.writeLine(`view.setUint32(${at}, checkInt(values.${arg.name}, 32, 'unsigned', ${label(arg.name)}), true);`);
    return;
  }
  const count = oolCounts.get(arg.parent ?? '');
  if (count === undefined) throw new Error(`tsmig: count field ${field.name} of ${mv.layout.struct} has no array`);
  w.writeLine(`view.setUint32(${at}, ${count}, true);`);
}

function writeData(w: TsWriter, mv: MessageView, field: LayoutField, strings: Map<string, string>): void {
  const arg = mv.argOf(field);
  const codec = codecOf(arg);
  const at = mv.at(field);
  if (field.variable) {
    const local = strings.get(arg.name);
    w.writeLine(local !== undefined ? `bytes.set(${local}, ${at});` : `writeArray(bytes, ${at}, ${value(arg)});`);
    return;
  }
  switch (codec.kind) {
    case 'scalar':
      w.writeLine(writeScalar(codec.scalar, at, checkScalar(codec.scalar, value(arg), arg.name)));
      return;
    case 'cstring':
      // A fixed c_string: the characters and the NUL in a buffer of the full size.
      w.writeLine(`bytes.set(encodeCString(${value(arg)}, ${field.size}, ${label(arg.name)}), ${at});`);
      return;
    case 'array': {
      const count = field.size / codec.element.bytes;
      w.writeLine(`arrayCount(${value(arg)}, ${codec.element.bytes}, ${codec.element.bytes}, ${count}, true, ${label(arg.name)});`);
      w.writeLine(`writeArray(bytes, ${at}, ${value(arg)});`);
      return;
    }
    default:
      throw new Error(`tsmig: data field ${field.name} of ${mv.layout.struct} holds a ${codec.kind}`);
  }
}
