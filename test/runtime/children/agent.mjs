// Test child for the cross-process runtime tests: a separate Node process
// using the published API (`tsmig`, i.e. dist/). It gets a send right to the
// test's port as inherited descriptor 3, sends a hello (id 1000) whose reply
// port is a send right to its own port, then plays the scenario named by
// argv[2]. Replies describe what arrived as JSON bodies, so the test checks
// the child's view independently of its own.

import { readdirSync } from 'node:fs';
import {
  Port,
  allocatePort,
  allocatePortSet,
  spaceStats,
  MACH_PORT_TYPE_DEAD_NAME,
} from 'tsmig';

const QUIT = 1999;
const scenario = process.argv[2];
const parent = Port.fromDescriptor(3);
const mine = allocatePort();

const text = (value) => new TextEncoder().encode(JSON.stringify(value));
const json = (message) => JSON.parse(new TextDecoder().decode(message.body).replace(/\0+$/, ''));
const reply = (id, value, extra = {}) => parent.send({ id, body: text(value), ...extra });

function describePort(port) {
  if (port === null) return null;
  return { right: port.right, name: port.name, refs: port.getReferences(), dead: (port.getType() & MACH_PORT_TYPE_DEAD_NAME) !== 0 };
}

function describe(message) {
  return {
    id: message.id,
    reply: describePort(message.replyPort),
    ports: message.ports.map(describePort),
    ool: message.ool.map((region) => ({ length: region.length, sum: checksum(region) })),
    oolPorts: message.oolPorts.map((array) => ({
      count: array.names.length,
      distinct: new Set(array.names).size,
      rights: [...new Set(array.ports.map((p) => p?.right ?? null))],
    })),
  };
}

function checksum(bytes) {
  let sum = 0;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  for (let i = 0; i < words.length; i++) sum = (sum + words[i]) >>> 0;
  for (let i = words.length * 4; i < bytes.length; i++) sum = (sum + bytes[i]) >>> 0;
  return sum;
}

const moveDisposition = { send: 'move-send', 'send-once': 'move-send-once', receive: 'move-receive', 'dead-name': 'move-send' };

const scenarios = {
  // Describes each message and sends every right and region back (moved: zero copy for regions).
  // A request body {"pad": n} pads the description with n characters.
  async describe() {
    for await (const message of mine) {
      if (message.id === QUIT) break;
      const description = describe(message);
      const request = message.body.length > 0 && message.body[0] === 0x7b ? json(message) : {};
      if (request.pad) description.pad = 'x'.repeat(request.pad);
      const back = message.ports.filter((p) => p !== null).map((port) => ({ port, disposition: moveDisposition[port.right] }));
      const oolPorts = message.oolPorts.map((array) => ({ ports: array.ports, disposition: 'move-send' }));
      const ool = message.ool.map((data) => ({ data, deallocate: true }));
      await reply(message.id + 100, description, { ports: back, oolPorts, ool });
      // A reply right goes back through itself: the test sees it arrive on its reply port.
      if (message.replyPort !== null) await message.replyPort.send({ id: message.id + 200, body: text(description) });
    }
  },

  // Receives a receive right, says so, then receives on it what the test sends to its send right.
  async 'hold-receive'() {
    const carrier = await mine.receive();
    const moved = carrier.ports[0];
    await reply(1101, { right: moved.right });
    const there = await moved.receive();
    await reply(1102, { id: there.id, body: json(there) });
    moved.close();
  },

  // A port set of two ports; the test gets send rights to both and sends to each.
  async 'port-set'() {
    const set = allocatePortSet();
    const a = allocatePort();
    const b = allocatePort();
    set.add(a);
    set.add(b);
    await reply(1101, {}, { ports: [a, b] });
    const seen = [];
    for (let i = 0; i < 2; i++) {
      const message = await set.receive();
      seen.push({ id: message.id, member: message.receivedOn === a ? 'a' : message.receivedOn === b ? 'b' : null });
    }
    await reply(1102, seen);
    set.close();
    a.close();
    b.close();
  },

  // Exits when told to: the test holds a send right to `mine` and sees it die.
  async 'exit-on-request'() {
    await mine.receive();
    process.exit(0);
  },

  // Closes every right it receives, then reports.
  async 'drop-rights'() {
    for await (const message of mine) {
      if (message.id === QUIT) break;
      const description = describe(message);
      message.destroy();
      await reply(message.id + 100, description);
    }
  },

  // Receives a request and never answers; the test kills it (SIGKILL).
  async hang() {
    const request = await mine.receive();
    process.stdout.write(`got ${request.id}\n`);
    setInterval(() => {}, 1 << 30);
  },

  // Sets a queue limit of 1 and receives nothing until a message on a second port says so.
  async 'slow-reader'() {
    mine.setQueueLimit(1);
    const control = allocatePort();
    await reply(1101, {}, { ports: [control] });
    await control.receive();
    const ids = [];
    for await (const message of mine) {
      if (message.id === QUIT) break;
      ids.push(message.id);
    }
    await reply(1102, { ids });
    control.close();
  },

  // Counts messages (closing any rights) until QUIT, then reports the count and its space
  // as it was at a first message without rights (once the port is watched) and at the end.
  async sink() {
    let count = 0;
    let rights = 0;
    const start = await mine.receive();
    const baseline = { stats: spaceStats(), fds: readdirSync('/proc/self/fd').length, start: start.id };
    for await (const message of mine) {
      if (message.id === QUIT) break;
      count++;
      for (const port of message.ports) {
        if (port !== null) {
          rights++;
          port.close();
        }
      }
      message.replyPort?.close();
    }
    const end = { stats: spaceStats(), fds: readdirSync('/proc/self/fd').length };
    await reply(1102, { count, rights, baseline, end });
  },

  // Holds watched ports with pending receives and a listener, idle until QUIT: it must use no CPU.
  async idle() {
    const ports = Array.from({ length: 5 }, () => allocatePort());
    const pending = ports.map((port) => port.receive().catch(() => undefined));
    const listened = allocatePort();
    listened.on('message', () => {});
    process.stdout.write('ready\n');
    await mine.receive();
    for (const port of [...ports, listened]) port.close();
    await Promise.all(pending);
  },

  // Reports its name-space and descriptor counts when asked (leak checks in the child).
  async stats() {
    for await (const message of mine) {
      if (message.id === QUIT) break;
      await reply(message.id + 100, { stats: spaceStats(), fds: readdirSync('/proc/self/fd').length });
    }
  },
};

await parent.send({ id: 1000, replyPort: { port: mine, disposition: 'make-send' } });
await scenarios[scenario]();
mine.close();
parent.close();
