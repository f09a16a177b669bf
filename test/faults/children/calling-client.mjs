// Child of the fault tests: a Node client of test/golden/cross (the
// generated stubs, module path in argv[2]) that calls last() on the send
// right it inherited as descriptor 3, says "calling" on stdout, and waits
// for the answer — the test kills it while the server holds the request.

import { Port } from 'tsmig';

const stubs = await import(process.argv[2]);
const server = Port.fromDescriptor(3);
const client = new stubs.CrossClient(server);
const call = client.last();
process.stdout.write('calling\n');
process.stdout.write(`answer ${await call}\n`);
