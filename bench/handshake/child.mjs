// Benchmark child for bench/handshake.bench.js: the same Node program for
// both measurements. Started with ports, it claims them (offering one of its
// own); either way it then writes one byte to stdout and exits.
import { allocatePort, claimParentPorts, startedWithPorts } from 'tsmig';

if (startedWithPorts()) {
  const inbox = allocatePort();
  const ports = await claimParentPorts({ ports: { inbox } });
  for (const port of Object.values(ports)) port.close();
  inbox.close();
}
process.stdout.write('x');
