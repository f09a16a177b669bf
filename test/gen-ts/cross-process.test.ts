// Generated TypeScript stubs across processes: this process is the client,
// a Node child serves test/gen-ts/defs/roundtrip.defs with its generated
// server and echoes every argument back, so each kind of value travels in a
// request and again in a reply. Ports are checked by using them (a message
// sent on a returned right arrives where it should), ownership by what the
// caller still holds, and the whole file leaves no descriptor and no port
// name behind.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MachError, MigError, allocateOutOfLine, allocatePort, spaceStats, type Port } from 'tsmig';
import { compiledStubs, expectResourcesBackTo, here, PATIENCE_MS, settledResources, startChild, type Child } from './helpers.js';

const SERVER = join(here, 'children', 'roundtrip-server.mjs');

// The generated module's exports used here, typed by hand (the module is compiled at run time).
interface RoundtripClient {
  core: { close(): void; replyPort(): Port };
  close(): void;
  [method: string]: ((...args: never[]) => Promise<unknown>) | unknown;
}
type ClientClass = new (port: Port) => RoundtripClient;

let stubsFile: string;
let Client: ClientClass;
let child: Child;
let client: RoundtripClient;
let before: Record<string, number>;

// Calls a method of the generated client (typed loosely: the module is generated at run time).
function call<T>(method: string, ...args: unknown[]): Promise<T> {
  return (client[method] as (...a: unknown[]) => Promise<T>)(...args);
}

beforeAll(async () => {
  stubsFile = await compiledStubs(join(here, 'defs', 'roundtrip.defs'));
  Client = ((await import(stubsFile)) as { RoundtripClient: ClientClass }).RoundtripClient;
  // Warm up what a process creates once (child process plumbing, the runtime's threads), then count.
  const warm = await startChild(SERVER, [stubsFile]);
  const warmClient = new Client(warm.ports.service);
  await (warmClient.add as (a: number, b: number) => Promise<number>)(1, 1);
  warmClient.close();
  await warm.finish();
  before = await settledResources();
  child = await startChild(SERVER, [stubsFile]);
  client = new Client(child.ports.service);
});

afterAll(async () => {
  client.close();
  await child.finish();
  await expectResourcesBackTo(before);
});

