// The calculator server: a Node child process. It serves calc on a port of
// its own, offers its parent a send right to that port in the handshake,
// and exits when the last client's send right is gone (Mach's no-senders
// notification).
import { allocatePort, claimParentPorts, KERN_INVALID_ARGUMENT, MachError } from 'tsmig';
import { serveCalc } from './generated/calc.js';

const service = allocatePort();
const server = serveCalc(service, {
  add: (a, b) => a + b,
  divide(dividend, divisor) {
    if (divisor === 0n) throw new MachError(KERN_INVALID_ARGUMENT);
    return { quotient: dividend / divisor, remainder: dividend % divisor };
  },
});

// The parent gets a send right made from our receive right; requests may
// arrive (and be answered) as soon as it has it.
console.log(`server ${process.pid}: serving calc`);
await claimParentPorts({ ports: { calc: service } });

// Told when no send right to the service is left anywhere (counting the one
// just made for the parent, so a parent that already let go is seen too).
const notifications = allocatePort();
service.requestNotification('no-senders', notifications, { makeSendCount: 1 });
notifications.once('no-senders', () => {
  console.log(`server ${process.pid}: no clients left, exiting`);
  server.stop();
  service.close();
  notifications.close();
});
