// No leaks under load: 100,000 messages each carrying a right (send rights
// made, copied and moved) to a child that closes them. Afterwards both
// processes hold the descriptors and names they held before.

import { afterAll, beforeAll, expect, test } from 'vitest';

import { allocatePort, type Port } from '../../runtime/lib/index.js';
import { PATIENCE_MS, bodyJson, expectResourcesBackTo, settledResources, startAgent, trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

interface Counts {
  stats: { names: number; descriptors: number };
  fds: number;
}

test('100,000 messages carrying rights leave no descriptor or name behind in either process', async () => {
  const before = await settledResources();
  const child = await startAgent('sink');
  const target = allocatePort();
  const send = target.makeSendRight();
  await child.childPort.send({ id: 2 }); // the child counts its space at this one
  const total = 100_000;
  for (let i = 0; i < total; i++) {
    let right: { port: Port; disposition: 'make-send' | 'copy-send' | 'move-send' };
    if (i % 3 === 0) right = { port: target, disposition: 'make-send' };
    else if (i % 3 === 1) right = { port: send, disposition: 'copy-send' };
    else right = { port: send.copySendRight(), disposition: 'move-send' };
    await child.childPort.send({ id: 1, ports: [right] });
  }
  await child.childPort.send({ id: 1999 });
  const report = bodyJson<{ count: number; rights: number; baseline: Counts; end: Counts }>(
    await child.port.receive({ timeout: PATIENCE_MS }),
  );
  expect(report.count).toBe(total);
  expect(report.rights).toBe(total);
  expect(report.end.stats.names).toBe(report.baseline.stats.names);
  expect(report.end.stats.descriptors).toBe(report.baseline.stats.descriptors);
  expect(report.end.fds).toBe(report.baseline.fds);
  expect(send.getReferences('send')).toBe(1);
  send.close();
  target.close();
  await child.finish();
  // Everything made along the way went with the rights it served (sockets, queue pages, room semaphores).
  await expectResourcesBackTo(before);
});
