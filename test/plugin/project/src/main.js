// Bundled by each bundler with tsmig's plugin: the .defs import becomes the
// generated stubs; the bundle serves and calls `add` over a port in one process.
import { allocatePort } from 'tsmig';
import { CalcClient, serveCalc } from './calc.defs';

const port = allocatePort();
const server = serveCalc(port, { add: (a, b) => a + b });
const client = new CalcClient(port.makeSendRight());
console.log(`2 + 3 = ${await client.add(2, 3)}`);
client.close();
server.stop();
port.close();
