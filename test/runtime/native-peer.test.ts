// A native peer (test/runtime/native/peer.cc: C++, no Node) linked with the
// runtime library (build/native/libtsmig.a, built by `npm install`) exchanges
// inline data, a port right and an out-of-line region with this Node process.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { allocateOutOfLine, allocatePort } from '../../runtime/lib/index.js';
import { PATIENCE_MS, here, repoRoot, startChild, trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

const scratch = mkdtempSync(join(tmpdir(), 'tsmig-peer-'));
const peer = join(scratch, 'peer');

beforeAll(async () => {
  await promisify(execFile)('c++', [
    '-std=c++17',
    '-Wall',
    '-Wextra',
    '-Werror',
    `-I${join(repoRoot, 'runtime', 'include')}`,
    join(here, 'native', 'peer.cc'),
    join(repoRoot, 'build', 'native', 'libtsmig.a'),
    '-pthread',
    '-o',
    peer,
  ]);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function words(message: { body: Uint8Array }): number[] {
  return [...new Uint32Array(message.body.slice().buffer)];
}

test('a C++ peer and Node exchange inline data, a right and an out-of-line region', async () => {
  const child = await startChild(peer, ['3']);
  await child.childPort.send({ id: 500, body: new Uint8Array(new Uint32Array([1, 41, 0xfffffffe]).buffer) });
  const sums = await child.port.receive({ timeout: PATIENCE_MS });
  expect(sums.id).toBe(600);
  expect(words(sums)).toEqual([2, 42, 0xffffffff]);

  const other = allocatePort();
  await child.childPort.send({ id: 501, ports: [{ port: other, disposition: 'make-send' }] });
  const through = await other.receive({ timeout: PATIENCE_MS });
  expect(through.id).toBe(700);
  expect(new TextDecoder().decode(through.body.subarray(0, 2))).toBe('hi');
  expect((await child.port.receive({ timeout: PATIENCE_MS })).id).toBe(601);

  const region = allocateOutOfLine(3 << 20);
  region.fill(3);
  await child.childPort.send({ id: 502, ool: [{ data: region, deallocate: true }] });
  const summed = await child.port.receive({ timeout: PATIENCE_MS });
  expect(summed.id).toBe(602);
  expect(words(summed)).toEqual([3 << 20, (3 * (3 << 20)) >>> 0]);

  await child.childPort.send({ id: 1999 });
  expect((await child.finish()).code).toBe(0);
  other.close();
});
