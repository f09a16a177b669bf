// Benchmark peer: a Node server of roundtrip.defs through its generated
// stubs (module path in argv[2]). Gets a send right to the driver as
// descriptor 3, says hello (id 1000) with a send right to its port, serves
// until the driver lets go (no-senders).

import { Port, allocatePort, releaseOutOfLine } from 'tsmig';

const { serveRoundtrip } = await import(process.argv[2]);
const parent = Port.fromDescriptor(3);
const service = allocatePort();
const notify = allocatePort();
const server = serveRoundtrip(service, {
  add: (a, b) => a + b,
  big: (data, call) => {
    releaseOutOfLine(call.message.ool[0]);
    return data.length;
  },
  manyPorts: (ports) => {
    for (const port of ports) port?.close();
    return ports.length;
  },
});
service.requestNotification('no-senders', notify, { makeSendCount: 1 });
notify.once('no-senders', () => {
  server.stop();
  service.close();
  notify.close();
  parent.close();
});
await parent.send({ id: 1000, ports: [{ port: service, disposition: 'make-send' }] });
