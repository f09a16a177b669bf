// Emit stage (TypeScript): the model of one routine the fragments share —
// its generated names, where it was declared, its messages' values, and the
// parameters and results of its client method and server handler. Built
// from the IR and the routine's layout once, before any code is written.

import { basename } from 'node:path';
import type { IrArgument, IrRoutine } from '../../check/ir.js';
import type { RoutineLayout } from '../../layout/types.js';
import { camelCase, NameScope, pascalCase } from './naming.js';
import { codecOf, receivedType, sentType, TRAILER_VALUES, type Codec } from './types.js';
import { messageValues, type WireValue } from './values.js';

/** The names generated for one routine. */
export interface RoutineNames {
  /** `SendRights` (from MIG's routine name, without prefixes). */
  pascal: string;
  requestType: string;
  replyType: string;
  encodeRequest: string;
  decodeRequest: string;
  encodeReply: string;
  decodeReply: string;
  /** The client method's result type, when it returns several values. */
  resultType: string;
  /** The handler's result type, when it returns several values and sends polymorphic ports. */
  serverResultType: string;
  /** The client method (from the user-side name: UserPrefix + routine). */
  clientMethod: string;
  /** The handler method (from the server-side name: ServerPrefix + routine). */
  serverMethod: string;
  /** The module constant holding the routine's timing, when it is fixed. */
  timing: string;
  /** The module constant holding the routine's demux entry. */
  entry: string;
}

/** A parameter of the client method or the handler. */
export interface Param {
  arg: IrArgument;
  name: string;
  type: string;
  doc: string;
}

/** A value the client method or the handler returns. */
export interface ResultValue {
  arg: IrArgument;
  /** The key in a result object (camelCase). */
  key: string;
  type: string;
  doc: string;
  codec?: Codec;
}

/** Everything the fragments of one routine read. */
export interface RoutineModel {
  rt: IrRoutine;
  layout: RoutineLayout;
  names: RoutineNames;
  /** `calc.defs:12`. */
  source: string;
  request: WireValue[];
  reply: WireValue[];
  clientParams: Param[];
  clientResults: ResultValue[];
  serverParams: Param[];
  serverResults: ResultValue[];
}

/** Whether the sender of `arg` picks its disposition at run time. */
export function sendsPoly(arg: IrArgument): boolean {
  return arg.type.polymorphic === 'sent' || arg.type.polymorphic === 'both';
}

function argDoc(a: IrArgument): string {
  return `\`${a.name}\` (${a.type.name ?? 'an anonymous type'})`;
}

