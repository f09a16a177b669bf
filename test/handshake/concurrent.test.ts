// Many children at once: 50 Node children spawned concurrently from one
// Node parent each get their own ports — every child's messages arrive on
// the ports made for it and on no other — and a native parent spawning from
// several threads at once (one rendezvous registry for the process) does the
// same. Nothing is left over afterwards.

import { afterAll, beforeAll, expect, test } from 'vitest';

import { allocatePort, spawnWithPorts, type Port } from '../../runtime/lib/index.js';
import {
  BUILD_PATIENCE_MS,
  CHILD,
  PATIENCE_MS,
  bodyText,
  exited,
  expectResourcesBackTo,
  nativeProgram,
  resources,
  runProgram,
  text,
  warmUp,
} from './helpers.js';

const CHILDREN = 50;
// Node's spawn() is synchronous: the parent answers no claim before all 50 have started, which takes
// tens of seconds on a small loaded machine. A liveness bound for both sides, not a measurement.
const CLAIM_PATIENCE_MS = PATIENCE_MS * 8;
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

async function received(port: Port): Promise<string> {
  const message = await port.receive({ timeout: PATIENCE_MS * 4 });
  const line = `${message.id} ${bodyText(message)}`;
  message.destroy();
  return line;
}

test(
  `${CHILDREN} Node children spawned at once each get their own ports, none crossed`,
  async () => {
    const controls = Array.from({ length: CHILDREN }, () => allocatePort());
    const tags = Array.from({ length: CHILDREN }, () => allocatePort());
    const spawned = await Promise.all(
      controls.map((control, i) =>
        spawnWithPorts(process.execPath, [CHILD, 'tagged', String(i), String(CLAIM_PATIENCE_MS)], {
          ports: { control, tag: tags[i] },
          stdio: ['ignore', 'inherit', 'inherit'],
          claimTimeout: CLAIM_PATIENCE_MS,
        }),
      ),
    );
    // Each child says who it is on both ports it was given...
    const said = await Promise.all(
      controls.map(async (control, i) => [await received(control), await received(tags[i])]),
    );
    expect(said).toEqual(controls.map((_, i) => [`100 ${i}`, `101 ${i}`]));
    // ...and what it offered leads back to that child alone.
    await Promise.all(
      spawned.map(({ ports }, i) => ports.inbox.send({ id: 200, body: text(`to-${i}`) })),
    );
    const answers = await Promise.all(controls.map((control) => received(control)));
    expect(answers).toEqual(controls.map((_, i) => `201 ${i}:to-${i}`));
    const exits = await Promise.all(spawned.map(({ child }) => exited(child)));
    expect(exits.every((e) => e.code === 0)).toBe(true);
    for (const { ports } of spawned) ports.inbox.close();
    for (const port of [...controls, ...tags]) port.close();
  },
  PATIENCE_MS * 10,
);

test(
  'a native parent spawning from 10 threads at once: every child gets its own ports',
  async () => {
    expect(await runProgram(spawner, ['many', '10', claimer, 'exchange'])).toBe('OK\n');
  },
  PATIENCE_MS * 4,
);

test(
  'a claim that arrives before its pid is registered is held, then answered',
  async () => {
    expect(await runProgram(spawner, ['held', claimer])).toBe('OK\n');
  },
  PATIENCE_MS * 2,
);
