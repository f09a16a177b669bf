// Child of the limit tests, run under a low descriptor limit (`ulimit -n`):
// makes ports and sends to each (every port then costs descriptors) until
// the runtime refuses, then checks the process still works once it lets go
// of half of them. Prints one JSON line: how many ports it made, the error
// it got (its name and code), and whether sending worked again afterwards.

import { MachError, allocatePort } from 'tsmig';

const ports = [];
let error = null;
for (let i = 0; i < 100_000 && error === null; i++) {
  try {
    const port = allocatePort();
    ports.push(port);
    const send = port.makeSendRight();
    ports.push(send);
    await send.send({ id: 1 });
  } catch (e) {
    error =
      e instanceof MachError
        ? { name: e.name, code: e.code, message: e.message }
        : { other: String(e) };
  }
}
// Let go of half, then the same work succeeds again.
for (const p of ports.splice(0, ports.length / 2)) p.close();
let recovered = false;
try {
  const port = allocatePort();
  const send = port.makeSendRight();
  await send.send({ id: 2 });
  recovered = (await port.receive({ timeout: 5000 })).id === 2;
  send.close();
  port.close();
} catch (e) {
  recovered = String(e);
}
for (const p of ports) p.close();
process.stdout.write(JSON.stringify({ made: ports.length, error, recovered }) + '\n');
