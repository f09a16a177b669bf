// The wire corpus replayed by tsmig's C++ stubs (test/wire/README.md): for
// every interface in test/wire/defs with vectors in test/wire/vectors, the
// generated client functions run against an interposed mach_msg
// (fake_mach.cc) that records each request and returns the corpus replies,
// and the generated demux runs on the corpus requests. Every vector must
// replay exactly: the bytes sent and replied (outside don't-care ranges),
// the values each side decodes, the error of each bad message, and that a
// rejected message's rights and regions are destroyed once each, as
// mach_msg_destroy would, and nothing else.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusInterfaces, messageBytes, receivedForm, type Vector } from './corpus.js';
import { expectedDestroys, replayInterface, type VectorResult } from './replay.js';
import { toHex } from './values.js';

const BUILD_PATIENCE_MS = 600_000;
const work = mkdtempSync(join(tmpdir(), 'tsmig-wire-cpp-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const interfaces = corpusInterfaces();

it('has a corpus to replay', () => {
  expect(interfaces.length).toBeGreaterThan(0);
});

describe.each(interfaces)('interface $name', ({ name, defs, vectors }) => {
  let results: Map<string, VectorResult>;
  // Building a driver of a few hundred cases takes minutes on a loaded machine (a build, not a measure).
  beforeAll(() => {
    results = new Map(
      replayInterface(defs, vectors, join(work, name)).map((r) => [r.vector.name, r]),
    );
  }, BUILD_PATIENCE_MS);

  it.each(vectors.map((v) => [`${v.kind} ${v.name}`, v] as const))('%s', (_label, v) => {
    expect(results.get(v.name)!.problems).toEqual([]);
  });
});

describe('the replay can fail', () => {
  const source = interfaces.find((i) => i.name === 'mixed') ?? interfaces[0]!;
  const vectors = source.vectors;

  it(
    'reports a request whose corpus bytes differ from what the stub sends',
    () => {
      const request = vectors.find((v) => v.kind === 'request')!;
      const bytes = messageBytes(request.message);
      const last = bytes.length - 1;
      bytes[last] = bytes[last]! ^ 0x5a;
      const tampered: Vector = {
        ...request,
        name: 'tampered',
        message: { ...request.message, hex: toHex(bytes) },
      };
      const [result] = replayInterface(source.defs, [tampered], join(work, 'tampered'));
      expect(result!.problems.join('\n')).toMatch(/client request differs at byte/);
    },
    BUILD_PATIENCE_MS,
  );

  it(
    'reports a bad request given the wrong error',
    () => {
      const bad = vectors.find((v) => v.kind === 'badRequest' && v.error === 'MIG_BAD_ARGUMENTS')!;
      const wrong: Vector = { ...bad, name: 'wrong-error', error: 'MIG_TYPE_ERROR' };
      const [result] = replayInterface(source.defs, [wrong], join(work, 'wrong-error'));
      expect(result!.problems.join('\n')).toMatch(/server answered -304, want -300/);
    },
    BUILD_PATIENCE_MS,
  );

  it('checks destruction on bad messages that carry rights or regions', () => {
    // Without rights in some bad message, "destroyed exactly once" would be vacuous.
    const carrying = interfaces.flatMap((i) =>
      i.vectors.filter((v) => {
        if (v.kind !== 'badRequest') return false;
        const regions = [...(v.message.ool ?? []), ...(v.message.oolPorts ?? [])].map(
          (_, k) => 0x1000 * (k + 1),
        );
        const expected = expectedDestroys(
          receivedForm(messageBytes(v.message)),
          regions,
          v.message.oolPorts ?? [],
          true,
        );
        return expected !== null && expected.length > 0;
      }),
    );
    expect(carrying.length).toBeGreaterThan(20);
  });
});
