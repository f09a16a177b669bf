// Worker thread for worker.test.ts: tells the main thread it runs, then
// sends itself messages carrying rights and receives them as fast as it can,
// until it is terminated at some arbitrary point of that loop.

import { workerData } from 'node:worker_threads';
import { Port, allocatePort } from 'tsmig';

const parent = Port.adopt(workerData.name, 'send');
const mine = allocatePort();
(async () => {
  for (;;) {
    await mine.makeSendRight().send({ id: 1, ports: [{ port: mine, disposition: 'make-send' }] });
    (await mine.receive()).destroy();
  }
})();
await parent.send({ id: 1000 });
