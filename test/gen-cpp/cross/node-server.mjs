// Test child of cross-process.test.ts: a Node server of test/golden/cross
// (the golden TypeScript stubs, compiled by the test; their path in argv[2])
// implementing each routine as the .defs describes, so a C++ client can
// check every answer. It gets a send right to the test's port as inherited
// descriptor 3, sends a hello (id 1000) whose reply port is a send right to
// its service port, and exits when the test closes its standard input.

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
const kept = [];
let last = 0;

const impl = {
  scalars: (c, s, i, b, l, f, d, io) => ({
    io: io + 1n,
    r: l + BigInt(i + s + c + (b ? 1 : 0)),
    rd: 2 * d + f,
  }),
  arrays: (t, v, after, w) => ({
    ov: v.slice().reverse(),
    ot: t.map((x) => 2 * x),
    tail: Number(
      BigInt.asIntN(
        32,
        w.reduce((sum, x) => sum + x, BigInt(after)),
      ),
    ),
  }),
  strings: (name, label) => `${name}/${label}`.slice(0, 31),
  rights: (mv, cs, ms, mso, pair, name) => {
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
  receiveRight: (mr) => {
    if (mr?.right !== 'receive') throw new MachError(17);
    kept.push(mr);
    return mr;
  },
  poly: (p) => ({
    port: p,
    disposition:
      p.right === 'send-once'
        ? 'move-send-once'
        : p.right === 'receive'
          ? 'move-receive'
          : 'move-send',
  }),
  outOfLine: (data, ints, names, call) => {
    const odata = allocateOutOfLine(data.length);
    odata.set(data.slice().reverse());
    const sum = ints.reduce((a, b) => a + b, 0);
    for (const region of call.message.ool) releaseOutOfLine(region);
    return { odata, sum, onames: names };
  },
  counted: (x, zCnt) => x.slice(0, Math.min(x.length, zCnt)).map((v) => 2 * v),
  audit: (token) => token.pid,
  oneway: (x) => {
    last = x;
  },
  last: () => last,
  fails: () => {
    throw new MachError(4);
  },
  explicitReply: (x) => x + 1,
  stats: () => {
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

process.stdin.resume();
process.stdin.on('end', () => {
  server.stop();
  for (const p of kept) p.close();
  service.close();
  parent.close();
});
