// The problem tsmig started from: a parent hands a Mach port to a child
// process, and the child calls back over it — typed, both ways. The parent
// keeps the port's receive right and serves the callback interface on it;
// the child gets a send right at spawn. `--native` spawns the C++ child
// (native-child.cc) instead of the Node one (child.ts).
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { allocatePort, spawnWithPorts } from 'tsmig';
import { serveCallback } from './generated/callback.js';

const callback = allocatePort(); // the receive right stays here
const server = serveCallback(callback, {
  hello(childPid, greeting) {
    console.log(`parent: child ${childPid} called back: "${greeting}"`);
    return `hello, child ${childPid}, from your parent ${process.pid}`;
  },
});

const native = process.argv.includes('--native');
const childProgram = fileURLToPath(new URL(native ? 'native-child' : 'child.js', import.meta.url));
const [command, args] = native ? [childProgram, []] : [process.execPath, [childProgram]];
console.log(
  `parent ${process.pid}: spawning a ${native ? 'C++' : 'Node'} child with a send right to port "callback"`,
);
const { child } = await spawnWithPorts(command, args, { ports: { callback }, stdio: 'inherit' });

const [code] = await once(child, 'exit');
console.log(`parent: child ${child.pid} exited with code ${code}`);
server.stop();
callback.close();
process.exitCode = code ?? 1;
