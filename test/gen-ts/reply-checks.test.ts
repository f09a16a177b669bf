// The generated client's reply checks, with real ports: this test plays a
// misbehaving server by hand (it receives the request the generated
// RoundtripClient sends and answers it however it likes), so every error a
// MIG client reports for a bad reply comes back from a real call:
// MIG_REPLY_MISMATCH for a reply of another id, MIG_TYPE_ERROR for a wrong
// size or an unexpected complex reply, MACH_RCV_TOO_LARGE for a reply longer
// than the routine's largest (the client's receive buffer is sized as MIG
// sizes it), MIG_SERVER_DIED when the server destroys the reply right, the
// server's own code for an error reply. A rejected reply is destroyed
// exactly once (a right it carried leaves its port with no senders) and
// nothing is left behind.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MachError, MigError, allocatePort, type Port, type ReceivedMessage } from 'tsmig';
import { compiledStubs, expectResourcesBackTo, here, PATIENCE_MS, settledResources } from './helpers.js';

// add(int, int) → int of roundtrip.defs: request id 9016, reply id 9116, a 40-byte reply.
const ADD_REPLY_ID = 9116;

interface AddClient {
  add(a: number, b: number, options?: { timeout?: number }): Promise<number>;
  close(): void;
}

let Client: new (port: Port) => AddClient;
let before: Record<string, number>;

beforeAll(async () => {
  const stubs = await compiledStubs(join(here, 'defs', 'roundtrip.defs'));
  Client = ((await import(stubs)) as { RoundtripClient: typeof Client }).RoundtripClient;
  // One call end to end, and one send right carried in a message and destroyed (which starts the runtime's
  // once-per-process thread that watches rights in transit die), so what a process allocates once is not counted as a leak.
  await withServer(async (request) => {
    await request.replyPort!.send({ id: ADD_REPLY_ID, body: addReplyBody(0, 3) });
  }).then((result) => expect(result).toBe(3));
  const { port, gone } = watched();
  const carrier = allocatePort();
  await carrier.send({ id: 1, ports: [{ port, disposition: 'make-send' }] });
  (await carrier.receive({ timeout: PATIENCE_MS })).destroy();
  await gone;
  carrier.close();
  port.close();
  before = await settledResources();
});

afterAll(async () => {
  await expectResourcesBackTo(before);
});

/** The body of add's reply: NDR record, return code, sum. */
function addReplyBody(retCode: number, sum: number, extra = 0): Uint8Array {
  const body = new Uint8Array(16 + extra);
  const view = new DataView(body.buffer);
  // NDR record of a little-endian, ASCII, IEEE machine (what MIG writes).
  body.set([0, 0, 0, 0, 0, 0, 0, 0]);
  body[4] = 1;
  view.setInt32(8, retCode, true);
  view.setInt32(12, sum, true);
  return body;
}

/**
 * Calls add(1, 2) on a fresh port served by `answer` (which receives the
 * request and does what it likes with it); resolves to the call's result
 * or its error.
 */
async function withServer(answer: (request: ReceivedMessage) => Promise<void> | void): Promise<unknown> {
  const service = allocatePort();
  const client = new Client(service.makeSendRight());
  try {
    const pending = client.add(1, 2, { timeout: PATIENCE_MS }).catch((error: unknown) => error);
    const request = await service.receive({ timeout: PATIENCE_MS });
    expect(request.id).toBe(9016);
    await answer(request);
    return await pending;
  } finally {
    client.close();
    service.close();
  }
}

/** Expects the result to be the MigError named `name`. */
function expectMig(result: unknown, name: string): void {
  expect(result).toBeInstanceOf(MigError);
  expect((result as MigError).codeName).toBe(name);
}

/** A receive right whose no-senders notification says when every send right made from it is gone. */
function watched(): { port: Port; gone: Promise<void> } {
  const port = allocatePort();
  const notify = allocatePort();
  const gone = new Promise<void>((resolve) =>
    notify.once('no-senders', () => {
      notify.close();
      resolve();
    }),
  );
  port.requestNotification('no-senders', notify, { makeSendCount: 1 });
  return { port, gone };
}

describe("the generated client's reply checks, against a hand-played server", () => {
  it('a well-formed reply gives the value', async () => {
    expect(await withServer((r) => r.replyPort!.send({ id: ADD_REPLY_ID, body: addReplyBody(0, 42) }))).toBe(42);
  });

  it('a reply of another id is MIG_REPLY_MISMATCH, and the right it carried is destroyed', async () => {
    expectMig(await withServer((r) => r.replyPort!.send({ id: ADD_REPLY_ID + 1, body: addReplyBody(0, 3) })), 'MIG_REPLY_MISMATCH');
    // A complex reply of 40 bytes (header, descriptor count, one port descriptor) fits the client's buffer.
    const { port, gone } = watched();
    const result = await withServer((r) => r.replyPort!.send({ id: ADD_REPLY_ID + 1, ports: [{ port, disposition: 'make-send' }] }));
    expectMig(result, 'MIG_REPLY_MISMATCH');
    await gone;
    port.close();
  });

  it('a reply of the right id but too short is MIG_TYPE_ERROR', async () => {
    expectMig(await withServer((r) => r.replyPort!.send({ id: ADD_REPLY_ID, body: addReplyBody(0, 3).subarray(0, 8) })), 'MIG_TYPE_ERROR');
  });

  it('a reply longer than the largest the routine expects is MACH_RCV_TOO_LARGE, the rights it carried destroyed', async () => {
    const { port, gone } = watched();
    const result = await withServer((r) => r.replyPort!.send({ id: ADD_REPLY_ID, body: addReplyBody(0, 3), ports: [{ port, disposition: 'make-send' }] }));
    expect(result).toBeInstanceOf(MachError);
    expect((result as MachError).codeName).toBe('MACH_RCV_TOO_LARGE');
    await gone;
    port.close();
  });

  it('a complex reply where a simple one is expected is MIG_TYPE_ERROR, its right destroyed', async () => {
    const { port, gone } = watched();
    const result = await withServer((r) => r.replyPort!.send({ id: ADD_REPLY_ID, ports: [{ port, disposition: 'make-send' }] }));
    expectMig(result, 'MIG_TYPE_ERROR');
    await gone;
    port.close();
  });

  it("a short reply with a non-zero return code is the server's error", async () => {
    const result = await withServer((r) => r.replyPort!.send({ id: ADD_REPLY_ID, body: addReplyBody(5, 0).subarray(0, 12) }));
    expect(result).toBeInstanceOf(MachError);
    expect(result).not.toBeInstanceOf(MigError);
    expect((result as MachError).code).toBe(5);
  });

  it('a server that destroys the reply right is MIG_SERVER_DIED (the send-once notification)', async () => {
    expectMig(await withServer((r) => r.destroy()), 'MIG_SERVER_DIED');
  });

  it('a 40-byte reply with a non-zero return code is that code (MIG reads it before the values)', async () => {
    const result = await withServer((r) => r.replyPort!.send({ id: ADD_REPLY_ID, body: addReplyBody(-304, 7) }));
    expectMig(result, 'MIG_BAD_ARGUMENTS');
  });
});
