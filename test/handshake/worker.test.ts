// Parents in worker threads: each thread has its own rendezvous, and a
// worker that exits with a handshake still pending releases everything it
// held for the child — whose late claim then fails cleanly with
// TSMIG_HANDSHAKE_PARENT_GONE.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { CHILD, PATIENCE_MS, expectResourcesBackTo, here, resources, warmUp } from './helpers.js';

const WORKER = join(here, 'children', 'worker.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'tsmig-handshake-'));
let baseline: Record<string, number>;

beforeAll(async () => {
  await warmUp();
  baseline = resources();
});

afterAll(async () => {
  await expectResourcesBackTo(baseline);
  rmSync(scratch, { recursive: true, force: true });
});

async function runWorker(workerData: Record<string, string>): Promise<unknown> {
  const worker = new Worker(WORKER, { workerData: { child: CHILD, ...workerData } });
  const said = new Promise((resolve) => worker.once('message', resolve));
  const ended = new Promise((resolve) => worker.once('exit', resolve));
  const [message] = await Promise.all([said, ended]);
  return message;
}

test('a worker thread spawns a child with ports and gets the child’s', async () => {
  expect(await runWorker({ mode: 'exchange' })).toEqual([]);
  expect(await runWorker({ mode: 'exchange' })).toEqual([]);
});

test('a worker that exits with a handshake pending leaves nothing behind; the late claim fails cleanly', async () => {
  const file = join(scratch, 'late.json');
  expect(await runWorker({ mode: 'abandon', file })).toBe('spawned');
  await expectResourcesBackTo(baseline);
  const limit = Date.now() + PATIENCE_MS;
  while (!existsSync(file) && Date.now() < limit)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
    error: 'TSMIG_HANDSHAKE_PARENT_GONE',
  });
});
