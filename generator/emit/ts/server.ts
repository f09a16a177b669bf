// Emit stage (TypeScript): a routine's server pieces — the handler's method
// signature in the server interface, and its demux entry: the decoder, the
// call that hands the handler its typed arguments (Ports and regions from
// the received message, which the handler owns once it succeeds), and the
// reply builder that turns the handler's result into the reply's wire values.

import type { IrArgument } from '../../check/ir.js';
import { receivedExpression } from './client.js';
import { writeDocs, type FunctionDecl } from './declarations.js';
import { PRINT_WIDTH } from './layout-doc.js';
import { quote } from './naming.js';
import { resultType, serverResultDiffers, type RoutineModel } from './routine.js';
import { codecOf } from './types.js';
import type { TsWriter } from './writer.js';

/** The handler's result type. */
export function handlerResultType(model: RoutineModel): string {
  if (model.layout.reply === null) return 'void';
  return resultType(model.serverResults, serverResultDiffers(model) ? model.names.serverResultType : model.names.resultType);
}

/** The handler's method in the server interface. */
export function serverMethod(model: RoutineModel): FunctionDecl {
  const { rt, names } = model;
  const result = handlerResultType(model);
  const oneWay = model.layout.reply === null;
  const docs = [
    `\`${rt.name}\` (${model.source}).${oneWay ? ' A simpleroutine: no reply is sent; the handler owns the request (its Ports and regions) once it returns.' : ' Returning (or resolving) replies; throwing a MachError replies with its code, anything else with KERN_FAILURE, and the request’s rights and regions are then destroyed. On success the handler owns them.'}`,
    ...model.serverParams.map((p) => `@param ${p.name} ${p.doc}`),
    `@param call the request, and ${oneWay ? 'nothing to defer' : 'deferReply() to answer later (MIG_NO_REPLY)'}`,
  ];
  return {
    name: names.serverMethod,
    docs: docs.join('\n'),
    parameters: [...model.serverParams.map((p) => ({ name: p.name, type: p.type })), { name: 'call', type: `ServerCall<${result}>` }],
    returnType: oneWay ? 'void | Promise<void>' : `ServerReturn<${result}>`,
  };
}

/** The argument the handler gets for a decoded request value. */
function handlerArgument(model: RoutineModel, arg: IrArgument): string {
  if (arg.kind === 'replyPort') return 'message.replyPort';
  return receivedExpression(model, arg, 'request', 'message', 'request');
}

/** The wire value a reply carries for one of the handler's results. */
function replyValue(arg: IrArgument, result: string): string {
  const what = quote(arg.name);
  if (arg.kind === 'dealloc') return result;
  const codec = codecOf(arg);
  if (codec.kind === 'port') {
    return codec.sendPoly ? `sendTransfer(${result}, moved, ${what})` : `sendPort(${result}, ${arg.type.ipc.sent}, moved, ${what})`;
  }
  if (codec.kind === 'ports') {
    const element = arg.type.arrayElement ?? arg.type;
    return codec.sendPoly ? `sendPortArray(${result}, moved, ${what})` : `sendPorts(${result}, ${element.ipc.sent}, moved, ${what})`;
  }
  return result;
}

/** Writes the demux entry of a routine (a module constant). */
export function serverEntry(w: TsWriter, model: RoutineModel, implType: string): void {
  const { rt, names, layout } = model;
  const oneWay = layout.reply === null;
  const result = handlerResultType(model);
  const args = model.serverParams.map((p) => handlerArgument(model, p.arg));
  const call = `impl.${names.serverMethod}(${[...args, 'call'].join(', ')})`;
  // Parameters the call does not read are marked unused.
  const request = /\brequest\./.test(call) ? 'request' : '_request';
  const message = /\bmessage\./.test(call) ? 'message' : '_message';
  const invoke = `(impl: ${implType}, ${request}: ${names.requestType}, ${message}: ReceivedMessage, call: ServerCall<${result}>) => ${call}`;
  writeDocs(w, `The demux entry of \`${rt.name}\` (${model.source}).`);
  const head = `const ${names.entry}: ServerRoutine<${implType}> =`;
  const entry = (): void => {
    w.block(() => {
      w.writeLine(`name: ${quote(rt.name)},`);
      w.writeLine(`oneWay: ${oneWay},`);
      if (oneWay && model.serverParams.some((p) => p.arg.kind === 'replyPort')) w.writeLine('handlerTakesReplyPort: true,');
      w.writeLine(`decode: ${names.decodeRequest},`);
      w.writeLine(`invoke: ${invoke},`);
      if (!oneWay) writeReply(w, model, result);
    });
    w.write(';').newLine();
  };
  // The object opens on the declaration's line when `= {` fits there, else on the next, indented.
  if (head.length + ' {'.length <= PRINT_WIDTH) {
    w.write(`${head} `);
    entry();
  } else {
    w.writeLine(head).indent(entry);
  }
}

function writeReply(w: TsWriter, model: RoutineModel, result: string): void {
  const results = model.serverResults;
  const usesMoved = results.some((r) => r.codec !== undefined && (r.codec.kind === 'port' || r.codec.kind === 'ports'));
  const resultName = results.length === 0 ? '_result' : 'result';
  const params = `(${resultName}: ${result}, replyTo: PortName, ${usesMoved ? 'moved' : '_moved'}: Port[])`;
  const valueOf = (i: number): string => (results.length === 1 ? 'result' : `result.${results[i].key}`);
  const entries: string[] = [];
  for (const value of model.reply) {
    const index = results.findIndex((r) => r.arg === value.arg);
    if (index >= 0) entries.push(`${value.key}: ${replyValue(value.arg, valueOf(index))},`);
  }
  if (entries.length === 0) {
    w.writeLine(`reply: ${params} => ${model.names.encodeReply}({}, replyTo),`);
    return;
  }
  // The reply's values stay open, one a line, so the encoder call goes below the arrow with one argument a line.
  w.writeLine(`reply: ${params} =>`).indent(() => {
    w.writeLine(`${model.names.encodeReply}(`).indent(() => {
      w.block(() => entries.forEach((e) => w.writeLine(e)));
      w.write(',').newLine();
      w.writeLine('replyTo,');
    });
    w.writeLine('),');
  });
}
