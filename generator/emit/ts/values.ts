// Emit stage (TypeScript): the values a message carries, as the wire layer
// names them. A request's values are its request port, its reply port
// argument, the in/inout arguments, a CountInOut capacity and a dealloc[]
// flag; a reply's the out/inout arguments (and dealloc[] flags). Trailer
// arguments are values decoders add. Counts and poly dispositions are not
// values: the arrays' lengths and the ports' dispositions carry them. Keys
// are MIG's argument names, as the shared wire corpus names them.

import type { IrArgument, IrRoutine } from '../../check/ir.js';
import { EmitError } from '../index.js';
import { codecOf, TRAILER_VALUES, wireType, type Codec } from './types.js';

/** One value of a message's wire interface. */
export interface WireValue {
  arg: IrArgument;
  /** The property key: MIG's argument name. */
  key: string;
  /** Its TypeScript type. */
  type: string;
  /** What it is, for the interface's JSDoc. */
  doc: string;
  /** Only decoders produce it (trailer values). */
  decodeOnly: boolean;
  /** Only encoders take it (a dealloc[] flag: the receiver's kernel rewrites the descriptor's deallocate bit). */
  encodeOnly?: boolean;
  /** The codec of an argument value (undefined for counts, flags and trailer values). */
  codec?: Codec;
}

function dispositionDoc(a: IrArgument, codec: Codec): string {
  if (codec.kind !== 'port' && codec.kind !== 'ports') return '';
  const ipc = a.type.ipc;
  return codec.sendPoly ? ' (polymorphic: the disposition is chosen by the sender)' : ` (sent as ${ipc.sentName}, received as ${ipc.receivedName})`;
}

/** The values of a routine's request or reply, in argument order. */
export function messageValues(rt: IrRoutine, which: 'request' | 'reply'): WireValue[] {
  const values: WireValue[] = [];
  for (const a of rt.args) {
    const placement = which === 'request' ? a.requestPlacement : a.replyPlacement;
    if (placement === 'none') continue;
    switch (a.kind) {
      case 'requestPort':
      case 'replyPort': {
        const codec = codecOf(a);
        const role = a.kind === 'requestPort' ? 'the request port (the destination)' : 'the reply port';
        values.push({ arg: a, key: a.name, type: wireType(codec), doc: `${role}${dispositionDoc(a, codec)}`, decodeOnly: false, codec });
        break;
      }
      case 'in':
      case 'out':
      case 'inout': {
        const codec = codecOf(a);
        values.push({ arg: a, key: a.name, type: wireType(codec), doc: `\`${a.name}\`${dispositionDoc(a, codec)}`, decodeOnly: false, codec });
        break;
      }
      case 'countInOut':
        values.push({ arg: a, key: a.name, type: 'number', doc: `how many elements of \`${a.parent}\` the caller accepts (CountInOut)`, decodeOnly: false });
        break;
      case 'dealloc':
        values.push({ arg: a, key: a.name, type: 'boolean', doc: `whether \`${a.parent}\`'s region is given away (dealloc[])`, decodeOnly: false, encodeOnly: true });
        break;
      case 'msgSeqno':
      case 'secToken':
      case 'auditToken':
      case 'contextToken': {
        const element = a.trailer!;
        values.push({ arg: a, key: a.name, type: TRAILER_VALUES[element].type, doc: TRAILER_VALUES[element].doc, decodeOnly: true });
        break;
      }
      case 'retCode':
        throw new EmitError(`argument '${a.name}': a RetCode argument cannot be expressed in the TypeScript stubs`, a.loc);
      default:
        // Counts, SameCount counts and poly dispositions are carried by the values themselves.
        break;
    }
  }
  return values;
}
