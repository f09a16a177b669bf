// worker_threads: each thread has its own addon instance over the one name
// space of the process. A worker exchanges messages with the main thread,
// and a worker that ends with ports, a pending receive and a region still
// held leaves nothing behind (its instance's cleanup releases them).

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { allocatePort } from '../../runtime/lib/index.js';
import { PATIENCE_MS, expectResourcesBackTo, here, settledResources, trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

async function runWorker(litter: boolean, finish: (worker: Worker) => Promise<void>): Promise<void> {
  const port = allocatePort();
  const name = port.makeSendRight().detach();
  const worker = new Worker(join(here, 'children', 'worker.mjs'), { workerData: { name, litter } });
  const exited = new Promise<number>((resolve, reject) => {
    worker.on('exit', resolve);
    worker.on('error', reject);
  });
  const hello = await port.receive({ timeout: PATIENCE_MS });
  expect(hello.id).toBe(1000);
  await hello.replyPort!.send({ id: 41 });
  expect((await port.receive({ timeout: PATIENCE_MS })).id).toBe(42);
  if (litter) expect((await port.receive({ timeout: PATIENCE_MS })).id).toBe(2000);
  await finish(worker);
  await exited;
  hello.replyPort!.close();
  port.close();
}

test('a worker thread exchanges messages with the main thread', async () => {
  const before = await settledResources();
  await runWorker(false, async () => {});
  await expectResourcesBackTo(before);
});

test('terminating a worker releases the ports, pending receive and regions it still held', async () => {
  const before = await settledResources();
  await runWorker(true, async (worker) => {
    await worker.terminate();
  });
  await expectResourcesBackTo(before);
});

test('workers terminated at arbitrary points of busy traffic with rights leave no name behind', async () => {
  const before = await settledResources();
  const port = allocatePort();
  for (let i = 0; i < 20; i++) {
    const name = port.makeSendRight().detach();
    const worker = new Worker(join(here, 'children', 'busy-worker.mjs'), { workerData: { name } });
    expect((await port.receive({ timeout: PATIENCE_MS })).id).toBe(1000);
    // Let it run a varying while, so termination lands anywhere in its loop.
    await new Promise((resolve) => setTimeout(resolve, i));
    await worker.terminate();
  }
  port.close();
  await expectResourcesBackTo(before);
});
