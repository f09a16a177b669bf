// Malformed requests against a Node server child (generated from the wire
// corpus's kinds.defs): every bad request of the corpus that a kernel would
// deliver, sent for real with real rights, then random bytes. Each gets
// exactly its MIG error back (or nothing, without a reply port), the server
// keeps serving, its own counts of names, rights, descriptors and
// out-of-line bytes are unchanged, and every right the bad message carried
// is seen destroyed exactly once from this side: a made or copied send
// right leaves its port with no senders, a send-once right turns into the
// send-once notification, a moved receive right's port dies (dead-name).
// Random complex messages (random descriptors carrying real rights and
// regions, random bytes around them) get the same scrutiny.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocatePort, sendRaw, type Notification, type Port, type ReceivedMessage } from 'tsmig';
import { deliverable, kernelRefuses, type Delivery } from '../wire/deliver.js';
import { codeOf, loadCorpus, messageOf, wireDir, type Corpus, type VectorJson } from '../wire/format.js';
import { compiledStubs, expectResourcesBackTo, here, PATIENCE_MS, settledResources, startChild, type Child } from './helpers.js';

// The hand-derived bad requests and those captured from Apple's MIG (with Apple's server's errors), as far as a kernel delivers them.
const corpus = loadCorpus(join(wireDir, 'vectors', 'kinds.json'));
const apple = loadCorpus(join(wireDir, 'vectors', 'kinds-apple.json'));
const bad = [corpus, apple].flatMap((c) =>
  c.json.vectors
    .filter((v) => v.kind === 'badRequest' && v.deliverable !== false && kernelRefuses(messageOf(c, v).bytes) === null)
    .map((vector) => ({ corpus: c, vector, label: `${c.json.interface}: ${vector.name}` })),
);

let child: Child;
let service: Port;
let control: Port;
let before: Record<string, number>;

const SERVER = join(here, 'children', 'kinds-server.mjs');

beforeAll(async () => {
  const stubs = await compiledStubs(join(wireDir, 'defs', 'kinds.defs'));
  // Warm up what a process creates once: child plumbing, and the runtime's thread that watches foreign ports die.
  const warm = await startChild(SERVER, [stubs]);
  const notify = allocatePort();
  const dead = new Promise((resolve) => notify.once('dead-name', resolve));
  // The child exits once its service has no senders; its control port then dies.
  warm.ports.control.requestNotification('dead-name', notify);
  warm.ports.service.close();
  await dead;
  notify.close();
  await warm.finish();
  before = await settledResources();
  child = await startChild(SERVER, [stubs]);
  ({ service, control } = child.ports);
});

afterAll(async () => {
  await child.finish();
  await expectResourcesBackTo(before);
});

/** The child's counts, from its control port. */
async function childCounts(): Promise<Record<string, number>> {
  const replyPort = allocatePort();
  try {
    await control.send({ id: 77, replyPort });
    const reply = await replyPort.receive({ timeout: PATIENCE_MS });
    return JSON.parse(new TextDecoder().decode(reply.body).replace(/\0+$/, '')) as Record<string, number>;
  } finally {
    replyPort.close();
  }
}

/** Sends a good request and waits for its reply: the server has handled everything sent before. */
async function roundTrip(): Promise<void> {
  const delivery = deliverable(messageOf(corpus, corpus.vector('scalars.request')), service);
  await sendRaw(delivery.raw);
  const reply = await delivery.replyPort!.receive({ timeout: PATIENCE_MS });
  expect(reply.id).toBe(5100);
  reply.destroy();
  delivery.replyPort!.close();
  for (const port of delivery.kept) port.close();
}

/** The notification a port receives next. */
async function nextNotification(port: Port): Promise<Notification | undefined> {
  const message = await port.receive({ timeout: PATIENCE_MS, trailer: 'audit' });
  return message.notification;
}

/**
 * Proves each right the message carried is gone from the server: for a send
 * right, once the test drops its own, its port reports no senders; for a
 * send-once right, its port gets the send-once notification; for a receive
 * right, the test's send right to it becomes a dead name.
 */
async function expectCarriedDestroyed(delivery: Delivery): Promise<void> {
  const deadNames = allocatePort();
  try {
    for (const right of delivery.carried) {
      if (right.disposition === 16) {
        const dead = new Promise<Notification>((resolve) => deadNames.once('dead-name', resolve));
        right.send!.requestNotification('dead-name', deadNames, { immediate: true });
        expect((await dead).kind).toBe('dead-name');
      } else if (right.disposition === 18 || right.disposition === 21) {
        expect((await nextNotification(right.receive!))?.kind).toBe('send-once');
      } else {
        // The test's own copied send rights go first; then no sender may remain anywhere.
        for (const port of delivery.kept) if (!port.closed && port.right === 'send' && port.name === right.receive!.name) port.close();
        right.receive!.requestNotification('no-senders', right.receive!, { makeSendCount: 1 });
        expect((await nextNotification(right.receive!))?.kind).toBe('no-senders');
      }
    }
  } finally {
    deadNames.close();
  }
}

