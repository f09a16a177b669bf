// Resource limits: a process near its descriptor limit gets a clean Mach
// error (KERN_RESOURCE_SHORTAGE or MACH_SEND_NO_BUFFER), not a crash, and
// works again once it lets go; a message over the size limit is refused with
// MACH_SEND_TOO_LARGE and the port stays usable.

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { MachError, allocatePort, machErrorName } from 'tsmig';
import { here, outcome, resources, resourcesBackTo } from './helpers.js';

let before: ReturnType<typeof resources>;

beforeAll(async () => {
  before = await resourcesBackTo(resources());
});

afterAll(async () => {
  expect(await resourcesBackTo(before)).toEqual(before);
});

/** Runs a Node child under `ulimit -n limit`; resolves with its exit and output. */
function underLimit(
  limit: number,
  script: string,
): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    // `ulimit -n` sets the soft and the hard limit: Node cannot raise it again at start-up.
    const child = spawn(
      'sh',
      ['-c', `ulimit -n ${limit} && exec "$0" "$1"`, process.execPath, script],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

test('near RLIMIT_NOFILE a process gets KERN_RESOURCE_SHORTAGE or MACH_SEND_NO_BUFFER, not a crash, and works again after letting go', async () => {
  const result = await underLimit(96, `${here}/children/fd-limit.mjs`);
  expect(result.signal).toBeNull();
  expect(result.code, result.err).toBe(0);
  const report = JSON.parse(result.out) as {
    made: number;
    error: { name?: string; code?: number; other?: string } | null;
    recovered: boolean | string;
  };
  // It made some ports before the limit, then got a Mach error — not an exception of another kind.
  expect(report.made).toBeGreaterThan(0);
  expect(report.error?.other).toBeUndefined();
  expect(report.error?.name).toBe('MachError');
  expect(['KERN_RESOURCE_SHORTAGE', 'MACH_SEND_NO_BUFFER']).toContain(
    machErrorName(report.error!.code!),
  );
  expect(report.recovered).toBe(true);
});

test('a message over the size limit is refused with MACH_SEND_TOO_LARGE; the port keeps working', async () => {
  const port = allocatePort();
  const send = port.makeSendRight();
  // 256 KiB of inline data is the reliable size; one page more is over it.
  const refused = await outcome(send.send({ id: 1, body: new Uint8Array(256 * 1024 + 4096) }));
  expect(refused.ok).toBe(false);
  expect(refused.ok ? null : refused.error).toBeInstanceOf(MachError);
  expect(machErrorName((refused as { error: MachError }).error.code)).toBe('MACH_SEND_TOO_LARGE');
  // Nothing was queued, nothing consumed: the next message goes through.
  await send.send({ id: 2, body: new Uint8Array(1024) });
  const got = await port.receive({ timeout: 5000 });
  expect(got.id).toBe(2);
  send.close();
  port.close();
});
