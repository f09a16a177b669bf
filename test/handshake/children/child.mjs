// Test child for the handshake tests: a Node process using the published API
// (`tsmig`, i.e. dist/). argv[2] names what it does:
//   exchange         claims offering "inbox" and plays the exchange of
//                    test/handshake/native/script.h (the same as the C++ child)
//   report           claims offering nothing, prints one JSON line with what it
//                    got ({ claimed: { name: right } } or { error: code }), then
//                    claims again and prints that outcome too
//   wait-then-exchange  waits for a line on stdin, then does `exchange`
//   exit <code>      exits without claiming
//   idle             never claims (stays alive until killed)
//   tagged <i> [ms]  claims offering "inbox" (waiting ms for the answer);
//                    sends i to "control" (id 100) and "tag" (id 101); answers
//                    200 on inbox with 201 on control
//   grandchildren    starts a `report` grandchild with the TSMIG_HANDSHAKE it was
//                    started with put back, claims, then starts two more — one
//                    with its own environment, one with the variable put back —
//                    and prints what the three got
//   whoami           claims offering nothing and prints one JSON line: its cwd,
//                    TSMIG_TEST_VALUE, TSMIG_HANDSHAKE now and as it started,
//                    whether the descriptor it named is still open, what it got
//   late <file>      waits half a second, claims offering nothing, and writes
//                    the outcome as JSON to <file>
//   ipc              (forkWithPorts) claims offering "inbox", sends the port
//                    names it got over the IPC channel, then plays `exchange`'s
//                    messages after the claim
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { HANDSHAKE_ENV, allocatePort, claimParentPorts } from 'tsmig';

const text = (s) => new TextEncoder().encode(s);
const body = (message) => new TextDecoder().decode(message.body).replace(/\0+$/, '');
const describe = (ports) =>
  Object.keys(ports)
    .sort()
    .map((name) => `${name}=${ports[name].right}`)
    .join(';');

async function expectMessage(port, id, content) {
  const message = await port.receive({ timeout: 20_000 });
  if (message.id !== id || body(message) !== content) {
    throw new Error(`got ${message.id} "${body(message)}", expected ${id} "${content}"`);
  }
  message.destroy();
}

async function play(parent, inbox) {
  const { control, data, moved, receiver, once: sendOnce } = parent;
  await control.send({ id: 100, body: text(describe(parent)) });
  await expectMessage(inbox, 200, 'ping');
  await control.send({ id: 201, body: text('pong:ping') });
  await data.send({ id: 300, body: text('data') });
  await moved.send({ id: 400, body: text('moved') });
  await sendOnce.send({ id: 500, body: text('once') });
  const toReceiver = await receiver.receive({ timeout: 20_000 });
  await control.send({ id: 601, body: text(`got:${body(toReceiver)}`) });
  await expectMessage(inbox, 999, '');
  for (const port of [control, data, moved, receiver, inbox]) port.close();
}

async function outcome(claim) {
  try {
    const ports = await claim;
    const line = {
      claimed: Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, port.right])),
    };
    for (const port of Object.values(ports)) port.close();
    return line;
  } catch (error) {
    return { error: error.code, message: error.message };
  }
}

/** TSMIG_HANDSHAKE as this process started (the runtime removed it from the live environment). */
function startedWith() {
  const entry = readFileSync('/proc/self/environ', 'utf8')
    .split('\0')
    .find((e) => e.startsWith(`${HANDSHAKE_ENV}=`));
  return entry === undefined ? null : entry.slice(HANDSHAKE_ENV.length + 1);
}

function linkOf(fd) {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

const modes = {
  async exchange() {
    const inbox = allocatePort();
    const parent = await claimParentPorts({ ports: { inbox } });
    await play(parent, inbox);
  },

  async report() {
    console.log(JSON.stringify(await outcome(claimParentPorts())));
    console.log(JSON.stringify(await outcome(claimParentPorts())));
  },

  async 'wait-then-exchange'() {
    const lines = createInterface({ input: process.stdin });
    await once(lines, 'line');
    lines.close();
    await modes.exchange();
  },

  async exit(code) {
    process.exit(Number(code));
  },

  async idle() {
    setInterval(() => {}, 1 << 30);
  },

  async tagged(index, timeout) {
    const inbox = allocatePort();
    const { control, tag } = await claimParentPorts({
      ports: { inbox },
      timeout: Number(timeout ?? 30_000),
    });
    await control.send({ id: 100, body: text(index) });
    await tag.send({ id: 101, body: text(index) });
    const request = await inbox.receive({ timeout: 20_000 });
    await control.send({ id: 201, body: text(`${index}:${body(request)}`) });
    for (const port of [control, tag, inbox]) port.close();
  },

  async whoami() {
    const started = startedWith();
    const fd = Number(/fd=(\d+)$/.exec(started ?? '')?.[1] ?? -1);
    const before = linkOf(fd);
    const ports = await claimParentPorts();
    const line = {
      cwd: process.cwd(),
      value: process.env.TSMIG_TEST_VALUE,
      variable: process.env[HANDSHAKE_ENV] ?? null,
      started,
      // Gone, or the number reused for something else.
      descriptorOpen: before !== null && linkOf(fd) === before,
      claimed: Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, port.right])),
    };
    console.log(JSON.stringify(line));
    for (const port of Object.values(ports)) port.close();
  },

  async grandchildren() {
    // What the process was started with stays readable in /proc: an impostor could copy it.
    const started = startedWith();
    const self = fileURLToPath(import.meta.url);
    const run = (env) =>
      JSON.parse(
        execFileSync(process.execPath, [self, 'report'], { env, encoding: 'utf8' }).split('\n')[0],
      );
    // Before the claim the descriptor is still open here, but marked close-on-exec as the runtime loaded.
    const early = run({ ...process.env, [HANDSHAKE_ENV]: started });
    const ports = await claimParentPorts();
    const plain = run({ ...process.env });
    const copied = run({ ...process.env, [HANDSHAKE_ENV]: started });
    console.log(
      JSON.stringify({ inherited: process.env[HANDSHAKE_ENV] ?? null, early, plain, copied }),
    );
    for (const port of Object.values(ports)) port.close();
  },

  async late(file) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    writeFileSync(file, JSON.stringify(await outcome(claimParentPorts())));
  },

  async ipc() {
    const inbox = allocatePort();
    const parent = await claimParentPorts({ ports: { inbox } });
    process.send({ ports: describe(parent) });
    await play(parent, inbox);
    process.disconnect();
  },
};

const [mode, ...rest] = process.argv.slice(2);
if (!(mode in modes)) {
  console.error(`child.mjs: unknown mode ${mode}`);
  process.exit(2);
}
await modes[mode](...rest);
