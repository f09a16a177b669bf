// The golden calc output, run as committed: a server and a client in one
// process, through the runtime, every routine of the README's example.

import { expect, it } from 'vitest';
import { allocatePort } from 'tsmig';
import { CalcClient, serveCalc } from '../golden/calc/expected/input.js';

it('the committed calc stubs serve and call every routine', async () => {
  const port = allocatePort();
  const server = serveCalc(port, {
    add: (a, b) => a + b,
    divide: (x, y) => ({ quotient: x / y, remainder: x % y }),
    logValue: () => {},
    ping: () => {},
  });
  const send = port.makeSendRight();
  const client = new CalcClient(send);
  expect(await client.add(2, 3)).toBe(5);
  expect(await client.divide(17n, 5n)).toEqual({ quotient: 3n, remainder: 2n });
  await client.ping();
  await client.logValue(7);
  server.stop();
  client.close();
  send.close();
  port.close();
});
