// Benchmark driver: the Node client side of one Node ↔ C++ child
// measurement, run as its own process so rpc-cpp.js can pin it (and the
// C++ server child it spawns, which inherits the affinity) with `taskset -c
// 0`. Prints one JSON line: { us } — the median over batches of the time per
// call.
//
//   driver.mjs typed <rpcbench.mjs> <bench-server> add|big|ports <iterations>
//       the generated TypeScript client ↔ the generated C++ server child
//   driver.mjs raw <bench-server> add|big|ports <iterations>
//       the same request bytes through sendRaw, same child
//   driver.mjs child-process json|advanced <iterations>
//       child_process send(), echo child

import { fork, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { allocatePort, sendRaw } from 'tsmig';
import { timeCalls } from '../lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const HELLO_ID = 1000;
const ADD_ID = 9100;
const MiB = 1024 * 1024;
const PORTS = 16;

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
    throw new Error(`bench-server: unexpected hello ${hello.id}`);
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

/** What `big` and `many_ports` send: 1 MiB of data, 16 send rights (kept by the driver, copied per call). */
function payloads() {
  const data = new Uint8Array(MiB).fill(7);
  const targets = Array.from({ length: PORTS }, () => allocatePort());
  const rights = targets.map((p) => p.makeSendRight());
  return {
    data,
    rights,
    release() {
      for (const p of [...rights, ...targets]) p.close();
    },
  };
}

async function typed(stubs, program, call, iterations) {
  const { RpcbenchClient } = await import(stubs);
  const { server, stop } = await startServer(program);
  const client = new RpcbenchClient(server);
  const { data, rights, release } = payloads();
  const once =
    call === 'add'
      ? () => client.add(1, 2)
      : call === 'big'
        ? () => client.big(data)
        : () => client.manyPorts(rights);
  const expected = call === 'add' ? 3 : call === 'big' ? MiB : PORTS;
  if ((await once()) !== expected)
    throw new Error(`bench-server: ${call} did not answer ${expected}`);
  const us = await timeCalls(iterations, once);
  client.close();
  release();
  await stop();
  return { us };
}

/** Requests of the bytes the stubs send (Apple's layout), hand-built, through sendRaw and a reply port of one's own. */
async function raw(program, call, iterations) {
  const { server, stop } = await startServer(program);
  const replyPort = allocatePort();
  const { data, rights, release } = payloads();
  let message;
  if (call === 'add') {
    const bytes = new Uint8Array(40);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x1513, true);
    view.setUint32(4, 40, true);
    view.setUint32(8, server.name, true);
    view.setUint32(12, replyPort.name, true);
    view.setInt32(20, ADD_ID, true);
    bytes[28] = 1;
    view.setInt32(32, 1, true);
    view.setInt32(36, 2, true);
    message = { bytes };
  } else {
    // Header, descriptor count, one 16-byte descriptor, NDR, the count.
    const bytes = new Uint8Array(56);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x80001513, true);
    view.setUint32(4, 56, true);
    view.setUint32(8, server.name, true);
    view.setUint32(12, replyPort.name, true);
    view.setInt32(20, call === 'big' ? ADD_ID + 1 : ADD_ID + 2, true);
    view.setUint32(24, 1, true);
    if (call === 'big') {
      bytes[37] = 1; // MACH_MSG_VIRTUAL_COPY
      bytes[39] = 1; // MACH_MSG_OOL_DESCRIPTOR
      view.setUint32(40, MiB, true);
      message = { bytes, ool: [data] };
    } else {
      bytes[37] = 0; // MACH_MSG_PHYSICAL_COPY
      bytes[38] = 19; // MACH_MSG_TYPE_COPY_SEND
      bytes[39] = 2; // MACH_MSG_OOL_PORTS_DESCRIPTOR
      view.setUint32(40, PORTS, true);
      message = { bytes, oolPorts: [Uint32Array.from(rights, (r) => r.name)] };
    }
    bytes[48] = 1;
    view.setUint32(52, call === 'big' ? MiB : PORTS, true);
  }
  const expected = call === 'add' ? 3 : call === 'big' ? MiB : PORTS;
  await sendRaw(message);
  const first = await replyPort.receive();
  // The reply's body: NDR, RetCode, then the one int out.
  if (new DataView(first.body.buffer, first.body.byteOffset).getInt32(12, true) !== expected)
    throw new Error(`bench-server: the raw ${call} did not answer ${expected}`);
  const us = await timeCalls(iterations, async () => {
    await sendRaw(message);
    await replyPort.receive();
  });
  replyPort.close();
  release();
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
  const us = await timeCalls(iterations, () => {
    const reply = new Promise((resolve) => (resolveReply = resolve));
    child.send(request);
    return reply;
  });
  child.disconnect();
  return { us };
}

const [mode, ...args] = process.argv.slice(2);
let result;
if (mode === 'typed') result = await typed(args[0], args[1], args[2], Number(args[3]));
else if (mode === 'raw') result = await raw(args[0], args[1], Number(args[2]));
else if (mode === 'child-process') result = await childProcess(args[0], Number(args[1]));
else throw new Error(`driver: unknown mode ${mode}`);
process.stdout.write(JSON.stringify(result) + '\n');
