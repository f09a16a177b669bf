// Test child: a Node server of test/gen-ts/defs/roundtrip.defs, using the
// generated stubs (compiled to JavaScript by the test, path in argv[2]) and
// the published runtime, with the echoing handlers of roundtrip-impl.mjs.
// Started with the handshake, its claim offers a send right to the port it
// serves (`service`); it exits when the test lets go of its send rights
// (no-senders).

import { allocatePort, claimParentPorts } from 'tsmig';
import { roundtripImpl } from './roundtrip-impl.mjs';

const stubs = await import(process.argv[2]);
const service = allocatePort();
const notify = allocatePort();

const impl = roundtripImpl({ onHang: () => process.stdout.write('hang\n') });

const server = stubs.serveRoundtrip(service, impl, { onError: (error) => process.stderr.write(`handler error: ${error?.stack ?? error}\n`) });
service.requestNotification('no-senders', notify, { makeSendCount: 1 });
notify.once('no-senders', () => {
  server.stop();
  service.close();
  notify.close();
});
await claimParentPorts({ ports: { service } });
