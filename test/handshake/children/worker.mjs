// Worker thread for worker.test.ts: a parent inside a worker. workerData.mode:
//   exchange  spawns a Node child with one port, waits for its claim and exit,
//             posts the names of the ports the child offered
//   abandon   spawns a child that claims late (child.mjs late <file>) and
//             exits the worker before it does, leaving the handshake pending
import { parentPort, workerData } from 'node:worker_threads';

import { allocatePort, spawnWithPorts } from 'tsmig';

const { mode, child: childScript, file } = workerData;
const port = allocatePort();
if (mode === 'exchange') {
  const { child, ports } = await spawnWithPorts(process.execPath, [childScript, 'report'], {
    ports: { port },
    stdio: 'ignore',
  });
  await new Promise((resolve) => child.once('exit', resolve));
  port.close();
  parentPort.postMessage(Object.keys(ports));
} else {
  spawnWithPorts(process.execPath, [childScript, 'late', file], {
    ports: { port },
    stdio: 'ignore',
  }).catch(() => {});
  parentPort.postMessage('spawned');
  process.exit(0);
}
