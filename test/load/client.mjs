// Child of the load run (test/load/run.js): a Node client of test/golden/cross
// (the generated stubs, module path argv[2]) that makes argv[4] calls on the
// send right it inherited as descriptor 3, as sender number argv[3], with up
// to argv[5] calls in flight. One call in 20 carries rights (rights()), one
// in 20 out-of-line data and ports (outOfLine()), the rest are scalars()
// whose `io` is this sender's sequence number (the server checks the order).
// Every answer is checked against what was sent. At 1 %, 50 % and 100 % of
// its calls it prints `at <phase> <descriptors>` and waits for a line on
// stdin (the run samples everybody while all are quiet). Ends with one line:
// `done <ok> <failures> <first failure>`.

import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Port, allocatePort, allocateOutOfLine, releaseOutOfLine } from 'tsmig';

const stubs = await import(process.argv[2]);
const sender = Number(process.argv[3]);
const calls = Number(process.argv[4]);
const window = Number(process.argv[5]);
const server = Port.fromDescriptor(3);
const client = new stubs.CrossClient(server);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const local = allocatePort(); // the port our rights name
// Send-once rights to it that the server destroys come back as notifications: take them as they come.
const drained = (async () => {
  for (;;) await local.receive();
})().catch(() => {});
let ok = 0;
let failures = 0;
let firstFailure = '';
let scalarSeq = 0;

function fail(what) {
  failures++;
  if (!firstFailure) firstFailure = what;
}

async function one(k) {
  if (k % 20 === 7) {
    const mv = local.makeSendRight();
    const cs = local.makeSendRight();
    const pair = [local.makeSendRight(), local.makeSendRight()];
    const same = await client.rights(mv, cs, local, local, pair, k);
    cs.close();
    for (const p of pair) p.close();
    if (same !== k) return fail(`rights ${k}: ${same}`);
  } else if (k % 20 === 13) {
    const data = allocateOutOfLine(40_000);
    data.fill(k & 0xff);
    data[0] = 1;
    const ints = new Int32Array([k, 1, 2]);
    const names = [local.makeSendRight(), local.makeSendRight()];
    const out = await client.outOfLine(data, ints, names);
    const good =
      out.odata.length === 40_000 &&
      out.odata[39_999] === 1 &&
      out.sum === k + 3 &&
      out.onames.length === 2;
    for (const p of out.onames) p?.close();
    releaseOutOfLine(data);
    releaseOutOfLine(out.odata);
    if (!good) return fail(`outOfLine ${k}`);
  } else {
    const seq = scalarSeq++;
    const out = await client.scalars(1, 2, sender, true, 10n, 0.5, 1.25, BigInt(seq));
    if (out.io !== BigInt(seq) + 1n || out.r !== BigInt(10 + sender + 2 + 1 + 1) || out.rd !== 3) {
      return fail(`scalars ${seq}: ${out.io} ${out.r} ${out.rd}`);
    }
  }
  ok++;
}

let next = 0;
const inFlight = new Set();

/** Makes calls up to number `limit`, `window` at a time, until all have answered. */
async function runUntil(limit) {
  while (next < limit || inFlight.size > 0) {
    while (next < limit && inFlight.size < window) {
      const tracked = one(next++)
        .catch((e) => fail(String(e)))
        .finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.race(inFlight);
  }
}

for (const [at, phase] of [
  [Math.floor(calls / 100), 'start'],
  [Math.floor(calls / 2), 'middle'],
  [calls, 'end'],
]) {
  await runUntil(at);
  process.stdout.write(`at ${phase} ${readdirSync('/proc/self/fd').length}\n`);
  await lines.next();
}
client.close();
local.close();
await drained;
server.close();
process.stdout.write(`done ${ok} ${failures} ${firstFailure}\n`);
process.stdin.destroy(); // nothing more to wait for
