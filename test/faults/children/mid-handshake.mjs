// Child of the fault tests: claims the ports its parent handed it
// (claimParentPorts) and kills itself with SIGKILL after `argv[2]`
// event-loop turns — at some point of the handshake, before or after the
// claim's answer — so the parent sees a child die mid-handshake.

import { claimParentPorts } from 'tsmig';

const turns = Number(process.argv[2]);
claimParentPorts().catch(() => {});
for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
process.kill(process.pid, 'SIGKILL');