/** Builds the model of a routine; `scope` hands out module-level names, `methods` client and server member names. */
export function routineModel(
  rt: IrRoutine,
  layout: RoutineLayout,
  scope: NameScope,
  clientMembers: NameScope,
  serverMembers: NameScope,
): RoutineModel {
  const pascal = pascalCase(rt.name);
  const names: RoutineNames = {
    pascal,
    requestType: scope.claim(`${pascal}Request`),
    replyType: scope.claim(`${pascal}Reply`),
    encodeRequest: scope.claim(`encode${pascal}Request`),
    decodeRequest: scope.claim(`decode${pascal}Request`),
    encodeReply: scope.claim(`encode${pascal}Reply`),
    decodeReply: scope.claim(`decode${pascal}Reply`),
    resultType: scope.claim(`${pascal}Result`),
    serverResultType: scope.claim(`${pascal}ServerResult`),
    clientMethod: clientMembers.claim(camelCase(rt.userName)),
    serverMethod: serverMembers.claim(camelCase(rt.serverName)),
    timing: scope.claim(`${camelCase(rt.name)}Timing`),
    entry: scope.claim(`${camelCase(rt.name)}Routine`),
  };
  const source = `${basename(rt.loc.file)}:${rt.loc.line}`;

  const clientScope = new NameScope(['options', 'call']);
  const clientParams: Param[] = [];
  const clientResults: ResultValue[] = [];
  const serverScope = new NameScope(['call', 'options']);
  const serverParams: Param[] = [];
  const serverResults: ResultValue[] = [];

  for (const a of rt.args) {
    const camel = camelCase(a.name);
    switch (a.kind) {
      case 'requestPort':
        if (sendsPoly(a)) {
          clientParams.push({
            arg: a,
            name: clientScope.claim(`${camel}Disposition`),
            type: 'Disposition',
            doc: `how the request port is sent (${a.name} is polymorphic)`,
          });
        }
        break;
      case 'replyPort': {
        const codec = codecOf(a);
        if (a.userParameter) {
          clientParams.push({ arg: a, name: clientScope.claim(camel), type: sentType(codec).replace(' | null', ''), doc: `the reply port ${argDoc(a)}: the reply is received on it` });
        }
        if (rt.oneWay && a.serverParameter) {
          serverParams.push({ arg: a, name: serverScope.claim(camel), type: 'Port | null', doc: `the reply right ${argDoc(a)}: the handler owns it (and replies through it, or closes it)` });
        }
        break;
      }
      case 'in':
      case 'inout': {
        const codec = codecOf(a);
        clientParams.push({ arg: a, name: clientScope.claim(camel), type: sentType(codec), doc: argDoc(a) });
        serverParams.push({ arg: a, name: serverScope.claim(camel), type: receivedType(codec), doc: argDoc(a) });
        if (a.kind === 'inout') {
          clientResults.push({ arg: a, key: camel, type: receivedType(codec), doc: argDoc(a), codec });
          serverResults.push({ arg: a, key: camel, type: sentType(codec), doc: argDoc(a), codec });
        }
        break;
      }
      case 'out': {
        const codec = codecOf(a);
        clientResults.push({ arg: a, key: camel, type: receivedType(codec), doc: argDoc(a), codec });
        serverResults.push({ arg: a, key: camel, type: sentType(codec), doc: argDoc(a), codec });
        break;
      }
      case 'countInOut':
        clientParams.push({ arg: a, name: clientScope.claim(camel), type: 'number', doc: `how many elements of \`${a.parent}\` this caller accepts (CountInOut)` });
        serverParams.push({ arg: a, name: serverScope.claim(camel), type: 'number', doc: `how many elements of \`${a.parent}\` the caller accepts (CountInOut)` });
        break;
      case 'dealloc':
        if (a.inRequest) {
          clientParams.push({ arg: a, name: clientScope.claim(camel), type: 'boolean', doc: `give \`${a.parent}\`'s region away (dealloc[])` });
        } else if (a.inReply) {
          serverResults.push({ arg: a, key: camel, type: 'boolean', doc: `give \`${a.parent}\`'s region away (dealloc[])` });
        }
        break;
      case 'waitTime':
      case 'sendTime':
      case 'msgOption':
        if (a.userParameter) {
          const what = a.kind === 'msgOption' ? 'mach_msg options ORed in (MsgOption)' : `milliseconds the call may wait (${a.kind === 'waitTime' ? 'WaitTime' : 'SendTime'})`;
          clientParams.push({ arg: a, name: clientScope.claim(camel), type: 'number', doc: what });
        }
        break;
      case 'msgSeqno':
      case 'secToken':
      case 'auditToken':
      case 'contextToken': {
        const value = TRAILER_VALUES[a.trailer!];
        if (a.requestPlacement === 'trailer' && a.serverParameter) {
          serverParams.push({ arg: a, name: serverScope.claim(camel), type: value.type, doc: value.doc });
        }
        if (a.replyPlacement === 'trailer' && a.userParameter) {
          clientResults.push({ arg: a, key: camel, type: value.type, doc: value.doc.replace('sender', 'server') });
        }
        break;
      }
      default:
        break;
    }
  }

  return {
    rt,
    layout,
    names,
    source,
    request: messageValues(rt, 'request'),
    reply: layout.reply ? messageValues(rt, 'reply') : [],
    clientParams,
    clientResults,
    serverParams,
    serverResults,
  };
}

/** The TypeScript type of several results, or of the single one, or void. */
export function resultType(results: ResultValue[], objectType: string): string {
  if (results.length === 0) return 'void';
  if (results.length === 1) return results[0].type;
  return objectType;
}

/** Whether the handler's result type differs from the client's (it sends polymorphic ports). */
export function serverResultDiffers(model: RoutineModel): boolean {
  return model.serverResults.some((r, i) => r.type !== model.clientResults[i]?.type) || model.serverResults.length !== model.clientResults.length;
}
