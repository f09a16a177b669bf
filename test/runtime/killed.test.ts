// A server killed (SIGKILL) while it holds a request's reply right: the
// client's pending receive on its reply port wakes with the send-once
// notification (what MIG clients turn into MIG_SERVER_DIED) within one
// second — the receive's timeout, a liveness bound rather than a measurement.

import { afterAll, beforeAll, expect, test } from 'vitest';

import { MACH_NOTIFY_SEND_ONCE, allocatePort } from '../../runtime/lib/index.js';
import { PATIENCE_MS, startAgent, trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

async function waitFor(predicate: () => boolean): Promise<void> {
  const limit = Date.now() + PATIENCE_MS;
  while (!predicate()) {
    if (Date.now() > limit) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('SIGKILL during a request wakes the waiting receive on the reply port with the send-once notification', async () => {
  const child = await startAgent('hang');
  const replyPort = allocatePort();
  await child.childPort.send({ id: 500, replyPort });
  // The request is in the child's hands (it said so on stdout) when it dies.
  await waitFor(() => child.stdout().includes('got 500'));
  const reply = replyPort.receive({ timeout: 1000, trailer: 'audit' });
  child.process.kill('SIGKILL');
  const message = await reply;
  expect(message.id).toBe(MACH_NOTIFY_SEND_ONCE);
  expect(message.notification).toEqual({ kind: 'send-once' });
  expect((await child.finish()).signal).toBe('SIGKILL');
  replyPort.close();
});
