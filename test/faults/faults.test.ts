// Faults, with the generated stubs of test/golden/cross on the real runtime:
// a server killed mid-reply (Node) or with requests queued (C++), a client
// killed mid-call, a peer that stops reading (full queue), a receiver that
// drops a port (or dies) while messages carrying rights are queued, and a
// child killed mid-handshake. Every waiter must wake with the right error
// within one second of the fault (WAKE_BOUND_MS, a liveness bound), every
// survivor must keep working, and descriptors and port names must come back
// to where they were (nothing the dead carried leaks).

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  MACH_NOTIFY_SEND_ONCE,
  MachError,
  allocateOutOfLine,
  allocatePort,
  spawnWithPorts,
  type Port,
} from 'tsmig';
import { CrossClient, serveCross, type CrossServer } from '../golden/cross/expected/input.js';
import {
  buildCppPeer,
  crossStubsModule,
  here,
  outcome,
  resources,
  resourcesBackTo,
  startChild,
  stop,
  waitFor,
  withinWakeBound,
} from './helpers.js';

const MIG_SERVER_DIED = -308;
const MACH_SEND_TIMED_OUT = 0x10000004;
const MACH_SEND_INVALID_DEST = 0x10000003;

let peer: string;
let stubs: string;
let before: ReturnType<typeof resources>;

/** The Mach or MIG code of a rejection. */
function codeOf(error: unknown): number | string {
  if (error instanceof MachError) return error.code;
  return String(error);
}

beforeAll(async () => {
  peer = buildCppPeer();
  stubs = crossStubsModule();
  // Warm up what Node and the runtime make once (child signal pipes, the monitor thread) before counting.
  const child = await startChild(peer, ['server']);
  const client = new CrossClient(child.port);
  expect(await client.last()).toBe(0);
  client.close();
  await child.finish();
  // ...and the handshake's rendezvous port set, made by the first spawnWithPorts and kept.
  const handshake = spawnWithPorts(
    process.execPath,
    [`${here}/children/mid-handshake.mjs`, '100'],
    { stdio: 'ignore' },
  );
  const died = new Promise((resolve) => handshake.child.once('exit', resolve));
  const warm = await outcome(handshake);
  if (warm.ok) for (const port of Object.values(warm.value.ports)) port.close();
  await died;
  before = await resourcesBackTo(resources());
}, 180_000); // building the C++ peer with g++ -O2 takes a while on a busy machine

afterAll(async () => {
  expect(await resourcesBackTo(before)).toEqual(before);
});

describe('a server dies', () => {
  test('a Node server killed mid-reply: the pending call rejects with MIG_SERVER_DIED within 1 s', async () => {
    const child = await startChild(process.execPath, [`${here}/children/hang-server.mjs`, stubs]);
    const client = new CrossClient(child.port);
    const call = outcome(client.scalars(1, 2, 3, true, 4n, 5, 6, 7n));
    // The server has the request (and its reply right) when it dies.
    await waitFor(() => child.stdout().includes('got scalars'), 'the request to arrive');
    child.process.kill('SIGKILL');
    const result = await withinWakeBound(call, 'the pending call');
    expect(result.ok).toBe(false);
    expect(codeOf(!result.ok && result.error)).toBe(MIG_SERVER_DIED);
    client.close();
    expect((await child.finish()).signal).toBe('SIGKILL');
  });

  test('a C++ server killed with requests queued: each pending call rejects with MIG_SERVER_DIED within 1 s; a new server works', async () => {
    const child = await startChild(peer, ['server']);
    const client = new CrossClient(child.port);
    await stop(child.process.pid!);
    const calls: Promise<{ ok: boolean; error?: unknown }>[] = [
      outcome(client.last()),
      outcome(client.scalars(1, 2, 3, false, 4n, 5, 6, 7n)),
      outcome(client.strings('a', 'b')),
    ];
    // The requests are queued on its port (nobody reads) when it dies.
    child.process.kill('SIGKILL');
    for (const result of await withinWakeBound(Promise.all(calls), 'the pending calls')) {
      expect(result.ok).toBe(false);
      expect(codeOf(result.error)).toBe(MIG_SERVER_DIED);
    }
    client.close();
    await child.finish();
    // The survivor (this process) keeps working with another server.
    const next = await startChild(peer, ['server']);
    const again = new CrossClient(next.port);
    expect(await again.strings('still', 'here')).toBe('still/here');
    again.close();
    await next.finish();
  });
});

test('a client killed mid-call: the reply goes nowhere, the server keeps serving, nothing is left', async () => {
  const service = allocatePort();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let handled = 0;
  const errors: unknown[] = [];
  const impl = {
    last: async () => {
      handled++;
      if (handled === 1) await gate; // the first caller dies while this waits
      return 42;
    },
  } as unknown as CrossServer;
  const server = serveCross(service, impl, { onError: (error) => errors.push(error) });
  const child = await startChild(
    process.execPath,
    [`${here}/children/calling-client.mjs`, stubs],
    service,
  );
  await waitFor(() => handled === 1, 'the request to arrive');
  child.process.kill('SIGKILL');
  expect((await child.exited).signal).toBe('SIGKILL');
  release(); // the reply now goes to a dead reply right
  // The server is still serving: this process calls it.
  const sendRight = service.makeSendRight();
  const client = new CrossClient(sendRight);
  expect(await client.last()).toBe(42);
  // A reply to a dead client is not a handler error: at most a send failure the server reports.
  for (const error of errors) expect(error).toBeInstanceOf(MachError);
  client.close();
  sendRight.close();
  server.stop();
  service.close();
});

