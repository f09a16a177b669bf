// An idle process holding watched ports (pending receives, a listener) uses
// no CPU: the child's CPU time (utime + stime from /proc/<pid>/stat) over one
// second of idleness stays at a few clock ticks, where any polling would burn
// the whole second. This bounds CPU time, not elapsed time.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { startAgent, trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

function cpuTicks(pid: number): number {
  // Fields after the command name (which may contain spaces) start at ") ".
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

test('a process holding watched ports uses no CPU while idle', async () => {
  const child = await startAgent('idle');
  while (!child.stdout().includes('ready')) await new Promise((resolve) => setTimeout(resolve, 10));
  // Let start-up work (JIT, GC) finish before measuring.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const pid = child.process.pid!;
  const start = cpuTicks(pid);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const used = cpuTicks(pid) - start;
  // Clock ticks are 10 ms: polling would use ~100 here.
  expect(used).toBeLessThanOrEqual(3);
  await child.childPort.send({ id: 1999 });
  await child.finish();
});
