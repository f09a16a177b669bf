// Generated C++ across real processes and the real runtime (Linux
// emulation, build/native/libtsmig.a and the Node addon): the golden
// interface test/golden/cross, one routine per kind of argument.
//
//  - Node client (the golden TypeScript stubs) ↔ C++ server child,
//  - C++ client child ↔ Node server child (the golden TypeScript server),
//  - C++ client child ↔ C++ server child,
//  - malformed requests against the C++ server child: every bad request of
//    the wire corpus for `cross` (captured from Apple's MIG) and random
//    bytes, sent with real rights in place of the corpus's names: the C++
//    server answers with Apple's error, keeps serving, and ends with the
//    names, descriptors and out-of-line bytes it started with, while every
//    right we sent it is seen destroyed (no-senders, send-once and dead-name
//    notifications).
//
// Children get a send right to a port of this test as inherited descriptor
// 3 (Port.toDescriptor / tsmig_fd_to_send_right) and answer with a hello.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allocateOutOfLine,
  allocatePort,
  sendRaw,
  spaceStats,
  type Port,
  type ReceivedMessage,
} from 'tsmig';
import { CrossClient } from '../golden/cross/expected/input.js';
import { repoRoot } from '../golden/cases.js';
import { codeOf, interfaceVectors, receivedDisposition } from '../wire/cpp/corpus.js';
import { fromHex } from '../wire/cpp/values.js';

const PATIENCE_MS = 20_000;
const HERE = import.meta.dirname;
const CROSS = join(repoRoot, 'test', 'golden', 'cross');
const work = mkdtempSync(join(tmpdir(), 'tsmig-gen-cpp-cross-'));
const peer = join(work, 'peer');
const stubs = join(work, 'cross.mjs');

/** What this process holds now: descriptors and port names. */
function resources(): { fds: number; names: number } {
  return { fds: readdirSync('/proc/self/fd').length, names: spaceStats().names };
}
let before: { fds: number; names: number };

/** Counts after a few turns of the event loop, once closed ports' watches are gone (no clock involved). */
async function settledResources(): Promise<{ fds: number; names: number }> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return resources();
}

beforeAll(() => {
  const build = spawnSync(
    'g++',
    [
      '-std=c++17',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      `-I${join(repoRoot, 'runtime', 'include')}`,
      `-I${CROSS}`,
      `-I${join(CROSS, 'expected')}`,
      join(HERE, 'cross', 'peer.cc'),
      join(CROSS, 'expected', 'input.mig.cc'),
      join(CROSS, 'expected', 'input.server.mig.cc'),
      join(repoRoot, 'build', 'native', 'libtsmig.a'),
      '-pthread',
      '-o',
      peer,
    ],
    { encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`peer build failed:\n${build.stderr}`);
  // The golden stubs as an ES module a plain `node` child can import, on this repository's runtime build.
  const runtime = pathToFileURL(join(repoRoot, 'dist', 'runtime', 'lib', 'index.js')).href;
  const js = ts
    .transpileModule(readFileSync(join(CROSS, 'expected', 'input.ts'), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    })
    .outputText.replace(/from 'tsmig'/g, `from ${JSON.stringify(runtime)}`);
  writeFileSync(stubs, js);
  // A build, which takes minutes on a loaded machine (not a measure).
}, 300_000);

beforeAll(async () => {
  // Warm up what Node and the runtime create once per process (the signal pipes of child processes, the
  // runtime's monitor thread that a dead-name request on another process's port starts) before counting.
  const child = await startChild(peer, ['server']);
  const notify = allocatePort();
  const dead = new Promise((resolve) => notify.once('dead-name', resolve));
  child.port.requestNotification('dead-name', notify);
  const port = child.port.copySendRight();
  await child.finish();
  await dead;
  port.close();
  notify.close();
  before = await settledResources();
});

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  // Everything this file opened is closed again (children's rights reaped by the runtime's monitor).
  const limit = Date.now() + PATIENCE_MS;
  while (
    JSON.stringify(await settledResources()) !== JSON.stringify(before) &&
    Date.now() < limit
  ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(await settledResources()).toEqual(before);
});

interface Child {
  process: ChildProcess;
  /** The send right the child's hello carried (its service port). */
  port: Port;
  stdout(): string;
  /** Closes the child's stdin (servers then exit), waits for the exit and releases the ports. */
  finish(): Promise<number | null>;
}

