// Emit stage (TypeScript): a routine's client method. It turns the typed
// arguments into the request's wire values (each Port checked against the
// right its disposition needs, moved Ports listed), encodes the request with
// the routine's encoder, sends it and waits for the reply through the client
// core, and decodes the reply with the routine's decoder; a failed check or
// the server's error destroys the reply and throws MigError / MachError.

import type { IrArgument } from '../../check/ir.js';
import type { MessageLayout } from '../../layout/types.js';
import type { FunctionDecl } from './declarations.js';
import { NameScope, quote } from './naming.js';
import { resultType, sendsPoly, type RoutineModel } from './routine.js';
import { codecOf, isMoveDisposition } from './types.js';
import type { TsWriter } from './writer.js';

/** mach_msg options whose meaning the TypeScript stubs keep; other names in a MsgOption are ignored. */
const MSG_OPTIONS: Record<string, number> = {
  MACH_MSG_OPTION_NONE: 0,
  MACH_SEND_TIMEOUT: 0x10,
  MACH_RCV_TIMEOUT: 0x100,
};

/** A `.defs` number (decimal, hex or octal as C writes it), or undefined for anything else. */
function cNumber(text: string): number | undefined {
  const t = text.trim().replace(/[uUlL]+$/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t, 16);
  if (/^0[0-7]*$/.test(t)) return parseInt(t, 8);
  if (/^[1-9][0-9]*$/.test(t)) return parseInt(t, 10);
  return undefined;
}

/** The bits of a MsgOption text that matter to the stubs (MACH_SEND_TIMEOUT, MACH_RCV_TIMEOUT). */
export function msgOptionBits(text: string): number {
  let bits = 0;
  for (const part of text.split('|')) {
    const name = part.trim().replace(/^\((.*)\)$/, '$1');
    bits |= MSG_OPTIONS[name] ?? cNumber(name) ?? 0;
  }
  return bits;
}

/** The expression of a routine's timing, and whether it is fixed (a module constant) or depends on arguments. */
export function timingExpression(model: RoutineModel, paramOf: (arg: string) => string | undefined): { expression: string; fixed: boolean } {
  const rt = model.rt;
  let wait = 'undefined';
  let send = 'undefined';
  let fixed = true;
  if (rt.timeout !== null) {
    let value: string;
    if ('argument' in rt.timeout) {
      value = paramOf(rt.timeout.argument) ?? 'undefined';
      fixed = false;
    } else {
      const n = cNumber(rt.timeout.text);
      // A WaitTime naming a C expression: the client's constructor option gives the milliseconds.
      value = n !== undefined ? String(n) : 'this.core.options.waitTime';
      if (n === undefined) fixed = false;
    }
    if (rt.timeout.kind === 'waitTime') wait = value;
    else send = value;
  }
  let option: string;
  if ('argument' in rt.msgOption) {
    option = paramOf(rt.msgOption.argument) ?? '0';
    fixed = false;
  } else {
    option = String(msgOptionBits(rt.msgOption.text));
  }
  return { expression: `routineTiming(${wait}, ${send}, ${option})`, fixed };
}

/** The trailer the client must receive the reply with. */
function replyTrailer(reply: MessageLayout): string {
  const elements = reply.trailer.rcvElements;
  return elements === 0 ? 'none' : elements === 1 ? 'seqno' : elements === 2 ? 'sender' : 'audit';
}

/** The expression that makes the wire value of a sent argument from the method's parameter. */
function sentValue(arg: IrArgument, param: string, moved: string, portsMoved: () => void): string {
  const codec = codecOf(arg);
  const what = quote(arg.name);
  if (codec.kind === 'port') {
    portsMoved();
    return codec.sendPoly ? `sendTransfer(${param}, ${moved}, ${what})` : `sendPort(${param}, ${arg.type.ipc.sent}, ${moved}, ${what})`;
  }
  if (codec.kind === 'ports') {
    portsMoved();
    const element = arg.type.arrayElement ?? arg.type;
    return codec.sendPoly ? `sendPortArray(${param}, ${moved}, ${what})` : `sendPorts(${param}, ${element.ipc.sent}, ${moved}, ${what})`;
  }
  return param;
}

