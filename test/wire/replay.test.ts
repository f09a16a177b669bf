// The wire corpus replayed by the TypeScript encoders and decoders: each
// good message is what the generated encoder produces from the vector's
// values (don't-care bytes aside), and the generated decoder reads its
// received form back to those values; an error reply is the runtime's;
// every bad message makes the decoder return exactly the vector's error.
// Don't-care bytes are filled with garbage before decoding, as Apple's stubs
// leave them.

import { describe, expect, it } from 'vitest';
import { encodeErrorReply } from 'tsmig';
import {
  codeOf,
  loadCorpora,
  masked,
  messageOf,
  receivedForm,
  receivedValues,
  toHex,
  trailerValues,
  valuesFromJson,
  type Corpus,
  type MessageBytes,
  type VectorJson,
} from './format.js';
import { loadStubs, routineFunctions, type Stubs } from './stubs.js';

const corpora = loadCorpora();
const stubs = new Map<Corpus, Stubs>();
for (const corpus of corpora) stubs.set(corpus, await loadStubs(corpus));

const vectors = corpora.flatMap((corpus) => corpus.json.vectors.map((vector) => ({ corpus, vector, label: `${corpus.json.interface}: ${vector.name} (${vector.kind})` })));

/** The message as a receiver gets it, with the sender's uninitialised bytes as garbage. */
function received(message: MessageBytes, vector: VectorJson): { bytes: Uint8Array; ool: Uint8Array[]; oolPorts: { names: Uint32Array }[] } {
  const dirty = message.bytes.slice();
  for (const [start, end] of message.dontCare) dirty.fill(0xa5, start, Math.min(end, dirty.length));
  return { bytes: receivedForm(dirty, vector.trailer), ool: message.ool, oolPorts: message.oolPorts.map((names) => ({ names })) };
}

function expectSameMessage(actual: { bytes: Uint8Array; ool: readonly Uint8Array[]; oolPorts: readonly Uint32Array[] }, expected: MessageBytes): void {
  expect(toHex(masked(actual.bytes, expected.dontCare))).toBe(toHex(masked(expected.bytes, expected.dontCare)));
  expect(actual.ool.map(toHex)).toEqual(expected.ool.map(toHex));
  expect(actual.oolPorts.map((names) => [...names])).toEqual(expected.oolPorts.map((names) => [...names]));
}

describe('the wire corpus, replayed by the TypeScript stubs', () => {
  it('has vectors of every kind', () => {
    const kinds = new Set(vectors.map((v) => v.vector.kind));
    expect([...kinds].sort()).toEqual(['badReply', 'badRequest', 'errorReply', 'reply', 'request']);
  });

  it.each(vectors)('$label', ({ corpus, vector }) => {
    const message = messageOf(corpus, vector);
    const generated = stubs.get(corpus)!;
    if (vector.routine === undefined || vector.error === 'MIG_BAD_ID') {
      // A message for no routine: no decoder is for it (the demux answers MIG_BAD_ID).
      expect(vector.error).toBe('MIG_BAD_ID');
      const { ir } = corpus.compiled;
      const id = new DataView(message.bytes.buffer).getInt32(20, true);
      // Outside the subsystem, or a `skip` slot inside it.
      expect(ir.routines.some((r) => r.id === id)).toBe(false);
      return;
    }
    const { rt, layout } = corpus.routine(vector.routine);
    const fns = routineFunctions(generated, vector.routine);
    switch (vector.kind) {
      case 'request': {
        const values = valuesFromJson(rt, 'request', vector.values ?? {});
        const encoded = vector.replyPort !== undefined ? fns.encodeRequest(values, vector.replyPort) : fns.encodeRequest(values);
        expectSameMessage(encoded, message);
        const decoded = fns.decodeRequest(received(message, vector));
        // A dealloc[] flag is encode-only: no receiver can see it.
        const encodeOnly = new Set(rt.args.filter((a) => a.kind === 'dealloc').map((a) => a.name));
        const seen = Object.fromEntries(Object.entries(receivedValues(values)).filter(([key]) => !encodeOnly.has(key)));
        expect(decoded).toEqual({ ...seen, ...trailerValues(layout.request, vector.trailer) });
        break;
      }
      case 'reply': {
        const values = valuesFromJson(rt, 'reply', vector.values ?? {});
        expectSameMessage(fns.encodeReply!(values, vector.replyTo), message);
        expect(fns.decodeReply!(received(message, vector))).toEqual({ ...receivedValues(values), ...trailerValues(layout.reply!, vector.trailer) });
        break;
      }
      case 'errorReply': {
        const code = codeOf(vector.error!);
        expectSameMessage(encodeErrorReply(rt.id, code, vector.replyTo!), message);
        expect(fns.decodeReply!(received(message, vector))).toBe(code);
        break;
      }
      case 'badRequest': {
        const decoded = fns.decodeRequest(received(message, vector));
        if (codeOf(vector.error!) === 0) expect(typeof decoded).toBe('object');
        else expect(decoded).toBe(codeOf(vector.error!));
        break;
      }
      case 'badReply':
        if (vector.error === 'MACH_RCV_TOO_LARGE') {
          // The client's receive refuses it before any check: larger than its buffer.
          expect(message.bytes.length).toBeGreaterThan(Math.max(layout.reply!.maxSize, 36));
        } else {
          expect(fns.decodeReply!(received(message, vector), vector.capacities)).toBe(codeOf(vector.error!));
        }
        break;
    }
  });
});