/** Starts a child with a send right to `target` (or to a fresh port whose hello it waits for) as descriptor 3. */
async function startChild(command: string, args: string[], target?: Port): Promise<Child> {
  const inbox = target ? null : allocatePort();
  const fd = (target ?? inbox!).toDescriptor();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe', fd] });
  closeSync(fd);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  // 'close': the child exited and its stdio pipes are closed (so descriptor counts settle).
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  let port: Port | null = null;
  if (inbox) {
    const early = exited.then((code) => {
      throw new Error(`child exited before its hello (code ${code}):\n${err}`);
    });
    const hello = (await Promise.race([
      inbox.receive({ timeout: PATIENCE_MS }),
      early,
    ])) as ReceivedMessage;
    expect(hello.id).toBe(1000);
    port = hello.replyPort!;
    inbox.close();
  }
  return {
    process: child,
    port: port!,
    stdout: () => out,
    async finish() {
      child.stdin!.end();
      const code = await exited;
      port?.close();
      if (code !== 0) throw new Error(`child failed (code ${code}):\n${err}`);
      return code;
    },
  };
}

const ROUTINES = [
  'scalars',
  'arrays',
  'strings',
  'rights',
  'receive_right',
  'poly',
  'out_of_line',
  'counted',
  'audit',
  'oneway',
  'fails',
  'explicit_reply',
  'stats',
];

describe('Node client ↔ C++ server child', () => {
  it('every kind of argument goes both ways', async () => {
    const server = await startChild(peer, ['server']);
    const client = new CrossClient(server.port);
    try {
      expect(await client.scalars(120, -300, 70000, true, -5_000_000_000n, 1.5, 2.25, 41n)).toEqual(
        {
          io: 42n,
          r: -5_000_000_000n + 70000n - 300n + 120n + 1n,
          rd: 6,
        },
      );
      const arrays = await client.arrays(
        new Int32Array([1, -2, 3]),
        new TextEncoder().encode('abcde'),
        4,
        new BigInt64Array([10n, 20n, 30n]),
      );
      expect(new TextDecoder().decode(arrays.ov)).toBe('edcba');
      expect([...arrays.ot]).toEqual([2, -4, 6]);
      expect(arrays.tail).toBe(64);
      expect(await client.strings('hello', 'world')).toBe('hello/world');

      const [mv, cs, ms, mso, p0, p1] = Array.from({ length: 6 }, () => allocatePort());
      const mvSend = mv!.makeSendRight();
      const csSend = cs!.makeSendRight();
      const pair = [p0!.makeSendRight(), p1!.makeSendRight()];
      expect(await client.rights(mvSend, csSend, ms!, mso!, pair, 0x4242)).toBe(0x4242);
      for (const p of [mv, cs, ms, mso, p0, p1, csSend, ...pair]) p!.close();

      const moved = allocatePort();
      const back = await client.receiveRight(moved);
      expect(back?.right).toBe('send');
      back!.close();

      const polyTarget = allocatePort();
      const q = await client.poly({ port: polyTarget, disposition: 'make-send' });
      expect(q?.right).toBe('send');
      q!.close();
      polyTarget.close();

      const data = Uint8Array.from({ length: 300 }, (_, k) => k & 0xff);
      const ints = allocateOutOfLine(20);
      new Int32Array(ints.buffer, ints.byteOffset, 5).set([1, 2, 3, 4, 5]);
      const names = [allocatePort(), allocatePort(), allocatePort()];
      const sends = names.map((p) => p.makeSendRight());
      const ool = await client.outOfLine(
        data,
        new Int32Array(ints.buffer, ints.byteOffset, 5),
        sends,
      );
      expect([...ool.odata]).toEqual([...data].reverse());
      expect(ool.sum).toBe(15);
      expect(ool.onames.map((p) => p?.right)).toEqual(['send', 'send', 'send']);
      for (const p of [...ool.onames, ...names]) p?.close();

      expect([...(await client.counted(new Int32Array([1, 2, 3, 4]), 3))]).toEqual([2, 4, 6]);
      expect(await client.audit()).toBe(process.pid);
      await client.oneway(77);
      expect(await client.last()).toBe(77);
      await expect(client.fails(1)).rejects.toMatchObject({ code: 4 });
      const reply = allocatePort();
      expect(await client.explicitReply(reply, 41)).toBe(42);
      reply.close();
      const stats = await client.stats();
      expect(stats.names).toBeGreaterThan(0);
    } finally {
      client.close();
      await server.finish();
    }
  });
});