describe('every bad request of the wire corpus, across processes', () => {
  it.each(bad)('$label', async ({ corpus: source, vector }: { corpus: Corpus; vector: VectorJson }) => {
    const counts = await childCounts();
    const message = messageOf(source, vector);
    const delivery = deliverable(message, service);
    await sendRaw(delivery.raw);
    const code = codeOf(vector.error!);
    if (delivery.replyPort !== null) {
      const reply = await delivery.replyPort.receive({ timeout: PATIENCE_MS });
      expect(reply.id).toBe(new DataView(message.bytes.buffer).getInt32(20, true) + 100);
      if (code !== 0) {
        expect(reply.size).toBe(36);
        expect(new DataView(reply.bytes.buffer, reply.bytes.byteOffset).getInt32(32, true)).toBe(code);
      }
      reply.destroy();
    } else {
      await roundTrip();
    }
    // A rejected request's rights are the server's to destroy; an accepted one's the handler's (which releases them too).
    await expectCarriedDestroyed(delivery);
    delivery.replyPort?.close();
    for (const port of delivery.kept) port.close();
    expect(await childCounts()).toEqual(counts);
  });

  it('random bytes: an error (or a valid reply) for each, and the server keeps serving', async () => {
    const counts = await childCounts();
    let seed = 12345;
    const random = (): number => {
      // xorshift32: the same bytes every run.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const errors = new Set<number>();
    for (let n = 0; n < 300; n++) {
      const size = 24 + 4 * (random() % 30);
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = random() & 0xff;
      const view = new DataView(bytes.buffer);
      const replyPort = allocatePort();
      // A simple message (no descriptors for the kernel to parse) with a reply port, to an id near the subsystem's.
      view.setUint32(0, 0x1513, true);
      view.setUint32(4, size, true);
      view.setUint32(8, service.name, true);
      view.setUint32(12, replyPort.name, true);
      view.setUint32(16, 0, true);
      view.setInt32(20, 4998 + (random() % 14), true);
      await sendRaw({ bytes });
      const reply: ReceivedMessage = await replyPort.receive({ timeout: PATIENCE_MS });
      expect(reply.id).toBe(view.getInt32(20, true) + 100);
      if (reply.size === 36 && !reply.complex) {
        const code = new DataView(reply.bytes.buffer, reply.bytes.byteOffset).getInt32(32, true);
        if (code !== 0) errors.add(code);
      }
      reply.destroy();
      replyPort.close();
    }
    expect([...errors].every((code) => [-300, -303, -304].includes(code))).toBe(true);
    expect(errors.has(-303)).toBe(true);
    expect(errors.has(-304)).toBe(true);
    await roundTrip();
    expect(await childCounts()).toEqual(counts);
  });

  it('random complex messages carrying real rights and regions: an answer for each, every right destroyed, counts unchanged', async () => {
    const counts = await childCounts();
    let seed = 0x9e3779b9;
    const random = (n: number): number => {
      // xorshift32: the same messages every run.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    // Every id of the subsystem but the simpleroutine's (5007: a well-formed one gets no reply), and ids around it.
    const ids = [4998, 4999, 5000, 5001, 5002, 5003, 5004, 5005, 5006, 5008, 5009, 5010];
    const sendDispositions = [16, 17, 18, 19, 20, 21];
    const errors = new Set<number>();
    let rights = 0;
    for (let n = 0; n < 120; n++) {
      const descriptors = 1 + random(4);
      const words: number[] = [0x80001513, 0, 0, 1, 0, ids[random(ids.length)], descriptors];
      const ool: Uint8Array[] = [];
      const oolPorts: Uint32Array[] = [];
      for (let d = 0; d < descriptors; d++) {
        const type = random(3);
        const disposition = sendDispositions[random(sendDispositions.length)];
        if (type === 0) {
          // A port descriptor: name (non-zero: a right is made for it), pad, then pad / disposition / type bytes.
          words.push(1, 0, disposition << 16);
        } else if (type === 1) {
          const size = random(3) * 4 + random(2) * 4096;
          ool.push(Uint8Array.from({ length: size }, () => random(256)));
          // Out-of-line data: 64-bit address, then deallocate / copy (physical or virtual) / pad / type bytes, then the size.
          words.push(0, 0, random(2) | (random(2) << 8) | (1 << 24), size);
        } else {
          const count = random(4);
          oolPorts.push(new Uint32Array(count).fill(1));
          // Out-of-line ports: 64-bit address, then deallocate / copy / disposition / type bytes, then the count.
          words.push(0, 0, random(2) | (random(2) << 8) | (disposition << 16) | (2 << 24), count);
        }
      }
      for (let extra = random(8); extra > 0; extra--) words.push(random(2) === 0 ? random(8) : random(0x7fffffff));
      const bytes = new Uint8Array(Uint32Array.from(words).buffer);
      new DataView(bytes.buffer).setUint32(4, bytes.length, true);
      expect(kernelRefuses(bytes)).toBeNull();
      const delivery = deliverable({ bytes, dontCare: [], ool, oolPorts }, service);
      await sendRaw(delivery.raw);
      const reply = await delivery.replyPort!.receive({ timeout: PATIENCE_MS });
      expect(reply.id).toBe(words[5] + 100);
      if (reply.size === 36 && !reply.complex) {
        const code = new DataView(reply.bytes.buffer, reply.bytes.byteOffset).getInt32(32, true);
        if (code !== 0) errors.add(code);
      }
      reply.destroy();
      rights += delivery.carried.length;
      await expectCarriedDestroyed(delivery);
      delivery.replyPort!.close();
      for (const port of delivery.kept) port.close();
    }
    expect([...errors].every((code) => [-300, -303, -304].includes(code))).toBe(true);
    expect(errors.has(-303)).toBe(true);
    expect(errors.has(-304)).toBe(true);
    // The messages did carry rights (about two per message).
    expect(rights).toBeGreaterThan(120);
    await roundTrip();
    expect(await childCounts()).toEqual(counts);
  });
});

afterAll(() => {
  service.close();
  control.close();
});
