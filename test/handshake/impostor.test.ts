// Processes that are not the spawned child cannot have its ports. A sibling
// with a copy of the child's TSMIG_HANDSHAKE cannot reach the rendezvous; a
// sibling that even steals the child's descriptor (pidfd_getfd) reaches it
// and is refused by the sender pid the kernel stamps on its claim;
// grandchildren — started before or after the claim — inherit neither the
// variable nor the descriptor; malformed claims from the child itself are
// refused one by one; and after every refusal the real child still claims
// and talks. The rendezvous dies with the claim. (Linux: /proc and pidfds.)

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { allocatePort, refusedClaims, spawnWithPorts } from '../../runtime/lib/index.js';
import {
  BUILD_PATIENCE_MS,
  CHILD,
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
let impostor = '';
let baseline: Record<string, number>;

const linux = process.platform === 'linux';

beforeAll(async () => {
  [claimer, impostor] = await Promise.all([
    nativeProgram('claimer'),
    linux ? nativeProgram('impostor') : '',
  ]);
  await warmUp();
  baseline = resources();
}, BUILD_PATIENCE_MS);

afterAll(async () => {
  await expectResourcesBackTo(baseline);
});

function environmentOf(pid: number): string {
  const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((e) => e.startsWith('TSMIG_HANDSHAKE='));
  return entry!.slice('TSMIG_HANDSHAKE='.length);
}

describe.skipIf(!linux)(
  'Linux: the rendezvous is the spawned child’s alone (needs /proc and pidfd_getfd)',
  () => {
    test('a sibling with the variable, then one with the stolen descriptor, are refused; the child then claims and talks', async () => {
      const five = fivePorts();
      const before = resources();
      const refusedBefore = refusedClaims();
      const pending = spawnWithPorts(process.execPath, [CHILD, 'wait-then-exchange'], {
        ports: five.handed,
        stdio: ['pipe', 'inherit', 'inherit'],
      });
      // The per-child model: a rendezvous port of the pending child's own (the moved receive right waits in its ticket).
      expect(resources().receive).toBe(before.receive + 1);
      const pid = pending.child.pid!;
      // What the child was started with stays readable in /proc: the runtime only empties its live environment.
      const value = environmentOf(pid);
      expect(value).toMatch(/^1:[0-9a-f]{32}:fd=\d+$/);

      const sibling = await runProgram(claimer, ['report'], {
        env: { ...process.env, TSMIG_HANDSHAKE: value },
      });
      expect(sibling.split('\n')[0]).toMatch(
        /^error 0x[0-9a-f]+ the rendezvous named by TSMIG_HANDSHAKE cannot be reached from this process/,
      );

      const thief = await runProgram(impostor, [String(pid), claimer, 'report']);
      expect(thief.split('\n')[0]).toMatch(
        /^error 0x[0-9a-f]+ the parent refused the claim: this process is not the child/,
      );
      expect(refusedClaims() - refusedBefore).toBe(1);

      pending.child.stdin!.end('go\n');
      const { child, ports } = await pending;
      await playParent(five, ports.inbox);
      expect(await exited(child)).toMatchObject({ code: 0 });
      ports.inbox.close();
      five.close();
    });

    test('grandchildren, started before or after the claim, get neither the variable nor the descriptor', async () => {
      const port = allocatePort();
      const pending = spawnWithPorts(process.execPath, [CHILD, 'grandchildren'], {
        ports: { port },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const out = collect(pending.child.stdout);
      const { child } = await pending;
      expect(await exited(child)).toMatchObject({ code: 0 });
      const seen = JSON.parse(await out);
      expect(seen.inherited).toBeNull();
      expect(seen.plain.error).toBe('TSMIG_HANDSHAKE_NO_PARENT');
      expect(seen.early.error).toBe('TSMIG_HANDSHAKE_UNREACHABLE');
      expect(seen.copied.error).toBe('TSMIG_HANDSHAKE_UNREACHABLE');
      port.close();
    });

    test('malformed claims from the child itself are refused one by one, then it claims; afterwards the rendezvous is gone', async () => {
      const port = allocatePort();
      const refusedBefore = refusedClaims();
      const pending = spawnWithPorts(claimer, ['junk'], {
        ports: { port },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const out = collect(pending.child.stdout);
      const { child, ports } = await pending;
      expect(ports).toEqual({});
      expect(await exited(child)).toMatchObject({ code: 0 });
      expect((await out).split('\n')).toEqual([
        'unknown id: a handshake message does not follow the protocol',
        'truncated: a handshake message does not follow the protocol',
        'version 2: a handshake message does not follow the protocol',
        'names mismatch: a handshake message does not follow the protocol',
        'wrong token: the parent refused the claim: wrong token',
        // Larger than any claim: the receive destroys it, so the sender's reply right dies unanswered.
        'too large: dropped',
        'claimed port=send',
        'after the claim: not sent: (ipc/send) the destination port is invalid or dead',
        '',
      ]);
      expect(refusedClaims() - refusedBefore).toBe(6);
      port.close();
    });
  },
);

test('a process not started with ports, and a second claim, get clear errors', async () => {
  const alone = await runProgram(claimer, ['report']);
  expect(alone).toMatch(
    /^error 0x[0-9a-f]+ this process was not started with ports to claim \(no TSMIG_HANDSHAKE in its environment when the runtime loaded\)\nerror 0x[0-9a-f]+ this process was not started/,
  );
  const nodeAlone = (await runProgram(process.execPath, [CHILD, 'report'])).split('\n');
  expect(JSON.parse(nodeAlone[0])).toMatchObject({ error: 'TSMIG_HANDSHAKE_NO_PARENT' });

  const port = allocatePort();
  const pending = spawnWithPorts(process.execPath, [CHILD, 'report'], {
    ports: { port },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const out = collect(pending.child.stdout);
  await pending;
  const [first, second] = (await out).split('\n').map((line) => (line ? JSON.parse(line) : null));
  expect(first).toEqual({ claimed: { port: 'send' } });
  expect(second).toMatchObject({
    error: 'TSMIG_HANDSHAKE_ALREADY_CLAIMED',
    message: "this process already claimed its parent's ports",
  });
  port.close();
});
