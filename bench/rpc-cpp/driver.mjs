// Benchmark driver: the Node client side of one Node ↔ C++ child
// measurement, run as its own process so rpc-cpp.js can pin it (and the
// C++ server child it spawns, which inherits the affinity) with `taskset -c
// 0`. Prints one JSON line: { us } — the median over batches of the time per
// call.
//
//   driver.mjs typed <calc.mjs> <calc-server> <iterations>   golden calc TypeScript client ↔ C++ server child
//   driver.mjs raw <calc-server> <iterations>                the same request bytes through sendRaw, same child
//   driver.mjs child-process json|advanced <iterations>      child_process send(), echo child

import { fork, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { allocatePort, sendRaw } from 'tsmig';

const here = dirname(fileURLToPath(import.meta.url));
const BATCHES = 21;
const HELLO_ID = 1000;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Times `iterations` awaited calls of `once` in batches; the median µs per call. */
async function time(iterations, once) {
  const perBatch = Math.max(1, Math.floor(iterations / BATCHES));
  for (let i = 0; i < Math.min(perBatch, 500); i++) await once();
  const samples = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) await once();
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / perBatch);
  }
  return median(samples);
}

/** Starts the C++ server child with a send right to a fresh port as descriptor 3; resolves to the right its hello carried. */
async function startServer(program) {
  const inbox = allocatePort();
  const fd = inbox.toDescriptor();
  const child = spawn(program, [], { stdio: ['pipe', 'inherit', 'inherit', fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const hello = await inbox.receive({ timeout: 20_000 });
  inbox.close();
  if (hello.id !== HELLO_ID || !hello.replyPort)
    throw new Error(`calc-server: unexpected hello ${hello.id}`);
  const server = hello.replyPort;
  return {
    server,
    async stop() {
      server.close();
      child.stdin.end();
      await exited;
    },
  };
}

async function typed(stubs, program, iterations) {
  const { CalcClient } = await import(stubs);
  const { server, stop } = await startServer(program);
  const client = new CalcClient(server);
  if ((await client.add(1, 2)) !== 3) throw new Error('calc-server: add(1, 2) is not 3');
  const us = await time(iterations, () => client.add(1, 2));
  client.close();
  await stop();
  return { us };
}

/** The bytes calc's add request is made of (Apple's layout: header, NDR, a, b), through sendRaw and a reply port of one's own. */
async function raw(program, iterations) {
  const { server, stop } = await startServer(program);
  const replyPort = allocatePort();
  const bytes = new Uint8Array(40);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x1513, true);
  view.setUint32(4, 40, true);
  view.setUint32(8, server.name, true);
  view.setUint32(12, replyPort.name, true);
  view.setInt32(20, 4000, true);
  bytes[28] = 1;
  view.setInt32(32, 1, true);
  view.setInt32(36, 2, true);
  const message = { bytes };
  const first = await (async () => {
    await sendRaw(message);
    return replyPort.receive();
  })();
  if (new DataView(first.body.buffer, first.body.byteOffset).getInt32(12, true) !== 3)
    throw new Error('calc-server: the raw add did not answer 3');
  const us = await time(iterations, async () => {
    await sendRaw(message);
    await replyPort.receive();
  });
  replyPort.close();
  await stop();
  return { us };
}

async function childProcess(serialization, iterations) {
  const child = fork(join(here, '..', 'runtime', 'cp-echo.mjs'), {
    serialization,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const request = { routine: 'add', a: 1, b: 2 };
  let resolveReply;
  child.on('message', () => resolveReply());
  const us = await time(iterations, () => {
    const reply = new Promise((resolve) => (resolveReply = resolve));
    child.send(request);
    return reply;
  });
  child.disconnect();
  return { us };
}

const [mode, ...args] = process.argv.slice(2);
let result;
if (mode === 'typed') result = await typed(args[0], args[1], Number(args[2]));
else if (mode === 'raw') result = await raw(args[0], Number(args[1]));
else if (mode === 'child-process') result = await childProcess(args[0], Number(args[1]));
else throw new Error(`driver: unknown mode ${mode}`);
process.stdout.write(JSON.stringify(result) + '\n');
