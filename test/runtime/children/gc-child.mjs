// Test child run with --expose-gc: drops Ports (receive, send and send-once
// rights, a port set, a watched port) and out-of-line regions without closing
// them, forces garbage collection, and prints its name-space counts before
// and after as JSON: the finalizers must have released every one.

import { readdirSync } from 'node:fs';
import { allocateOutOfLine, allocatePort, allocatePortSet, spaceStats } from 'tsmig';

async function settle() {
  for (let i = 0; i < 10; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function counts() {
  return { ...spaceStats(), fds: readdirSync('/proc/self/fd').length };
}

function litter() {
  for (let i = 0; i < 100; i++) {
    const port = allocatePort();
    port.makeSendRight();
    port.makeSendRight().copySendRight();
    port.makeSendOnceRight();
  }
  const set = allocatePortSet();
  const member = allocatePort();
  set.add(member);
  allocateOutOfLine(4 << 20).fill(1);
  allocateOutOfLine(1 << 20);
  // A port that was watched once (its receive timed out) and then dropped.
  return allocatePort().receive({ timeout: 1 }).catch(() => undefined);
}

await settle();
const before = counts();
await litter();
const during = counts();
await settle();
const after = counts();
process.stdout.write(JSON.stringify({ before, during, after }) + '\n');