/** Runs the C++ client child against `service` and returns the routines it reported ok. */
async function cppClient(service: Port): Promise<string[]> {
  const client = await startChild(peer, ['client'], service);
  await client.finish().catch((error: unknown) => {
    throw new Error(`${String(error)}\n${client.stdout()}`);
  });
  const lines = client.stdout().trim().split('\n');
  expect(lines.filter((l) => !l.startsWith('ok '))).toEqual([]);
  return lines.map((l) => l.slice(3));
}

describe('C++ client child ↔ Node server child', () => {
  it('every kind of argument goes both ways', async () => {
    const server = await startChild(process.execPath, [
      join(HERE, 'cross', 'node-server.mjs'),
      stubs,
    ]);
    try {
      expect(await cppClient(server.port)).toEqual(ROUTINES);
    } finally {
      await server.finish();
    }
  });
});

describe('C++ client child ↔ C++ server child', () => {
  it('every kind of argument goes both ways', async () => {
    const server = await startChild(peer, ['server']);
    try {
      expect(await cppClient(server.port)).toEqual(ROUTINES);
    } finally {
      await server.finish();
    }
  });
});

// ---------------------------------------------------------------------------
// Malformed requests

/** A right we put into a bad request, and how we will see it destroyed. */
interface Sent {
  port: Port;
  /** The notification that proves the server destroyed it. */
  expect: 'no-senders' | 'send-once' | 'dead-name';
  /** For a moved receive right: the send right we keep to watch it die. */
  watch?: Port;
}

/**
 * A corpus request with real rights: the header names the server and a
 * fresh reply port; each port descriptor names a fresh port of ours, sent
 * so that the server receives what the corpus says it receives (a receive
 * right, a send right or a send-once right).
 */
function realRequest(
  hex: string,
  service: Port,
  reply: Port,
  sent: Sent[],
  notify: Port,
  ool: string[],
  oolPorts: number[][],
) {
  const bytes = fromHex(hex);
  const view = new DataView(bytes.buffer);
  const bits = view.getUint32(0, true);
  view.setUint32(0, ((bits & ~0x1f1f1f) | 19 | (21 << 8)) >>> 0, true);
  view.setUint32(8, service.name, true);
  view.setUint32(12, reply.name, true);
  view.setUint32(16, 0, true);
  const moved: Port[] = [];
  const fresh = (sentDisposition: number): number => {
    const p = allocatePort();
    const kind = receivedDisposition(sentDisposition);
    if (kind === 16) {
      const watch = p.makeSendRight();
      watch.requestNotification('dead-name', notify);
      moved.push(p);
      sent.push({ port: p, expect: 'dead-name', watch });
      return 16;
    }
    if (kind === 18) {
      sent.push({ port: p, expect: 'send-once' });
      return 21;
    }
    p.requestNotification('no-senders', notify, { makeSendCount: 1 });
    sent.push({ port: p, expect: 'no-senders' });
    return 20;
  };
  const oolNames: Uint32Array[] = [];
  if (bits & 0x80000000 && bytes.length >= 28) {
    const count = view.getUint32(24, true);
    let at = 28;
    let nextPorts = 0;
    for (let i = 0; i < count && at + 12 <= bytes.length; i++) {
      const type = bytes[at + 11]!;
      if (type === 0) {
        if (view.getUint32(at, true) !== 0) {
          bytes[at + 10] = fresh(bytes[at + 10]!);
          view.setUint32(at, sent[sent.length - 1]!.port.name, true);
        }
        at += 12;
      } else if (type === 2) {
        const names = oolPorts[nextPorts++] ?? [];
        const disposition = bytes[at + 10]!;
        const real = names.map(() => {
          const d = fresh(disposition);
          return { name: sent[sent.length - 1]!.port.name, d };
        });
        if (real.length) bytes[at + 10] = real[0]!.d;
        oolNames.push(Uint32Array.from(real.map((r) => r.name)));
        at += 16;
      } else {
        at += 16;
      }
    }
  }
  return { bytes, ool: ool.map((h) => fromHex(h)), oolPorts: oolNames, moved };
}

