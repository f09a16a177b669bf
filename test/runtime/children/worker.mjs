// Worker thread for worker.test.ts: adopts a send right the main thread
// detached for it, sends a hello with a send right to its own port, answers
// one message, and (in the "litter" mode) leaves ports and a pending receive
// behind for the worker's shutdown to release.

import { workerData } from 'node:worker_threads';
import { Port, allocatePort, allocateOutOfLine } from 'tsmig';

const parent = Port.adopt(workerData.name, 'send');
const mine = allocatePort();
await parent.send({ id: 1000, replyPort: { port: mine, disposition: 'make-send' } });
const request = await mine.receive();
await parent.send({ id: request.id + 1 });
if (workerData.litter) {
  for (let i = 0; i < 10; i++) allocatePort().makeSendRight();
  allocateOutOfLine(1 << 20);
  mine.receive();
  await parent.send({ id: 2000 });
} else {
  mine.close();
  parent.close();
}
