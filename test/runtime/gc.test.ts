// The garbage-collector path: a child run with --expose-gc drops Ports and
// out-of-line regions without closing them; after collection its name space,
// descriptors and mapped out-of-line bytes are back where they started.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { here, trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

test('dropped Ports and regions are released by their finalizers', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', join(here, 'children', 'gc-child.mjs')]);
  const { before, during, after } = JSON.parse(stdout);
  // The litter was really there (so the test can fail)...
  expect(during.names).toBeGreaterThanOrEqual(before.names + 200);
  expect(during.outOfLineBytes).toBeGreaterThan(before.outOfLineBytes);
  // ...and the collector released all of it.
  expect(after).toEqual(before);
});