describe('malformed requests against the C++ server child', () => {
  const vectors = interfaceVectors('cross').filter((v) => v.kind === 'badRequest');

  it("answers every bad request with Apple's error, keeps serving, and destroys every right once", async () => {
    expect(vectors.length).toBeGreaterThan(50);
    const server = await startChild(peer, ['server']);
    const client = new CrossClient(server.port);
    const notify = allocatePort();
    const seen = { 'no-senders': 0, 'send-once': 0, 'dead-name': 0 };
    // Requests of ports we close unsent end as send-once notifications here: drain them too, or the queue fills.
    notify.setQueueLimit(1024);
    notify.on('notification', (n) => {
      if (n.kind === 'no-senders' || n.kind === 'dead-name') seen[n.kind]++;
    });
    try {
      const baseline = await client.stats();
      const sent: Sent[] = [];
      let delivered = 0;
      let refused = 0;
      const random = Array.from({ length: 50 }, (_, k) => {
        // Random bodies after a valid header, ids inside and outside the subsystem.
        const size = 24 + 4 * ((k * 7) % 40);
        const b = Uint8Array.from({ length: size }, (_, i) => (i * 131 + k * 17) & 0xff);
        const v = new DataView(b.buffer);
        v.setUint32(0, 0x1513, true);
        v.setUint32(4, size, true);
        v.setInt32(20, 9000 + ((k * 5) % 20) - 2, true);
        return { hex: Buffer.from(b).toString('hex'), error: undefined as string | undefined };
      });
      for (const v of [
        ...vectors.map((v) => ({
          hex: v.message.hex,
          error: v.error as string | undefined,
          ool: v.message.ool ?? [],
          oolPorts: v.message.oolPorts ?? [],
        })),
        ...random.map((r) => ({ ...r, ool: [], oolPorts: [] })),
      ]) {
        const reply = allocatePort();
        const mark = sent.length;
        const message = realRequest(v.hex, server.port, reply, sent, notify, v.ool, v.oolPorts);
        try {
          await sendRaw(message);
        } catch (error) {
          // The runtime refuses what no kernel would deliver (descriptors that do not fit, …): nothing reached the server.
          expect(error).toBeInstanceOf(Error);
          for (const s of sent.splice(mark)) {
            // The watching send right first: closing the port first would make it a dead name (a notification).
            s.watch?.close();
            s.port.close();
          }
          reply.close();
          refused++;
          continue;
        }
        delivered++;
        const answer = await reply.receive({ timeout: PATIENCE_MS });
        reply.close();
        // mig_reply_error_t: NDR, then the RetCode.
        const code = new DataView(answer.body.buffer, answer.body.byteOffset).getInt32(8, true);
        if (v.error !== undefined) expect(code).toBe(codeOf(v.error));
        else expect(code).toBeLessThan(0);
      }
      expect(delivered).toBeGreaterThan(vectors.length / 2);
      // The server still serves, and holds exactly what it held before.
      expect(await client.strings('still', 'here')).toBe('still/here');
      expect(await client.stats()).toEqual(baseline);
      // Every right we sent was destroyed on the server's side.
      const sendOnce = sent.filter((s) => s.expect === 'send-once');
      for (const s of sendOnce) {
        const n = await s.port.receive({ timeout: PATIENCE_MS });
        expect(n.notification?.kind ?? n.id).toBe(n.notification ? 'send-once' : 71);
      }
      const limit = Date.now() + PATIENCE_MS;
      const want = {
        'no-senders': sent.filter((s) => s.expect === 'no-senders').length,
        'dead-name': sent.filter((s) => s.expect === 'dead-name').length,
      };
      while (
        (seen['no-senders'] < want['no-senders'] || seen['dead-name'] < want['dead-name']) &&
        Date.now() < limit
      ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect({ 'no-senders': seen['no-senders'], 'dead-name': seen['dead-name'] }).toEqual(want);
      expect(sent.length).toBeGreaterThan(20);
      expect(refused).toBeLessThan(delivered);
      for (const s of sent) {
        s.watch?.close();
        s.port.close();
      }
    } finally {
      notify.close();
      client.close();
      await server.finish();
    }
  });
});
