// Out-of-line memory and out-of-line port arrays across processes: a 64 MiB
// region moved without a copy (detached here once sent) and moved back, a
// copied JS buffer, and an array of 1,000 send rights that come back under
// the names of their receive rights here.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  allocateOutOfLine,
  allocatePort,
  isOutOfLineRegion,
  releaseOutOfLine,
  type Port,
} from '../../runtime/lib/index.js';
import { PATIENCE_MS, bodyJson, startAgent, trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  for (let i = 0; i < words.length; i++) sum = (sum + words[i]) >>> 0;
  for (let i = words.length * 4; i < bytes.length; i++) sum = (sum + bytes[i]) >>> 0;
  return sum;
}

interface Described {
  ool: { length: number; sum: number }[];
  oolPorts: { count: number; distinct: number; rights: (string | null)[] }[];
}

describe('out-of-line data', () => {
  test('a 64 MiB region moves to the child and back without staying mapped here', async () => {
    const child = await startAgent('describe');
    const size = 64 * 1024 * 1024;
    const region = allocateOutOfLine(size);
    expect(isOutOfLineRegion(region)).toBe(true);
    const words = new Uint32Array(region.buffer);
    for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761) >>> 0;
    const expected = checksum(region);
    const copied = new Uint8Array(1 << 20).fill(7);

    await child.childPort.send({ id: 1, ool: [{ data: region, deallocate: true }, copied] });
    // Moved: no longer ours to touch. Copied: still ours, unchanged.
    expect(region.byteLength).toBe(0);
    expect(copied.byteLength).toBe(1 << 20);

    const back = await child.port.receive({ timeout: PATIENCE_MS });
    expect(bodyJson<Described>(back).ool).toEqual([
      { length: size, sum: expected },
      { length: 1 << 20, sum: checksum(copied) },
    ]);
    // The child moved both regions back: they are mappings of this process now.
    expect(back.ool.map((r) => r.length)).toEqual([size, 1 << 20]);
    expect(checksum(back.ool[0])).toBe(expected);
    expect(isOutOfLineRegion(back.ool[0])).toBe(true);
    for (const r of back.ool) releaseOutOfLine(r);
    expect(back.ool[0].byteLength).toBe(0);

    await child.childPort.send({ id: 1999 });
    await child.finish();
  });

  test('an array of 1,000 send rights crosses out of line and comes back under the receive rights\' names', async () => {
    const child = await startAgent('describe');
    const ports: Port[] = Array.from({ length: 1000 }, () => allocatePort());
    await child.childPort.send({ id: 2, oolPorts: [{ ports, disposition: 'make-send' }] });
    const back = await child.port.receive({ timeout: PATIENCE_MS });
    expect(bodyJson<Described>(back).oolPorts).toEqual([{ count: 1000, distinct: 1000, rights: ['send'] }]);
    expect(back.oolPorts).toHaveLength(1);
    const returned = back.oolPorts[0];
    expect([...returned.names]).toEqual(ports.map((p) => p.name));
    expect(returned.ports.every((p, i) => p?.right === 'send' && p.name === ports[i].name)).toBe(true);
    for (const p of ports) expect(p.getReferences('send')).toBe(1);
    back.destroy();
    for (const p of ports) expect(p.getReferences('send')).toBe(0);
    for (const p of ports) p.close();
    await child.childPort.send({ id: 1999 });
    await child.finish();
  });
});
