// The other direction of Node ↔ Node: a Node client child (started with the
// handshake, which hands it a send right to a port of this process) calls
// every routine of test/gen-ts/defs/roundtrip.defs on a generated server
// running here, with every kind of value, and checks each answer itself
// (children/roundtrip-client.mjs). Here: the child passes all its checks and
// exits cleanly, and once it is gone this process holds exactly what it held
// before — every right and region the requests brought was released by the
// server's ownership rules.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allocatePort, type Port } from 'tsmig';
import { compiledStubs, expectResourcesBackTo, here, resources, settledResources, startChild, waitFor } from './helpers.js';

const CLIENT = join(here, 'children', 'roundtrip-client.mjs');
// The number of check() calls in roundtrip-client.mjs.
const CHECKS = 14;

interface ServerHandle {
  stop(): void;
}
type Serve = (port: Port, impl: object, options?: { onError?: (error: unknown) => void }) => ServerHandle;

let stubsFile: string;
let serveRoundtrip: Serve;
let roundtripImpl: () => object;

beforeAll(async () => {
  stubsFile = await compiledStubs(join(here, 'defs', 'roundtrip.defs'));
  ({ serveRoundtrip } = (await import(stubsFile)) as { serveRoundtrip: Serve });
  // A path held in a variable: the handlers are plain JavaScript shared with the server child.
  const implModule = join(here, 'children', 'roundtrip-impl.mjs');
  ({ roundtripImpl } = (await import(implModule)) as { roundtripImpl: () => object });
});

/** Serves roundtrip.defs here, runs the client child against it, and stops; returns the child's output. */
async function runClientChild(): Promise<string> {
  const service = allocatePort();
  const errors: unknown[] = [];
  const server = serveRoundtrip(service, roundtripImpl(), { onError: (error) => errors.push(error) });
  try {
    const child = await startChild(CLIENT, [stubsFile], { ports: { service } });
    const { code } = await child.finish();
    expect(code).toBe(0);
    // The child's `sleep` calls time out before their replies: the server here still holds those
    // deferred reply rights (send-once) until its timers fire. Counting before they are spent races.
    await waitFor(() => resources().sendOnce === 0);
    expect(errors).toEqual([]);
    return child.stdout();
  } finally {
    server.stop();
    service.close();
  }
}

describe('a Node client child ↔ a Node server in this process', () => {
  it('every routine, every kind of value, errors, timeouts and aborts; nothing left on either side', async () => {
    // A first run creates what a process creates once (child plumbing, the runtime's threads); the second is counted.
    await runClientChild();
    const before = await settledResources();
    expect(await runClientChild()).toBe(`ok ${CHECKS}\n`);
    await expectResourcesBackTo(before);
  });
});
