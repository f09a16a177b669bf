// Test child: a Node server of the wire corpus's kinds.defs (generated stubs
// compiled by the test, path in argv[2]) that succeeds at everything and
// releases what it is given, plus a control port answering id 77 with this
// process's counts (names and rights by kind, descriptors, out-of-line
// bytes) as JSON — so the test sees every right of a bad request destroyed
// on this side. Started with the handshake: its claim offers send rights to
// both ports (`service`, `control`); exits when the test lets go of them.

import { readdirSync } from 'node:fs';
import { allocatePort, claimParentPorts, releaseOutOfLine, spaceStats } from 'tsmig';

const stubs = await import(process.argv[2]);
const service = allocatePort();
const control = allocatePort();
const notify = allocatePort();

const close = (...ports) => {
  for (const port of ports.flat()) port?.close();
};
const release = (call) => {
  for (const region of call.message.ool) releaseOutOfLine(region);
};

const impl = {
  scalars: () => 1n,
  inlineArrays: () => ({ ov: new Uint8Array([1, 2]), tail: 3 }),
  strings: () => 'found',
  ports: (mv, ms, mso, mr, pair) => {
    close(mv, ms, mso, mr, pair);
    return service;
  },
  poly: (p) => {
    close(p);
    return null;
  },
  outOfLine: (_data, _ints, names, call) => {
    close(names);
    release(call);
    return new Uint8Array([9, 8, 7]);
  },
  trailer: () => {},
  oneway: () => {},
  counted: () => new Int32Array([4]),
};

const server = stubs.serveKinds(service, impl, { onError: (error) => process.stderr.write(`handler error: ${error?.stack ?? error}\n`) });

function counts() {
  const s = spaceStats();
  return {
    names: s.names,
    receive: s.receiveRights,
    send: s.sendRights,
    sendOnce: s.sendOnceRights,
    dead: s.deadNames,
    fds: readdirSync('/proc/self/fd').length,
    oolBytes: s.outOfLineBytes,
  };
}

control.on('message', (message) => {
  if (message.id === 77 && message.replyPort !== null) {
    message.replyPort.send({ id: 78, body: new TextEncoder().encode(JSON.stringify(counts())) }).catch(() => {});
  } else {
    message.destroy();
  }
});

service.requestNotification('no-senders', notify, { makeSendCount: 1 });
notify.once('no-senders', () => {
  server.stop();
  close(service, control, notify);
});
await claimParentPorts({ ports: { service, control } });
