// Child of the fault tests: a Node server of test/golden/cross (the
// generated stubs, whose module path is argv[2]) whose every handler says
// "got <routine>" on stdout and never answers — a server that dies holding
// its callers' reply rights when the test kills it. It gets a send right to
// the test's port as descriptor 3 and sends a hello (id 1000) carrying a
// send right to its service port.

import { Port, allocatePort } from 'tsmig';

const stubs = await import(process.argv[2]);
const parent = Port.fromDescriptor(3);
const service = allocatePort();

const hang = (name) => () => {
  process.stdout.write(`got ${name}\n`);
  return new Promise(() => {});
};
const impl = new Proxy({}, { get: (_, name) => hang(String(name)) });
stubs.serveCross(service, impl);
await parent.send({ id: 1000, replyPort: { port: service, disposition: 'make-send' } });
parent.close();
