// A Node client of the calculator: starts the server as a child process,
// receives a send right to its port in the handshake, and calls it.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { MachError, spawnWithPorts } from 'tsmig';
import { CalcClient } from './generated/calc.js';

const serverScript = fileURLToPath(new URL('server.js', import.meta.url));
const { child, ports } = await spawnWithPorts(process.execPath, [serverScript], {
  stdio: 'inherit',
});
const calc = new CalcClient(ports.calc);

console.log(`node client: 2 + 3 = ${await calc.add(2, 3)}`);
const { quotient, remainder } = await calc.divide(17n, 5n);
console.log(`node client: 17 / 5 = ${quotient} remainder ${remainder}`);
try {
  await calc.divide(1n, 0n);
} catch (error) {
  console.log(`node client: 1 / 0 failed: ${error instanceof MachError ? error.codeName : error}`);
}

// Our send right was the server's last: it exits.
calc.close();
ports.calc.close();
const [code] = await once(child, 'exit');
console.log(`node client: server exited with code ${code}`);
