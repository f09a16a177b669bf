// Flow control across processes: receive timeouts and AbortSignal, a full
// queue (queue limit 1 in the child) where sends time out, wait without
// blocking the event loop, keep their order and give rights back when
// abandoned, and MACH_RCV_TOO_LARGE followed by a larger receive of the same
// message.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { MachError, PortClosedError, allocatePort } from '../../runtime/lib/index.js';
import { PATIENCE_MS, bodyJson, jsonBody, startAgent, trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

describe('receive', () => {
  test('a timeout rejects with MACH_RCV_TIMED_OUT and leaves the port usable', async () => {
    const port = allocatePort();
    await expect(port.receive({ timeout: 20 })).rejects.toMatchObject({ codeName: 'MACH_RCV_TIMED_OUT' });
    await expect(port.receive({ timeout: 0 })).rejects.toMatchObject({ codeName: 'MACH_RCV_TIMED_OUT' });
    await port.send({ id: 3 });
    expect((await port.receive({ timeout: 0 })).id).toBe(3);
    port.close();
  });

  test('an AbortSignal abandons a pending receive; the next receive still gets the message', async () => {
    const child = await startAgent('describe');
    const controller = new AbortController();
    const pending = child.port.receive({ signal: controller.signal });
    controller.abort(new Error('changed my mind'));
    await expect(pending).rejects.toThrow('changed my mind');
    await child.childPort.send({ id: 1 });
    expect((await child.port.receive({ timeout: PATIENCE_MS })).id).toBe(101);
    await expect(child.port.receive({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await child.childPort.send({ id: 1999 });
    await child.finish();
  });

  test('closing a port fails its pending receives and ends its async iterator', async () => {
    const port = allocatePort();
    const pending = port.receive();
    const iterated = (async () => {
      const ids = [];
      for await (const message of port) ids.push(message.id);
      return ids;
    })();
    port.close();
    await expect(pending).rejects.toBeInstanceOf(PortClosedError);
    expect(await iterated).toEqual([]);
  });

  test('MACH_RCV_TOO_LARGE leaves the message queued; a larger receive gets it', async () => {
    const child = await startAgent('describe');
    await child.childPort.send({ id: 1, body: jsonBody({ pad: 3000 }) });
    const error = await child.port.receive({ maxSize: 256, timeout: PATIENCE_MS }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MachError);
    expect((error as MachError).codeName).toBe('MACH_RCV_TOO_LARGE');
    const size = (error as MachError).size!;
    expect(size).toBeGreaterThan(3000);
    const message = await child.port.receive({ maxSize: size, timeout: PATIENCE_MS });
    expect(message.size).toBe(size);
    expect(bodyJson<{ pad: string }>(message).pad).toHaveLength(3000);
    await child.childPort.send({ id: 1999 });
    await child.finish();
  });
});

describe('send to a full queue', () => {
  test('times out, waits without blocking, keeps order, and gives moved rights back when abandoned', async () => {
    const child = await startAgent('slow-reader');
    const ready = await child.port.receive({ timeout: PATIENCE_MS });
    const control = ready.ports[0]!;
    const { childPort } = child;

    await childPort.send({ id: 1 }); // fills the queue (limit 1)
    await expect(childPort.send({ id: 2 }, { timeout: 0 })).rejects.toMatchObject({ codeName: 'MACH_SEND_TIMED_OUT' });
    await expect(childPort.send({ id: 3 }, { timeout: 30 })).rejects.toMatchObject({ codeName: 'MACH_SEND_TIMED_OUT' });

    // A waiting send holds its moved right; abandoning it gives the right back.
    const target = allocatePort();
    const carried = target.makeSendRight();
    const controller = new AbortController();
    const abandoned = childPort.send({ id: 4, ports: [{ port: carried, disposition: 'move-send' }] }, { signal: controller.signal });
    expect(carried.closed).toBe(true);
    controller.abort();
    await expect(abandoned).rejects.toMatchObject({ name: 'AbortError' });
    expect(carried.closed).toBe(false);
    expect(carried.getReferences('send')).toBe(1);

    // Waiting sends: the event loop keeps running while they wait, and they go in order.
    const carriedToo = carried.copySendRight();
    const fifth = childPort.send({ id: 5, ports: [{ port: carriedToo, disposition: 'move-send' }] });
    const sixth = childPort.send({ id: 6 });
    const late = expect(childPort.send({ id: 7 }, { timeout: 0 })).rejects.toMatchObject({ codeName: 'MACH_SEND_TIMED_OUT' });
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (++ticks === 3) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    await late;
    await control.send({ id: 100 }); // the child starts reading
    await Promise.all([fifth, sixth]);
    expect(carriedToo.closed).toBe(true);
    await childPort.send({ id: 1999 });
    expect(bodyJson(await child.port.receive({ timeout: PATIENCE_MS }))).toEqual({ ids: [1, 5, 6] });
    await child.finish();
    for (const p of [carried, target, control]) p.close();
  });
});