/** The client method of a routine. */
export function clientMethod(model: RoutineModel): FunctionDecl {
  const { rt, layout, names } = model;
  const params = new Map(model.clientParams.map((p) => [p.arg.name, p.name]));
  const timing = timingExpression(model, (arg) => params.get(arg));
  const oneWay = layout.reply === null;
  const explicitReply = rt.replyPort.kind === 'argument' && rt.replyPort.side !== 'server' ? rt.args.find((a) => a.kind === 'replyPort' && a.userParameter) : undefined;
  // A simpleroutine whose server takes a reply port the client stub supplies (sreplyport): the caller gets it.
  const suppliesReplyPort = oneWay && layout.requestHeader.local.disposition !== null && layout.requestHeader.local.arg === null;
  const results = model.clientResults;
  const returns = oneWay ? (suppliesReplyPort ? 'Port' : 'void') : resultType(results, names.resultType);

  const docs = [
    `\`${rt.name}\` (${model.source}): ${oneWay ? 'a simpleroutine — resolves once the request is queued at the server' : 'sends the request and resolves to the reply'}.`,
    ...model.clientParams.map((p) => `@param ${p.name} ${p.doc}`),
    '@param options per-call timeout and AbortSignal',
  ];
  if (suppliesReplyPort) docs.push('@returns the receive right the server was given a send-once right to (its reply, if any, arrives there)');
  const moves = model.clientParams.some((p) => {
    const c = p.arg.kind === 'in' || p.arg.kind === 'inout' || p.arg.kind === 'replyPort' ? codecOf(p.arg) : undefined;
    return c !== undefined && (c.kind === 'port' || c.kind === 'ports');
  });
  if (moves) docs.push('Ports sent with a MOVE disposition are consumed (closed) once the request is sent; the others stay the caller’s.');

  return {
    name: names.clientMethod,
    isAsync: true,
    docs: docs.join('\n'),
    parameters: [...model.clientParams.map((p) => ({ name: p.name, type: p.type })), { name: 'options', type: 'CallOptions', optional: true }],
    returnType: `Promise<${returns}>`,
    body: (w: TsWriter) => {
      // Locals never shadow a parameter: they take the next free name.
      const locals = new NameScope([...model.clientParams.map((p) => p.name), 'options']);
      const moved = locals.claim('moved');
      const replyPort = locals.claim('replyPort');
      const request = locals.claim('request');
      const reply = locals.claim('reply');
      const values = locals.claim('values');
      let usesMoved = false;
      const entries: string[] = [];
      for (const value of model.request) {
        const a = value.arg;
        const what = quote(a.name);
        if (a.kind === 'requestPort') {
          const d = layout.requestHeader.remote.disposition;
          const poly = params.get(a.name);
          if (poly !== undefined) {
            usesMoved = true;
            entries.push(`${a.name}: sendTransfer({ port: this.core.port, disposition: ${poly} }, ${moved}, ${what})`);
          } else if (isMoveDisposition(d.sent)) {
            // The request port is consumed by the call: this client's Port closes once the request is sent.
            usesMoved = true;
            entries.push(`${a.name}: sendPort(this.core.port, ${d.sent}, ${moved}, ${what})`);
          } else {
            entries.push(`${a.name}: this.core.destination(${d.sent})`);
          }
          continue;
        }
        if (a.kind === 'replyPort' && !a.userParameter) {
          entries.push(`${a.name}: { name: ${replyPort}.name, disposition: ${a.type.ipc.sent} }`);
          continue;
        }
        const param = params.get(a.name);
        if (param === undefined) continue;
        const sent = sentValue(a, param, moved, () => (usesMoved = true));
        entries.push(sent === a.name ? a.name : `${a.name}: ${sent}`);
      }
      if (usesMoved) w.writeLine(`const ${moved}: Port[] = [];`);
      if (!oneWay && explicitReply === undefined) w.writeLine(`const ${replyPort} = this.core.replyPort();`);
      if (suppliesReplyPort) w.writeLine(`const ${replyPort} = allocatePort();`);
      const replyArgument = !oneWay && explicitReply === undefined && layout.requestHeader.local.arg === null ? `this.core.replyPortName(${replyPort})` : undefined;
      // The values object stays open, one entry a line; a second argument puts each argument on a line of its own.
      const writeEntries = (): void => {
        for (const e of entries) w.writeLine(`${e},`);
      };
      if (replyArgument === undefined) {
        w.write(`const ${request} = ${names.encodeRequest}(`).block(writeEntries).write(');').newLine();
      } else {
        w.writeLine(`const ${request} = ${names.encodeRequest}(`).indent(() => {
          w.block(writeEntries).write(',').newLine();
          w.writeLine(`${replyArgument},`);
        });
        w.writeLine(');');
      }
      const timingValue = timing.fixed ? names.timing : timing.expression;
      const movedArg = usesMoved ? moved : 'null';
      if (oneWay) {
        if (suppliesReplyPort) {
          w.write('try').block(() => w.writeLine(`await this.core.send(${request}, ${movedArg}, ${timingValue}, options);`));
          w.write('catch (error)').block(() => {
            w.writeLine(`${replyPort}.close();`);
            w.writeLine('throw error;');
          });
          w.writeLine(`return ${replyPort};`);
        } else {
          w.writeLine(`await this.core.send(${request}, ${movedArg}, ${timingValue}, options);`);
        }
        return;
      }
      const replyLayout = layout.reply!;
      const receiveOn = explicitReply !== undefined ? `${params.get(explicitReply.name)}${sendsPoly(explicitReply) ? '.port' : ''}` : replyPort;
      w.writeLine(
        `const ${reply} = await this.core.rpc(${request}, ${movedArg}, ${receiveOn}, ${explicitReply === undefined}, ${timingValue}, options, '${replyTrailer(replyLayout)}', ${Math.max(replyLayout.maxSize, 36)});`,
      );
      const capacities = model.clientParams.filter((p) => p.arg.kind === 'countInOut').map((p) => `${p.arg.parent}: ${p.name}`);
      w.writeLine(`const ${values} = ${names.decodeReply}(${reply}${capacities.length ? `, { ${capacities.join(', ')} }` : ''});`);
      w.writeLine(`if (typeof ${values} === 'number') throw this.core.replyFailed(${reply}, ${values});`);
      const expressions = results.map((r) => receivedExpression(model, r.arg, 'reply', reply, values));
      if (results.length === 1) w.writeLine(`return ${expressions[0]};`);
      else if (results.length > 1) {
        w.write('return').block(() => results.forEach((r, i) => w.writeLine(`${r.key}: ${expressions[i]},`)));
        w.write(';');
      }
    },
  };
}

