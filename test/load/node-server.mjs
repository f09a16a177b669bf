// Child of the load run (test/load/run.js): a Node server of test/golden/cross
// on the generated stubs (module path argv[2]). scalars() checks that each
// sender's sequence numbers (`io`, sender number `i`) arrive in order, once
// each; rights() and outOfLine() check and release what they carry, as the
// .defs describes; stats() collects garbage first, then reports names,
// descriptors and out-of-line bytes. It sends a hello (id 1000, a send right
// to its service port) to the send right inherited as descriptor 3, and when
// its standard input closes prints `summary <json>`: calls and order errors.

import { readdirSync } from 'node:fs';
import {
  MachError,
  Port,
  allocatePort,
  allocateOutOfLine,
  releaseOutOfLine,
  spaceStats,
} from 'tsmig';

const stubs = await import(process.argv[2]);
const parent = Port.fromDescriptor(3);
const service = allocatePort();
service.setQueueLimit(64);
const expected = new Map(); // sender -> next sequence number
let orderErrors = 0;
let calls = 0;

const impl = {
  scalars: (c, s, i, b, l, f, d, io) => {
    calls++;
    const want = expected.get(i) ?? 0n;
    if (io !== want) {
      orderErrors++;
      throw new MachError(4); // lost, duplicated or reordered: the client sees KERN_INVALID_ARGUMENT
    }
    expected.set(i, want + 1n);
    return { io: io + 1n, r: l + BigInt(i + s + c + (b ? 1 : 0)), rd: 2 * d + f };
  },
  rights: (mv, cs, ms, mso, pair, name) => {
    calls++;
    const ok =
      mv?.right === 'send' &&
      cs?.right === 'send' &&
      ms?.right === 'send' &&
      mso?.right === 'send-once' &&
      pair.every((p) => p?.right === 'send');
    if (!ok) throw new MachError(17);
    for (const p of [mv, cs, ms, mso, ...pair]) p.close();
    return name;
  },
  outOfLine: (data, ints, names, call) => {
    calls++;
    const odata = allocateOutOfLine(data.length);
    odata.set(data);
    odata.reverse();
    const sum = ints.reduce((a, b) => a + b, 0);
    for (const region of call.message.ool) releaseOutOfLine(region);
    return { odata, sum, onames: names };
  },
  stats: () => {
    globalThis.gc?.();
    const s = spaceStats();
    return {
      names: s.names,
      fds: readdirSync('/proc/self/fd').length,
      oolbytes: BigInt(s.outOfLineBytes),
    };
  },
};

const server = stubs.serveCross(service, impl, {
  onError: (error) => {
    if (!(error instanceof MachError))
      process.stderr.write(`handler error: ${error?.stack ?? error}\n`);
  },
});
await parent.send({ id: 1000, replyPort: { port: service, disposition: 'make-send' } });
parent.close();

process.stdin.resume();
process.stdin.on('end', () => {
  server.stop();
  service.close();
  const perSender = Object.fromEntries([...expected].map(([k, v]) => [k, Number(v)]));
  process.stdout.write(`summary ${JSON.stringify({ calls, orderErrors, perSender })}\n`);
});
