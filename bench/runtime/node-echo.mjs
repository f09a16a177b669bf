// Benchmark peer: a Node process that echoes through tsmig, speaking the
// bench protocol of the native tsmig-echo (see runtime.bench.js): a send
// right to the driver's port as inherited descriptor argv[2], a hello (id
// 1000) with a send right to its port, then every message back as it came —
// same id and body, rights moved back, regions sent back (deallocate) after
// reading one byte per page — until id 1999.

import { Port, allocatePort } from 'tsmig';

const parent = Port.fromDescriptor(Number(process.argv[2] ?? 3));
const mine = allocatePort();
await parent.send({ id: 1000, replyPort: { port: mine, disposition: 'make-send' } });

const moveOf = { send: 'move-send', 'send-once': 'move-send-once', receive: 'move-receive' };
let seen = 0;
for (;;) {
  const message = await mine.receive();
  if (message.id === 1999) break;
  for (const region of message.ool) {
    for (let offset = 0; offset < region.length; offset += 4096) seen += region[offset];
  }
  await parent.send({
    id: message.id,
    body: message.body,
    ports: message.ports.map((port) => ({ port, disposition: moveOf[port.right] })),
    ool: message.ool.map((data) => ({ data, deallocate: true })),
  });
}
if (seen < 0) process.stderr.write('unreachable\n'); // keeps the reads
mine.close();
parent.close();
