// Benchmark peer: the same service as typed-server.mjs (add, big,
// many_ports of roundtrip.defs, ids 9016–9018) written against the runtime's
// raw API: each request answered with a hand-built reply of the same bytes,
// sent to its reply right — the runtime's own round trip, for the typed
// stubs to be compared with.

import { allocatePort, claimParentPorts, releaseOutOfLine, sendRaw } from 'tsmig';

const service = allocatePort();
const notify = allocatePort();

function reply(message, value) {
  const bytes = new Uint8Array(40);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 18, true);
  view.setUint32(4, 40, true);
  view.setUint32(8, message.replyPort.name, true);
  view.setInt32(20, message.id + 100, true);
  bytes[28] = 1;
  view.setInt32(36, value, true);
  return sendRaw({ bytes, moved: [message.replyPort] });
}

service.on('message', (message) => {
  const view = new DataView(message.bytes.buffer, message.bytes.byteOffset);
  if (message.id === 9016) {
    reply(message, view.getInt32(32, true) + view.getInt32(36, true));
  } else if (message.id === 9017) {
    const size = message.ool[0].length;
    releaseOutOfLine(message.ool[0]);
    reply(message, size);
  } else if (message.id === 9018) {
    const ports = message.oolPorts[0].ports;
    for (const port of ports) port?.close();
    reply(message, ports.length);
  } else {
    message.destroy();
  }
});
service.requestNotification('no-senders', notify, { makeSendCount: 1 });
notify.once('no-senders', () => {
  service.close();
  notify.close();
});
await claimParentPorts({ ports: { service } });
