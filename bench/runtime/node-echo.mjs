// Benchmark peer: a Node process that echoes through tsmig, speaking the
// bench protocol of the native tsmig-echo (see runtime.bench.js): a send
// right to the driver's port as inherited descriptor argv[2], a hello (id
// 1000) with a send right to its port, then each message back with the same
// id and body (rights moved back, regions answered with their size) until id
// 1999.

import { Port, allocatePort, releaseOutOfLine } from 'tsmig';

const parent = Port.fromDescriptor(Number(process.argv[2] ?? 3));
const mine = allocatePort();
await parent.send({ id: 1000, replyPort: { port: mine, disposition: 'make-send' } });

const moveOf = { send: 'move-send', 'send-once': 'move-send-once', receive: 'move-receive' };
const size = new Uint8Array(8);
for (;;) {
  const message = await mine.receive();
  if (message.id === 1999) break;
  if (message.ool.length > 0) {
    new DataView(size.buffer).setBigUint64(0, BigInt(message.ool[0].length), true);
    for (const region of message.ool) releaseOutOfLine(region);
    await parent.send({ id: message.id, body: size });
  } else if (message.ports.length > 0) {
    const ports = message.ports.map((port) => ({ port, disposition: moveOf[port.right] }));
    await parent.send({ id: message.id, body: message.body, ports });
  } else {
    await parent.send({ id: message.id, body: message.body });
  }
}
mine.close();
parent.close();