describe('every kind of value, to a Node server child and back', () => {
  it('integers of every width, booleans, chars and reals', async () => {
    const result = await call('scalars', -128, 255, -32768, 65535, -(2 ** 31), 2 ** 32 - 1, -(2n ** 63n), 2n ** 64n - 1n, true, 200, 1.25, Math.PI);
    expect(result).toEqual({
      r8: -128,
      ru8: 255,
      r16: -32768,
      ru16: 65535,
      r32: -(2 ** 31),
      ru32: 2 ** 32 - 1,
      r64: -(2n ** 63n),
      ru64: 2n ** 64n - 1n,
      rb: true,
      rc: 200,
      rf: 1.25,
      rd: Math.PI,
    });
  });

  it('refuses an out-of-range integer before sending anything', async () => {
    await expect(call('add', 2 ** 31, 1)).rejects.toThrow(RangeError);
    await expect(call('scalars', 0, 256, 0, 0, 0, 0, 0n, 0n, false, 0, 0, 0)).rejects.toThrow(/u8: expected a unsigned 8-bit integer/);
  });

  it('fixed and variable inline arrays, full and empty', async () => {
    const t = Int32Array.from([1, -2, 3]);
    const full = { v: Uint8Array.from({ length: 64 }, (_, i) => i * 3), w: BigInt64Array.from([1n, -2n, 3n, -4n, 5n, -6n, 7n, -(2n ** 63n)]), x: Float64Array.from([0.5, -1, 1e300, -0]) };
    expect(await call('arrays', t, full.v, full.w, full.x)).toEqual({ ot: t, ov: full.v, ow: full.w, ox: full.x });
    const empty = await call<{ ov: Uint8Array; ow: BigInt64Array }>('arrays', t, new Uint8Array(0), new BigInt64Array(0), new Float64Array(0));
    expect(empty.ov.length).toBe(0);
    expect(empty.ow.length).toBe(0);
    await expect(call('arrays', t, new Uint8Array(65), full.w, full.x)).rejects.toThrow(/at most 64 elements/);
  });

  it('C strings: UTF-8, variable and fixed', async () => {
    expect(await call('strings', 'héllo ✓ wörld', 'fixed label')).toEqual({ oname: 'héllo ✓ wörld', olabel: 'fixed label' });
    expect(await call('strings', '', '')).toEqual({ oname: '', olabel: '' });
    await expect(call('strings', 'a\0b', 'x')).rejects.toThrow(/without NUL/);
    await expect(call('strings', 'x', '0123456789abcdef')).rejects.toThrow(/at most 15 bytes/);
  });

  it('out-of-line data, copied and given away, both ways', async () => {
    const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff);
    const ints = Int32Array.from({ length: 1000 }, (_, i) => i - 500);
    const result = await call<{ odata: Uint8Array; oints: Int32Array }>('outOfLine', data, ints);
    expect(Buffer.compare(result.odata, data)).toBe(0);
    expect([...result.oints]).toEqual([...ints]);
    // A region from allocateOutOfLine, and an empty array.
    const region = allocateOutOfLine(4096);
    region.fill(9);
    const again = await call<{ odata: Uint8Array; oints: Int32Array }>('outOfLine', region, new Int32Array(0));
    expect(again.odata.every((b) => b === 9)).toBe(true);
    expect(again.oints.length).toBe(0);
  });

  it('inout values come back changed', async () => {
    expect(await call('inoutValues', 41, -(2n ** 40n), 'abc')).toEqual({ n: 42, big: -(2n ** 41n), label: 'ABC' });
  });

  it('ports with every disposition, and back', async () => {
    const a = allocatePort();
    const b = allocatePort();
    const bSend = b.makeSendRight();
    const c = allocatePort();
    const cSend = c.makeSendRight();
    const d = allocatePort();
    const e = allocatePort();
    const eSend = e.makeSendRight();
    const result = await call<Record<string, Port>>('sendPorts', a, bSend, cSend, d, e);
    // Moved rights belong to the receiver now; copied and made ones stay the caller's.
    expect(cSend.closed).toBe(true);
    expect(e.closed).toBe(true);
    expect(bSend.closed).toBe(false);
    expect(a.right).toBe('receive');
    // Send rights to one's own ports come back under the receive right's name.
    expect(result.rms.name).toBe(a.name);
    expect(result.rcs.name).toBe(b.name);
    expect(result.rmv.name).toBe(c.name);
    expect(result.rso.right).toBe('send-once');
    expect(result.rmr.right).toBe('receive');
    // Each right works: messages sent on them arrive where they should.
    await result.rms.send({ id: 1 });
    expect((await a.receive({ timeout: PATIENCE_MS })).id).toBe(1);
    await result.rso.send({ id: 2 });
    expect((await d.receive({ timeout: PATIENCE_MS })).id).toBe(2);
    await eSend.send({ id: 3 });
    expect((await result.rmr.receive({ timeout: PATIENCE_MS })).id).toBe(3);
    for (const port of [a, b, bSend, c, d, eSend, ...Object.values(result)]) port.close();
  });

  it('refuses a Port that holds the wrong right, keeping every right', async () => {
    const a = allocatePort();
    const send = a.makeSendRight();
    // A send right where a receive right must move.
    await expect(call('sendPorts', a, send, send.copySendRight(), a, send)).rejects.toThrow(/MOVE_RECEIVE needs a receive right/);
    expect(send.closed).toBe(false);
    send.close();
    a.close();
  });

  it('polymorphic ports and arrays: the disposition chosen per call', async () => {
    const x = allocatePort();
    const ys = [allocatePort(), allocatePort()];
    const result = await call<{ q: Port; oq: readonly Port[] }>(
      'polyPorts',
      { port: x.makeSendOnceRight(), disposition: 'move-send-once' },
      { ports: ys.map((y) => y.makeSendRight()), disposition: 'move-send' },
    );
    expect(result.q.right).toBe('send-once');
    expect(result.oq.map((p) => p.name)).toEqual(ys.map((y) => y.name));
    await result.q.send({ id: 7 });
    expect((await x.receive({ timeout: PATIENCE_MS })).id).toBe(7);
    for (const port of [x, ...ys, ...result.oq]) port.close();
  });

  it('arrays of ports: inline fixed, inline variable, out-of-line', async () => {
    const targets = Array.from({ length: 9 }, () => allocatePort());
    const fixed = targets.slice(0, 3).map((p) => p.makeSendRight());
    const variable = targets.slice(3, 5).map((p) => p.makeSendRight());
    const ool = targets.slice(5).map((p) => p.makeSendRight());
    const result = await call<{ ofixed: readonly Port[]; ovar: readonly Port[]; oool: readonly Port[] }>('portArrays', fixed, variable, ool);
    expect(result.ofixed.map((p) => p.name)).toEqual(targets.slice(0, 3).map((p) => p.name));
    expect(result.ovar.map((p) => p.name)).toEqual(targets.slice(3, 5).map((p) => p.name));
    expect(result.oool.map((p) => p.name)).toEqual(targets.slice(5).map((p) => p.name));
    // Copied rights stay; moved ones are gone from the caller.
    expect(fixed.every((p) => !p.closed)).toBe(true);
    expect([...variable, ...ool].every((p) => p.closed)).toBe(true);
    for (const port of [...targets, ...fixed, ...result.ofixed, ...result.ovar, ...result.oool]) port.close();
  });

  it('trailer arguments: the server sees the sender as this process', async () => {
    const info = await call<{ pid: number; uid: number; seqno: number }>('trailerInfo');
    expect(info.pid).toBe(process.pid);
    expect(info.uid).toBe(process.getuid!());
    expect(typeof info.seqno).toBe('number');
  });

  it('CountInOut: more than the caller accepts is MIG_ARRAY_TOO_LARGE', async () => {
    expect(await call('counted', Int32Array.from([1, 2, 3, 4]), 6)).toEqual(Int32Array.from([1, 2, 3, 4]));
    const error = await call('counted', Int32Array.from([1, 2, 3, 4]), 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigError);
    expect(String(error)).toBe('MigError: MIG_ARRAY_TOO_LARGE (-307)');
  });

  it('a simpleroutine resolves once sent, and is handled in order', async () => {
    await call('note', 1234);
    expect(await call('lastNote')).toBe(1234);
  });

  it("a handler's error comes back as MachError with its code", async () => {
    const kern = await call('fail', 5).catch((e: unknown) => e);
    expect(kern).toBeInstanceOf(MachError);
    expect((kern as MachError).code).toBe(5);
    expect(kern).not.toBeInstanceOf(MigError);
    const mig = await call('fail', -304).catch((e: unknown) => e);
    expect(String(mig)).toBe('MigError: MIG_BAD_ARGUMENTS (-304)');
  });

  it('concurrent calls each get their own reply', async () => {
    const sums = await Promise.all(Array.from({ length: 64 }, (_, i) => call<number>('add', i, 1000)));
    expect(sums).toEqual(Array.from({ length: 64 }, (_, i) => i + 1000));
  });
});

