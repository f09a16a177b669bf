// Benchmark peer: a Node server of roundtrip.defs through its generated
// stubs (module path in argv[2]). Started with the handshake, its claim
// offers a send right to its port (`service`); serves until the driver lets
// go (no-senders).

import { allocatePort, claimParentPorts, releaseOutOfLine } from 'tsmig';

const { serveRoundtrip } = await import(process.argv[2]);
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
});
await claimParentPorts({ ports: { service } });
