// Test child: a Node client of test/gen-ts/defs/roundtrip.defs, using the
// generated stubs (compiled to JavaScript by the test, path in argv[2]),
// calling a server that runs in the test process. Started with the
// handshake: it claims the parent's `service` send right. It calls every
// routine with every kind of value and checks each answer (node:assert),
// then lets go of everything and checks it holds no port name any more.
// Prints `ok N` (N checks passed) and exits 0; a failed check exits 1 with
// its message on stderr.

import assert from 'node:assert/strict';
import { MachError, MigError, allocatePort, claimParentPorts, spaceStats } from 'tsmig';

const { RoundtripClient } = await import(process.argv[2]);
const { service } = await claimParentPorts();
assert.ok(service, 'the parent handed no service port');
const client = new RoundtripClient(service);
const WAIT = { timeout: 20_000 };
let checks = 0;

/** Runs one named check; counts it when it passes. */
async function check(name, body) {
  try {
    await body();
    checks++;
  } catch (error) {
    error.message = `${name}: ${error.message}`;
    throw error;
  }
}

/** The error a call rejects with. */
const failure = (promise) => promise.then(
  () => assert.fail('expected the call to fail'),
  (error) => error,
);

await check('scalars', async () => {
  const result = await client.scalars(-128, 255, -32768, 65535, -(2 ** 31), 2 ** 32 - 1, -(2n ** 63n), 2n ** 64n - 1n, true, 200, 1.25, Math.PI, WAIT);
  assert.deepEqual(result, { r8: -128, ru8: 255, r16: -32768, ru16: 65535, r32: -(2 ** 31), ru32: 2 ** 32 - 1, r64: -(2n ** 63n), ru64: 2n ** 64n - 1n, rb: true, rc: 200, rf: 1.25, rd: Math.PI });
});

await check('inline arrays', async () => {
  const t = Int32Array.from([7, -8, 9]);
  const v = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
  const w = BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]);
  const x = Float64Array.from([-0.5, 1e-300]);
  assert.deepEqual(await client.arrays(t, v, w, x, WAIT), { ot: t, ov: v, ow: w, ox: x });
});

await check('strings', async () => {
  assert.deepEqual(await client.strings('ünïcødé ✓', 'label', WAIT), { oname: 'ünïcødé ✓', olabel: 'label' });
});

await check('out-of-line data', async () => {
  const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 13) & 0xff);
  const ints = Int32Array.from({ length: 3000 }, (_, i) => i * i);
  const result = await client.outOfLine(data, ints, WAIT);
  assert.equal(Buffer.compare(result.odata, data), 0);
  assert.deepEqual([...result.oints], [...ints]);
});

await check('inout values', async () => {
  assert.deepEqual(await client.inoutValues(-1, 2n ** 40n, 'xyz', WAIT), { n: 0, big: 2n ** 41n, label: 'XYZ' });
});

await check('ports of every disposition', async () => {
  const [a, b, c, d, e] = Array.from({ length: 5 }, () => allocatePort());
  const bSend = b.makeSendRight();
  const cSend = c.makeSendRight();
  const eSend = e.makeSendRight();
  const result = await client.sendPorts(a, bSend, cSend, d, e, WAIT);
  assert.equal(cSend.closed, true);
  assert.equal(e.closed, true);
  assert.equal(result.rms.name, a.name);
  assert.equal(result.rso.right, 'send-once');
  assert.equal(result.rmr.right, 'receive');
  await result.rms.send({ id: 1 });
  assert.equal((await a.receive(WAIT)).id, 1);
  await result.rso.send({ id: 2 });
  assert.equal((await d.receive(WAIT)).id, 2);
  await eSend.send({ id: 3 });
  assert.equal((await result.rmr.receive(WAIT)).id, 3);
  for (const port of [a, b, bSend, c, d, eSend, ...Object.values(result)]) port.close();
});

await check('polymorphic ports', async () => {
  const x = allocatePort();
  const ys = [allocatePort(), allocatePort(), allocatePort()];
  const result = await client.polyPorts(
    { port: x.makeSendOnceRight(), disposition: 'move-send-once' },
    { ports: ys.map((y) => y.makeSendRight()), disposition: 'move-send' },
    WAIT,
  );
  assert.deepEqual(result.oq.map((p) => p.name), ys.map((y) => y.name));
  await result.q.send({ id: 4 });
  assert.equal((await x.receive(WAIT)).id, 4);
  for (const port of [x, ...ys, ...result.oq]) port.close();
});

await check('arrays of ports', async () => {
  const targets = Array.from({ length: 10 }, () => allocatePort());
  const fixed = targets.slice(0, 3).map((p) => p.makeSendRight());
  const variable = targets.slice(3, 7).map((p) => p.makeSendRight());
  const ool = targets.slice(7).map((p) => p.makeSendRight());
  const result = await client.portArrays(fixed, variable, ool, WAIT);
  assert.deepEqual(result.ofixed.map((p) => p.name), targets.slice(0, 3).map((p) => p.name));
  assert.deepEqual(result.ovar.map((p) => p.name), targets.slice(3, 7).map((p) => p.name));
  assert.deepEqual(result.oool.map((p) => p.name), targets.slice(7).map((p) => p.name));
  for (const port of [...targets, ...fixed, ...result.ofixed, ...result.ovar, ...result.oool]) port.close();
});

await check('trailer: the server sees this process as the sender', async () => {
  const info = await client.trailerInfo(WAIT);
  assert.equal(info.pid, process.pid);
  assert.equal(info.uid, process.getuid());
});

await check('CountInOut', async () => {
  assert.deepEqual(await client.counted(Int32Array.from([5, 6, 7]), 3, WAIT), Int32Array.from([5, 6, 7]));
  const error = await failure(client.counted(Int32Array.from([5, 6, 7]), 1, WAIT));
  assert.ok(error instanceof MigError);
  assert.equal(error.codeName, 'MIG_ARRAY_TOO_LARGE');
});

await check('simpleroutine, then a routine behind it', async () => {
  await client.note(-77);
  assert.equal(await client.lastNote(WAIT), -77);
});

await check("the handler's errors", async () => {
  const kern = await failure(client.fail(5, WAIT));
  assert.ok(kern instanceof MachError && !(kern instanceof MigError));
  assert.equal(kern.code, 5);
  const mig = await failure(client.fail(-304, WAIT));
  assert.ok(mig instanceof MigError);
  assert.equal(mig.codeName, 'MIG_BAD_ARGUMENTS');
});

await check('timeout and abort of a deferred reply', async () => {
  const late = await failure(client.sleep(300, { timeout: 20 }));
  assert.ok(late instanceof MachError);
  assert.equal(late.codeName, 'MACH_RCV_TIMED_OUT');
  const controller = new AbortController();
  const pending = failure(client.sleep(300, { signal: controller.signal }));
  controller.abort(new Error('no longer wanted'));
  assert.equal((await pending).message, 'no longer wanted');
  assert.equal(await client.add(20, 22, WAIT), 42);
});

await check('concurrent calls', async () => {
  const sums = await Promise.all(Array.from({ length: 50 }, (_, i) => client.add(i, -i * 2, WAIT)));
  assert.deepEqual(sums, Array.from({ length: 50 }, (_, i) => i - 2 * i));
});

client.close();
service.close();
// Late replies to the timed-out and aborted calls find their reply ports destroyed; nothing else is held.
assert.equal(spaceStats().names, 0, 'the client child still holds port names');
process.stdout.write(`ok ${checks}\n`);
