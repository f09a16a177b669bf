// The handshake between real processes, every pairing: a Node parent and a
// Node child, a Node parent and a C++ child, a C++ parent and a Node child
// (and C++ with C++). The parent hands five ports — one per way a right can
// travel — the child offers one, and both then talk through all of them.
// Also: fork()-style children with an IPC channel, spawn options passing
// through (env, cwd, stdio, detached), and what the parent still holds
// afterwards.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { allocatePort, forkWithPorts, spawnWithPorts } from '../../runtime/lib/index.js';
import {
  BUILD_PATIENCE_MS,
  CHILD,
  PATIENCE_MS,
  collect,
  exited,
  expectResourcesBackTo,
  fivePorts,
  nativeProgram,
  playParent,
  resources,
  runProgram,
  warmUp,
} from './helpers.js';

let claimer = '';
let spawner = '';
let baseline: Record<string, number>;

beforeAll(async () => {
  [claimer, spawner] = await Promise.all([nativeProgram('claimer'), nativeProgram('spawner')]);
  await warmUp();
  baseline = resources();
}, BUILD_PATIENCE_MS);

afterAll(async () => {
  await expectResourcesBackTo(baseline);
});

async function nodeParent(command: string, args: string[]): Promise<void> {
  const five = fivePorts();
  const { child, ports } = await spawnWithPorts(command, args, {
    ports: five.handed,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  expect(Object.keys(ports)).toEqual(['inbox']);
  expect(ports.inbox.right).toBe('send');
  // Made and copied rights left ours alone; moved ones are gone from here.
  expect(five.dataSend.getReferences()).toBe(1);
  expect(five.movedSend.closed).toBe(true);
  expect(five.receiver.closed).toBe(true);
  expect(five.control.getReferences('send')).toBe(0);
  await playParent(five, ports.inbox);
  expect(await exited(child)).toMatchObject({ code: 0, signal: null });
  ports.inbox.close();
  five.close();
}

test('Node parent, Node child: five ports handed, messages both ways', async () => {
  await nodeParent(process.execPath, [CHILD, 'exchange']);
});

test('Node parent, C++ child: five ports handed, messages both ways', async () => {
  await nodeParent(claimer, ['exchange']);
});

test('C++ parent, Node child: five ports handed, messages both ways', async () => {
  expect(await runProgram(spawner, ['exchange', process.execPath, CHILD, 'exchange'])).toBe('OK\n');
});

test('C++ parent, C++ child: five ports handed, messages both ways', async () => {
  expect(await runProgram(spawner, ['exchange', claimer, 'exchange'])).toBe('OK\n');
});

test('forkWithPorts: a fork()-style child keeps its IPC channel and gets its ports', async () => {
  const five = fivePorts();
  const { child, ports } = await forkWithPorts(CHILD, ['ipc'], {
    ports: five.handed,
    silent: true,
  });
  const said = new Promise((resolve) => child.once('message', resolve));
  expect(await said).toEqual({
    ports: 'control=send;data=send;moved=send;once=send-once;receiver=receive',
  });
  await playParent(five, ports.inbox);
  expect(await exited(child)).toMatchObject({ code: 0 });
  ports.inbox.close();
  five.close();
});

test(
  'spawn options pass through: env, cwd, piped stdio; the child loses the variable and the descriptor once it claimed',
  async () => {
    const port = allocatePort();
    const pending = spawnWithPorts(process.execPath, [CHILD, 'whoami'], {
      ports: { port },
      cwd: '/tmp',
      env: { ...process.env, TSMIG_TEST_VALUE: 'kept' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // The child is at hand before the claim: its output can be read from the start.
    const out = collect(pending.child.stdout);
    const { child, ports } = await pending;
    expect(Object.keys(ports)).toEqual([]);
    const seen = JSON.parse(await out);
    expect(seen).toMatchObject({
      cwd: '/tmp',
      value: 'kept',
      variable: null,
      descriptorOpen: false,
      claimed: { port: 'send' },
    });
    // The variable named the descriptor the child inherited, one past its stdio.
    expect(seen.started).toMatch(/^1:[0-9a-f]{32}:fd=3$/);
    expect(await exited(child)).toMatchObject({ code: 0 });
    port.close();
  },
  PATIENCE_MS * 2,
);

test.skipIf(process.platform !== 'linux')(
  'detached: the child leads a process group of its own and still claims (Linux: /proc)',
  async () => {
    const five = fivePorts();
    const pending = spawnWithPorts(process.execPath, [CHILD, 'wait-then-exchange'], {
      ports: five.handed,
      detached: true,
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    const pid = pending.child.pid!;
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm is a plain "node" here.
    const pgrp = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[4]);
    expect(pgrp).toBe(pid);
    pending.child.stdin!.end('go\n');
    const { child, ports } = await pending;
    await playParent(five, ports.inbox);
    expect(await exited(child)).toMatchObject({ code: 0 });
    ports.inbox.close();
    five.close();
  },
);
