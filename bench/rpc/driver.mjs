// Benchmark driver: the Node client side of one RPC measurement, run as its
// own process so rpc.bench.js can pin it (and the server child it spawns,
// which inherits the affinity, started with the handshake) with `taskset -c 0`. Prints one JSON line:
// { us } — the median over batches of the time per call.
//
//   driver.mjs typed <stubs.mjs> add|big|ports <iterations>   generated client ↔ generated server child
//   driver.mjs raw add|big|ports <iterations>                 the runtime's raw API on both sides
//   driver.mjs child-process json|advanced <iterations>       child_process send(), echo child
//   driver.mjs socket <iterations>                            net.Socket binary framing, add child

import { fork, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { allocatePort, sendRaw, spawnWithPorts } from 'tsmig';
import { timeCalls } from '../lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const PORTS = 16;

/** Starts a server peer with the handshake; resolves to the send right its claim offered (`service`). */
async function startServer(script, args) {
  const { child, ports } = await spawnWithPorts(process.execPath, [join(here, script), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (ports.service === undefined) throw new Error(`${script} offered no service port`);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    server: ports.service,
    async stop() {
      ports.service.close();
      await exited;
    },
  };
}

/** What `big` and `many_ports` send: 1 MiB of data, 16 send rights. */
function payloads() {
  const data = new Uint8Array(MiB).fill(7);
  const targets = Array.from({ length: PORTS }, () => allocatePort());
  const rights = targets.map((p) => p.makeSendRight());
  return { data, rights };
}

async function typed(stubs, call, iterations) {
  const { RoundtripClient } = await import(stubs);
  const { server, stop } = await startServer('typed-server.mjs', [stubs]);
  const client = new RoundtripClient(server);
  const { data, rights } = payloads();
  const once =
    call === 'add' ? () => client.add(1, 2) : call === 'big' ? () => client.big(data) : () => client.manyPorts(rights);
  const us = await timeCalls(iterations, once);
  client.close();
  await stop();
  return { us };
}

/** Hand-built requests of the same bytes the stubs send, through sendRaw and a reply port of one's own. */
async function raw(call, iterations) {
  const { server, stop } = await startServer('raw-server.mjs', []);
  const replyPort = allocatePort();
  const { data, rights } = payloads();
  let message;
  if (call === 'add') {
    const bytes = new Uint8Array(40);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x1513, true);
    view.setUint32(4, 40, true);
    view.setUint32(8, server.name, true);
    view.setUint32(12, replyPort.name, true);
    view.setInt32(20, 9016, true);
    bytes[28] = 1;
    view.setInt32(32, 1, true);
    view.setInt32(36, 2, true);
    message = { bytes };
  } else {
    const bytes = new Uint8Array(56);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x80001513, true);
    view.setUint32(4, 56, true);
    view.setUint32(8, server.name, true);
    view.setUint32(12, replyPort.name, true);
    view.setInt32(20, call === 'big' ? 9017 : 9018, true);
    view.setUint32(24, 1, true);
    if (call === 'big') {
      bytes[37] = 1;
      bytes[39] = 1;
      view.setUint32(40, MiB, true);
      message = { bytes, ool: [data] };
    } else {
      bytes[37] = 0;
      bytes[38] = 19;
      bytes[39] = 2;
      view.setUint32(40, PORTS, true);
      message = { bytes, oolPorts: [Uint32Array.from(rights, (r) => r.name)] };
    }
    bytes[48] = 1;
    view.setUint32(52, call === 'big' ? MiB : PORTS, true);
  }
  const us = await timeCalls(iterations, async () => {
    await sendRaw(message);
    await replyPort.receive();
  });
  replyPort.close();
  await stop();
  return { us };
}

async function childProcess(serialization, iterations) {
  const child = fork(join(here, '..', 'runtime', 'cp-echo.mjs'), { serialization, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const request = { routine: 'add', a: 1, b: 2 };
  let resolveReply;
  child.on('message', () => resolveReply());
  const us = await timeCalls(iterations, () => {
    const reply = new Promise((resolve) => (resolveReply = resolve));
    child.send(request);
    return reply;
  });
  child.disconnect();
  return { us };
}

async function socket(iterations) {
  const child = spawn(process.execPath, [join(here, 'socket-echo.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const request = Buffer.alloc(8);
  request.writeInt32LE(1, 0);
  request.writeInt32LE(2, 4);
  let resolveReply;
  let pending = 0;
  child.stdout.on('data', (chunk) => {
    pending += chunk.length;
    while (pending >= 4) {
      pending -= 4;
      resolveReply();
    }
  });
  const us = await timeCalls(iterations, () => {
    const reply = new Promise((resolve) => (resolveReply = resolve));
    child.stdin.write(request);
    return reply;
  });
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));
  return { us };
}

const [mode, ...args] = process.argv.slice(2);
let result;
if (mode === 'typed') result = await typed(args[0], args[1], Number(args[2]));
else if (mode === 'raw') result = await raw(args[0], Number(args[1]));
else if (mode === 'child-process') result = await childProcess(args[0], Number(args[1]));
else if (mode === 'socket') result = await socket(Number(args[0]));
else throw new Error(`driver: unknown mode ${mode}`);
process.stdout.write(JSON.stringify(result) + '\n');
