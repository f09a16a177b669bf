// The server demux's contract with handlers, in one process over the
// committed calc stubs: a deferred reply (MIG_NO_REPLY) sent or failed
// later, a handler's MachError code or (for anything else) KERN_FAILURE with
// the error reported, async handlers, a second reply refused, and stop().

import { afterEach, expect, it } from 'vitest';
import { MachError, MigError, allocatePort, type DeferredReply, type Port, type ServerHandle } from 'tsmig';
import { CalcClient, serveCalc, type CalcServer } from '../golden/calc/expected/input.js';

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function serve(impl: Partial<CalcServer>, onError?: (error: unknown, routine: string) => void): { client: CalcClient; server: ServerHandle; port: Port } {
  const port = allocatePort();
  const full: CalcServer = { add: (a, b) => a + b, divide: (x, y) => ({ quotient: x / y, remainder: x % y }), logValue: () => {}, ping: () => {}, ...impl };
  const server = serveCalc(port, full, onError === undefined ? {} : { onError });
  const send = port.makeSendRight();
  const client = new CalcClient(send);
  cleanup.push(() => {
    server.stop();
    client.close();
    send.close();
    port.close();
  });
  return { client, server, port };
}

it('a handler may defer its reply and send it later', async () => {
  let deferred: DeferredReply<number> | undefined;
  let handled!: () => void;
  const called = new Promise<void>((resolve) => (handled = resolve));
  const { client } = serve({
    add: (_a, _b, call) => {
      deferred = call.deferReply();
      handled();
      return deferred;
    },
  });
  const pending = client.add(20, 22);
  await called;
  await deferred!.reply(42);
  expect(await pending).toBe(42);
  await expect(deferred!.reply(1)).rejects.toThrow(/already sent/);
});

it('a deferred reply may fail with a code', async () => {
  const { client } = serve({
    add: (_a, _b, call) => {
      const deferred = call.deferReply();
      setImmediate(() => void deferred.fail(4));
      return deferred;
    },
  });
  const error = await client.add(1, 2).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MachError);
  expect((error as MachError).codeName).toBe('KERN_INVALID_ARGUMENT');
});

it("a handler's MachError is the reply's code; anything else is KERN_FAILURE, reported", async () => {
  const reported: [unknown, string][] = [];
  const { client } = serve(
    {
      add: () => {
        throw new MigError(-304);
      },
      divide: async () => {
        throw new TypeError('bad divisor');
      },
    },
    (error, routine) => reported.push([error, routine]),
  );
  await expect(client.add(1, 2)).rejects.toThrow('MIG_BAD_ARGUMENTS (-304)');
  const error = await client.divide(1n, 0n).catch((e: unknown) => e);
  expect((error as MachError).codeName).toBe('KERN_FAILURE');
  expect(reported).toHaveLength(1);
  expect(reported[0][1]).toBe('divide');
  expect(String(reported[0][0])).toBe('TypeError: bad divisor');
});

it('async handlers are awaited; a result the reply cannot carry is reported and answered with KERN_FAILURE', async () => {
  const reported: unknown[] = [];
  const { client } = serve(
    {
      add: async (a, b) => {
        await new Promise((resolve) => setImmediate(resolve));
        return a + b;
      },
      divide: () => ({ quotient: 1 as unknown as bigint, remainder: 0n }),
    },
    (error) => reported.push(error),
  );
  expect(await client.add(2, 3)).toBe(5);
  await expect(client.divide(1n, 1n)).rejects.toThrow('KERN_FAILURE');
  expect(String(reported[0])).toMatch(/quotient: expected a signed 64-bit integer/);
});

it('stop() ends the demux: requests stay queued on the port', async () => {
  const { client, server } = serve({});
  expect(await client.add(1, 1)).toBe(2);
  server.stop();
  await expect(client.add(1, 1, { timeout: 50 })).rejects.toThrow('MACH_RCV_TIMED_OUT');
});
