// The wire corpus against the TypeScript server demux, with real ports: each
// request of the corpus (good or bad) is sent for real to a served port,
// with real rights in place of its port names. A good one is handled and
// answered with a success reply; a bad one is answered with exactly its
// error in a 36-byte error reply (or not at all without a reply port), and
// everything it carried is destroyed: once the test releases what it kept,
// the task's names, rights and out-of-line bytes are back where they were.
// The server keeps serving throughout.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocatePort, releaseOutOfLine, sendRaw, spaceStats, type Port, type ReceivedMessage, type ServerHandle } from 'tsmig';
import { deliverable, kernelRefuses } from './deliver.js';
import { codeOf, loadCorpora, messageOf, type Corpus, type VectorJson } from './format.js';
import { loadStubs, routineFunctions, type Stubs } from './stubs.js';

const PATIENCE_MS = 20_000;

/** Counts that must come back after every exchange. */
function counts(): Record<string, number> {
  const s = spaceStats();
  return {
    names: s.names,
    receiveRights: s.receiveRights,
    sendRights: s.sendRights,
    sendOnceRights: s.sendOnceRights,
    deadNames: s.deadNames,
    outOfLineBytes: s.outOfLineBytes,
  };
}

/** Handlers that succeed and release everything they are given (on success the handler owns it). */
function implementation(name: string, served: Port): object {
  const release = (call: { message: ReceivedMessage }): void => {
    for (const region of call.message.ool) releaseOutOfLine(region);
  };
  const close = (...ports: (Port | null | readonly (Port | null)[])[]): void => {
    for (const p of ports.flat()) p?.close();
  };
  if (name === 'calc') {
    return {
      add: (a: number, b: number) => a + b,
      divide: (x: bigint, y: bigint) => ({ quotient: x / y, remainder: x % y }),
      logValue: () => {},
      ping: () => {},
    };
  }
  return {
    scalars: () => 1n,
    inlineArrays: () => ({ ov: new Uint8Array([1, 2]), tail: 3 }),
    strings: () => 'found',
    ports: (mv: Port, ms: Port, mso: Port, mr: Port, pair: readonly (Port | null)[]) => {
      close(mv, ms, mso, mr, pair);
      // MAKE_SEND from the served receive right: the Port stays the server's.
      return served;
    },
    poly: (p: Port | null) => {
      close(p);
      return null;
    },
    outOfLine: (_d: Uint8Array, _i: Int32Array, names: readonly (Port | null)[], call: { message: ReceivedMessage }) => {
      close(names);
      release(call);
      return new Uint8Array([9, 8, 7]);
    },
    trailer: () => {},
    oneway: () => {},
    counted: () => new Int32Array([4]),
  };
}

/** Interfaces `implementation` has handlers for: only their good requests can be answered with success. */
const IMPLEMENTED = new Set(['calc', 'kinds']);

/** A request of the interface that gets a reply (an error one without a handler), to know the server is done with what came before. */
function syncVector(corpus: Corpus): VectorJson {
  const routine = corpus.json.interface === 'calc' ? 'add' : corpus.json.interface === 'kinds' ? 'scalars' : undefined;
  return corpus.json.vectors.find((v) => v.kind === 'request' && (routine === undefined ? v.replyPort !== undefined : v.routine === routine))!;
}

for (const corpus of loadCorpora()) {
  // The other interfaces (gen-cpp's Apple captures) are here for their bad requests.
  const requests = corpus.json.vectors.filter(
    (v) =>
      (v.kind === 'request' && IMPLEMENTED.has(corpus.json.interface)) ||
      (v.kind === 'badRequest' && v.deliverable !== false && kernelRefuses(messageOf(corpus, v).bytes) === null),
  );
  const refused = corpus.json.vectors.filter((v) => v.kind === 'badRequest' && kernelRefuses(messageOf(corpus, v).bytes) !== null);

  describe(`${corpus.json.interface}: the demux answers every request of the corpus`, () => {
    let stubs: Stubs;
    let served: Port;
    let destination: Port;
    let server: ServerHandle;
    const handlerErrors: unknown[] = [];

    beforeAll(async () => {
      stubs = await loadStubs(corpus);
      served = allocatePort();
      destination = served.makeSendRight();
      const serve = Object.entries(stubs).find(([name]) => name.startsWith('serve'))![1] as (
        port: Port,
        impl: object,
        options: object,
      ) => ServerHandle;
      server = serve(served, implementation(corpus.json.interface, served), { onError: (error: unknown) => handlerErrors.push(error) });
    });

    afterAll(() => {
      server.stop();
      destination.close();
      served.close();
      expect(handlerErrors).toEqual([]);
    });

    /** Sends a vector's request for real; resolves to the reply (null without a reply port) and releases what the test made. */
    async function exchange(vector: VectorJson): Promise<ReceivedMessage | null> {
      const delivery = deliverable(messageOf(corpus, vector), destination);
      try {
        await sendRaw(delivery.raw);
        return delivery.replyPort === null ? null : await delivery.replyPort.receive({ timeout: PATIENCE_MS });
      } finally {
        delivery.replyPort?.close();
        for (const port of delivery.kept) port.close();
      }
    }

    it.each(requests.map((vector) => ({ vector, label: vector.name })))('$label', async ({ vector }) => {
      const before = counts();
      const id = new DataView(messageOf(corpus, vector).bytes.buffer).getInt32(20, true);
      const reply = await exchange(vector);
      const code = vector.kind === 'request' ? 0 : codeOf(vector.error!);
      if (reply === null) {
        // No reply port: the next request's reply proves this one was handled (the demux keeps order).
        const sync = await exchange(syncVector(corpus));
        expect(sync?.id).toBe(new DataView(messageOf(corpus, syncVector(corpus)).bytes.buffer).getInt32(20, true) + 100);
        sync!.destroy();
      } else {
        expect(reply.id).toBe(id + 100);
        if (code === 0) {
          const { decodeReply } = routineFunctions(stubs, vector.routine!);
          expect(typeof decodeReply!(reply)).toBe('object');
        } else {
          expect(reply.size).toBe(36);
          expect(reply.complex).toBe(false);
          expect(new DataView(reply.bytes.buffer, reply.bytes.byteOffset).getInt32(32, true)).toBe(code);
        }
        reply.destroy();
      }
      expect(counts()).toEqual(before);
    });

    if (refused.length > 0) {
      it.each(refused.map((vector) => ({ vector, label: `${vector.name} (no kernel sends it)` })))('$label', async ({ vector }) => {
        const before = counts();
        const delivery = deliverable(messageOf(corpus, vector), destination);
        await expect(Promise.resolve().then(() => sendRaw(delivery.raw))).rejects.toThrow(TypeError);
        for (const port of [...delivery.kept, ...(delivery.raw.moved ?? [])]) port.close();
        delivery.replyPort?.close();
        expect(counts()).toEqual(before);
      });
    }
  });
}