/**
 * The typed value of a received argument: Ports come from the received
 * message (which wrapped every right it carried), everything else from the
 * decoded values.
 */
export function receivedExpression(
  model: RoutineModel,
  arg: IrArgument,
  direction: 'request' | 'reply',
  message: string,
  values: string,
): string {
  const which = direction === 'reply' ? model.layout.reply! : model.layout.request;
  if (arg.kind === 'replyPort') return `${message}.replyPort`;
  const field = which.fields.find((f) => f.role === 'descriptor' && f.arg === arg.name);
  const codec = arg.kind === 'in' || arg.kind === 'out' || arg.kind === 'inout' ? codecOf(arg) : undefined;
  if (field !== undefined && codec !== undefined && (codec.kind === 'port' || codec.kind === 'ports')) {
    let index = 0;
    for (const f of which.fields) {
      if (f === field) break;
      if (f.descriptor?.kind === field.descriptor!.kind) index += f.descriptor.count;
    }
    if (field.descriptor!.kind === 'oolPorts') return `${message}.oolPorts[${index}].ports`;
    if (codec.kind === 'port') return `${message}.ports[${index}]`;
    return `${message}.ports.slice(${index}, ${index} + ${values}.${arg.name}.length)`;
  }
  // Trailer values are optional in the shared values type (encoders do not take them); decoders always fill them in.
  const fromTrailer = arg.kind === 'msgSeqno' || arg.kind === 'secToken' || arg.kind === 'auditToken' || arg.kind === 'contextToken';
  return `${values}.${arg.name}${fromTrailer ? '!' : ''}`;
}
