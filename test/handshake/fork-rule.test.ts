// The Mach rule for code that forks, under the emulation as on Mach: a
// forked child keeps only its task's special ports. A C++ parent sets its
// bootstrap special port to a port of its own, forks and restores its own at
// once (the classic recipe); the child reads the port back, exchanges a
// message through it, and finds every other right of the parent gone
// (test/handshake/native/fork-rule.cc checks each step).

import { expect, test } from 'vitest';

import { BUILD_PATIENCE_MS, nativeProgram, runProgram } from './helpers.js';

test(
  'fork(): the child keeps the bootstrap special port and nothing else; the parent restores its own',
  async () => {
    expect(await runProgram(await nativeProgram('fork-rule'), [])).toBe('OK\n');
  },
  BUILD_PATIENCE_MS,
);