test('a peer that stops reading: a send into its full queue times out with MACH_SEND_TIMED_OUT; a blocked send wakes with MACH_SEND_INVALID_DEST within 1 s of its death', async () => {
  const child = await startChild(peer, ['server']);
  const client = new CrossClient(child.port);
  await stop(child.process.pid!);
  // oneway is a simpleroutine: sends that need no reply fill the queue (5 messages by default).
  let queued = 0;
  for (;;) {
    const sent = await outcome(client.oneway(queued, { timeout: 50 }));
    if (!sent.ok) {
      expect(codeOf(sent.error)).toBe(MACH_SEND_TIMED_OUT);
      break;
    }
    queued++;
    expect(queued).toBeLessThan(1000);
  }
  expect(queued).toBe(5);
  const blocked = outcome(client.oneway(-1));
  child.process.kill('SIGKILL');
  const result = await withinWakeBound(blocked, 'the blocked send');
  expect(result.ok).toBe(false);
  expect(codeOf(!result.ok && result.error)).toBe(MACH_SEND_INVALID_DEST);
  client.close();
  await child.finish();
});

describe('messages carrying rights queued on a port that goes away', () => {
  /** A port with a no-senders request: resolves when its last send right (anywhere) is gone. */
  function watched(): {
    port: Port;
    notify: Port;
    noSenders: Promise<unknown>;
    sendOnceDeaths: () => number;
  } {
    const port = allocatePort();
    const notify = allocatePort();
    const noSenders = new Promise((resolve) => notify.once('no-senders', resolve));
    port.requestNotification('no-senders', notify);
    let deaths = 0;
    // A destroyed send-once right to `port` comes back to it as MACH_NOTIFY_SEND_ONCE.
    const drain = (async () => {
      for (;;) {
        const m = await outcome(port.receive());
        if (!m.ok) return;
        if (m.value.id === MACH_NOTIFY_SEND_ONCE) deaths++;
      }
    })();
    void drain;
    return { port, notify, noSenders, sendOnceDeaths: () => deaths };
  }

  test('a receiver that destroys its port with 16 such messages queued: every right and region is destroyed', async () => {
    const w = watched();
    const dropped = allocatePort();
    dropped.setQueueLimit(32); // room for all 16: nobody receives
    const sender = dropped.makeSendRight();
    for (let i = 0; i < 16; i++) {
      const region = allocateOutOfLine(100_000);
      region.fill(i);
      await sender.send({
        id: 7,
        ports: [
          { port: w.port, disposition: 'make-send' },
          { port: w.port, disposition: 'make-send-once' },
        ],
        ool: [{ data: region, deallocate: true }],
      });
    }
    sender.close();
    dropped.close(); // 16 messages, 32 rights and 16 regions go with it
    await withinWakeBound(w.noSenders, 'the no-senders notification');
    await waitFor(() => w.sendOnceDeaths() === 16, 'every send-once right to be destroyed');
    w.port.close();
    w.notify.close();
  });

  test('a receiver killed with requests carrying rights queued: the kernel destroys them; no-senders within 1 s', async () => {
    const w = watched();
    const child = await startChild(peer, ['server']);
    const client = new CrossClient(child.port);
    await stop(child.process.pid!);
    const calls = [0, 1, 2].map(() =>
      outcome(client.rights(w.port, w.port, w.port, w.port, [w.port, w.port], 7)),
    );
    child.process.kill('SIGKILL');
    for (const result of await withinWakeBound(Promise.all(calls), 'the pending calls')) {
      expect(result.ok).toBe(false);
    }
    await withinWakeBound(w.noSenders, 'the no-senders notification');
    client.close();
    await child.finish();
    w.port.close();
    w.notify.close();
  });
});

test('a child killed mid-handshake, at 12 different points: every spawnWithPorts settles within 1 s of its death, nothing held for it is left', async () => {
  for (let turns = 0; turns < 12; turns++) {
    const handed = allocatePort();
    const pending = spawnWithPorts(
      process.execPath,
      [`${here}/children/mid-handshake.mjs`, String(turns)],
      {
        ports: { service: { port: handed.makeSendRight(), disposition: 'move-send' } },
        stdio: 'ignore',
      },
    );
    const died = new Promise((resolve) => pending.child.once('exit', resolve));
    const settled = outcome(pending);
    await died;
    const result = await withinWakeBound(settled, `the handshake (killed after ${turns} turns)`);
    if (result.ok) {
      // The claim was answered before the child died: what it offered is ours to release.
      for (const port of Object.values(result.value.ports)) port.close();
    } else {
      // Dead before its claim arrived (CHILD_EXITED), or after it claimed and before the answer (CHILD_GONE).
      expect(['TSMIG_HANDSHAKE_CHILD_EXITED', 'TSMIG_HANDSHAKE_CHILD_GONE']).toContain(
        (result.error as { code?: string }).code,
      );
    }
    // Whatever happened, the send right made for the child is gone with it.
    await waitFor(() => handed.getReferences('send') === 0, 'the handed right to be destroyed');
    handed.close();
  }
}, 60_000);
