// Benchmark driver: the Node side of one runtime measurement, run as its own
// process so runtime.bench.js can pin it (and the peer it spawns, which
// inherits the affinity) with `taskset -c 0`. Prints one JSON line.
//
//   driver.mjs roundtrip <peer> <iterations> [ports|ool=<bytes>]
//       peer: a command (native tsmig-echo) or "node" (node-echo.mjs), which
//       sends every message back as it came (rights and regions moved back)
//       → { roundTripUs }   median over batches of the time per round trip
//   driver.mjs oneway <sink-command> <messages>
//       → { messagesPerSecond }
//   driver.mjs child-process <json|advanced> <iterations>   → { roundTripUs }
//   driver.mjs worker <iterations>                           → { roundTripUs }

import { fork, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { allocateOutOfLine, allocatePort, sendRaw, encodeMessage } from 'tsmig';
import { timeCalls } from '../lib.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Round trips run before timing (at most; one batch when smaller). */
const WARM_UP = 1000;

/** Spawns a bench peer with a send right to a fresh port as descriptor 3 and waits for its hello. */
async function startPeer(command, args) {
  const port = allocatePort();
  const fd = port.toDescriptor();
  const child = spawn(command, [...args], { stdio: ['ignore', 'inherit', 'inherit', fd] });
  closeSync(fd);
  const hello = await port.receive();
  if (hello.id !== 1000 || hello.replyPort === null) throw new Error(`unexpected hello from ${command}`);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { port, peer: hello.replyPort, exited };
}

function peerCommand(peer) {
  return peer === 'node' ? [process.execPath, [join(here, 'node-echo.mjs'), '3']] : [peer, ['3']];
}

async function roundtrip(peer, iterations, variant) {
  const [command, args] = peerCommand(peer);
  const { port, peer: to, exited } = await startPeer(command, args);
  const body = new Uint8Array(8);
  let once;
  if (variant === 'ports') {
    // One right each way: a send right made from a port of ours, moved back by the echo.
    const carried = allocatePort();
    const raw = () => encodeMessage(to, { id: 1001, body, ports: [{ port: carried, disposition: 'make-send' }] });
    once = async () => {
      await sendRaw(raw());
      const reply = await port.receive();
      reply.ports[0].close();
    };
  } else if (variant?.startsWith('ool=')) {
    // One region goes back and forth (moved each way, as a pool of buffers would); one byte per page
    // is written before each send and the echo reads one, like tsmig-pingpong --ool.
    const size = Number(variant.slice(4));
    let region = allocateOutOfLine(size);
    let round = 0;
    once = async () => {
      round++;
      for (let offset = 0; offset < size; offset += 4096) region[offset] = round;
      await to.send({ id: 1001, ool: [{ data: region, deallocate: true }] });
      region = (await port.receive()).ool[0];
    };
  } else {
    // The plain case uses the raw API with one prepared message, as generated stubs would.
    const raw = encodeMessage(to, { id: 1001, body });
    once = async () => {
      await sendRaw(raw);
      await port.receive();
    };
  }
  const roundTripUs = await timeCalls(iterations, once, WARM_UP);
  await to.send({ id: 1999 });
  await exited;
  return { roundTripUs };
}

async function oneway(sink, messages) {
  const { port, peer: to, exited } = await startPeer(sink, ['3']);
  const raw = encodeMessage(to, { id: 1001, body: new Uint8Array(8) });
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) await sendRaw(raw);
  await to.send({ id: 1999 });
  const done = await port.receive();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const received = Number(new DataView(done.body.buffer, done.body.byteOffset).getBigUint64(0, true));
  await exited;
  if (received !== messages) throw new Error(`sink received ${received} of ${messages}`);
  return { messagesPerSecond: messages / seconds };
}

async function childProcess(serialization, iterations) {
  const child = fork(join(here, 'cp-echo.mjs'), { serialization, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const message = { id: 1001, body: 12345678 };
  let resolveReply;
  child.on('message', () => resolveReply());
  const roundTripUs = await timeCalls(iterations, () => {
    const reply = new Promise((resolve) => (resolveReply = resolve));
    child.send(message);
    return reply;
  }, WARM_UP);
  child.disconnect();
  return { roundTripUs };
}

async function worker(iterations) {
  const thread = new Worker(join(here, 'worker-echo.mjs'));
  let resolveReply;
  thread.on('message', () => resolveReply());
  const message = { id: 1001, body: 12345678 };
  const roundTripUs = await timeCalls(iterations, () => {
    const reply = new Promise((resolve) => (resolveReply = resolve));
    thread.postMessage(message);
    return reply;
  }, WARM_UP);
  await thread.terminate();
  return { roundTripUs };
}

const [mode, ...args] = process.argv.slice(2);
let result;
if (mode === 'roundtrip') result = await roundtrip(args[0], Number(args[1]), args[2]);
else if (mode === 'oneway') result = await oneway(args[0], Number(args[1]));
else if (mode === 'child-process') result = await childProcess(args[0], Number(args[1]));
else if (mode === 'worker') result = await worker(Number(args[0]));
else throw new Error(`driver: unknown mode ${mode}`);
process.stdout.write(JSON.stringify(result) + '\n');
