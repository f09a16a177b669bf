// The macOS model, run on Linux: with TSMIG_HANDSHAKE_SHARED_RENDEZVOUS=1 a
// parent keeps one rendezvous port for all its children (as the bootstrap
// service is on macOS) and tells claims apart by sender pid and token alone,
// holding a claim from an unknown pid while a spawn is still registering
// its child. Everything the per-child model shows must hold here too: the
// exchange, impostors refused, children not crossed, failures that leave
// nothing behind, and a claim that arrives before its pid is known.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { allocatePort, refusedClaims, spawnWithPorts } from '../../runtime/lib/index.js';
import {
  BUILD_PATIENCE_MS,
  CHILD,
  bodyText,
  exited,
  expectResourcesBackTo,
  fivePorts,
  nativeProgram,
  playParent,
  resources,
  runProgram,
  text,
  warmUp,
} from './helpers.js';

// Read when a parent (a native process, or this thread's rendezvous for PREFIX) is made.
process.env.TSMIG_HANDSHAKE_SHARED_RENDEZVOUS = '1';
const PREFIX = 'org.tsmig.test.shared';
// Spawned in one tick, children wait for the parent's loop: a liveness bound, not a measurement.
const CLAIM_PATIENCE_MS = 120_000;
const linux = process.platform === 'linux';

let claimer = '';
let spawner = '';
let impostor = '';
let baseline: Record<string, number>;

beforeAll(async () => {
  [claimer, spawner, impostor] = await Promise.all([
    nativeProgram('claimer'),
    nativeProgram('spawner'),
    linux ? nativeProgram('impostor') : '',
  ]);
  await warmUp(PREFIX);
  baseline = resources();
}, BUILD_PATIENCE_MS);

afterAll(async () => {
  await expectResourcesBackTo(baseline);
});

describe.skipIf(!linux)('one rendezvous for every child (Linux running the macOS model)', () => {
  test('the exchange works; no port is made per child; impostors are told apart by pid alone', async () => {
    const five = fivePorts();
    const before = resources();
    const refusedBefore = refusedClaims(PREFIX);
    const pending = spawnWithPorts(process.execPath, [CHILD, 'wait-then-exchange'], {
      ports: five.handed,
      stdio: ['pipe', 'inherit', 'inherit'],
      servicePrefix: PREFIX,
    });
    // The shared model: no rendezvous port of the pending child's own (the moved receive right waits in its ticket).
    expect(resources().receive).toBe(before.receive);

    const pid = pending.child.pid!;
    const value = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith('TSMIG_HANDSHAKE='))!
      .slice('TSMIG_HANDSHAKE='.length);
    const sibling = await runProgram(claimer, ['report'], {
      env: { ...process.env, TSMIG_HANDSHAKE: value },
    });
    expect(sibling).toMatch(
      /^error 0x[0-9a-f]+ the rendezvous named by TSMIG_HANDSHAKE cannot be reached/,
    );
    const thief = await runProgram(impostor, [String(pid), claimer, 'report']);
    expect(thief).toMatch(
      /^error 0x[0-9a-f]+ the parent refused the claim: this process is not the child/,
    );
    expect(refusedClaims(PREFIX) - refusedBefore).toBe(1);

    pending.child.stdin!.end('go\n');
    const { child, ports } = await pending;
    await playParent(five, ports.inbox);
    expect(await exited(child)).toMatchObject({ code: 0 });
    ports.inbox.close();
    five.close();
  });

  test('10 children at once through one port: none crossed', async () => {
    const controls = Array.from({ length: 10 }, () => allocatePort());
    const spawned = await Promise.all(
      controls.map((control, i) =>
        spawnWithPorts(process.execPath, [CHILD, 'tagged', String(i), String(CLAIM_PATIENCE_MS)], {
          ports: { control, tag: control },
          stdio: ['ignore', 'inherit', 'inherit'],
          servicePrefix: PREFIX,
          claimTimeout: CLAIM_PATIENCE_MS,
        }),
      ),
    );
    const said = await Promise.all(
      controls.map(async (control) => {
        const lines = [];
        for (let k = 0; k < 2; k++) {
          const m = await control.receive({ timeout: 120_000 });
          lines.push(`${m.id} ${bodyText(m)}`);
        }
        return lines.sort();
      }),
    );
    expect(said).toEqual(controls.map((_, i) => [`100 ${i}`, `101 ${i}`]));
    await Promise.all(
      spawned.map(({ ports }, i) => ports.inbox.send({ id: 200, body: text(`to-${i}`) })),
    );
    for (const [i, control] of controls.entries()) {
      const m = await control.receive({ timeout: 120_000 });
      expect(`${m.id} ${bodyText(m)}`).toBe(`201 ${i}:to-${i}`);
    }
    for (const { child, ports } of spawned) {
      expect(await exited(child)).toMatchObject({ code: 0 });
      ports.inbox.close();
    }
    for (const control of controls) control.close();
  }, 240_000);

  test('a child that exits before claiming: rejected, nothing left', async () => {
    // The children of the test before are gone, their pipes closed, before counting starts.
    await expectResourcesBackTo(baseline);
    const before = resources();
    const kept = allocatePort();
    const pending = spawnWithPorts(process.execPath, [CHILD, 'exit', '3'], {
      ports: { kept },
      stdio: 'ignore',
      servicePrefix: PREFIX,
    });
    await expect(pending).rejects.toMatchObject({ code: 'TSMIG_HANDSHAKE_CHILD_EXITED' });
    expect(kept.getReferences('send')).toBe(0);
    kept.close();
    await expectResourcesBackTo(before);
  });

  test('a native parent: exchange, 10 threads, failures, a claim held until its pid is registered, a child dead mid-handshake', async () => {
    const env = { ...process.env, TSMIG_HANDSHAKE_SHARED_RENDEZVOUS: '1' };
    expect(
      await runProgram(spawner, ['exchange', process.execPath, CHILD, 'exchange'], { env }),
    ).toBe('OK\n');
    expect(await runProgram(spawner, ['many', '10', claimer, 'exchange'], { env })).toBe('OK\n');
    expect(await runProgram(spawner, ['fail', '/bin/sh', '-c', 'exit 3'], { env })).toMatch(
      /^clean .* exited before/,
    );
    expect(await runProgram(spawner, ['held', claimer], { env })).toBe('OK\n');
    expect(await runProgram(spawner, ['vanish', claimer], { env })).toMatch(
      /^clean .* stopped waiting for them\n$/,
    );
  }, 120_000);
});