describe('timeouts and aborts', () => {
  it('a timed-out call throws MACH_RCV_TIMED_OUT, destroys its reply port, and the next call works', async () => {
    client.close();
    const counted = await settledResources();
    // The reply port the next call takes (the pool's top), to see what becomes of it.
    const used = client.core.replyPort();
    const error = await call('sleep', 300, { timeout: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MachError);
    expect((error as MachError).codeName).toBe('MACH_RCV_TIMED_OUT');
    expect(used.closed).toBe(true);
    // The late reply finds the reply port gone; the server drops it.
    expect(await call('add', 1, 2)).toBe(3);
    client.close();
    await expectResourcesBackTo(counted);
  });

  it('an aborted call rejects with the reason and leaves no reply port', async () => {
    client.close();
    const counted = await settledResources();
    const controller = new AbortController();
    const used = client.core.replyPort();
    const pending = call('sleep', 300, { signal: controller.signal });
    controller.abort(new Error('stop waiting'));
    await expect(pending).rejects.toThrow('stop waiting');
    expect(used.closed).toBe(true);
    expect(await call('add', 2, 2)).toBe(4);
    client.close();
    await expectResourcesBackTo(counted);
  });

  it('many timed-out calls leak nothing', async () => {
    client.close();
    const counted = await settledResources();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => call('sleep', 200, { timeout: 5 })));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    client.close();
    await expectResourcesBackTo(counted);
  });
});

/** Calls `hang` (1 s timeout), SIGKILLs the server once it has the call, and returns what the call threw. */
async function killDuringHang(victim: Child, victimClient: RoundtripClient): Promise<unknown> {
  const pending = (victimClient.hang as (o: object) => Promise<void>)({ timeout: 1000 }).catch((e: unknown) => e);
  await new Promise<void>((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error('the server never got the call')), PATIENCE_MS);
    const poll = setInterval(() => {
      if (victim.stdout().includes('hang')) {
        clearInterval(poll);
        clearTimeout(limit);
        resolve();
      }
    }, 5);
  });
  victim.process.kill('SIGKILL');
  return pending;
}

describe('a server killed mid-call', () => {
  it('wakes the call with MIG_SERVER_DIED (its 1 s timeout bounding the wait)', async () => {
    const victim = await startChild(SERVER, [stubsFile]);
    const victimClient = new Client(victim.ports.service);
    expect(String(await killDuringHang(victim, victimClient))).toBe('MigError: MIG_SERVER_DIED (-308)');
    expect((await victim.finish()).signal).toBe('SIGKILL');
    victimClient.close();
  });

  it('still wakes the call when its reply right reuses a socket pair of the send-once pool (Linux)', async () => {
    const victim = await startChild(SERVER, [stubsFile]);
    const victimClient = new Client(victim.ports.service);
    const add = (victimClient.add as (a: number, b: number) => Promise<number>).bind(victimClient);
    const reused = spaceStats().sendOnceReused;
    for (let i = 0; i < 20; i++) expect(await add(i, 1)).toBe(i + 1);
    // Sequential calls share one reply port and one destination: every call after the first reuses.
    if (process.platform === 'linux') expect(spaceStats().sendOnceReused - reused).toBeGreaterThanOrEqual(19);
    expect(String(await killDuringHang(victim, victimClient))).toBe('MigError: MIG_SERVER_DIED (-308)');
    expect((await victim.finish()).signal).toBe('SIGKILL');
    victimClient.close();
  });
});
